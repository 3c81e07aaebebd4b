"""The profile fields, their limits and vocabularies, and how a typed answer is read.

Pure helpers shared by every dialogue: cleaning what a person typed, matching it to a choice
(number, value, label or an unambiguous start), yes/no, and parsing an answer to one field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core.i18n import Translate
from bot.core.messages import Choice, Inbound
from bot.core.vocabulary import (
    GROUPS,
    LANGUAGES,
    ORGANISATION_KINDS,
    PHASES,
    REGIONS,
    RHYTHMS,
    THEMES,
)

#: The profile fields in the order the intake asks them.
FIELDS: Final = (
    "name",
    "organisation",
    "organisation_kind",
    "group",
    "region",
    "themes",
    "themes_other",
    "phase",
    "works_on",
    "seeks",
    "offers",
    "ongemak",
    "rhythm",
    "language",
)

CHOICE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "organisation_kind": ORGANISATION_KINDS,
    "group": GROUPS,
    "region": REGIONS,
    "phase": PHASES,
    "rhythm": RHYTHMS,
    "language": LANGUAGES,
}
_VOCAB_KIND: Final[Mapping[str, str]] = {
    "organisation_kind": "organisation_kind",
    "group": "group",
    "region": "region",
    "phase": "phase",
    "rhythm": "rhythm",
    "language": "language",
    "themes": "theme",
}
SHORT_TEXT_LIMITS: Final[Mapping[str, int]] = {
    "name": 100,
    "organisation": 200,
    "themes_other": 200,
}
LONG_TEXTS: Final = ("works_on", "seeks", "offers", "ongemak")
OPTIONAL: Final = frozenset({"ongemak"})

YES: Final = frozenset(
    {"ja", "j", "yes", "y", "ok", "oke", "okay", "akkoord", "prima", "goed", "sure"}
)
_NO: Final = frozenset({"nee", "n", "no", "nope", "liever niet"})
_SKIP: Final = frozenset({"sla over", "overslaan", "skip", "-", "geen", "none", "nvt", "n.v.t."})
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


@dataclass(frozen=True)
class Parsed:
    value: Any
    other: str | None = None


@dataclass(frozen=True)
class Invalid:
    message: str


# --- text ----------------------------------------------------------------------------------------


def clean_text(raw: str) -> str:
    """Normalise what a person typed: NFC, no control or zero-width characters, trimmed."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", raw)).strip()


def fold(text: str) -> str:
    """Case, accents and spacing folded away, for comparing what was typed with a word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def command_word(text: str) -> str:
    return fold(text).lstrip("/").rstrip("!.?") or fold(text)


def yes_no(inbound: Inbound) -> str | None:
    """ "yes", "no" or "privacy" (the consent question's third button), typed or pressed."""
    if inbound.choice in ("yes", "no", "privacy"):
        return inbound.choice
    word = command_word(inbound.text or "")
    if word in YES or word.startswith(("ja,", "ja ", "yes")):
        return "yes"
    if word in _NO or word.startswith(("nee,", "nee ", "no,", "no ")):
        return "no"
    return None


# --- choices -------------------------------------------------------------------------------------


def choices(t: Translate, name: str) -> tuple[Choice, ...]:
    """The options of a choice field (or the themes), translated."""
    kind = _VOCAB_KIND[name]
    codes = THEMES if name == "themes" else CHOICE_FIELDS[name]
    return tuple(
        Choice(
            value=code,
            label=t(f"vocab.{kind}.{code}"),
            description=t(f"vocab.phase.{code}.help") if kind == "phase" else None,
        )
        for code in codes
    )


def match_choice(text: str, choices: Sequence[Choice]) -> str | None:
    """The choice a typed answer means: its number, value or label, or an unambiguous start."""
    folded = fold(text).rstrip(".!")
    if not folded:
        return None
    if folded.isdecimal():  # not isdigit: "²" is a digit that int() refuses
        if len(folded) > 3:
            return None  # no question has a thousand options (and int() refuses 4,300 digits)
        index = int(folded) - 1
        return choices[index].value if 0 <= index < len(choices) else None
    for choice in choices:
        if folded in (fold(choice.value), fold(choice.label)):
            return choice.value
    if len(folded) >= 2:
        starts = [c.value for c in choices if fold(c.label).startswith(folded)]
        starts = starts or [c.value for c in choices if fold(c.value).startswith(folded)]
        if len(starts) == 1:
            return starts[0]
    return None


def label(t: Translate, name: str, value: Any) -> str:
    """A field's value as a person reads it (vocabulary codes translated)."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "themes":
        return ", ".join(t(f"vocab.theme.{code}") for code in value)
    if name in _VOCAB_KIND:
        return str(t(f"vocab.{_VOCAB_KIND[name]}.{value}"))
    return str(value)


# --- answers -------------------------------------------------------------------------------------


def limit(step: str, max_answer_length: int) -> int | None:
    """The longest answer a field takes (None for choice fields)."""
    if step in LONG_TEXTS:
        return max_answer_length
    return SHORT_TEXT_LIMITS.get(step)


def parse_field(
    t: Translate, step: str, inbound: Inbound, max_answer_length: int
) -> Parsed | Invalid:
    """The value an answer gives the field ``step``, or why it cannot."""
    if step == "themes":
        return parse_themes(t, inbound)
    if step in CHOICE_FIELDS:
        options = choices(t, step)
        raw = inbound.choice if inbound.choice is not None else (inbound.text or "")
        if inbound.choices and len(inbound.choices) == 1:
            raw = inbound.choices[0]
        value = raw if raw in CHOICE_FIELDS[step] else match_choice(raw, options)
        if value is None:
            return Invalid(t("error.choose_one"))
        return Parsed(value)
    if inbound.choice == "skip" and step in OPTIONAL:
        return Parsed(None)
    if inbound.text is None:
        return Invalid(t("error.type_answer"))
    text = inbound.text
    if step in OPTIONAL and fold(text) in _SKIP:
        return Parsed(None)
    longest = limit(step, max_answer_length) or max_answer_length
    if len(text) > longest:
        return Invalid(t("error.too_long", length=len(text), limit=longest))
    if step in LONG_TEXTS and len(text) < 3:
        return Invalid(t("error.too_short"))
    return Parsed(text)


def parse_themes(t: Translate, inbound: Inbound) -> Parsed | Invalid:
    """Themes picked or typed ("bouw, water"; "anders: ..." says what the other theme is)."""
    options = choices(t, "themes")
    other: str | None = None
    if inbound.choices is not None or inbound.choice is not None:
        tokens = list(inbound.choices or ()) + ([inbound.choice] if inbound.choice else [])
    else:
        text = inbound.text or ""
        match = re.search(r"\b(anders|other)\s*:\s*(.+)$", text, flags=re.IGNORECASE | re.DOTALL)
        if match:
            other = clean_text(match.group(2))
            text = text[: match.start()] + " anders"
            if len(other) > SHORT_TEXT_LIMITS["themes_other"]:
                return Invalid(
                    t(
                        "error.too_long",
                        length=len(other),
                        limit=SHORT_TEXT_LIMITS["themes_other"],
                    )
                )
        tokens = [
            tok for tok in re.split(r"\s*(?:,|;|/|\+|&|\ben\b|\band\b)\s*", text) if tok.strip()
        ]
    values: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        value = token if token in THEMES else match_choice(token, options)
        if value is None:
            unknown.append(token)
        elif value not in values:
            values.append(value)
    if unknown or not values:
        return Invalid(t("error.themes", unknown=", ".join(unknown) or "—"))
    ordered = [code for code in THEMES if code in values]
    return Parsed(ordered, other=other or None)
