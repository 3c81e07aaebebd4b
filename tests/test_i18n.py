"""Both catalogues are complete: the same keys, no empty text, the same {placeholders}, and every
key the code asks for exists."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from bot.core import vocabulary
from bot.core.i18n import LOCALE_DIR, translator
from tests import ROOT


def _catalogue(language: str) -> dict[str, str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "maatjes.po").open("rb") as fp:
        catalog = read_po(fp)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_dutch_and_english_have_the_same_messages() -> None:
    nl, en = _catalogue("nl"), _catalogue("en")
    assert set(nl) == set(en)
    for key in nl:
        assert nl[key].strip() and en[key].strip(), f"empty translation for {key}"
        assert _fields(nl[key]) == _fields(en[key]), f"placeholders differ in {key}"


def _used_keys() -> set[str]:
    keys: set[str] = set()
    pattern = re.compile(r"""\bt2?\(\s*["']([a-z_]+(?:\.[a-z0-9_-]+)+)["']""")
    for path in (ROOT / "bot").rglob("*.py"):
        keys |= set(pattern.findall(path.read_text(encoding="utf-8")))
    for kind, codes in (
        ("organisation_kind", vocabulary.ORGANISATION_KINDS),
        ("group", vocabulary.GROUPS),
        ("region", vocabulary.REGIONS),
        ("theme", vocabulary.THEMES),
        ("phase", vocabulary.PHASES),
        ("rhythm", vocabulary.RHYTHMS),
        ("language", vocabulary.LANGUAGES),
    ):
        keys |= {f"vocab.{kind}.{code}" for code in codes}
    keys |= {f"vocab.phase.{code}.help" for code in vocabulary.PHASES}
    from bot.core.profile import FIELDS

    keys |= {f"intake.{name}.ask" for name in FIELDS} | {f"field.{name}" for name in FIELDS}
    return keys


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_key_the_code_uses_is_translated(language: str) -> None:
    catalogue = _catalogue(language)
    missing = sorted(k for k in _used_keys() if k not in catalogue)
    assert not missing, f"missing in {language}: {missing}"


def test_translator_formats_and_falls_back_to_dutch() -> None:
    assert translator("en")("pause.set_until", date="01-12-2026").startswith(
        "You are paused until 01-12-2026"
    )
    assert translator("fr")("common.back") == "Terug"
    assert translator("en-GB")("common.back") == "Back"


def test_a_count_takes_the_word_for_its_number() -> None:
    nl, en = translator("nl"), translator("en")
    assert nl("dashboard.approve_all.intro", groups=1, people=3).startswith(
        "Je keurt 1 groep goed, met samen 3 mensen."
    )
    assert nl("dashboard.approve_all.intro", groups=2, people=1).startswith(
        "Je keurt 2 groepen goed, met samen 1 persoon."
    )
    assert en("dashboard.approve_all.confirm", groups=1) == "Yes, approve this 1 group"
    assert en("dashboard.approve_all.confirm", groups=0) == "Yes, approve these 0 groups"
    assert nl("dashboard.round.progress", approved=1, waiting=2).startswith(
        "1 groep is goedgekeurd en geïntroduceerd; 2 wachten nog"
    )
    assert nl("web.groups.posts", count=1) == "1 bericht"
    assert en("web.groups.posts", count=7) == "7 messages"
    assert en("dashboard.round.summary", groups=1, mean="0.50") == "1 group, mean score 0.50."
