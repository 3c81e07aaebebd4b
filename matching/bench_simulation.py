"""``maatjes bench matching --only simulation``: what learning from the follow-up does over a year.

A synthetic community (regio and rijk, phases, themes, clustered vectors for what people work on,
seek and offer) has a hidden "true" fit between every two people: partly what the matcher can
see (the affinity of their profiles), partly chemistry it cannot (a hidden trait per person).
Every month a clubs round is formed the way the service forms it (``form_clubs`` with running
clubs as existing clubs, the history penalty), newcomers arrive, and after each round every
member answers the follow-up, drawn from the true fit: ``met`` with a probability rising with
their mean true fit to the others, ``not_a_fit`` mostly when it is low, else ``not_yet`` or no
answer. The next round uses those answers through the same rules as the service
(``matching.learning``), or ignores them (today's behaviour before learning: a running club is
kept whatever its members said). Per round it reports the meeting rate (the share of clubs that
met) and the mean true fit within clubs, both ways. Seeded: the same figures on every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.grouping import form_clubs
from matching.learning import (
    MET,
    NOT_A_FIT,
    NOT_YET,
    Answer,
    Outcome,
    Rules,
    apart_penalty,
    keep_clubs,
    verdict,
)
from matching.scoring import PHASES, Embedded, Profile, Weights, affinity

THEMES = ("bouw", "textiel", "inkoop", "grondstoffen", "voedsel", "water")
GROUP_SHARE = {"regionaal": 0.55, "rijk": 0.35, "anders": 0.10}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Community:
    profiles: list[Profile]
    embedded: Embedded
    true_fit: NDArray[np.float64]  # hidden: what people would find if they met
    arrives: list[int]  # the round (0-based) each person joins


def _unit(x: NDArray[np.float64]) -> NDArray[np.float32]:
    unit: NDArray[np.float32] = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return unit


def _z(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    upper = matrix[np.triu_indices(matrix.shape[0], 1)]
    z: NDArray[np.float64] = (matrix - upper.mean()) / (upper.std() or 1.0)
    return z


def community(n: int, rounds: int, *, seed: int = 7, dimensions: int = 48) -> Community:
    """``n`` people, about two thirds there from the start and the rest arriving month by month."""
    rng = np.random.default_rng(seed)
    names = list(GROUP_SHARE)
    groups = [names[i] for i in rng.choice(len(names), n, p=list(GROUP_SHARE.values()))]
    topics = max(4, n // 15)
    centres = rng.standard_normal((topics, dimensions))
    topic = rng.integers(0, topics, n)
    need = np.where(rng.random(n) < 0.6, topic, rng.integers(0, topics, n))
    noise = 0.9
    works_on = _unit(centres[topic] + noise * rng.standard_normal((n, dimensions)))
    offers = _unit(centres[topic] + noise * rng.standard_normal((n, dimensions)))
    seeks = _unit(centres[need] + noise * rng.standard_normal((n, dimensions)))
    profiles = [
        Profile(
            key=i,
            group=groups[i],
            themes=frozenset(rng.choice(THEMES, int(rng.integers(1, 3)), replace=False).tolist()),
            phase=PHASES[int(rng.integers(0, len(PHASES)))],
        )
        for i in range(n)
    ]
    embedded = Embedded(works_on=works_on, seeks=seeks, offers=offers)
    seen = affinity(profiles, embedded, Weights())
    hidden = rng.standard_normal((n, 3))
    chemistry = hidden @ hidden.T
    true_fit = 1.0 / (1.0 + np.exp(-(0.6 * _z(seen) + 1.2 * _z(chemistry))))
    np.fill_diagonal(true_fit, 0.0)
    first = math.ceil(n * 2 / 3)
    later = n - first
    arrives = [0] * first + [1 + (k * max(rounds - 1, 1)) // max(later, 1) for k in range(later)]
    return Community(profiles, embedded, true_fit, arrives)


def _answers(
    members: Sequence[int], true_fit: NDArray[np.float64], rng: np.random.Generator, at: datetime
) -> dict[int, Answer]:
    said: dict[int, Answer] = {}
    for person in members:
        others = [m for m in members if m != person]
        fit = float(true_fit[person, others].mean()) if others else 0.0
        p_met = 1.0 / (1.0 + math.exp(-10.0 * (fit - 0.6)))
        draw = rng.random()
        if draw < p_met:
            said[person] = Answer(MET, at)
        elif fit < 0.45 and rng.random() < 0.7:
            said[person] = Answer(NOT_A_FIT, at)
        elif rng.random() < 0.5:
            said[person] = Answer(NOT_YET, at)  # else: no answer at all
    return said


def _pairs_mean(clubs: Sequence[Sequence[int]], true_fit: NDArray[np.float64]) -> float:
    values = [true_fit[a, b] for club in clubs for i, a in enumerate(club) for b in club[i + 1 :]]
    return float(np.mean(values)) if values else 0.0


def simulate(
    world: Community, rounds: int, *, rules: Rules, seed: int = 11
) -> list[dict[str, float]]:
    """Twelve (or ``rounds``) monthly clubs rounds; the figures of each round."""
    rng = np.random.default_rng(seed)
    weights = Weights()
    history: list[tuple[int, int, datetime]] = []
    outcomes: list[Outcome] = []
    latest: dict[int, Outcome] = {}
    running: dict[int, list[int]] = {}
    next_id = 0
    found = []
    for month in range(rounds):
        now = START + timedelta(days=30 * month)
        present = [i for i, r in enumerate(world.arrives) if r <= month]
        kept = keep_clubs(running, latest, rules=rules)
        profiles = [world.profiles[i] for i in present]
        embedded = Embedded(
            works_on=world.embedded.works_on[present],
            seeks=world.embedded.seeks[present],
            offers=world.embedded.offers[present],
        )
        scores = affinity(profiles, embedded, weights, history=history, now=now)
        scores = scores - apart_penalty(present, outcomes, now=now, rules=rules)
        np.fill_diagonal(scores, 0.0)
        index = {person: k for k, person in enumerate(present)}
        ids = list(kept.clubs)
        clubs = form_clubs(
            scores,
            [p.group for p in profiles],
            existing=[[index[p] for p in kept.clubs[gid]] for gid in ids],
        )
        running = {}
        for club in clubs:
            people = [present[k] for k in club]
            grown = next((gid for gid in ids if set(kept.clubs[gid]) <= set(people)), None)
            if grown is None:
                grown, next_id = next_id, next_id + 1
                before: list[int] = []
            else:
                before = kept.clubs[grown]
            for i, a in enumerate(people):  # new pairs enter the history as the service's do
                for b in people[i + 1 :]:
                    if not (a in before and b in before):
                        history.append((a, b, now))
            running[grown] = people
        latest = {}
        for gid, people in running.items():
            said = _answers(people, world.true_fit, rng, now + timedelta(days=14))
            latest[gid] = Outcome(gid, tuple(people), said, asked=True)
        outcomes.extend(latest.values())
        met = sum(1 for o in latest.values() if verdict(o) == "met")
        found.append(
            {
                "round": month + 1,
                "people": len(present),
                "clubs": len(running),
                "meeting_rate": met / len(running) if running else 0.0,
                "true_fit": _pairs_mean(list(running.values()), world.true_fit),
            }
        )
    return found


def _mean_runs(runs: Sequence[list[dict[str, float]]]) -> list[dict[str, float]]:
    return [
        {key: float(np.mean([run[r][key] for run in runs])) for key in runs[0][r]}
        for r in range(len(runs[0]))
    ]


def run(*, quick: bool, out: Callable[[str], None], table: Callable[..., str]) -> dict[str, Any]:
    """The simulation section: with and without learning, side by side, each figure the mean
    over several seeded communities (a round has some 25 clubs: one community is noisy).
    ``table`` is the bench's table printer."""
    n, rounds, seeds = (60, 6, 2) if quick else (120, 12, 5)
    worlds = [community(n, rounds, seed=seed) for seed in range(seeds)]
    without = _mean_runs([simulate(w, rounds, rules=Rules(enabled=False)) for w in worlds])
    learned = _mean_runs([simulate(w, rounds, rules=Rules()) for w in worlds])
    out(
        f"\nSimulation: {n} people ({worlds[0].arrives.count(0)} at the start, the rest arriving "
        f"month by month), {rounds} monthly clubs rounds, follow-up answers drawn from hidden "
        f"true fits; mean of {seeds} seeded communities"
    )
    rows = [
        (
            int(a["round"]),
            int(a["people"]),
            f"{a['meeting_rate']:.0%}",
            f"{b['meeting_rate']:.0%}",
            f"{a['true_fit']:.3f}",
            f"{b['true_fit']:.3f}",
        )
        for a, b in zip(without, learned, strict=True)
    ]
    header = ("round", "people", "met without", "met with", "true fit without", "true fit with")
    out(table(rows, header))
    return {
        "people": n,
        "rounds": rounds,
        "seeds": seeds,
        "without_learning": without,
        "with_learning": learned,
    }
