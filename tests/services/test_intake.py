"""The whole intake as transcripts, against the real service and database (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core.conversation import CoreConfig
from bot.core.dialogue import Intake
from bot.core.messages import Card, Question
from bot.services.conversations import ConversationService
from storage import people
from storage.models import Person, ProfileAnswer
from tests.support.chat import DUTCH_ANSWERS, Chat, complete_dutch_intake


def _person(engine: Engine, user: str = "anna") -> Person:
    with Session(engine) as session:
        person = people.get_person(session, platform="local", platform_user_id=user)
        assert person is not None
        return person


def test_dutch_intake_stores_the_confirmed_profile(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    first = chat.say("hallo")
    assert "zoek maatjes" in chat.text()
    assert "test-1" in chat.text(), "the consent question names the privacy policy version"
    assert chat.step == "consent" and first.accepted
    chat.click("yes")
    assert chat.step == "name"
    chat.say(DUTCH_ANSWERS["name"])
    assert "Anna de Vries" in chat.question.text
    chat.say(DUTCH_ANSWERS["organisation"])
    assert chat.step == "organisation_kind"
    assert [c.value for c in chat.question.choices] == [
        "gemeente",
        "provincie",
        "waterschap",
        "rijk",
        "uitvoeringsorganisatie",
        "kennisinstelling",
        "anders",
    ]
    chat.say("1")  # typing a number works as well as the button
    assert chat.step == "group"
    chat.say("regionale ambtenaar")  # and so does the label
    chat.click("overijssel")
    assert chat.step == "themes" and chat.question.multiple
    chat.pick("bouw", "kunststoffen")
    assert chat.step == "phase"
    assert all(c.description for c in chat.question.choices), "each phase is explained in one line"
    chat.click("experimenteren")
    for name in ("works_on", "seeks", "offers", "ongemak"):
        assert chat.step == name
        assert chat.question.max_length == 2000
        chat.say(DUTCH_ANSWERS[name])
    assert chat.step == "rhythm"
    chat.click("maandelijks")
    chat.click("nl")
    card = next(m for m in chat.last.messages if isinstance(m, Card))  # type: ignore[union-attr]
    shown = {f.label: f.value for f in card.fields}
    assert shown["Naam"] == "Anna de Vries"
    assert shown["Thema’s"] == "Kunststoffen, Bouw"
    # Nothing is in the profile until the person says "klopt".
    assert _person(engine).name is None
    chat.say("klopt")
    assert "Je profiel is opgeslagen" in chat.text()

    person = _person(engine)
    assert person.name == "Anna de Vries"
    assert person.organisation_kind == "gemeente"
    assert person.group == "regionaal"
    assert person.region == "overijssel"
    assert person.themes == ["kunststoffen", "bouw"]
    assert person.phase == "experimenteren"
    assert person.seeks == DUTCH_ANSWERS["seeks"]
    assert person.rhythm == "maandelijks"
    assert person.language == "nl"
    assert (
        person.profile_completed_at is not None and person.profile_completed_at.tzinfo is not None
    )


def test_english_intake_with_other_theme(service: ConversationService, engine: Engine) -> None:
    chat = Chat(service, user="sam", locale="en-GB")
    chat.say("hello")
    assert "find peers" in chat.text()
    chat.say("yes")
    chat.say("Sam Taylor")
    chat.say("Ministry of Infrastructure and Water Management")
    chat.click("rijk")
    chat.click("rijk")
    chat.click("landelijk")
    chat.say("construction, other: textiles")
    assert chat.step == "phase", "‘other: …’ typed inline needs no extra question"
    chat.say("scaling up")
    chat.say("National policy for circular procurement of roads and bridges.")
    chat.say("A regional civil servant who is running a circular tender right now.")
    chat.say("Experience with procurement criteria and the national programme.")
    chat.click("skip")
    chat.say("every two weeks")
    chat.say("English")
    assert "Your profile" in chat.text()
    chat.click("confirm")
    assert "Your profile is saved" in chat.text()
    person = _person(engine, "sam")
    assert person.language == "en"
    assert person.themes == ["bouw", "anders"]
    assert person.themes_other == "textiles"
    assert person.phase == "opschalen"
    assert person.ongemak is None
    assert person.rhythm == "tweewekelijks"


def test_choosing_english_before_consent_switches_the_whole_conversation(
    service: ConversationService,
) -> None:
    chat = Chat(service)
    chat.say("hoi")
    chat.say("taal")
    assert chat.step == "language_menu"
    chat.click("en")
    assert "I’ll talk to you in English" in chat.text()
    assert chat.step == "consent"
    assert "May I keep your profile" in chat.text()


def test_edit_keeps_the_old_value_until_confirmed(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    chat.say("wijzig")
    assert chat.step == "edit_menu"
    chat.click("seeks")
    assert chat.step == "seeks"
    chat.say("Een maatje bij een waterschap dat grond en baggerspecie hergebruikt.")
    assert chat.step == "summary"
    assert "gewijzigd" in chat.text()
    assert _person(engine).seeks == DUTCH_ANSWERS["seeks"], "the old value stays until klopt"
    chat.say("profiel")
    assert "nog niet zijn bevestigd" in chat.text()
    chat.say("wijzig")
    chat.click("cancel")
    chat.click("confirm")
    assert _person(engine).seeks.startswith("Een maatje bij een waterschap")
    with Session(engine) as session:
        history = session.exec(
            select(ProfileAnswer).where(ProfileAnswer.field == "seeks").order_by(ProfileAnswer.id)
        ).all()
    assert [row.status for row in history] == ["superseded", "committed"]
    assert history[0].value == DUTCH_ANSWERS["seeks"]


def test_edit_a_named_field_directly(service: ConversationService, engine: Engine) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    chat.say("wijzig naam")
    assert chat.step == "name"
    chat.say("Anna")
    chat.click("confirm")
    assert _person(engine).name == "Anna"


def test_edit_during_the_intake_returns_to_the_open_question(service: ConversationService) -> None:
    chat = Chat(service)
    chat.say("hallo")
    chat.click("yes")
    chat.say("Anne")
    chat.say("Provincie Utrecht")
    assert chat.step == "organisation_kind"
    chat.say("wijzig")
    assert {c.value for c in chat.question.choices} == {"name", "organisation", "cancel"}
    chat.click("name")
    chat.say("Anna")
    assert chat.step == "organisation_kind"


def test_help_and_privacy_keep_the_question_open(service: ConversationService) -> None:
    chat = Chat(service)
    chat.say("hallo")
    chat.click("yes")
    chat.say("Anna")
    chat.say("help")
    assert "pauze" in chat.text() and chat.step == "organisation"
    chat.say("privacy")
    assert "Privacyverklaring" in chat.text() and "test-1" in chat.text()
    assert chat.step == "organisation"


def test_pause_ends_by_itself_and_resume_works(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    chat.say("pauze")
    assert chat.step == "pause_menu"
    chat.click("2w")
    person = _person(engine)
    assert person.paused_until == service.today() + timedelta(days=14)
    assert people.is_paused(person, today=service.today())
    assert not people.is_paused(person, today=service.today() + timedelta(days=14))
    chat.say("pauze")
    assert "Je pauzeert nu tot" in chat.text()
    chat.say("hervat")
    assert "je doet weer mee" in chat.text()
    assert not people.is_paused(_person(engine), today=service.today())


def test_resume_after_reconnect_asks_the_same_question(engine: Engine) -> None:
    """A reload asks the open question again; "welkom terug" only after being away a while."""
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    service = ConversationService(engine, Intake(CoreConfig()), clock=lambda: now[0])
    chat = Chat(service)
    chat.say("hallo")
    chat.click("yes")
    chat.say("Anna")
    chat.say("Gemeente Zwolle")
    for _ in range(3):  # reloads right away
        resumed = chat.resume()
        assert not any("Welkom terug" in getattr(m, "text", "") for m in resumed)
        question = resumed[-1]
        assert isinstance(question, Question) and question.step == "organisation_kind"
    now[0] += timedelta(hours=2)
    resumed = chat.resume()
    assert "Welkom terug, Anna" in resumed[0].text  # type: ignore[union-attr]
    assert isinstance(resumed[-1], Question) and resumed[-1].step == "organisation_kind"


def test_people_are_kept_apart(service: ConversationService) -> None:
    anna, bram = Chat(service, user="anna"), Chat(service, user="bram")
    anna.say("hallo")
    anna.click("yes")
    bram.say("hallo")
    assert bram.step == "consent"
    anna.say("Anna")
    assert anna.step == "organisation"


def test_a_pause_date_is_a_plain_date(service: ConversationService, engine: Engine) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    chat.say("pauze")
    chat.click("open")
    person = _person(engine)
    assert person.paused_until is None and person.paused_from is not None
    assert people.is_paused(person, today=date(2099, 1, 1)), "an open pause lasts until resumed"


def test_after_confirming_the_profile_the_next_scheduled_round_is_named(engine: Engine) -> None:
    """The date is the scheduler's: the next working day at 09:00 while this period has had no
    round, else the first working day of the next period; none when rounds are not scheduled."""
    from bot.services.rounds import RoundService
    from bot.settings import Settings
    from storage import rounds
    from storage.db import session_scope

    friday_noon = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    said: dict[str, str] = {}
    for user, scheduled, round_done in (
        ("anna", True, False),
        ("bram", True, True),
        ("chris", False, False),
    ):
        settings = Settings(_env_file=None, scheduled_rounds=scheduled)  # type: ignore[call-arg]
        round_service = RoundService(engine, settings.groups.rounds, clock=lambda: friday_noon)
        if round_done:
            with session_scope(engine) as session:
                rounds.create_round(
                    session,
                    kind="clubs",
                    origin="schedule",
                    proposed_by="maatjes",
                    embedder="test",
                    weights={},
                    groups=[],
                    schedule_slot=round_service.schedule_slot(),
                )
        service = ConversationService(
            engine,
            Intake(CoreConfig()),
            rounds=round_service,
            clock=lambda: friday_noon,
        )
        chat = Chat(service, user=user)
        complete_dutch_intake(chat)
        said[user] = chat.text()
    assert "De volgende koppelronde is op maandag 7 december." in said["anna"]
    assert "De volgende koppelronde is op woensdag 30 december." in said["bram"]
    assert "Bij de volgende koppelronde stel ik" in said["chris"]
    for text in said.values():
        assert "Eerst kijkt een coördinator naar elk voorstel" in text
        assert "„profiel”" in text and "„pauze”" in text and "„help”" in text
