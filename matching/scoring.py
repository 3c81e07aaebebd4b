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

What people see is one scale for every group size (``score_of``): the mean affinity over a
group's pairs, × 100 ÷ ``ceiling`` (the most one pair can score: the sum of the five positive
weights), with each part's share on the same scale, adding up to it. The optimiser maximises the
summed affinity (``group_score``); the scale only changes what is shown.

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


#: The parts of an affinity, in the order they are shown (``affinity_parts``).
PARTS: tuple[str, ...] = ("cross", "work", "themes", "mix", "phase", "history")


def affinity_parts(
    profiles: Sequence[Profile],
    embedded: Embedded,
    weights: Weights = Weights(),
    *,
    history: Iterable[tuple[int, int, datetime]] = (),
    now: datetime | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Each weighted part of the affinity as a symmetric n×n matrix with a zero diagonal, in
    the order of ``PARTS``; they add up to ``affinity`` (history is zero or negative)."""
    n = len(profiles)
    if n == 0:
        return {name: np.zeros((0, 0)) for name in PARTS}
    fit = cross_fit(embedded)
    parts = {
        "cross": weights.cross * (fit + fit.T) / 2.0,
        "work": weights.work * _clip(embedded.works_on @ embedded.works_on.T),
        "themes": weights.themes * theme_overlap(profiles),
        "mix": weights.mix * mix_bonus(profiles),
        "phase": weights.phase * phase_bonus(profiles),
        "history": np.zeros((n, n)),
    }
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
        parts["history"] = -weights.history * penalty
    for matrix in parts.values():
        matrix[...] = (matrix + matrix.T) / 2.0
        np.fill_diagonal(matrix, 0.0)
    return parts


def affinity(
    profiles: Sequence[Profile],
    embedded: Embedded,
    weights: Weights = Weights(),
    *,
    history: Iterable[tuple[int, int, datetime]] = (),
    now: datetime | None = None,
) -> NDArray[np.float64]:
    """The symmetric n×n affinity matrix (zero diagonal) the pairing and grouping maximise."""
    parts = affinity_parts(profiles, embedded, weights, history=history, now=now)
    n = len(profiles)
    score = np.zeros((n, n))
    for name in PARTS:
        score += parts[name]
    return score


def group_score(scores: NDArray[np.float64], members: Sequence[int]) -> float:
    """Total affinity inside one group: the sum over its pairs (what the optimiser maximises)."""
    idx = np.asarray(members, dtype=np.intp)
    if idx.size < 2:
        return 0.0
    return float(np.triu(scores[np.ix_(idx, idx)], 1).sum())


def mean_pair_score(scores: NDArray[np.float64], members: Sequence[int]) -> float:
    """Mean affinity over a group's pairs: the order of the score people see (``score_of``)."""
    pairs = len(members) * (len(members) - 1) // 2
    return group_score(scores, members) / pairs if pairs else 0.0


# --- the score people see: one scale for pairs, trios and clubs --------------------------------


def ceiling(weights: Weights) -> float:
    """The most one pair can score: every part at its maximum (texts that answer each other
    completely, all themes shared, regio meets rijk, phases one step apart) and no history."""
    top = weights.cross + weights.work + weights.themes + weights.mix + weights.phase
    return top if top > 0 else 1.0


def points(value: float, weights: Weights) -> float:
    """An affinity on the 0–100 scale: 100 × value ÷ ``ceiling`` (below 0 only by history)."""
    return 100.0 * value / ceiling(weights)


def score_of(
    parts: Mapping[str, NDArray[np.float64]], members: Sequence[int], weights: Weights
) -> dict[str, Any]:
    """A group's score as people see it: the mean affinity over its pairs on the 0–100 scale,
    so a pair, a trio and a club of five compare. ``parts`` is each part's share of it on the
    same scale (rounded to one decimal); ``value`` is their sum."""
    idx = np.asarray(members, dtype=np.intp)
    pairs = idx.size * (idx.size - 1) // 2
    shares = {}
    for name in PARTS:
        total = float(np.triu(parts[name][np.ix_(idx, idx)], 1).sum()) if pairs else 0.0
        shares[name] = round(points(total / pairs, weights), 1) if pairs else 0.0
    return {"value": round(sum(shares.values()), 1), "parts": shares, "pairs": pairs}


@dataclass(frozen=True)
class Floors:
    """What counts as a fit in this community: a seek↔offer fit, and a likeness of what two
    people work on, among the best ``top`` share of all pairs (so it means the same whatever
    the embedder's scale). ``inf`` when there is nothing to compare."""

    fit: float
    work: float

    @classmethod
    def of(
        cls,
        fit: NDArray[np.float64],
        profiles: Sequence[Profile],
        parts: Mapping[str, NDArray[np.float64]] | None = None,
        *,
        top: float = 0.10,
    ) -> Floors:
        def has(name: str) -> NDArray[np.bool_]:
            return np.array([bool(p.texts.get(name)) for p in profiles], dtype=bool)

        work = parts["work"] if parts is not None else None
        return cls(
            fit=_floor(fit, np.outer(has("seeks"), has("offers")), top),
            work=_floor(work, np.outer(has("works_on"), has("works_on")), top),
        )


def _floor(values: NDArray[np.float64] | None, mask: NDArray[np.bool_], top: float) -> float:
    if values is None or values.shape != mask.shape:
        return math.inf
    mask = mask.copy()
    np.fill_diagonal(mask, False)
    chosen = values[mask]
    if chosen.size == 0:
        return math.inf
    return max(float(np.quantile(chosen, 1.0 - top)), 1e-6)


# --- quotes -------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[^a-z\s])|\n+")
_WORD = re.compile(r"\w{4,}")
#: Words by which a sentence points back at something said before it ("zo’n proef", "such maps").
_POINTS_BACK = re.compile(
    r"\b(zo['’]n|zulke?|dit|deze|daar(?:van|mee|bij|in|voor)?|hier(?:van|mee|bij|in|voor)"
    r"|such|this|these|those)\b",
    re.IGNORECASE,
)
#: A quote longer than this is shortened to whole sentences when the text has more than one.
QUOTE_LIMIT = 200


def points_back(text: str) -> bool:
    """Whether a sentence refers to something outside it ("zo’n centrum", "such a pilot")."""
    return bool(_POINTS_BACK.search(text))


def sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()] if text else []


