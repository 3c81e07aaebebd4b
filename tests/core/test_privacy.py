"""Privacy in the conversation as pure transcripts: the overview and its buttons, stopping and
being forgotten, each confirmed first."""

from __future__ import annotations

from bot.core.actions import (
    PrivacyExport,
    PrivacyForget,
    PrivacyInsights,
    PrivacyLessons,
    PrivacySharing,
    PrivacyStopMatching,
    decode,
)
from bot.core.conversation import INSIGHTS, MATCHING, QUOTING, SHARING, Conversation
from bot.core.effects import ConsentDecided, ConsentWithdrawn, ErasureRequested, ExportRequested
from bot.core.messages import Text
from tests.core.conversations import member
from tests.core.transcript import POLICY, Transcript


def test_stop_is_confirmed_first_and_withdraws_consent() -> None:
    chat = Transcript(member())
    chat.say("stop")
    assert chat.step == "confirm_stop"
    chat.say("nee")
    assert chat.step == "done" and chat.effects == []
    chat.say("stop")
    chat.say("ja")
    assert chat.effects == [ConsentWithdrawn(MATCHING)]
    assert chat.step == "stopped" and not chat.conversation.consent
    assert "Je bent gestopt" in chat.text()
    chat.say("ja")  # changing one's mind is answering the consent question again
    assert chat.effects[-1] == ConsentDecided(True, MATCHING, POLICY)
    assert chat.step == "done", "the saved profile is still there"


def test_stop_before_consent_says_nothing_is_stored() -> None:
    chat = Transcript()
    chat.say("stop")
    assert "niets" in chat.text().lower() and chat.effects == []


def test_forget_is_confirmed_first_then_everything_starts_afresh() -> None:
    chat = Transcript(member("en"))
    chat.say("forget me")
    assert chat.step == "confirm_forget"
    chat.say("no")
    assert "I erased nothing" in chat.text() and chat.step == "done"
    chat.say("vergeet mij")
    chat.click("yes")
    assert chat.effects == [ErasureRequested()]
    assert chat.conversation == Conversation(language="en")
    assert "everything I kept about you has been erased" in chat.text()


def test_the_overview_buttons_change_each_consent() -> None:
    chat = Transcript(member())
    chat.say("privacy")
    buttons = [decode(c.value) for c in chat.card.choices]
    assert buttons == [
        PrivacyStopMatching(),
        PrivacySharing(True),
        PrivacyInsights(True),
        PrivacyExport(),
        PrivacyForget(),
    ]
    assert chat.step == "done"
    chat.press(PrivacySharing(True))
    assert chat.effects == [ConsentDecided(True, SHARING, POLICY)]
    chat.say("privacy")
    assert decode(chat.card.choices[1].value) == PrivacySharing(False)
    chat.press(PrivacySharing(False))
    chat.press(PrivacyExport())
    assert chat.effects[1:] == [ConsentWithdrawn(SHARING), ExportRequested()]
    chat.press(PrivacyStopMatching())
    assert chat.step == "confirm_stop"
    chat.say("nee")
    chat.press(PrivacyForget())
    assert chat.step == "confirm_forget"


def test_before_consent_only_export_and_forget_are_offered() -> None:
    chat = Transcript()
    chat.say("privacy")
    assert [decode(c.value) for c in chat.card.choices] == [PrivacyExport(), PrivacyForget()]
    assert chat.step == "consent"
    for refused in ("privacy:sharing:on", "privacy:matching:off", "privacy:matching:on"):
        chat.click(refused)
        assert chat.errors() == ["Daarvoor heb ik eerst je toestemming nodig."]
    chat.click("privacy:nonsense")
    assert chat.errors() and chat.step == "consent" and chat.effects == []


def test_the_lessons_buttons_count_quote_and_withdraw_both_at_once() -> None:
    chat = Transcript(member("en"))
    chat.press(PrivacyLessons("count"))
    assert chat.effects == [
        ConsentDecided(True, INSIGHTS, POLICY),
        ConsentDecided(False, QUOTING, POLICY),
    ]
    assert "never quoted" in chat.text() and chat.step == "done"
    chat.say("privacy")
    offered = [decode(c.value) for c in chat.card.choices]
    assert PrivacyInsights(False) in offered and PrivacyInsights(True, quoting=True) in offered
    fields = {f.label: f.value for f in chat.card.fields}
    assert fields["Counting in the lessons of the community (anonymously)"].startswith("given")
    assert fields["Being quoted in the lessons (without your name)"].startswith("refused")
    chat.press(PrivacyInsights(True, quoting=True))
    assert chat.effects[-1] == ConsentDecided(True, QUOTING, POLICY)
    chat.say("privacy")
    assert PrivacyInsights(False, quoting=True) in [decode(c.value) for c in chat.card.choices]
    chat.press(PrivacyInsights(False))  # no longer counting is no longer being quoted either
    assert chat.effects[-2:] == [ConsentWithdrawn(INSIGHTS), ConsentWithdrawn(QUOTING)]
    assert "no longer count" in chat.text()


def test_the_lessons_buttons_need_consent_and_a_known_answer() -> None:
    chat = Transcript()
    for refused in ("privacy:lessons:quote", "privacy:insights:on", "privacy:quoting:on"):
        chat.click(refused)
        assert chat.errors() == ["Daarvoor heb ik eerst je toestemming nodig."]
    assert decode("privacy:lessons:maybe") is None and decode("privacy:quoting:up") is None


def test_the_notice_tells_about_the_lessons_quotes_and_how_to_withdraw_them() -> None:
    for language, told in (
        (
            "nl",
            (
                "je ongemak",
                "anoniem mee in de lessen van de community",
                "alleen met aparte toestemming",
                "letterlijk geciteerd",
                "zonder je naam",
                "trek je in met de knoppen hieronder",
            ),
        ),
        (
            "en",
            (
                "your ongemak",
                "count anonymously in the lessons of the community",
                "only with a separate consent",
                "quoted there verbatim",
                "never with your name",
                "withdraw counting and quoting with the buttons below",
            ),
        ),
    ):
        chat = Transcript(member(language))
        chat.say("privacy")
        notice = chat.messages[0]
        assert isinstance(notice, Text)
        for words in told:
            assert words in notice.text, (language, words)
        # The buttons it points to are there, below it.
        chat.press(PrivacyLessons("quote"))
        chat.say("privacy")
        assert PrivacyInsights(False) in [decode(c.value) for c in chat.card.choices]
