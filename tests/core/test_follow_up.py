"""The follow-up after an introduction as pure transcripts."""

from __future__ import annotations

from dataclasses import replace

from bot.core.actions import FollowUp, FollowUpBlock
from bot.core.effects import FollowUpAnswered, FollowUpReasonGiven
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
    assert chat.step == "follow_up_reason", "after an answer but „met”: why, if they like"
    chat.click("skip")
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


def test_not_a_fit_and_not_yet_ask_an_optional_reason_then_go_back() -> None:
    chat = Transcript(replace(member(), step="summary"))
    chat.press(FollowUp(3, "not_a_fit"))
    assert chat.step == "follow_up_reason"
    assert chat.question.text.startswith("Wil je in een paar woorden zeggen waarom?")
    assert [c.label for c in chat.question.choices] == ["Sla over"]
    chat.say("  andere opgave ")
    assert "Dank je" in chat.text()
    assert chat.step == "summary" and chat.card.choices, "back where they were"
    chat.press(FollowUp(3, "not_yet"))
    chat.say("sla over")
    assert chat.step == "summary"
    chat.press(FollowUpBlock(3, 9))
    assert chat.step == "follow_up_reason"
    chat.say("Geen tijd")
    assert chat.effects == [
        FollowUpAnswered(3, "not_a_fit"),
        FollowUpReasonGiven(3, "andere opgave"),
        FollowUpAnswered(3, "not_yet"),
        FollowUpAnswered(3, "not_a_fit", block=9),
        FollowUpReasonGiven(3, "Geen tijd"),
    ]


def test_met_asks_no_reason_and_a_long_reason_is_refused() -> None:
    chat = Transcript(member())
    chat.press(FollowUp(4, "met"))
    assert chat.step == "done"
    chat.press(FollowUp(4, "not_yet"))
    chat.say("x" * 201)
    assert chat.errors() and "201" in chat.errors()[0]
    assert chat.step == "follow_up_reason", "still asked, nothing kept"
    chat.say("skip")
    assert chat.step == "done"
    assert not any(isinstance(e, FollowUpReasonGiven) for e in chat.effects)


def test_the_reason_is_asked_in_english_too() -> None:
    chat = Transcript(replace(member(), language="en"))
    chat.press(FollowUp(5, "not_a_fit"))
    assert chat.question.text.startswith("Would you like to say why")
    assert [c.label for c in chat.question.choices] == ["Skip"]
