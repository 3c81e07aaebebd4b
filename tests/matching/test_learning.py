"""The follow-up rules on plain data: not a fit keeps two people apart (longer and stronger than
history), a club that met goes on without whoever said not a fit, a group that did not meet is
freed — by example and as properties over random clubs and answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.learning import (
    KEPT_MET,
    MET,
    NOT_A_FIT,
    NOT_YET,
    Answer,
    Outcome,
    Rules,
    apart,
    apart_penalty,
    keep_clubs,
    verdict,
)
from matching.scoring import Weights, history_penalty

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def outcome(group: int, said: dict[int, str], *, members: tuple[int, ...] = (), asked=True):
    people = members or tuple(sorted(said))
    return Outcome(group, people, {p: Answer(a, NOW) for p, a in said.items()}, asked=asked)


def test_verdicts() -> None:
    assert verdict(outcome(1, {1: MET, 2: MET, 3: NOT_YET})) == "met"
    assert verdict(outcome(1, {1: MET, 2: MET, 3: NOT_A_FIT})) == "met", "the leaver is out"
    assert verdict(outcome(1, {1: NOT_YET}, members=(1, 2, 3))) == "did_not_meet"
    assert verdict(outcome(1, {}, members=(1, 2, 3))) == "did_not_meet", "asked, nobody met"
    assert verdict(outcome(1, {}, members=(1, 2, 3), asked=False)) == "open", "not asked yet"
    assert verdict(outcome(1, {1: MET}, members=(1, 2, 3))) == "open", "one met: not yet over"
    assert verdict(outcome(1, {1: NOT_A_FIT, 2: NOT_A_FIT})) == "did_not_meet"


def test_not_a_fit_applies_between_that_member_and_each_other_member() -> None:
    club = outcome(7, {1: NOT_A_FIT, 2: MET, 3: MET, 4: NOT_YET})
    assert sorted((a, b) for a, b, _ in apart([club])) == [(1, 2), (1, 3), (1, 4)]
    penalty = apart_penalty([1, 2, 3, 4, 5], [club], now=NOW)
    assert np.allclose(penalty, penalty.T) and not penalty.diagonal().any()
    assert penalty[0, 1:4].tolist() == [3.0, 3.0, 3.0] and penalty[0, 4] == 0.0
    assert not penalty[1:, 1:].any(), "those who did not say it are not kept apart"
    both = outcome(8, {1: NOT_A_FIT, 2: NOT_A_FIT})
    assert apart_penalty([1, 2], [both], now=NOW)[0, 1] == 3.0, "once per pair and group"
    assert not apart_penalty([1, 2], [both], now=NOW, rules=Rules(enabled=False)).any()


def test_not_a_fit_outweighs_history_for_a_long_while() -> None:
    """A year on, a "not a fit" still outweighs any affinity (its parts add up to at most 1),
    while a plain match that old is almost forgotten."""
    weights = Weights()
    ceiling = weights.cross + weights.work + weights.themes + weights.mix + weights.phase
    for days in (0, 30, 120, 365):
        said = Outcome(1, (1, 2), {1: Answer(NOT_A_FIT, NOW - timedelta(days=days))})
        penalty = apart_penalty([1, 2], [said], now=NOW)[0, 1]
        history = weights.history * history_penalty(
            [1, 2],
            [(1, 2, NOW - timedelta(days=days))],
            now=NOW,
            half_life_days=weights.history_half_life_days,
        )
        assert penalty > history[0, 1] and penalty > ceiling, days
    assert history[0, 1] < 0.15


def test_a_club_that_met_goes_on_without_its_leaver_and_one_that_did_not_is_freed() -> None:
    clubs = {10: [1, 2, 3, 4], 20: [5, 6, 7], 30: [8, 9, 10], 40: [11, 12, 13]}
    outcomes = {
        10: outcome(10, {1: MET, 2: MET, 3: MET, 4: NOT_A_FIT}),
        20: outcome(20, {5: NOT_YET}, members=(5, 6, 7)),
        40: outcome(40, {11: NOT_A_FIT, 12: NOT_A_FIT, 13: MET}),
    }
    kept = keep_clubs(clubs, outcomes)
    assert kept.clubs == {10: [1, 2, 3], 30: [8, 9, 10]}
    assert kept.notes == {10: KEPT_MET}
    assert kept.freed == {20, 40}
    assert kept.left == {10: {4}, 40: {11, 12}}
    same = keep_clubs(clubs, outcomes, rules=Rules(enabled=False))
    assert same.clubs == clubs and not same.freed and not same.notes


ANSWER = st.sampled_from([MET, NOT_YET, NOT_A_FIT, None])


@st.composite
def clubs_and_answers(draw: st.DrawFn) -> tuple[dict[int, list[int]], dict[int, Outcome]]:
    sizes = draw(st.lists(st.integers(2, 5), min_size=1, max_size=6))
    clubs: dict[int, list[int]] = {}
    outcomes: dict[int, Outcome] = {}
    person = 0
    for gid, size in enumerate(sizes, start=100):
        members = list(range(person, person + size))
        person += size
        clubs[gid] = members
        if draw(st.booleans()):
            said = {p: a for p in members if (a := draw(ANSWER)) is not None}
            outcomes[gid] = outcome(gid, said, members=tuple(members), asked=draw(st.booleans()))
    return clubs, outcomes


@settings(max_examples=200, deadline=None)
@given(clubs_and_answers())
def test_keeping_clubs_is_a_partition_that_never_keeps_a_leaver(
    case: tuple[dict[int, list[int]], dict[int, Outcome]],
) -> None:
    clubs, outcomes = case
    kept = keep_clubs(clubs, outcomes)
    assert set(kept.clubs) | kept.freed == set(clubs) and not set(kept.clubs) & kept.freed
    for gid, members in kept.clubs.items():
        assert set(members) <= set(clubs[gid]) and len(members) >= 2
        assert not set(members) & kept.left.get(gid, set())
        said = outcomes.get(gid)
        if said is None:
            assert members == clubs[gid], "no follow-up yet: kept as it is"
        else:
            assert verdict(said) != "did_not_meet"
            assert (kept.notes.get(gid) == KEPT_MET) == (verdict(said) == "met")
    for gid in kept.freed:
        said = outcomes[gid]
        assert verdict(said) == "did_not_meet" or len(clubs[gid]) - len(kept.left[gid]) < 2
    penalty = apart_penalty(list(range(40)), outcomes.values(), now=NOW)
    assert np.allclose(penalty, penalty.T) and (penalty >= 0).all()
    for a, b in zip(*np.nonzero(penalty), strict=True):
        together = [o for o in outcomes.values() if a in o.members and b in o.members]
        assert any(NOT_A_FIT in (o.said(int(a)), o.said(int(b))) for o in together)
