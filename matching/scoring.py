"""Affinity between people: how much two civil servants are likely to help each other.

The score of a pair combines, with weights from settings (``Weights``):

* **cross** — what A seeks against what B offers, and the reverse (the strongest signal: the
  point of a maatje is that one has what the other looks for);
* **work** — similarity of what they are working on (kindred opgaven);
* **themes** — overlap of their transition themes (Jaccard);
* **mix** — a bonus when one is regional and the other national (regio meets rijk);
* **phase** — a bonus for phases one step apart ("in welke fase zitten we?": the one a step
  ahead has just solved what the other meets next), half of it for the same phase;
* **history** — a penalty for having been matched before, halving every ``history_half_life_days``
  days: recent partners almost never again, old ones possible.

Everything here is pure numpy on vectors and plain data; the bot's services load profiles and
store results.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.embedders import Vectors

#: Phases of an opgave in order; neighbours are one step apart.
PHASES: tuple[str, ...] = ("verkennen", "experimenteren", "opschalen", "verankeren")
#: The two groups every club should mix.
MAIN_GROUPS: tuple[str, str] = ("regionaal", "rijk")
#: The free texts that are embedded.
TEXT_FIELDS: tuple[str, ...] = ("works_on", "seeks", "offers")


@dataclass(frozen=True)
class Weights:
    """How the parts of the affinity add up. Defaults are documented in ``.env.example``."""

    cross: float = 0.45
    work: float = 0.20
    themes: float = 0.15
    mix: float = 0.12
    phase: float = 0.08
    history: float = 1.0
    history_half_life_days: float = 120.0

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Profile:
    """What the matcher knows of one person."""

    key: int
    group: str | None
    themes: frozenset[str] = frozenset()
    phase: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Embedded:
    """The vectors of the text fields, one row per profile, in the order of the profiles."""

    works_on: Vectors
    seeks: Vectors
    offers: Vectors

    @classmethod
    def of(cls, vectors: Mapping[str, Vectors]) -> Embedded:
        return cls(vectors["works_on"], vectors["seeks"], vectors["offers"])


def _clip(matrix: NDArray[Any]) -> NDArray[np.float64]:
    """Cosine similarities with negatives cut to zero (unrelated texts are not 'opposites')."""
    return np.clip(np.asarray(matrix, dtype=np.float64), 0.0, 1.0)


def cross_fit(embedded: Embedded) -> NDArray[np.float64]:
    """``fit[i, j]``: how well what j offers answers what i seeks (not symmetric)."""
    return _clip(embedded.seeks @ embedded.offers.T)


def theme_overlap(profiles: Sequence[Profile]) -> NDArray[np.float64]:
    """Jaccard overlap of theme sets; "anders" alone says nothing shared."""
    codes = sorted({t for p in profiles for t in p.themes if t != "anders"})
    if not codes:
        return np.zeros((len(profiles), len(profiles)))
    index = {code: i for i, code in enumerate(codes)}
    member = np.zeros((len(profiles), len(codes)))
    for row, profile in enumerate(profiles):
        for theme in profile.themes:
            if theme in index:
                member[row, index[theme]] = 1.0
    shared = member @ member.T
    sizes = member.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, shared / union, 0.0)


def mix_bonus(profiles: Sequence[Profile]) -> NDArray[np.float64]:
    regional = np.array([p.group == MAIN_GROUPS[0] for p in profiles])
    national = np.array([p.group == MAIN_GROUPS[1] for p in profiles])
    return (np.outer(regional, national) | np.outer(national, regional)).astype(np.float64)


def phase_bonus(profiles: Sequence[Profile]) -> NDArray[np.float64]:
    """1 for phases one step apart, 0.5 for the same phase, 0 otherwise or unknown."""
    step = np.array([PHASES.index(p.phase) if p.phase in PHASES else -10 for p in profiles])
    known = step >= 0
    distance = np.abs(step[:, None] - step[None, :])
    both = np.outer(known, known)
    return np.where(both & (distance == 1), 1.0, np.where(both & (distance == 0), 0.5, 0.0))


def history_penalty(
    keys: Sequence[int],
    history: Iterable[tuple[int, int, datetime]],
    *,
    now: datetime,
    half_life_days: float,
) -> NDArray[np.float64]:
    """Sum over earlier matches of 2^(-age/half-life): 1 for a match today, ½ a half-life ago."""
    position = {key: i for i, key in enumerate(keys)}
    penalty = np.zeros((len(keys), len(keys)))
    for a, b, when in history:
        i, j = position.get(a), position.get(b)
        if i is None or j is None or i == j:
            continue
        age = max((now - when).total_seconds() / 86400.0, 0.0)
        value = math.pow(0.5, age / half_life_days) if half_life_days > 0 else 1.0
        penalty[i, j] += value
        penalty[j, i] += value
    return penalty


def affinity(
    profiles: Sequence[Profile],
    embedded: Embedded,
    weights: Weights = Weights(),
    *,
    history: Iterable[tuple[int, int, datetime]] = (),
    now: datetime | None = None,
) -> NDArray[np.float64]:
    """The symmetric n×n affinity matrix (zero diagonal) the pairing and grouping maximise."""
    n = len(profiles)
    if n == 0:
        return np.zeros((0, 0))
    fit = cross_fit(embedded)
    score = weights.cross * (fit + fit.T) / 2.0
    score += weights.work * _clip(embedded.works_on @ embedded.works_on.T)
    score += weights.themes * theme_overlap(profiles)
    score += weights.mix * mix_bonus(profiles)
    score += weights.phase * phase_bonus(profiles)
    history = list(history)
    if history and weights.history:
        if now is None:
            raise ValueError("history needs 'now' to age it")
        penalty = history_penalty(
            [p.key for p in profiles],
            history,
            now=now,
            half_life_days=weights.history_half_life_days,
        )
        score -= weights.history * penalty
    score = (score + score.T) / 2.0
    np.fill_diagonal(score, 0.0)
    return score


def group_score(scores: NDArray[np.float64], members: Sequence[int]) -> float:
    """Total affinity inside one group: the sum over its pairs."""
    idx = np.asarray(members, dtype=np.intp)
    if idx.size < 2:
        return 0.0
    return float(np.triu(scores[np.ix_(idx, idx)], 1).sum())


_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def first_sentence(text: str, *, limit: int = 160) -> str:
    """The opening sentence of a free text, shortened with an ellipsis if long."""
    text = " ".join(text.split())
    sentence = _SENTENCE.split(text, maxsplit=1)[0].strip() if text else ""
    if len(sentence) > limit:
        cut = sentence[: limit - 1].rsplit(" ", 1)[0]
        sentence = f"{cut}…"
    return sentence.rstrip(".;") if sentence.endswith((".", ";")) else sentence


def explain(
    members: Sequence[int], profiles: Sequence[Profile], fit: NDArray[np.float64]
) -> dict[str, Any]:
    """Why these people belong together, as data the bot renders in each reader's language.

    ``members`` are indices into ``profiles``; the result names people by their ``key``.
    """
    group = [profiles[i] for i in members]
    counts = Counter(t for p in group for t in p.themes if t != "anders")
    themes = [theme for theme, count in counts.most_common() if count >= 2]
    if not themes and len(group) == 1:
        themes = sorted(counts)
    explanation: dict[str, Any] = {"themes": themes}
    best: tuple[float, int, int] | None = None
    for i in members:
        for j in members:
            if i == j or not profiles[i].texts.get("seeks") or not profiles[j].texts.get("offers"):
                continue
            if best is None or fit[i, j] > best[0]:
                best = (float(fit[i, j]), i, j)
    if best is not None:
        _, seeker, offerer = best
        explanation["fit"] = {
            "seeker": profiles[seeker].key,
            "offerer": profiles[offerer].key,
            "seeks": first_sentence(profiles[seeker].texts["seeks"]),
            "offers": first_sentence(profiles[offerer].texts["offers"]),
            "score": round(best[0], 3),
        }
    present = {p.group for p in group}
    explanation["mix"] = all(g in present for g in MAIN_GROUPS)
    explanation["phases"] = sorted({p.phase for p in group if p.phase in PHASES}, key=PHASES.index)
    return explanation
