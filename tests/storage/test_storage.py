"""Repositories on real SQLite and PostgreSQL: aware datetimes, cascading deletes, vector cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage import consents, embeddings, people
from storage.db import session_scope
from storage.models import Consent, ConversationState, Person, ProfileAnswer, ProfileEmbedding


def _person(session: Session, user: str = "p1") -> Person:
    person = people.get_or_create_person(
        session, platform="local", platform_user_id=user, language="nl"
    )
    assert person.id is not None
    return person


def test_datetimes_come_back_aware_in_utc(engine: Engine) -> None:
    amsterdam = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 29, 2, 30, tzinfo=amsterdam)
    with session_scope(engine) as session:
        person = _person(session)
        consents.record_consent(
            session,
            person_id=person.id or 0,
            purpose="matching",
            policy_version="v",
            given=True,
            at=moment,
        )
    with Session(engine) as session:
        (row,) = session.exec(select(Consent)).all()
        assert row.decided_at.tzinfo is not None
        assert row.decided_at == moment
        assert row.decided_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        person = _person(session)
        consents.record_consent(
            session,
            person_id=person.id or 0,
            purpose="matching",
            policy_version="v",
            given=True,
            at=datetime(2026, 1, 1),
        )


def test_deleting_a_person_removes_everything_of_theirs(engine: Engine) -> None:
    with session_scope(engine) as session:
        keep, gone = _person(session, "keep"), _person(session, "gone")
        for person in (keep, gone):
            assert person.id is not None
            consents.record_consent(
                session, person_id=person.id, purpose="matching", policy_version="v", given=True
            )
            people.save_draft_answer(session, person_id=person.id, field="name", value="X")
            people.save_conversation(session, person_id=person.id, step="name", context={})
            embeddings.store(
                session,
                embedder="e",
                vectors=[
                    embeddings.StoredVector(
                        person.id, "seeks", "h", np.ones(3, dtype=np.float32).tobytes(), 3
                    )
                ],
            )
        gone_id = gone.id
    with session_scope(engine) as session:
        assert people.delete_people(session, person_ids=[gone_id or 0]) == 1
    with Session(engine) as session:
        for model in (Consent, ProfileAnswer, ConversationState, ProfileEmbedding):
            owners = set(session.exec(select(model.person_id)).all())  # type: ignore[attr-defined]
            assert owners == {keep.id}, model.__name__
        assert session.exec(select(func.count()).select_from(Person)).one() == 1


def test_embedding_cache_round_trip_and_replace(engine: Engine) -> None:
    vector = np.array([0.6, 0.8], dtype=np.float32)
    with session_scope(engine) as session:
        person = _person(session)
        assert person.id is not None
        pid = person.id
        embeddings.store(
            session,
            embedder="m-1",
            vectors=[
                embeddings.StoredVector(
                    pid, "seeks", embeddings.text_hash("a"), vector.tobytes(), 2
                )
            ],
        )
    with session_scope(engine) as session:
        found = embeddings.cached(session, person_ids=[pid], embedder="m-1")
        assert np.array_equal(np.frombuffer(found[(pid, "seeks")].vector, dtype=np.float32), vector)
        assert embeddings.cached(session, person_ids=[pid], embedder="other") == {}
        embeddings.store(
            session,
            embedder="m-1",
            vectors=[
                embeddings.StoredVector(
                    pid, "seeks", embeddings.text_hash("b"), vector[::-1].tobytes(), 2
                )
            ],
        )
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProfileEmbedding)).one() == 1
        found = embeddings.cached(session, person_ids=[pid], embedder="m-1")
        assert found[(pid, "seeks")].text_hash == embeddings.text_hash("b")


def test_a_person_is_unique_per_platform_account(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = _person(session, "same")
        again = _person(session, "same")
        assert first.id == again.id
    with pytest.raises(Exception), session_scope(engine) as session:  # noqa: B017
        session.add(Person(platform="local", platform_user_id="same", created_at=datetime.now(UTC)))
        session.flush()


def test_a_platform_event_is_processed_once_and_old_records_go(engine: Engine) -> None:
    from datetime import timedelta

    from storage import events
    from storage.types import utcnow

    with session_scope(engine) as session:
        assert events.first_time(session, platform="slack", event_id="Ev1")
    with session_scope(engine) as session:
        assert not events.first_time(session, platform="slack", event_id="Ev1")
        # the same id on another platform is another event
        assert events.first_time(session, platform="teams", event_id="Ev1")
    with session_scope(engine) as session:
        assert events.forget_before(session, before=utcnow() + timedelta(seconds=1)) == 2
    with session_scope(engine) as session:
        assert events.first_time(session, platform="slack", event_id="Ev1")
