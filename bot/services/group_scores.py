"""The score a reviewer sees of a group, its parts, and whether the group is weak.

The score is the mean affinity over the group's pairs on a 0–100 scale (``matching.scoring``:
100 × mean pair affinity ÷ the most one pair can score), so a pair, a trio and a club of five
compare. Its parts (seek↔offer, work, themes, mix, phase, history) are on the same scale and add
up to it. The optimiser still maximises the summed affinity; this is what is shown.

A group is weak when its score is under the round's ``weak_score``, or when one of its members
has no pair in the group scoring ``weak_pair`` or more (they fit nobody there). Both thresholds
are settings, stored with each round when it is proposed; older rounds use today's defaults.
A round stored before scores had parts shows the score worked out from its summed affinity,
without parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.explain import render_weak
from bot.core.i18n import Translate
from bot.settings import Settings
from bot.settings_groups import MatchingSettings
from matching.scoring import Weights, points


@dataclass(frozen=True)
class WeakRule:
    """When a group is weak: its score under ``score``, or a member's best pair under ``pair``."""

    score: float
    pair: float

    @classmethod
    def of(cls, settings: MatchingSettings) -> WeakRule:
        return cls(score=settings.weak_score, pair=settings.weak_pair)

    @classmethod
    def stored(cls, weights: Mapping[str, Any]) -> WeakRule:
        """The rule a round was proposed with (today's defaults for a round from before)."""
        fields = Settings.model_fields
        return cls(
            score=float(weights.get("weak_score", fields["weak_score"].default)),
            pair=float(weights.get("weak_pair", fields["weak_pair"].default)),
        )

    def as_dict(self) -> dict[str, float]:
        return {"weak_score": self.score, "weak_pair": self.pair}


@dataclass(frozen=True)
class ShownScore:
    """A group's score on the 0–100 scale, its parts (None for older rounds) and, in the
    reader's language, why it is weak (empty when it is not)."""

    value: float
    parts: Mapping[str, float] | None
    weak: tuple[str, ...]


def _weights(stored: Mapping[str, Any]) -> Weights:
    known = {k: float(v) for k, v in stored.items() if k in Weights.__dataclass_fields__}
    return Weights(**known)


def shown_score(
    explanation: Mapping[str, Any],
    *,
    summed: float,
    size: int,
    weights: Mapping[str, Any],
    rule: WeakRule,
    names: Mapping[int, str],
    t: Translate,
) -> ShownScore:
    """The score of one group as shown, from its explanation (or, for a round stored before
    explanations carried a score, from its summed affinity ``summed`` over ``size`` members)."""
    score = explanation.get("score")
    if isinstance(score, Mapping) and "value" in score:
        value = float(score["value"])
        parts: Mapping[str, float] | None = dict(score.get("parts") or {}) or None
    else:
        pairs = size * (size - 1) // 2
        value = round(points(summed / pairs, _weights(weights)), 1) if pairs else 0.0
        parts = None
    reasons: list[tuple[str, dict[str, Any]]] = []
    if value < rule.score:
        below = {"score": _under(value, rule.score), "limit": f"{rule.score:g}"}
        reasons.append(("weak.low_score", below))
    members = [m for m in explanation.get("members") or () if m.get("key") in names]
    alone = [
        (float(m["best"]), names[m["key"]])
        for m in members
        if isinstance(m.get("best"), int | float) and m["best"] < rule.pair
    ]
    limit = f"{rule.pair:g}"
    if alone and len(alone) == len(members):  # nobody has a strong pair: one reason, not each
        best = max(b for b, _ in alone)
        reasons.append(("weak.nobody_fits", {"best": _under(best, rule.pair), "limit": limit}))
    else:
        for best, name in alone:
            params = {"name": name, "best": _under(best, rule.pair), "limit": limit}
            reasons.append(("weak.fits_nobody", params))
    return ShownScore(value=value, parts=parts, weak=render_weak(reasons, t))


def _under(value: float, limit: float) -> str:
    """A score under a limit, shown whole unless rounding would make it look as high."""
    return f"{value:.0f}" if round(value) < limit else f"{value:.1f}"


def weak_summary(weak: Sequence[int], total: int, t: Translate) -> str:
    """ "3 van de 12 groepen zijn zwak: 4, 9 en 12." (empty when none is)."""
    from bot.core.i18n import join_list

    if not weak:
        return ""
    return t(
        "weak.summary",
        weak=len(weak),
        total=total,
        positions=join_list([str(p) for p in weak], t.language),
    )
