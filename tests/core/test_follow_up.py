"""The follow-up after an introduction as pure transcripts."""

from __future__ import annotations

from dataclasses import replace

from bot.core.actions import FollowUp, FollowUpBlock
from bot.core.effects import FollowUpAnswered
from tests.core.conversations import member
from tests.core.transcript import Transcript


def test_each_answer_is_thanked_and_recorded() -> None:
    chat = Transcript(member())
    chat.press(FollowUp(3, "met"))
    assert "Wat fijn!" in chat.text()
    chat.press(FollowUp(3, "not_yet"))
    chat.press(FollowUp(3, "not_a_fit"))
    chat.press(FollowUpBlock(3, 9))
    assert "ik koppel jullie niet meer aan elkaar" in chat.text()
    assert chat.effects == [
        FollowUpAnswered(3, "met"),
        FollowUpAnswered(3, "not_yet"),
        FollowUpAnswered(3, "not_a_fit"),
        FollowUpAnswered(3, "not_a_fit", block=9),
    ]
    assert chat.step == "done"


def test_the_open_question_is_asked_again_after_a_follow_up() -> None:
    chat = Transcript(replace(member(), step="summary"))
    chat.press(FollowUp(3, "met"))
    assert chat.step == "summary" and chat.card.choices


def test_a_damaged_or_unconsented_follow_up_is_refused() -> None:
    chat = Transcript(member())
    chat.click("followup:3:maybe")
    assert chat.errors() == ["Die vraag is niet meer open."]
    chat = Transcript(replace(member(), consent=False, step="stopped"))
    chat.press(FollowUp(3, "met"))
    assert chat.errors() == ["Daarvoor heb ik eerst je toestemming nodig."]
    assert chat.effects == []
