"""Translations for everything a person reads.

Messages use symbolic ids (``intake.name.ask``) so that neither Dutch nor English is hard-coded in
logic; both catalogues are complete and checked by a test. Catalogues are compiled with Babel: the
``.mo`` next to a ``.po`` is used when it is up to date, otherwise the ``.po`` is compiled in
memory, so a fresh checkout works before ``make install`` has compiled anything.
"""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final, Protocol

from babel.dates import format_date
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core.vocabulary import LANGUAGES

DOMAIN: Final = "maatjes"
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANGUAGE: Final = "nl"


class Translate(Protocol):
    @property
    def language(self) -> str: ...

    def __call__(self, msgid: str, /, **params: object) -> str: ...


def normalise_language(code: str | None) -> str | None:
    """Map a locale such as ``en-GB`` or ``nl_BE`` to a supported language, or ``None``."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return base if base in LANGUAGES else None


@cache
def catalogue(language: str) -> gettext.GNUTranslations:
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


class _Counting(string.Formatter):
    """``{groups} {groups:groep|groepen}``: the word for a count, the first form for exactly one
    and the second for any other number (Dutch and English have just these two); any other
    format spec formats as ``str.format`` does."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if "|" in format_spec and isinstance(value, int) and not isinstance(value, bool):
            one, _, other = format_spec.partition("|")
            return one if value == 1 else other
        return super().format_field(value, format_spec)


_COUNTING = _Counting()


class _Translator:
    def __init__(self, language: str) -> None:
        self.language = normalise_language(language) or DEFAULT_LANGUAGE
        self._catalogue = catalogue(self.language)

    def __call__(self, msgid: str, /, **params: object) -> str:
        text = self._catalogue.gettext(msgid)
        return _COUNTING.vformat(text, (), params) if params else text


def translator(language: str) -> Translate:
    """A function that translates a message id into ``language``, filling ``{named}`` params."""
    return _Translator(language)


def has_message(language: str, msgid: str) -> bool:
    return bool(catalogue(language)._catalog.get(msgid))  # type: ignore[attr-defined]


def join_list(items: Sequence[str], language: str) -> str:
    """Names (or words) as a sentence lists them: "Sophie, Lotte en Mieke", "Sophie and Lotte"."""
    if not items:
        return ""
    return format_list(list(items), locale=normalise_language(language) or DEFAULT_LANGUAGE)


def format_day(day: date, language: str) -> str:
    """A day as a person reads it: "maandag 4 januari", "Monday 4 January"."""
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    return str(format_date(day, "EEEE d MMMM", locale=lang))
