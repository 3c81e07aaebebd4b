"""Answering a reflection check-in as pure transcripts: write the answer, choose whether the
group may see it (sharing is a consent of its own), and perhaps update the profile."""

from __future__ import annotations

from dataclasses import replace

from bot.core.actions import CheckInAnswer, CheckInSkip
from bot.core.conversation import SHARING, Conversation
from bot.core.effects import AnswerGiven, CheckInAnswered, ConsentDecided, ProfileCommitted
from tests.core.conversations import member
from tests.core.transcript import POLICY, Transcript

ANSWER = "We hebben een eerste pilot met hergebruikte liggers gepland."


def test_an_answer_shared_with_the_group_records_the_sharing_consent() -> None:
    chat = Transcript(member())
    chat.press(CheckInAnswer(5))
    assert chat.step == "checkin_answer" and chat.question.max_length == 2000
    chat.say(ANSWER)
    assert chat.step == "checkin_share"
    assert [c.value for c in chat.question.choices] == ["share", "private"]
    assert chat.effects == [], "nothing is stored before the sharing choice"
    chat.click("share")
    assert chat.effects == [
        ConsentDecided(True, SHARING, POLICY),
        CheckInAnswered(5, "answered", ANSWER, shared=True),
    ]
    assert "samenvatting voor je groep" in chat.text()
    assert chat.step == "done" and chat.conversation.context == {}

    chat.press(CheckInAnswer(6))
    chat.say("Nog een antwoord.")
    chat.say("ja")
    assert chat.effects[-1] == CheckInAnswered(6, "answered", "Nog een antwoord.", shared=True)
    assert chat.effects.count(ConsentDecided(True, SHARING, POLICY)) == 1, "asked only once"


def test_a_private_answer_may_update_the_profile_it_was_about() -> None:
    chat = Transcript(member())
    chat.press(CheckInAnswer(5, "ongemak"))
    chat.say(ANSWER)
    chat.click("private")
    assert chat.effects == [CheckInAnswered(5, "answered", ANSWER, shared=False)]
    assert chat.step == "checkin_update"
    chat.say("ja")
    assert chat.effects[1:] == [AnswerGiven("ongemak", ANSWER), ProfileCommitted()]
    assert "Je profiel is bijgewerkt" in chat.text()
    assert chat.step == "done"


def test_a_phase_question_offers_the_phases_and_keeping_the_old_one() -> None:
    chat = Transcript(member())
    chat.press(CheckInAnswer(5, "phase"))
    chat.say("We schalen op.")
    chat.click("private")
    assert chat.question.choices[-1].value == "keep"
    chat.click("keep")
    assert not any(isinstance(e, ProfileCommitted) for e in chat.effects)
    assert chat.step == "done"


def test_skipping_and_cancelling() -> None:
    chat = Transcript(member())
    chat.press(CheckInSkip(5))
    assert chat.effects == [CheckInAnswered(5, "skipped")]
    assert chat.step == "done"
    chat.press(CheckInAnswer(6))
    chat.click("cancel")
    assert chat.step == "done" and len(chat.effects) == 1


def test_check_in_buttons_need_consent() -> None:
    chat = Transcript(replace(member(), consent=False, step="stopped"))
    chat.press(CheckInAnswer(5))
    assert "toestemming" in chat.errors()[0]
    assert chat.effects == [] and chat.step == "stopped"


def test_a_check_in_pressed_mid_intake_returns_to_the_open_question() -> None:
    chat = Transcript(Conversation(step="seeks", consent=True))
    chat.press(CheckInAnswer(5))
    chat.say(ANSWER)
    chat.click("private")
    assert chat.step == "seeks"
