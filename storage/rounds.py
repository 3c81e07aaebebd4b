"""Match rounds and their groups: stored proposals, review decisions and match history."""

from __future__ import annotations

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
    ReviewDecision,
)
from storage.types import utcnow

OPEN_STATUSES = ("proposed", "under_review")


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
    """Every pair of people who were introduced in the same group, with when."""
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


def active_clubs(session: Session) -> dict[int, list[int]]:
    """Introduced clubs, by group id, with their current members (for 'existing clubs first')."""
    ids = session.exec(
        select(MatchGroup.id).where(
            MatchGroup.kind == "club", col(MatchGroup.introduced_at).is_not(None)
        )
    ).all()
    return members_of(session, group_ids=[i for i in ids if i is not None])


def block_pair(session: Session, *, a: int, b: int, reason: str) -> None:
    low, high = sorted((a, b))
    if session.get(BlockedPair, (low, high)) is None:
        session.add(BlockedPair(person_low=low, person_high=high, reason=reason))
        session.flush()


def blocked_pairs(session: Session) -> list[tuple[int, int]]:
    return [(r.person_low, r.person_high) for r in session.exec(select(BlockedPair))]


def record_follow_up(session: Session, *, group_id: int, person_id: int, answer: str) -> None:
    row = session.get(FollowUpAnswer, (group_id, person_id))
    if row is None:
        row = FollowUpAnswer(group_id=group_id, person_id=person_id, answer=answer)
    else:
        row.answer = answer
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
