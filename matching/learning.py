"""What the next round learns from the follow-up ("hebben jullie elkaar gesproken?").

Three rules, on plain data (the bot's services gather the answers; the benchmark's simulation
draws them), so the service and ``maatjes bench matching --only simulation`` use the same ones:

* **not a fit keeps two people apart**: a member who answered ``not_a_fit`` is kept apart from
  each other member of that group by a penalty of its own, ``not_a_fit_weight`` (stronger than
  a plain earlier match) halving every ``not_a_fit_half_life_days`` (a long while). A block
  button ("nooit meer met …") stays an absolute forbid; that is not decided here.
* **a club that met goes on**: when most of the members who stay said ``met`` (and it is kept in
  any case while the answers are still open), the club is kept as an existing club, so it is
  offered newcomers first ("klein beginnen, langzaam uitbreiden"); members who said
  ``not_a_fit`` leave it.
* **a group that did not meet is freed**: asked, and nobody who stays said ``met``: it is not
  kept and its members are placed anew.

Reasons people typed are never an input here: the matcher does not quote them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matching.scoring import history_penalty

MET, NOT_YET, NOT_A_FIT = "met", "not_yet", "not_a_fit"
ANSWERS: tuple[str, ...] = (MET, NOT_YET, NOT_A_FIT)

Verdict = Literal["met", "did_not_meet", "open"]
#: The machine note a kept club carries in its explanation (``explanation["kept"]``).
KEPT_MET = "met"


@dataclass(frozen=True)
class Rules:
    """How strongly the follow-up counts. Defaults are documented in ``.env.example``."""

    not_a_fit_weight: float = 3.0
    not_a_fit_half_life_days: float = 365.0
    enabled: bool = True  # False: the answers are ignored (the benchmark's "without learning")


@dataclass(frozen=True)
class Answer:
    answer: str  # met | not_yet | not_a_fit
    at: datetime


@dataclass(frozen=True)
class Outcome:
    """One group's follow-up: who was in it when they were asked, what each said, and whether
    the question went out (``asked``; a member who did not answer then counts as not met)."""

    group: int
    members: tuple[int, ...]
    answers: Mapping[int, Answer] = field(default_factory=dict)
    asked: bool = True

    def said(self, person: int) -> str | None:
        found = self.answers.get(person)
        return found.answer if found is not None else None


def leavers(outcome: Outcome) -> set[int]:
    """Members who said the group is not a fit: they leave it."""
    return {p for p in outcome.members if outcome.said(p) == NOT_A_FIT}


def verdict(outcome: Outcome) -> Verdict:
    """``met`` when most who stay said so, ``did_not_meet`` when asked and none who stay did,
    else ``open`` (not asked yet, or some met and the rest not yet)."""
    staying = [p for p in outcome.members if outcome.said(p) != NOT_A_FIT]
    met = sum(1 for p in staying if outcome.said(p) == MET)
    if met and 2 * met > len(staying):
        return "met"
    if outcome.asked and not met:
        return "did_not_meet"
    return "open"


def apart(outcomes: Iterable[Outcome]) -> list[tuple[int, int, datetime]]:
    """Pairs kept apart, with when: each member who said not a fit and each other member of
    that group (once per group and pair, at the latest such answer)."""
    found: dict[tuple[int, int, int], datetime] = {}
    for outcome in outcomes:
        for person in outcome.members:
            answer = outcome.answers.get(person)
            if answer is None or answer.answer != NOT_A_FIT:
                continue
            for other in outcome.members:
                if other == person:
                    continue
                low, high = sorted((person, other))
                key = (outcome.group, low, high)
                if key not in found or found[key] < answer.at:
                    found[key] = answer.at
    return [(a, b, at) for (_, a, b), at in found.items()]


def apart_penalty(
    keys: Sequence[int], outcomes: Iterable[Outcome], *, now: datetime, rules: Rules = Rules()
) -> NDArray[np.float64]:
    """The n×n penalty (symmetric, zero diagonal) to subtract from the affinity of ``keys``."""
    if not rules.enabled or not rules.not_a_fit_weight:
        return np.zeros((len(keys), len(keys)))
    penalty = history_penalty(
        keys, apart(outcomes), now=now, half_life_days=rules.not_a_fit_half_life_days
    )
    return rules.not_a_fit_weight * penalty


@dataclass(frozen=True)
class Kept:
    """Running clubs after the follow-up: which go on (with whom), which are freed, who left."""

    clubs: dict[int, list[int]]
    notes: dict[int, str]  # club → why it was kept ("met")
    freed: set[int]
    left: dict[int, set[int]]  # club → members who said not a fit


def keep_clubs(
    clubs: Mapping[int, Sequence[int]],
    outcomes: Mapping[int, Outcome],
    *,
    rules: Rules = Rules(),
) -> Kept:
    """Which running clubs the next round keeps as existing clubs (filled with newcomers first).

    A club without a follow-up yet, or with open answers, is kept as it is; one that met is
    kept with a note; one that did not meet is freed; members who said not a fit leave, and a
    club left with fewer than two is freed.
    """
    if not rules.enabled:
        return Kept({gid: list(m) for gid, m in clubs.items()}, {}, set(), {})
    kept: dict[int, list[int]] = {}
    notes: dict[int, str] = {}
    freed: set[int] = set()
    left: dict[int, set[int]] = {}
    for gid, members in clubs.items():
        outcome = outcomes.get(gid)
        if outcome is None:
            kept[gid] = list(members)
            continue
        going = leavers(outcome) & set(members)
        if going:
            left[gid] = going
        staying = [p for p in members if p not in going]
        found = verdict(outcome)
        if found == "did_not_meet" or len(staying) < 2:
            freed.add(gid)
            continue
        kept[gid] = staying
        if found == "met":
            notes[gid] = KEPT_MET
    return Kept(kept, notes, freed, left)
