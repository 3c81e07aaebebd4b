"""People, their answers and where their conversation stands. Plain functions over a session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

from sqlmodel import Session, col, select

from storage.consents import consenting_people
from storage.models import ConversationState, Person, ProfileAnswer
from storage.types import utcnow

#: Profile fields stored as Person columns. ``language`` is the interface language and changes at
#: once; the others wait for the person's confirmation (commit_profile).
PROFILE_FIELDS: Final = (
    "name",
    "organisation",
    "organisation_kind",
    "group",
    "region",
    "themes",
    "themes_other",
    "phase",
    "works_on",
    "seeks",
    "offers",
    "ongemak",
    "rhythm",
)


def get_person(session: Session, *, platform: str, platform_user_id: str) -> Person | None:
    return session.exec(
        select(Person).where(
            Person.platform == platform, Person.platform_user_id == platform_user_id
        )
    ).first()


def get_or_create_person(
    session: Session, *, platform: str, platform_user_id: str, language: str
) -> Person:
    person = get_person(session, platform=platform, platform_user_id=platform_user_id)
    if person is None:
        person = Person(platform=platform, platform_user_id=platform_user_id, language=language)
        session.add(person)
        session.flush()
    return person


def list_people(
    session: Session, *, completed_only: bool = False, consent_for: str | None = None
) -> Sequence[Person]:
    """People in id order; optionally only finished profiles, and only with live consent."""
    query = select(Person).order_by(col(Person.id))
    if completed_only:
        query = query.where(col(Person.profile_completed_at).is_not(None))
    if consent_for is not None:
        query = query.where(col(Person.id).in_(consenting_people(purpose=consent_for)))
    return session.exec(query).all()


def committed_profile(person: Person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in PROFILE_FIELDS}


def draft_answers(session: Session, *, person_id: int) -> dict[str, Any]:
    rows = session.exec(
        select(ProfileAnswer)
        .where(ProfileAnswer.person_id == person_id, ProfileAnswer.status == "draft")
        .order_by(col(ProfileAnswer.id))
    ).all()
    return {row.field: row.value for row in rows}


def save_draft_answer(
    session: Session, *, person_id: int, field: str, value: Any, at: datetime | None = None
) -> ProfileAnswer:
    """Keep an answer as a draft; an earlier draft of the same field is marked replaced."""
    at = at or utcnow()
    for old in session.exec(
        select(ProfileAnswer).where(
            ProfileAnswer.person_id == person_id,
            ProfileAnswer.field == field,
            ProfileAnswer.status == "draft",
        )
    ):
        old.status = "replaced"
        old.superseded_at = at
        session.add(old)
    answer = ProfileAnswer(person_id=person_id, field=field, value=value, answered_at=at)
    session.add(answer)
    session.flush()
    return answer


def commit_profile(session: Session, *, person: Person, at: datetime | None = None) -> None:
    """Make the drafts the profile; previous committed values become history (superseded)."""
    at = at or utcnow()
    assert person.id is not None
    drafts = session.exec(
        select(ProfileAnswer).where(
            ProfileAnswer.person_id == person.id, ProfileAnswer.status == "draft"
        )
    ).all()
    fields = {draft.field for draft in drafts}
    if fields:
        for old in session.exec(
            select(ProfileAnswer).where(
                ProfileAnswer.person_id == person.id,
                ProfileAnswer.status == "committed",
                col(ProfileAnswer.field).in_(fields),
            )
        ):
            old.status = "superseded"
            old.superseded_at = at
            session.add(old)
    for draft in drafts:
        draft.status = "committed"
        draft.committed_at = at
        session.add(draft)
        if draft.field in PROFILE_FIELDS:
            setattr(person, draft.field, draft.value)
    if person.profile_completed_at is None:
        person.profile_completed_at = at
    person.updated_at = at
    session.add(person)
    session.flush()


def answer_history(session: Session, *, person_id: int) -> Sequence[ProfileAnswer]:
    return session.exec(
        select(ProfileAnswer)
        .where(ProfileAnswer.person_id == person_id)
        .order_by(col(ProfileAnswer.id))
    ).all()


def set_language(session: Session, *, person: Person, language: str, chosen: bool = True) -> None:
    person.language = language
    person.language_chosen = person.language_chosen or chosen
    person.updated_at = utcnow()
    session.add(person)


def set_pause(session: Session, *, person: Person, paused: bool, until: date | None) -> None:
    person.paused_from = utcnow() if paused else None
    person.paused_until = until if paused else None
    person.updated_at = utcnow()
    session.add(person)


def is_paused(person: Person, *, today: date) -> bool:
    """A pause ends by itself on its date: nobody has to remember to lift it."""
    if person.paused_from is None:
        return False
    return person.paused_until is None or today < person.paused_until


def load_conversation(session: Session, *, person_id: int) -> ConversationState:
    state = session.get(ConversationState, person_id)
    return state if state is not None else ConversationState(person_id=person_id)


def save_conversation(
    session: Session, *, person_id: int, step: str, context: Mapping[str, Any]
) -> None:
    state = session.get(ConversationState, person_id) or ConversationState(person_id=person_id)
    state.step = step
    state.context = dict(context)
    state.updated_at = utcnow()
    session.add(state)


def delete_people(session: Session, *, person_ids: Sequence[int]) -> int:
    """Remove people; their answers, consent, conversation and embeddings go with them (the
    foreign keys cascade, on SQLite too: storage.db turns foreign keys on)."""
    count = 0
    for person_id in person_ids:
        person = session.get(Person, person_id)
        if person is not None:
            session.delete(person)
            count += 1
    session.flush()
    session.expunge_all()
    return count