def quote(text: str, *, against: str = "", limit: int = QUOTE_LIMIT) -> str:
    """What to quote of a free text: the whole text when it is short; otherwise the whole
    sentence (with the one before it when it points back) that shares most words with
    ``against``. Never a sentence cut in the middle: a long single sentence is quoted whole."""
    whole = " ".join(text.split())
    parts = sentences(whole)
    if len(whole) <= limit or len(parts) < 2:
        return _unstop(whole)
    wanted = {w.lower() for w in _WORD.findall(against)}
    spans = []
    for i, sentence in enumerate(parts):
        span = " ".join(parts[i - 1 : i + 1]) if i and points_back(sentence) else sentence
        shared = len({w.lower() for w in _WORD.findall(span)} & wanted)
        spans.append((-shared, len(span) > limit, i, span))
    return _unstop(min(spans)[3])


def _unstop(text: str) -> str:
    """Without its closing full stop, so it reads inside quotation marks in a sentence."""
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def first_sentence(text: str, *, limit: int = 160) -> str:
    """The opening sentence of a free text, shortened with an ellipsis if long (for one-line
    lists; explanations quote with ``quote``, which never cuts a sentence)."""
    text = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?;])\s+|\n+", text, maxsplit=1)[0].strip() if text else ""
    if len(sentence) > limit:
        cut = sentence[: limit - 1].rsplit(" ", 1)[0]
        sentence = f"{cut}…"
    return sentence.rstrip(".;") if sentence.endswith((".", ";")) else sentence


# --- explanations -------------------------------------------------------------------------------


def _seek_quote(profile: Profile, against: str) -> dict[str, str]:
    """What someone seeks, quoted, with what they work on when the quote points back at it."""
    said = {"seeks": quote(profile.texts["seeks"], against=against)}
    if points_back(said["seeks"]) and profile.texts.get("works_on"):
        said["context"] = quote(profile.texts["works_on"], against=said["seeks"])
    return said


