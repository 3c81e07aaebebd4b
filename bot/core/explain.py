"""Why a group was proposed, in words: rendered from the matcher's structured explanation.

The explanation is plain data (stored with the group), so the same proposal reads in Dutch for one
member and in English for another. Every sentence says only what is true of this group: each
member is named with what they bring to whom, the regio–rijk sentence names who sits on which
side, and the phase sentence says who is ahead of whom. Explanations stored before members were
explained (no ``members`` key) still read, the way they were written then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.i18n import Translate, join_list

#: The phases from first to last (as in ``matching.scoring.PHASES``).
_PHASES = ("verkennen", "experimenteren", "opschalen", "verankeren")
#: The two sides a club mixes (``matching.scoring.MAIN_GROUPS``).
_SIDES = ("regionaal", "rijk")


def _join(items: Sequence[str], t: Translate) -> str:
    return join_list(items, t.language)


def _theme(code: str, t: Translate) -> str:
    return t(f"vocab.theme.{code}").lower()


def _phase(code: str, t: Translate) -> str:
    return t(f"explain.phase_word.{code}")


def render_explanation(
    explanation: Mapping[str, Any], names: Mapping[int, str], t: Translate
) -> str:
    """One short paragraph: shared themes, what each member brings to whom, the regio–rijk mix,
    the phases."""
    if "members" not in explanation:
        return _render_before_members(explanation, names, t)
    parts: list[str] = []
    newcomers = [names[key] for key in explanation.get("newcomers", []) if key in names]
    if newcomers:
        parts.append(t("explain.newcomers", names=_join(newcomers, t)))
    parts += _themes(explanation, names, t)
    quoted: set[int] = set()  # whose search is quoted already: name it, do not repeat it
    mixing: dict[tuple[Any, Any], list[str]] = {}  # who brings their side to whom: one sentence
    for member in explanation.get("members") or ():
        side, other = member.get("group"), names.get(member.get("with"))
        if member.get("via") == "mix" and side in _SIDES and other and member.get("key") in names:
            if (side, other) not in mixing:
                parts.append("")  # its place, filled below
                mixing[(side, other)] = [str(len(parts) - 1)]
            mixing[(side, other)].append(names[member["key"]])
            continue
        sentence = _member(member, names, t, quoted)
        if sentence:
            parts.append(sentence)
    for (side, other), (place, *who) in mixing.items():
        parts[int(place)] = t(
            "explain.member_mix",
            name=_join(who, t),
            count=len(who),
            side=t(f"explain.side.{side}"),
            other=other,
        )
    parts += _mix(explanation, names, t)
    parts += _phases(explanation, names, t)
    return " ".join(parts) if parts else t("explain.none")


def _themes(explanation: Mapping[str, Any], names: Mapping[int, str], t: Translate) -> list[str]:
    """Themes everyone shares in one sentence, themes some share naming who."""
    everyone = [key for key in _keys(explanation) if key in names]
    by_sharers: dict[tuple[int, ...], list[str]] = {}
    members = explanation.get("theme_members") or {}
    for code in explanation.get("themes", []):
        sharers = tuple(k for k in members.get(code, everyone) if k in names)
        if len(sharers) >= 2:
            by_sharers.setdefault(sharers, []).append(_theme(code, t))
    sentences: list[str] = []
    for sharers, themes in by_sharers.items():
        if set(sharers) >= set(everyone):
            sentences.insert(0, t("explain.themes", themes=_join(themes, t)))
        else:
            who = _join([names[k] for k in sharers], t)
            sentences.append(t("explain.themes_some", names=who, themes=_join(themes, t)))
    return sentences


def _keys(explanation: Mapping[str, Any]) -> list[int]:
    return [m.get("key") for m in explanation.get("members") or () if m.get("key") is not None]


def _member(
    member: Mapping[str, Any], names: Mapping[int, str], t: Translate, quoted: set[int]
) -> str:
    name = names.get(member.get("key"))  # type: ignore[arg-type]
    if name is None:
        return ""
    other_key = member.get("with")
    other = names.get(other_key) if isinstance(other_key, int) else None
    via = member.get("via")
    if via is None or other is None or not isinstance(other_key, int):
        return t("explain.member_none", name=name)
    if via == "offers":
        if other_key in quoted:
            return t("explain.brings_again", offerer=name, offers=member["offers"], seeker=other)
        quoted.add(other_key)
        if member.get("context"):
            return t(
                "explain.brings_context",
                offerer=name,
                offers=member["offers"],
                seeker=other,
                seeks=member["seeks"],
                context=member["context"],
            )
        return t(
            "explain.brings",
            offerer=name,
            offers=member["offers"],
            seeker=other,
            seeks=member["seeks"],
        )
    if via == "work" and member.get("works_on"):
        return t("explain.member_work", name=name, other=other, works_on=member["works_on"])
    if via == "themes" and member.get("themes"):
        themes = _join([_theme(code, t) for code in member["themes"]], t)
        return t("explain.member_themes", name=name, other=other, themes=themes)
    if via == "mix" and member.get("group") in _SIDES:
        side = t(f"explain.side.{member['group']}")
        return t("explain.member_mix", name=name, count=1, other=other, side=side)
    if via == "phase":  # the phase sentence of the group says who is ahead of whom
        return t("explain.member_no_fit", name=name)
    return t("explain.member_none", name=name)


def _mix(explanation: Mapping[str, Any], names: Mapping[int, str], t: Translate) -> list[str]:
    """Regio and rijk at one table: only when both sit at it, naming who sits on which side."""
    sides = explanation.get("sides") or {}
    regional = [names[k] for k in sides.get("regionaal", []) if k in names]
    national = [names[k] for k in sides.get("rijk", []) if k in names]
    if not (explanation.get("mix") and regional and national):
        return []
    return [t("explain.mix_sides", regional=_join(regional, t), national=_join(national, t))]


def _phases(explanation: Mapping[str, Any], names: Mapping[int, str], t: Translate) -> list[str]:
    """Who is ahead of whom when phases differ; the same phase only when it is the same."""
    known = [
        (key, phase)
        for key, phase in explanation.get("phase_of") or ()
        if key in names and phase in _PHASES
    ]
    if len(known) < 2:
        return []
    steps = sorted({_PHASES.index(phase) for _, phase in known})
    if len(steps) == 1:
        phase = _phase(_PHASES[steps[0]], t)
        if len(known) == len(_keys(explanation)):
            return [t("explain.phases_all_same", phase=phase)]
        who = _join([names[key] for key, _ in known], t)
        return [t("explain.phases_some_same", names=who, phase=phase)]
    furthest = _PHASES[steps[-1]]
    ahead = [names[key] for key, phase in known if phase == furthest]
    behind = sorted(
        ((key, phase) for key, phase in known if phase != furthest),
        key=lambda kp: -_PHASES.index(kp[1]),
    )
    behind_phases = list(dict.fromkeys(_phase(phase, t) for _, phase in behind))
    return [
        t(
            "explain.phases_ahead",
            ahead=_join(ahead, t),
            count=len(ahead),
            phase=_phase(furthest, t),
            behind=_join([names[key] for key, _ in behind], t),
            phases=_join(behind_phases, t),
        )
    ]


def _render_before_members(
    explanation: Mapping[str, Any], names: Mapping[int, str], t: Translate
) -> str:
    """An explanation stored before members were explained: themes, one fit, mix, phases."""
    parts: list[str] = []
    newcomers = [names[key] for key in explanation.get("newcomers", []) if key in names]
    if newcomers:
        parts.append(t("explain.newcomers", names=_join(newcomers, t)))
    themes = [_theme(code, t) for code in explanation.get("themes", [])]
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
    phases = [p for p in dict.fromkeys(explanation.get("phases", [])) if p in _PHASES]
    if len(phases) > 1:
        labels = [_phase(code, t) for code in phases]
        parts.append(t("explain.phases_differ", phases=_join(labels, t)))
    elif phases:
        parts.append(t("explain.phases_same", phase=_phase(phases[0], t)))
    return " ".join(parts) if parts else t("explain.none")


def render_weak(reasons: Sequence[tuple[str, Mapping[str, Any]]], t: Translate) -> tuple[str, ...]:
    """Why a group is weak, one sentence per reason, in the reader's language."""
    return tuple(t(msgid, **params) for msgid, params in reasons)
