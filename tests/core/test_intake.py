"""The intake as pure transcripts: consent, every question, the summary, saving, editing and a
command in the middle, in Dutch and English, without a database."""

from __future__ import annotations

from bot.core.conversation import MATCHING, Conversation
from bot.core.effects import AnswerGiven, ConsentDecided, LanguageChosen, ProfileCommitted
from bot.core.messages import Question, Text
from tests.core.transcript import POLICY, Transcript

DUTCH = {
    "name": "Anna de Vries",
    "organisation": "Gemeente Zwolle",
    "works_on": "Een circulair viaduct met liggers uit oude bruggen.",
    "seeks": "Iemand bij het rijk met ervaring in circulair inkopen.",
    "offers": "Ervaring met marktconsultaties.",
}


def _answers(chat: Transcript) -> dict[str, object]:
    return {e.field: e.value for e in chat.effects if isinstance(e, AnswerGiven)}


def test_a_dutch_intake_from_hello_to_a_saved_profile() -> None:
    chat = Transcript()
    chat.say("hallo")
    assert chat.step == "consent"
    assert isinstance(chat.messages[0], Text) and "Maatjes" in chat.messages[0].text
    assert POLICY in chat.question.text, "the consent question names the policy version"
    assert [c.value for c in chat.question.choices] == ["yes", "no", "privacy"]
    assert chat.effects == [], "nothing is stored before consent"

    chat.click("yes")
    assert chat.effects == [ConsentDecided(True, MATCHING, POLICY)]
    assert chat.step == "name" and chat.conversation.consent
    chat.say(DUTCH["name"])
    assert chat.step == "organisation" and "Anna de Vries" in chat.question.text
    chat.say(DUTCH["organisation"])
    chat.say("1")  # a number picks the first choice
    assert chat.step == "group"
    chat.say("regionale ambtenaar")  # and so does the label
    chat.click("overijssel")
    assert chat.step == "themes" and chat.question.multiple
    chat.pick("bouw", "kunststoffen")
    chat.click("experimenteren")
    for name in ("works_on", "seeks", "offers"):
        assert chat.step == name and chat.question.max_length == 2000
        chat.say(DUTCH[name])
    assert chat.step == "ongemak"
    chat.say("sla over")  # the one optional question
    chat.click("maandelijks")
    chat.click("nl")
    assert chat.step == "summary"
    shown = {f.label: f.value for f in chat.card.fields}
    assert shown["Naam"] == "Anna de Vries"
    assert shown["Thema’s"] == "Kunststoffen, Bouw"
    assert [c.value for c in chat.card.choices] == ["confirm", "edit"]
    assert not any(isinstance(e, ProfileCommitted) for e in chat.effects)
    assert chat.conversation.profile == {}, "answers stay drafts until the summary is confirmed"

    chat.say("klopt")
    assert chat.effects[-1] == ProfileCommitted()
    assert "Je profiel is opgeslagen" in chat.text()
    assert chat.step == "done" and chat.conversation.completed
    profile = chat.conversation.profile
    assert profile["name"] == "Anna de Vries"
    assert profile["organisation_kind"] == "gemeente"
    assert profile["group"] == "regionaal"
    assert profile["themes"] == ["kunststoffen", "bouw"]
    assert profile["ongemak"] is None
    assert _answers(chat)["works_on"] == DUTCH["works_on"]
    assert chat.conversation.draft == {}


