"""The community as a whole: listing people, and the synthetic demo community."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from bot.core.conversation import MATCHING, PURPOSES
from bot.services.views import CommunityStats, MemberView
from storage import consents, people
from storage.db import make_engine, migrate, session_scope
from storage.models import Person
from storage.types import utcnow

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "community.json"
DEMO_PLATFORM = "demo"
DEMO_POLICY = "demo"


@contextmanager
def _engine(database_url: str) -> Iterator[Any]:
    """A migrated engine for one command, disposed after (no pooled connection outlives it)."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


def people_overview(database_url: str, *, everyone: bool = False) -> list[MemberView]:
    """People with a finished profile and live consent; ``everyone`` adds the rest (unfinished,
    refused, withdrawn), for privacy requests (``MemberView.as_row(with_account=True)``)."""
    with _engine(database_url) as engine, Session(engine) as session:
        found = (
            people.list_people(session)
            if everyone
            else people.list_people(session, completed_only=True, consent_for=MATCHING)
        )
        return [MemberView.of(p) for p in found]


def demo_people() -> list[dict[str, Any]]:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return list(data["people"])


def load_demo(database_url: str) -> int:
    """Add the demo community; people already loaded are left as they are. Returns how many."""
    now = utcnow()
    added = 0
    with _engine(database_url) as engine, session_scope(engine) as session:
        for entry in demo_people():
            existing = people.get_person(
                session, platform=DEMO_PLATFORM, platform_user_id=entry["key"]
            )
            if existing is not None:
                continue
            person = Person(
                platform=DEMO_PLATFORM,
                platform_user_id=entry["key"],
                language=entry["language"],
                language_chosen=True,
                is_demo=True,
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            for purpose in PURPOSES:  # fictional people agree to every purpose
                consents.record_consent(
                    session,
                    person_id=person.id,
                    purpose=purpose,
                    policy_version=DEMO_POLICY,
                    given=True,
                    at=now,
                )
            for name in people.PROFILE_FIELDS:
                people.save_draft_answer(
                    session, person_id=person.id, field=name, value=entry.get(name), at=now
                )
            people.commit_profile(session, person=person, at=now)
            people.save_conversation(session, person_id=person.id, step="done", context={})
            added += 1
    return added


def remove_demo(database_url: str) -> int:
    with _engine(database_url) as engine, session_scope(engine) as session:
        ids = session.exec(select(Person.id).where(col(Person.is_demo).is_(True))).all()
        return people.delete_people(session, person_ids=[i for i in ids if i is not None])


def community_stats(session: Session) -> CommunityStats:
    """Counts of active people (finished profile, live consent) by group, region, theme, phase."""
    active = people.list_people(session, completed_only=True, consent_for=MATCHING)
    stats: dict[str, dict[str, int]] = {"group": {}, "region": {}, "theme": {}, "phase": {}}
    for person in active:
        for kind, values in (
            ("group", [person.group]),
            ("region", [person.region]),
            ("theme", person.themes or []),
            ("phase", [person.phase]),
        ):
            for value in values:
                if value:
                    stats[kind][value] = stats[kind].get(value, 0) + 1
    paused = sum(1 for p in active if people.is_paused(p, today=utcnow().date()))
    return CommunityStats(
        total=len(active),
        paused=paused,
        demo=sum(p.is_demo for p in active),
        group=stats["group"],
        region=stats["region"],
        theme=stats["theme"],
        phase=stats["phase"],
    )
