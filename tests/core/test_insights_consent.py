"""The lessons of the community in the conversation: asked once, right after the profile is
saved, with three answers as buttons that work at any step."""

from __future__ import annotations

from dataclasses import replace

from bot.core.actions import PrivacyLessons, decode
from bot.core.conversation import INSIGHTS, QUOTING
from bot.core.effects import ConsentDecided, ProfileCommitted
from tests.core.conversations import member
from tests.core.transcript import POLICY, Transcript


def _at_summary(language: str = "nl") -> Transcript:
    saved = member(language)
    return Transcript(replace(saved, step="summary", completed=False, draft=saved.profile))


def test_the_lessons_are_asked_once_after_the_profile_is_saved() -> None:
    chat = _at_summary()
    chat.click("confirm")
    assert chat.effects == [ProfileCommitted()] and chat.step == "done"
    question = chat.question
    assert "anoniem meetellen in de lessen van de community" in question.text
    assert [decode(c.value) for c in question.choices] == [
        PrivacyLessons("quote"),
        PrivacyLessons("count"),
        PrivacyLessons("no"),
    ]
    assert [c.label for c in question.choices][1] == "Ja, tel mee, maar citeer me niet"
    chat.click(question.choices[0].value)
    assert chat.effects[1:] == [
        ConsentDecided(True, INSIGHTS, POLICY),
        ConsentDecided(True, QUOTING, POLICY),
    ]
    assert "zonder je naam" in chat.text()
    # Saving the profile again after an edit does not ask again.
    chat.say("wijzig naam")
    chat.say("Anna de Vries-Jansen")
    chat.click("confirm")
    assert ProfileCommitted() == chat.effects[-1]
    assert "meetellen in de lessen" not in chat.text()


def test_no_means_neither_counting_nor_quoting_in_english() -> None:
    chat = _at_summary("en")
    chat.click("confirm")
    assert "count anonymously in the lessons of the community" in chat.question.text
    chat.press(PrivacyLessons("no"))
    assert chat.effects[1:] == [
        ConsentDecided(False, INSIGHTS, POLICY),
        ConsentDecided(False, QUOTING, POLICY),
    ]
    assert "do not count in the lessons" in chat.text() and chat.step == "done"