def test_an_english_intake_typed_with_labels() -> None:
    chat = Transcript(Conversation(language="en"))
    chat.say("hello")
    assert "Hi! I'm Maatjes" in chat.text()
    chat.say("yes please")
    assert chat.step == "name"
    assert "What’s your name?" in chat.question.text
    chat.say("Sam Jansen")
    chat.say("Rijkswaterstaat")
    chat.say("implementing agency")
    chat.say("National policy")  # an unambiguous start of the label is enough
    assert chat.conversation.draft["group"] == "rijk"
    chat.say("utrecht")
    chat.say("construction, other: soil and sediment")
    assert chat.conversation.draft["themes"] == ["bouw", "anders"]
    assert chat.conversation.draft["themes_other"] == "soil and sediment"
    assert chat.step == "phase", "'other' with a description does not ask what it is"
    chat.say("scaling up")
    chat.say("Reusing dredged soil in dikes, with two water authorities.")
    chat.say("Someone in a province who buys circular.")
    chat.say("Knowledge of the rules for soil reuse.")
    chat.say("Procurement rules that do not fit reuse.")
    chat.say("monthly")
    chat.say("English")
    assert LanguageChosen("en") in chat.effects
    assert chat.step == "summary"
    assert "This is what I noted" in chat.text()
    shown = {f.label: f.value for f in chat.card.fields}
    assert shown["Themes"] == "Construction, Other (soil and sediment)"
    chat.click("confirm")
    assert "Thank you, Sam Jansen! Your profile is saved." in chat.text()
    assert chat.conversation.profile["phase"] == "opschalen"
    assert chat.conversation.language == "en"


def test_a_command_in_the_middle_of_the_intake_returns_to_the_open_question() -> None:
    chat = Transcript()
    chat.say("hallo")
    chat.click("yes")
    chat.say("Anna")
    asked = chat.question
    assert chat.step == "organisation"

    chat.say("help")
    assert "Dit kun je altijd typen" in chat.text()
    assert chat.step == "organisation" and chat.question == asked

    chat.say("taal")
    assert chat.step == "language_menu"
    chat.click("en")
    assert "Fine, I’ll talk to you in English." in chat.text()
    assert chat.step == "organisation" and chat.conversation.language == "en"
    assert "Which organisation do you work for?" in chat.question.text

    chat.say("profile")  # nothing confirmed yet
    assert chat.step == "organisation"
    chat.say("Gemeente Ede")
    assert chat.step == "organisation_kind"


def test_a_typed_answer_that_is_no_choice_is_refused_and_asked_again() -> None:
    chat = Transcript()
    chat.say("hallo")
    chat.say("misschien")
    assert chat.errors() and chat.step == "consent" and not chat.last.accepted  # type: ignore[union-attr]
    chat.say("ja")
    chat.say("Anna")
    chat.say("Gemeente Ede")
    chat.say("een club van vrienden")
    assert chat.errors() and chat.step == "organisation_kind"
    assert isinstance(chat.messages[-1], Question) and chat.messages[-1].step == "organisation_kind"


def test_odd_numbers_for_a_choice_are_refused_politely() -> None:
    chat = Transcript()
    chat.say("hallo")
    chat.say("ja")
    chat.say("Anna")
    chat.say("Gemeente Ede")
    for odd in ("9" * 6000, "0", "١٠٠٠٠"):  # huge, none, too many (Arabic-Indic digits)
        chat.say(odd)
        assert chat.errors() and chat.step == "organisation_kind", odd
    chat.say("١")  # an Arabic-Indic one is a one
    assert chat.step == "group"


def test_editing_after_the_profile_is_saved_changes_only_that_field() -> None:
    chat = Transcript()
    chat.say("hallo")
    chat.click("yes")
    for answer in ["Anna", "Gemeente Ede", "gemeente", "regionaal", "gelderland"]:
        chat.say(answer)
    chat.pick("bouw")
    chat.click("opschalen")
    for answer in ["Een kiem om te delen.", "Een maatje.", "Mijn netwerk.", "skip"]:
        chat.say(answer)
    chat.click("wekelijks")
    chat.click("nl")
    chat.click("confirm")

    chat.say("wijzig naam")
    assert chat.step == "name"
    chat.say("Anna de Vries")
    assert chat.step == "summary", "after an edit the summary is shown again"
    changed = {f.label: f.value for f in chat.card.fields}["Naam"]
    assert changed.startswith("Anna de Vries") and "←" in changed
    assert chat.conversation.profile["name"] == "Anna", "the saved profile waits for 'klopt'"
    chat.click("confirm")
    assert chat.conversation.profile["name"] == "Anna de Vries"
    assert chat.step == "done"
