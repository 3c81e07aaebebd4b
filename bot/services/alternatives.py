"""Ways to change one member of a proposed group during review, with their effect on the round."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from typing import Any, Protocol

from bot.services.errors import RoundClosed, UnknownRound
from storage.models import MatchGroup


class Assessment(Protocol):
    """Scores and explanations for a fixed set of people (for swaps during review)."""

    def group_score(self, person_ids: Sequence[int]) -> float: ...

    def group_points(self, person_ids: Sequence[int]) -> float: ...

    def explain(self, person_ids: Sequence[int]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Alternative:
    """One way to change a group during review, with its effect on the round's total score.

    ``swap``: the member trades places with ``with_person`` from group ``other_position``;
    ``replace``: ``with_person`` (in no group yet) takes the member's place, the member is left out;
    ``move``: the member joins group ``other_position``.

    ``score_before``/``score_after`` are the member's group's score on the 0–100 scale people
    read (``delta`` is the change in the round's summed affinity, what the optimiser weighs),
    ``other_before``/``other_after``
    the other group's (None for a replacement: the member's place is all that changes).
    """

    kind: str
    member: int
    with_person: int | None
    other_position: int | None
    delta: float
    score_after: float
    score_before: float = 0.0
    other_before: float | None = None
    other_after: float | None = None


def alternatives_of(
    kind: str,
    groups: dict[int, MatchGroup],
    members: dict[int, list[int]],
    free: Sequence[int],
    assessment: Assessment,
    *,
    position: int,
    member: int,
    sizes: tuple[int, int],
    groups_of: Callable[[Sequence[int]], dict[int, str | None]],
    locked: Set[int] = frozenset(),
) -> list[Alternative]:
    """Every valid swap, replacement and move of ``member``, best effect on the total first.

    Only groups still awaiting a decision change; clubs keep their regio–rijk mix if they had it;
    ``locked`` people (members of a club a proposal grows) stay where they are.
    """
    group = groups.get(position)
    if group is None or member not in members.get(position, []):
        raise UnknownRound(f"{position}/{member}")
    if group.status != "proposed":
        raise RoundClosed(group.status)
    if member in locked:
        return []
    low, high = sizes
    everyone = [p for ids in members.values() for p in ids] + list(free)
    label = groups_of(everyone)

    def mixed(ids: Sequence[int]) -> bool:
        present = {label.get(p) for p in ids}
        return {"regionaal", "rijk"} <= present

    def keeps_mix(before: Sequence[int], after: Sequence[int]) -> bool:
        return kind == "pairs" or not mixed(before) or mixed(after)

    mine = members[position]
    rest = [p for p in mine if p != member]
    score_now = {pos: assessment.group_score(ids) for pos, ids in members.items()}
    shown_now = {pos: assessment.group_points(ids) for pos, ids in members.items()}
    shown = assessment.group_points  # what a reviewer reads: the 0–100 score of a group

    def before(pos: int) -> tuple[float, float]:
        return shown_now[position], shown_now[pos]

    options: list[Alternative] = []
    for pos, ids in members.items():
        if pos == position or groups[pos].status != "proposed":
            continue
        for other in ids:  # swap member ↔ other
            if other in locked:
                continue
            mine_after = [*rest, other]
            theirs_after = [p for p in ids if p != other] + [member]
            if not (keeps_mix(mine, mine_after) and keeps_mix(ids, theirs_after)):
                continue
            after, theirs = assessment.group_score(mine_after), assessment.group_score(theirs_after)
            delta = after + theirs - score_now[position] - score_now[pos]
            options.append(
                Alternative(
                    "swap",
                    member,
                    other,
                    pos,
                    delta,
                    shown(mine_after),
                    *before(pos),
                    shown(theirs_after),
                )
            )
        if len(mine) - 1 >= low and len(ids) + 1 <= high:  # move member → pos
            theirs_after = [*ids, member]
            if keeps_mix(mine, rest) and keeps_mix(ids, theirs_after):
                after, theirs = assessment.group_score(rest), assessment.group_score(theirs_after)
                delta = after + theirs - score_now[position] - score_now[pos]
                options.append(
                    Alternative(
                        "move",
                        member,
                        None,
                        pos,
                        delta,
                        shown(rest),
                        *before(pos),
                        shown(theirs_after),
                    )
                )
    for newcomer in free:  # replace member with someone in no group
        mine_after = [*rest, newcomer]
        if keeps_mix(mine, mine_after):
            after = assessment.group_score(mine_after)
            delta = after - score_now[position]
            options.append(
                Alternative(
                    "replace",
                    member,
                    newcomer,
                    None,
                    delta,
                    shown(mine_after),
                    shown_now[position],
                )
            )
    options.sort(key=lambda o: (-o.delta, o.kind, o.with_person or 0, o.other_position or 0))
    return options