def _member_fit(
    m: int,
    members: Sequence[int],
    profiles: Sequence[Profile],
    fit: NDArray[np.float64],
    parts: Mapping[str, NDArray[np.float64]] | None,
    floors: Floors,
) -> dict[str, Any]:
    """What member ``m`` brings to whom inside the group: what they offer against what another
    seeks when that is a fit, else the strongest other part of the affinity with someone."""
    me = profiles[m]
    others = [j for j in members if j != m]
    entry: dict[str, Any] = {"key": me.key, "via": None}
    if me.texts.get("offers"):
        seekers = [j for j in others if profiles[j].texts.get("seeks")]
        if seekers:
            j = max(seekers, key=lambda s: (fit[s, m], -members.index(s)))
            if fit[j, m] >= floors.fit:
                entry |= {
                    "via": "offers",
                    "with": profiles[j].key,
                    "fit": round(float(fit[j, m]), 3),
                    "offers": quote(me.texts["offers"], against=profiles[j].texts["seeks"]),
                    **_seek_quote(profiles[j], me.texts["offers"]),
                }
                return entry
    if parts is None:
        return entry
    pair = {j: sum(float(parts[name][m, j]) for name in PARTS) for j in others}

    def closest(candidates: Iterable[int]) -> int | None:
        return max(candidates, key=lambda j: (pair[j], -members.index(j)), default=None)

    # no fit on what they offer: the next most telling thing they bring to someone here
    near = closest(j for j in others if parts["work"][m, j] >= floors.work)
    if near is not None:
        works_on = quote(me.texts["works_on"], against=profiles[near].texts.get("works_on", ""))
        return entry | {"via": "work", "with": profiles[near].key, "works_on": works_on}
    near = closest(j for j in others if parts["mix"][m, j] > 0)
    if near is not None:
        return entry | {"via": "mix", "with": profiles[near].key, "group": me.group}
    near = closest(j for j in others if parts["phase"][m, j] > 0)
    if near is not None:
        theirs = profiles[near].phase
        phases = {"phase": me.phase, "other_phase": theirs}
        return entry | {"via": "phase", "with": profiles[near].key, **phases}
    near = closest(j for j in others if parts["themes"][m, j] > 0)
    if near is not None:
        shared = sorted((me.themes & profiles[near].themes) - {"anders"})
        return entry | {"via": "themes", "with": profiles[near].key, "themes": shared}
    return entry


def explain(
    members: Sequence[int],
    profiles: Sequence[Profile],
    fit: NDArray[np.float64],
    *,
    parts: Mapping[str, NDArray[np.float64]] | None = None,
    weights: Weights = Weights(),
    floors: Floors | None = None,
) -> dict[str, Any]:
    """Why these people belong together, as data the bot renders in each reader's language.

    ``members`` are indices into ``profiles``; the result names people by their ``key``. With
    the ``parts`` of the affinity (``affinity_parts``) it also carries the group's ``score`` on
    the 0–100 scale and, per member, ``best``: their best pair inside the group on that scale.
    ``floors`` say what counts as a fit (``Floors.of`` the community; worked out here if not
    given, which costs a pass over ``fit``).

    Keys: ``themes`` (shared by two or more, most shared first) with ``theme_members``;
    ``fit`` (the best seek↔offer pair, as before); ``members`` (per member: ``key``, ``via``
    — ``offers``, ``work``, ``themes``, ``mix``, ``phase`` or ``None`` — ``with`` and what to
    quote); ``mix`` with ``sides`` (who is regional, who national); ``phases`` with
    ``phase_of`` ([key, phase] per member with a known phase); ``score``.
    """
    members = list(members)
    group = [profiles[i] for i in members]
    counts = Counter(t for p in group for t in p.themes if t != "anders")
    themes = [theme for theme, count in counts.most_common() if count >= 2]
    if not themes and len(group) == 1:
        themes = sorted(counts)
    explanation: dict[str, Any] = {
        "themes": themes,
        "theme_members": {t: [p.key for p in group if t in p.themes] for t in themes},
    }
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
            "seeks": quote(profiles[seeker].texts["seeks"]),
            "offers": quote(profiles[offerer].texts["offers"]),
            "score": round(best[0], 3),
        }
    if floors is None:
        floors = Floors.of(fit, profiles, parts)
    explanation["members"] = [
        _member_fit(m, members, profiles, fit, parts, floors) for m in members
    ]
    present = {p.group for p in group}
    explanation["mix"] = all(g in present for g in MAIN_GROUPS)
    explanation["sides"] = {g: [p.key for p in group if p.group == g] for g in MAIN_GROUPS}
    explanation["phases"] = sorted({p.phase for p in group if p.phase in PHASES}, key=PHASES.index)
    explanation["phase_of"] = [[p.key, p.phase] for p in group if p.phase in PHASES]
    if parts is not None:
        explanation["score"] = score_of(parts, members, weights)
        idx = np.ix_(members, members)
        pair = sum((parts[name][idx] for name in PARTS), np.zeros((len(members), len(members))))
        for row, entry in enumerate(explanation["members"]):
            others = [col for col in range(len(members)) if col != row]
            top = max((float(pair[row, col]) for col in others), default=0.0)
            entry["best"] = round(points(top, weights), 1)
    return explanation
