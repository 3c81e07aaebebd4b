"""Said once, as pure transcripts: the welcome, the "profile complete" line and what happens after
the profile is confirmed; and the check-in question typed, skipped or offered again."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.core.actions import CheckInAnswer, CheckInSkip, encode
from bot.core.conversation import Conversation, CoreConfig, OpenCheckIn
from bot.core.dialogue import Intake
from bot.core.effects import CheckInAnswered
from bot.core.messages import Question
from tests.core.conversations import PROFILE, member
from tests.core.transcript import POLICY, Transcript

OPEN = OpenCheckIn(5, "Tegen welk ongemak liep je de laatste tijd aan?", "ongemak")
ANSWER = "Onze inkoopregels passen niet bij hergebruikte liggers."
WELCOME = "Hoi! Ik ben Maatjes"
COMPLETE = "Je profiel is compleet"


def _at_summary(next_round: date | None, language: str = "nl") -> Transcript:
    draft = {**PROFILE, "language": language}
    conv = Conversation(
        step="summary", language=language, consent=True, draft=draft, next_round=next_round
    )
    return Transcript(conv)


# --- the check-in question ----------------------------------------------------------------------


def test_a_typed_reply_answers_the_open_check_in_then_asks_about_sharing() -> None:
    chat = Transcript(replace(member(), checkin=OPEN))
    chat.say(ANSWER)
    assert chat.errors() == [] and chat.step == "checkin_share"
    assert [c.value for c in chat.question.choices] == ["share", "private"]
    chat.click("private")
    assert chat.effects == [CheckInAnswered(5, "answered", ANSWER, shared=False)]
    assert chat.step == "checkin_update", "an ongemak question may update the profile"
    chat.say("nee")
    assert chat.step == "done"


def test_typing_skip_skips_the_open_check_in() -> None:
    chat = Transcript(replace(member(), checkin=OPEN))
    chat.say("sla over")
    assert chat.effects == [CheckInAnswered(5, "skipped")]
    assert chat.step == "done" and chat.errors() == []


def test_without_an_open_check_in_a_typed_text_at_rest_is_not_understood() -> None:
    chat = Transcript(member())
    chat.say(ANSWER)
    assert chat.effects == [] and "begrijp" in chat.text()


def test_the_open_check_in_stays_offered_after_commands_and_on_resume() -> None:
    buttons = [encode(CheckInAnswer(5, "ongemak")), encode(CheckInSkip(5))]
    chat = Transcript(replace(member(), checkin=OPEN))
    chat.say("help")
    assert "reflectievraag: typ je antwoord" in chat.text()
    assert chat.question.step == "checkin" and chat.question.text == OPEN.text
    assert [c.value for c in chat.question.choices] == buttons
    chat.say("profiel")
    assert chat.question.step == "checkin"
    resumed = chat.core.resume(chat.conversation, welcome=False)
    questions = [m for m in resumed if isinstance(m, Question)]
    assert [q.step for q in questions] == ["checkin"]
    assert [c.value for c in questions[0].choices] == buttons


def test_help_names_how_to_answer_or_skip_a_check_in_in_both_languages() -> None:
    nl = Transcript(member())
    nl.say("help")
    assert "reflectievraag: typ je antwoord" in nl.text() and "„sla over”" in nl.text()
    en = Transcript(member("en"))
    en.say("help")
    assert "reflection question: just type your answer" in en.text() and "“skip”" in en.text()


# --- saying things once -------------------------------------------------------------------------


def test_profile_complete_does_not_follow_every_command() -> None:
    chat = Transcript(member())
    said: list[str] = []
    for typed in ("help", "profiel", "privacy", "taal", "1", "pauze", "4"):
        chat.say(typed)
        said.append(chat.text())
    assert sum(text.count(COMPLETE) for text in said) == 0, said
    assert chat.core.resume(chat.conversation, welcome=False)[-1].text.startswith(COMPLETE)


def test_help_before_consent_does_not_resend_the_welcome() -> None:
    chat = Transcript()
    chat.say("hallo")
    assert chat.text().count(WELCOME) == 1
    chat.say("help")
    assert WELCOME not in chat.text() and "Eerst vraag ik of je mee wilt doen" in chat.text()
    assert chat.question.step == "consent", "the consent question stays open"
    chat.say("misschien")
    assert WELCOME not in chat.text() and chat.errors()
    chat.say("privacy")
    assert WELCOME not in chat.text()
    chat.say("ja")
    assert chat.step == "name"


def test_resume_welcomes_back_only_when_asked_to() -> None:
    core = Intake(CoreConfig(policy_version=POLICY))
    conv = replace(member(), step="seeks", completed=False)
    assert "Welkom terug, Anna de Vries" in core.resume(conv)[0].text
    quiet = core.resume(conv, welcome=False)
    assert not any("Welkom terug" in getattr(m, "text", "") for m in quiet)
    assert isinstance(quiet[-1], Question) and quiet[-1].step == "seeks"


# --- what happens next --------------------------------------------------------------------------


def test_after_confirming_the_profile_the_next_round_and_what_follows_are_named() -> None:
    chat = _at_summary(date(2026, 12, 7))
    chat.click("confirm")
    text = chat.text()
    assert "De volgende koppelronde is op maandag 7 december." in text
    assert "coördinator" in text and "in de chat of per e-mail" in text
    for command in ("„profiel”", "„wijzig”", "„pauze”", "„help”"):
        assert command in text
    english = _at_summary(date(2026, 12, 7), "en")
    english.click("confirm")
    assert "The next matching round is on Monday 7 December." in english.text()
    assert "coordinator looks at each proposal first" in english.text()


def test_without_a_scheduled_round_it_says_at_the_next_round() -> None:
    chat = _at_summary(None)
    chat.say("klopt")
    assert "Wat nu? Bij de volgende koppelronde stel ik maatjes" in chat.text()
    assert "koppelronde is op" not in chat.text()


def test_leaving_a_menu_at_rest_still_gets_an_answer() -> None:
    chat = Transcript(member())
    chat.say("taal")
    chat.click("cancel")
    assert chat.text().startswith(COMPLETE), "never an empty reply"
