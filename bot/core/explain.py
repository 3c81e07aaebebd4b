"""Why a group was proposed, in words: rendered from the matcher's structured explanation.

The explanation is plain data (stored with the group), so the same proposal reads in Dutch for one
member and in English for another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.i18n import Translate, join_list


def _join(items: Sequence[str], t: Translate) -> str:
    return join_list(items, t.language)


def render_explanation(
    explanation: Mapping[str, Any], names: Mapping[int, str], t: Translate
) -> str:
    """One short paragraph: shared themes, the best seek↔offer fit, the regio–rijk mix, phases."""
    parts: list[str] = []
    newcomers = [names[key] for key in explanation.get("newcomers", []) if key in names]
    if newcomers:
        parts.append(t("explain.newcomers", names=_join(newcomers, t)))
    themes = [t(f"vocab.theme.{code}").lower() for code in explanation.get("themes", [])]
    if themes:
        parts.append(t("explain.themes", themes=_join(themes, t)))
    fit = explanation.get("fit")
    if fit and fit.get("seeker") in names and fit.get("offerer") in names:
        parts.append(
            t(
                "explain.fit",
                seeker=names[fit["seeker"]],
                offerer=names[fit["offerer"]],
                seeks=fit.get("seeks", ""),
                offers=fit.get("offers", ""),
            )
        )
    if explanation.get("mix"):
        parts.append(t("explain.mix"))
    phases = list(dict.fromkeys(explanation.get("phases", [])))
    if len(phases) > 1:
        labels = [t(f"vocab.phase.{code}").lower() for code in phases]
        parts.append(t("explain.phases_differ", phases=_join(labels, t)))
    elif phases:
        parts.append(t("explain.phases_same", phase=t(f"vocab.phase.{phases[0]}").lower()))
    return " ".join(parts) if parts else t("explain.none")
