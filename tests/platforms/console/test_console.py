"""The terminal chat (``maatjes chat``) on the real conversation service and database: what a
person types in a terminal, and what they read back."""

from __future__ import annotations

import io

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.platforms import console
from bot.services.conversations import ConversationService
from storage import people


def _chat(service: ConversationService, *lines: str) -> list[str]:
    """What the terminal shows before each prompt: the opening, then one reply per line."""
    stdout = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    console.run(service, "Anna", stdin=stdin, stdout=stdout)
    return stdout.getvalue().split("> ")


def _refusals(shown: list[str]) -> list[str]:
    return [line for turn in shown for line in turn.splitlines() if line.startswith("! ")]


def test_numbers_answer_every_question_consent_included(
    service: ConversationService, engine: Engine
) -> None:
    shown = _chat(service, "1", "Anna de Vries", "Gemeente Zwolle", "1", "1", "4", "1 4", "2")
    assert _refusals(shown) == []
    assert "1. Ja, dat mag" in shown[0]
    assert "Dank je wel! Dan stel ik je een paar vragen" in shown[1], "1 at consent is yes"
    assert "".join(shown).count("Hoi! Ik ben Maatjes") == 1, "the welcome is said once"
    assert "Aan welke transitieagenda" in shown[6]
    assert "In welke fase" in shown[7]
    with Session(engine) as session:
        person = people.get_person(session, platform="local", platform_user_id="anna")
        assert person is not None
        draft = people.draft_answers(session, person_id=person.id or 0)
    assert draft["organisation_kind"] == "gemeente" and draft["group"] == "regionaal"
    assert draft["region"] == "overijssel"
    assert draft["themes"] == ["biomassa-voedsel", "bouw"], "several numbers, several themes"
    assert draft["phase"] == "experimenteren"


def test_a_number_is_text_where_no_choices_are_shown(service: ConversationService) -> None:
    shown = _chat(service, "ja", "7")
    assert _refusals(shown) == []
    assert "Leuk je te spreken, 7." in shown[2], "a name question has no choices: 7 is the name"
