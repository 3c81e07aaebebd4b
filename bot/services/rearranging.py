"""Changing a proposed round during review: the valid swaps and moves of one member as the round
stands, and applying the one a coordinator chose (``RoundService.alternatives``/``rearrange``).

``alternatives`` finds and scores the changes; this module reads the round for it and writes the
chosen change back (members, scores, explanations, kinds)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from sqlmodel import Session

from bot.services.alternatives import Alternative, Assessment, alternatives_of
from bot.services.errors import UnknownRound
from storage import rounds
from storage.models import MatchGroup, MatchRound, Person


class Assessor(Protocol):
    """What a review needs of the matching engine (a part of ``rounds.Proposer``)."""

    def assess(self, session: Session, person_ids: Sequence[int]) -> Assessment: ...

    def unplaced(self, session: Session, placed: set[int], *, kind: str) -> list[int]: ...


@dataclass(frozen=True)
class ReviewOptions:
    """An open round as it stands, and every valid change of one member, best first."""

    match_round: MatchRound
    groups: dict[int, MatchGroup]  # by position
    members: dict[int, list[int]]  # by position
    assessment: Assessment
    options: list[Alternative]


def review_options(
    session: Session,
    match_round: MatchRound,
    assessor: Assessor,
    *,
    position: int,
    member: int,
    sizes: tuple[int, int],
) -> ReviewOptions:
    assert match_round.id is not None
    groups = {g.position: g for g in rounds.groups_of(session, round_id=match_round.id)}
    members_by_id = rounds.members_of(
        session, group_ids=[g.id for g in groups.values() if g.id is not None]
    )
    members = {pos: members_by_id[g.id or 0] for pos, g in groups.items()}
    placed = {p for ids in members.values() for p in ids}
    free = assessor.unplaced(session, placed, kind=match_round.kind)
    assessment = assessor.assess(session, sorted(placed | set(free)))
    options = alternatives_of(
        match_round.kind,
        groups,
        members,
        free,
        assessment,
        position=position,
        member=member,
        sizes=sizes,
        groups_of=partial(_labels, session),
        locked=_club_members(session, groups.values()),
    )
    return ReviewOptions(match_round, groups, members, assessment, options)


def apply_alternative(
    session: Session,
    found: ReviewOptions,
    *,
    position: int,
    member: int,
    with_person: int | None,
    to_position: int | None,
) -> tuple[Alternative, dict[str, Any]]:
    """Apply one of the ``found`` options to the stored groups. Returns it and what was done (for
    the review history); an option the review would not offer is an ``UnknownRound``."""
    match_round, groups, members = found.match_round, found.groups, found.members
    chosen = next(
        (
            o
            for o in found.options
            if o.with_person == with_person
            and (to_position is None or o.other_position == to_position)
        ),
        None,
    )
    if chosen is None:
        raise UnknownRound(f"{match_round.id}/{position}: no such alternative")
    changed = {position: [p for p in members[position] if p != member]}
    if chosen.kind == "swap":
        assert chosen.other_position is not None and with_person is not None
        changed[position].append(with_person)
        changed[chosen.other_position] = [
            p for p in members[chosen.other_position] if p != with_person
        ] + [member]
    elif chosen.kind == "replace":
        assert with_person is not None
        changed[position].append(with_person)
    else:
        assert chosen.other_position is not None
        changed[chosen.other_position] = [*members[chosen.other_position], member]
    for pos, ids in changed.items():
        group = groups[pos]
        assert group.id is not None
        rounds.set_members(session, group_id=group.id, person_ids=ids)
        group.score = found.assessment.group_score(ids)
        group.explanation = _still_extending(session, group, found.assessment.explain(ids), ids)
        group.kind = rounds.group_kind(len(ids), match_round.kind)
        session.add(group)
    detail = {
        "kind": chosen.kind,
        "member": member,
        "with": with_person,
        "other_position": chosen.other_position,
        "delta": round(chosen.delta, 4),
    }
    return chosen, detail


def _club_members(session: Session, groups: Iterable[MatchGroup]) -> set[int]:
    """Members of the running clubs these proposals grow: they stay in their club (a review
    changes only who joins it)."""
    clubs = {c for c in (rounds.extended_club(g) for g in groups) if c is not None}
    running = [
        c for c in clubs if getattr(session.get(MatchGroup, c), "status", None) in rounds.RUNNING
    ]
    return {p for ids in rounds.members_of(session, group_ids=running).values() for p in ids}


def _still_extending(
    session: Session, group: MatchGroup, explanation: dict[str, Any], ids: Sequence[int]
) -> dict[str, Any]:
    """A changed proposal that grows a club keeps saying which club, and who is new in it."""
    club = rounds.extended_club(group)
    if club is None:
        return explanation
    present = set(rounds.members_of(session, group_ids=[club])[club])
    return {**explanation, "extends": club, "newcomers": sorted(p for p in ids if p not in present)}


def _labels(session: Session, ids: Sequence[int]) -> dict[int, str | None]:
    return {pid: getattr(session.get(Person, pid), "group", None) for pid in ids}
