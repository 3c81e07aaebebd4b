"""Wording people read: names listed as a sentence lists them (with „en” / "and" before the
last), and no text that assumes the reader knows the programme's insider words."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from bot.core.conversation import Conversation, CoreConfig
from bot.core.dialogue import Intake
from bot.core.i18n import LOCALE_DIR, join_list
from bot.core.messages import Inbound, Text

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _texts(language: str) -> dict[str, str]:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "maatjes.po").open("rb") as fp:
        return {str(m.id): str(m.string) for m in read_po(fp) if m.id}


@pytest.mark.parametrize(
    ("names", "dutch", "english"),
    [
        ([], "", ""),
        (["Sophie"], "Sophie", "Sophie"),
        (["Sophie", "Lotte"], "Sophie en Lotte", "Sophie and Lotte"),
        (["Sophie", "Lotte", "Mieke"], "Sophie, Lotte en Mieke", "Sophie, Lotte, and Mieke"),
        (
            ["Sophie Jansen", "Lotte Mulder", "Mieke Roos", "Rosa Hartman"],
            "Sophie Jansen, Lotte Mulder, Mieke Roos en Rosa Hartman",
            "Sophie Jansen, Lotte Mulder, Mieke Roos, and Rosa Hartman",
        ),
    ],
)
def test_names_are_joined_with_and_before_the_last(
    names: list[str], dutch: str, english: str
) -> None:
    assert join_list(names, "nl") == dutch
    assert join_list(names, "en") == english
    assert join_list(names, "en-GB") == english


@pytest.mark.parametrize(
    ("language", "unwanted"),
    [
        ("nl", "De tafel brengt"),
        ("nl", "krachtsessies"),
        ("en", "The table brings"),
        ("en", "krachtsessies"),
        ("en", "This is who you are"),
        ("nl", "beantwoordden de vraag"),
        ("nl", "er nog niet naar"),
        ("en", "isn’t there yet"),
        ("nl", "Begin gerust: {question}"),
        ("en", "Feel free to start: {question}"),
        ("en", "Discomfort (ongemak)"),
    ],
)
def test_no_text_uses_insider_words_or_the_old_awkward_phrases(
    language: str, unwanted: str
) -> None:
    offending = [key for key, text in _texts(language).items() if unwanted in text]
    assert offending == []


#: texts about a table of data (the network page's table alternative), not the Participatietafel
DATA_TABLES = ("dashboard.network.",)


def test_no_text_assumes_the_reader_knows_de_tafel() -> None:
    for language in ("nl", "en"):
        for key, text in _texts(language).items():
            lowered = text.lower()
            assert "participatietafel" not in lowered, key
            if key.startswith(DATA_TABLES):
                continue
            assert "de tafel" not in lowered and "the table" not in lowered, key


def test_the_configured_community_is_named_in_the_welcome() -> None:
    named = Intake(CoreConfig(community_name="de Participatietafel Circulaire Economie"))
    for language, said in (
        ("nl", "Ik ben er voor de Participatietafel Circulaire Economie."),
        ("en", "I am here for de Participatietafel Circulaire Economie."),
    ):
        hello = Inbound(text="hallo")
        reply = named.respond(Conversation(language=language), hello, today=date(2026, 12, 1))
        welcome = reply.messages[0]
        assert isinstance(welcome, Text) and welcome.text.endswith(said)
    plain = Intake().resume(Conversation())[0]
    assert isinstance(plain, Text) and "Ik ben er voor" not in plain.text


def test_follow_ups_and_check_ins_list_the_others_with_and_before_the_last() -> None:
    from bot.core.checkins import LIBRARY
    from bot.services.checkins import checkin_messages
    from bot.services.introductions import follow_up
    from storage.models import CheckIn, MatchGroup, Person

    names = ["Anna de Vries", "Sophie Jansen", "Lotte Mulder", "Mieke Roos", "Rosa Hartman"]
    club = MatchGroup(id=3, round_id=1, position=1, kind="club", score=1.0)
    for language, expected in (
        ("nl", "jij en Sophie Jansen, Lotte Mulder, Mieke Roos en Rosa Hartman?"),
        ("en", "you and Sophie Jansen, Lotte Mulder, Mieke Roos, and Rosa Hartman?"),
    ):
        members = [
            Person(id=i, platform="local", platform_user_id=n, name=n, language=language)
            for i, n in enumerate(names, start=1)
        ]
        asked = follow_up(club, members[0], members)[0]
        assert asked.text.endswith(expected), asked.text
        checkin = CheckIn(id=9, group_id=3, sequence=1, prompt_code=LIBRARY[0].code, due_at=NOW)
        intro = checkin_messages(checkin, LIBRARY[0], members[0], members, club)[0]["text"]
        assert expected.split(" ", 2)[2].rstrip("?") in intro, intro
