"""Match rounds and their groups: stored proposals, review decisions and match history.

A group's life: ``proposed`` → ``approved`` → ``introduced`` (a running group: its members know
each other, get check-ins and share a thread), or ``rejected`` by a coordinator, or ``dissolved``
(a proposal that lost its members, or a club that stopped meeting and whose members moved on),
or ``superseded`` (a pair whose members got a new maatje in a later round).
A proposal that grows an existing club (``explanation["extends"]``) is not a second club: on
approval its newcomers join that club and the proposal becomes ``merged``. So a person is in at
most one live club, and :func:`live_memberships` is the one definition of "live".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import (
    BlockedPair,
    FollowUpAnswer,
    GroupMember,
    MatchGroup,
    MatchRound,
    OutboxMessage,
    ReviewDecision,
)
from storage.types import utcnow

log = logging.getLogger(__name__)

OPEN_STATUSES = ("proposed", "under_review")

PROPOSED, APPROVED, INTRODUCED = "proposed", "approved", "introduced"
REJECTED, DISSOLVED, MERGED = "rejected", "dissolved", "merged"
SUPERSEDED = "superseded"  # a pair whose members got a new maatje in a later round
#: Groups that run: their members were introduced (check-ins, threads, the club people are in).
RUNNING = (APPROVED, INTRODUCED)
#: Groups that ran and ended (with an introduction date): their thread stays readable.
ENDED = (DISSOLVED, SUPERSEDED)
#: Groups someone is in now: a proposal awaiting review (in an open round), or a running group.
#: :func:`live_groups` is the one query of them.
LIVE = (PROPOSED, *RUNNING)


@dataclass(frozen=True)
class NewGroup:
    members: Sequence[int]
    score: float
    explanation: dict[str, Any]


def create_round(
    session: Session,
    *,
    kind: str,
    origin: str,
    proposed_by: str | None,
    embedder: str,
    weights: dict[str, Any],
    groups: Sequence[NewGroup],
    schedule_slot: str | None = None,
) -> MatchRound:
    match_round = MatchRound(
        kind=kind,
        schedule_slot=schedule_slot,
        origin=origin,
        proposed_by=proposed_by,
        embedder=embedder,
        weights=weights,
        total_score=float(sum(g.score for g in groups)),
    )
    session.add(match_round)
    session.flush()
    assert match_round.id is not None
    for position, group in enumerate(groups, start=1):
        add_group(
            session, round_id=match_round.id, position=position, group=group, kind_of_round=kind
        )
    return match_round


def group_kind(size: int, kind_of_round: str) -> str:
    if kind_of_round == "pairs":
        return "pair" if size <= 2 else "trio"
    return "club"


def add_group(
    session: Session, *, round_id: int, position: int, group: NewGroup, kind_of_round: str
) -> MatchGroup:
    row = MatchGroup(
        round_id=round_id,
        position=position,
        kind=group_kind(len(group.members), kind_of_round),
        score=float(group.score),
        explanation=group.explanation,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    for person_id in group.members:
        session.add(GroupMember(group_id=row.id, person_id=person_id))
    session.flush()
    return row


def get_round(session: Session, *, round_id: int) -> MatchRound | None:
    return session.get(MatchRound, round_id)


def latest_round(session: Session) -> MatchRound | None:
    return session.exec(select(MatchRound).order_by(col(MatchRound.id).desc())).first()


def open_rounds(session: Session) -> Sequence[MatchRound]:
    return session.exec(
        select(MatchRound)
        .where(col(MatchRound.status).in_(OPEN_STATUSES))
        .order_by(col(MatchRound.id))
    ).all()


def rounds(session: Session, *, limit: int = 50) -> Sequence[MatchRound]:
    return session.exec(select(MatchRound).order_by(col(MatchRound.id).desc()).limit(limit)).all()


def groups_of(session: Session, *, round_id: int) -> Sequence[MatchGroup]:
    return session.exec(
        select(MatchGroup).where(MatchGroup.round_id == round_id).order_by(col(MatchGroup.position))
    ).all()


def members_of(session: Session, *, group_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return found
    rows = session.exec(
        select(GroupMember)
        .where(col(GroupMember.group_id).in_(group_ids))
        .order_by(col(GroupMember.group_id), col(GroupMember.person_id))
    )
    for row in rows:
        found[row.group_id].append(row.person_id)
    return found


def record_decision(
    session: Session,
    *,
    round_id: int,
    group_id: int | None,
    actor: str,
    action: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ReviewDecision:
    decision = ReviewDecision(
        round_id=round_id,
        group_id=group_id,
        actor=actor,
        action=action,
        reason=reason,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(decision)
    session.flush()
    return decision


def decisions_of(session: Session, *, round_id: int) -> Sequence[ReviewDecision]:
    return session.exec(
        select(ReviewDecision)
        .where(ReviewDecision.round_id == round_id)
        .order_by(col(ReviewDecision.id))
    ).all()


def match_history(session: Session) -> list[tuple[int, int, datetime]]:
    """Every pair of people who were introduced in the same group, with when (a newcomer who
    joined a running club counts from the club's introduction: they are in it together now)."""
    rows = session.exec(
        select(MatchGroup.id, MatchGroup.introduced_at).where(
            col(MatchGroup.introduced_at).is_not(None)
        )
    ).all()
    when = {gid: at for gid, at in rows if gid is not None and at is not None}
    members = members_of(session, group_ids=list(when))
    history: list[tuple[int, int, datetime]] = []
    for gid, people_ in members.items():
        for i, a in enumerate(people_):
            for b in people_[i + 1 :]:
                history.append((a, b, when[gid]))
    return history


@dataclass(frozen=True)
class LiveGroup:
    """A group someone is in now, with the club it belongs to (its own id, or for a proposal
    that grows a running club, that club's id)."""

    id: int
    round_id: int
    kind: str
    status: str
    club: int
    members: tuple[int, ...]
    introduced_at: datetime | None


def extended_club(group: MatchGroup) -> int | None:
    """The running club a proposal grows, as the proposal recorded it."""
    extends = (group.explanation or {}).get("extends")
    return extends if isinstance(extends, int) and not isinstance(extends, bool) else None


def live_groups(session: Session) -> list[LiveGroup]:
    """Every live group (a proposal of an open round, or a running group), newest first."""
    open_ids = select(MatchRound.id).where(col(MatchRound.status).in_(OPEN_STATUSES))
    rows = session.exec(
        select(MatchGroup).where(
            col(MatchGroup.status).in_(LIVE),
            (col(MatchGroup.status) != PROPOSED)
            | col(MatchGroup.round_id).in_(open_ids.scalar_subquery()),
        )
    ).all()
    members = members_of(session, group_ids=[g.id for g in rows if g.id is not None])
    running = {g.id for g in rows if g.status in RUNNING}
    found = []
    for group in rows:
        assert group.id is not None
        extends = extended_club(group) if group.status == PROPOSED else None
        found.append(
            LiveGroup(
                id=group.id,
                round_id=group.round_id,
                kind=group.kind,
                status=group.status,
                club=extends if extends is not None and extends in running else group.id,
                members=tuple(members[group.id]),
                introduced_at=group.introduced_at,
            )
        )
    found.sort(key=_newest_first)
    return found


def _newest_first(group: LiveGroup) -> tuple[int, float, int]:
    # running groups by when they were introduced, then by id: a deterministic "newest"
    at = group.introduced_at.timestamp() if group.introduced_at is not None else float("inf")
    return (0 if group.status == PROPOSED else 1, -at, -group.id)


def live_memberships(session: Session) -> dict[int, set[int]]:
    """For each person in a live group: the groups (club ids) they are in. More than one is a
    state the services never write (:func:`running_clubs` copes with it anyway), except when
    an operator mixes clubs rounds and pairs rounds: a club and a maatje are kept apart."""
    clubs: dict[int, set[int]] = {}
    for group in live_groups(session):
        for person_id in group.members:
            clubs.setdefault(person_id, set()).add(group.club)
    return clubs


def running_clubs(
    session: Session, *, groups: Sequence[LiveGroup] | None = None
) -> dict[int, list[int]]:
    """Running clubs, by group id, with their members, each person in one club only: should
    the database hold someone in two (as rounds before clubs grew in place could leave it),
    the newest club counts and a warning is logged."""
    taken: dict[int, int] = {}
    clubs: dict[int, list[int]] = {}
    for group in groups if groups is not None else live_groups(session):
        if group.status not in RUNNING or group.kind != "club":
            continue
        kept = []
        for person_id in group.members:
            if person_id in taken:
                log.warning(
                    "person in more than one running club: the newest counts",
                    extra={"person_id": person_id, "club": taken[person_id], "also": group.id},
                )
                continue
            taken[person_id] = group.id
            kept.append(person_id)
        clubs[group.id] = kept
    return clubs


def spoken_for(session: Session, *, groups: Sequence[LiveGroup] | None = None) -> set[int]:
    """People in a proposal still awaiting review: a new round leaves them to that review."""
    return {
        person_id
        for group in (groups if groups is not None else live_groups(session))
        if group.status == PROPOSED
        for person_id in group.members
    }


def join_club(
    session: Session, *, club_id: int, person_ids: Sequence[int], at: datetime
) -> list[int]:
    """Newcomers join a running club (its members, thread and check-ins stay as they are).
    Returns who actually joined (not already a member)."""
    present = set(members_of(session, group_ids=[club_id])[club_id])
    joined = [p for p in dict.fromkeys(person_ids) if p not in present]
    for person_id in joined:
        session.add(GroupMember(group_id=club_id, person_id=person_id, added_at=at))
    session.flush()
    return joined


def block_pair(session: Session, *, a: int, b: int, reason: str) -> None:
    low, high = sorted((a, b))
    if session.get(BlockedPair, (low, high)) is None:
        session.add(BlockedPair(person_low=low, person_high=high, reason=reason))
        session.flush()


def blocked_pairs(session: Session) -> list[tuple[int, int]]:
    return [(r.person_low, r.person_high) for r in session.exec(select(BlockedPair))]


def record_follow_up(session: Session, *, group_id: int, person_id: int, answer: str) -> None:
    """A member's answer, replacing any earlier one (and the reason given with that one)."""
    row = session.get(FollowUpAnswer, (group_id, person_id))
    if row is None:
        row = FollowUpAnswer(group_id=group_id, person_id=person_id, answer=answer)
    else:
        row.answer = answer
        row.reason = None
        row.at = utcnow()
    session.add(row)
    session.flush()


def follow_ups(session: Session) -> Sequence[FollowUpAnswer]:
    return session.exec(select(FollowUpAnswer)).all()


def set_members(session: Session, *, group_id: int, person_ids: Sequence[int]) -> None:
    """Replace a group's members (a coordinator swapped or moved someone)."""
    current = session.exec(select(GroupMember).where(GroupMember.group_id == group_id)).all()
    keep = set(person_ids)
    for row in current:
        if row.person_id not in keep:
            session.delete(row)
    present = {row.person_id for row in current}
    for person_id in person_ids:
        if person_id not in present:
            session.add(GroupMember(group_id=group_id, person_id=person_id))
    session.flush()


def follow_ups_sent(session: Session, *, again: bool = False) -> set[tuple[int, int]]:
    """(group, person) for every follow-up question that reached its member; with ``again``,
    only the second ask ("nog één keer": a group that did not meet is asked once more)."""
    keys = session.exec(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == "follow_up", OutboxMessage.status == "sent"
        )
    ).all()
    prefixes = ("follow_up_again",) if again else ("follow_up", "follow_up_again")
    found = set()
    for key in keys:  # follow_up:<group>:<person> or follow_up_again:<group>:<person>
        parts = key.split(":")
        if len(parts) == 3 and parts[0] in prefixes and parts[1].isdigit() and parts[2].isdigit():
            found.add((int(parts[1]), int(parts[2])))
    return found


def leave_club(session: Session, *, club_id: int, person_ids: Sequence[int]) -> None:
    """Members leave a running club (they said it was not a fit and joined another)."""
    for person_id in person_ids:
        row = session.get(GroupMember, (club_id, person_id))
        if row is not None:
            session.delete(row)
    session.flush()
