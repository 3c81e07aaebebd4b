"""Consent: only the decision is stored before a yes; a no stores nothing else; a withdrawal
stops use."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core.conversation import MATCHING
from bot.services.conversations import ConversationService
from storage import consents, people
from storage.models import Consent, Person, ProfileAnswer
from tests.support.chat import Chat, complete_dutch_intake


def _all_text(engine: Engine) -> str:
    """Every value in every table, as one string: what a database dump would show."""
    chunks: list[str] = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_refusing_stores_only_the_refusal(service: ConversationService, engine: Engine) -> None:
    chat = Chat(service)
    chat.say("Hoi, ik ben Henk Geheim van Waterschap Vallei")
    chat.say("nee")
    assert "Ik bewaar niets over je" in chat.text()
    with Session(engine) as session:
        (person,) = session.exec(select(Person)).all()
        assert person.id is not None
        profile = people.committed_profile(person)
        assert all(value is None for value in profile.values())
        assert session.exec(select(ProfileAnswer)).all() == []
        (decision,) = consents.consents_of(session, person_id=person.id)
        assert decision.given is False and decision.policy_version == "test-1"
        assert decision.decided_at.tzinfo is not None
    assert "Henk Geheim" not in _all_text(engine)


def test_text_typed_before_consent_is_never_stored(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    chat.say("Mijn naam is Zeldzame Zebra")
    chat.say("waarom wil je dit weten?")
    assert chat.last is not None and not chat.last.accepted
    assert "Zeldzame Zebra" not in _all_text(engine)


def test_saying_yes_later_starts_the_intake(service: ConversationService) -> None:
    chat = Chat(service)
    chat.say("hallo")
    chat.click("no")
    chat.say("start")
    assert chat.step == "consent"
    chat.click("yes")
    assert chat.step == "name"


def test_withdrawing_consent_stops_use(service: ConversationService, engine: Engine) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    with Session(engine) as session:
        listed = people.list_people(session, completed_only=True, consent_for=MATCHING)
        assert [p.name for p in listed] == ["Anna de Vries"]
    chat.say("stop")
    assert chat.step == "confirm_stop"
    chat.click("no")
    with Session(engine) as session:
        assert people.list_people(session, completed_only=True, consent_for=MATCHING)
    chat.say("stop")
    chat.click("yes")
    assert "toestemming is ingetrokken" in chat.text()
    with Session(engine) as session:
        assert people.list_people(session, completed_only=True, consent_for=MATCHING) == []
        (person,) = session.exec(select(Person)).all()
        assert person.id is not None
        assert not consents.has_consent(session, person_id=person.id, purpose=MATCHING)
        (row,) = session.exec(select(Consent)).all()
        assert row.withdrawn_at is not None
    # Commands that use the profile now need consent again.
    chat.say("profiel")
    assert "toestemming nodig" in chat.text()
    # Coming back: consent again, and the profile is used again.
    chat.say("start")
    chat.click("yes")
    assert "weer mee" in chat.text()
    with Session(engine) as session:
        assert len(people.list_people(session, completed_only=True, consent_for=MATCHING)) == 1
