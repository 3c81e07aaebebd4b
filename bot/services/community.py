"""The community as a whole: listing people, and the synthetic demo community."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from bot.core.intake import MATCHING
from bot.settings import Settings
from storage import consents, people
from storage.db import make_engine, migrate, session_scope
from storage.models import Person
from storage.types import utcnow

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "community.json"
DEMO_PLATFORM = "demo"
DEMO_POLICY = "demo"


def _engine(settings: Settings) -> Any:
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return engine


def person_row(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "group": person.group,
        "language": person.language,
        "organisation": person.organisation,
        "organisation_kind": person.organisation_kind,
        "region": person.region,
        "themes": person.themes or [],
        "phase": person.phase,
        "platform": person.platform,
        "demo": person.is_demo,
    }


def people_overview(settings: Settings) -> list[dict[str, Any]]:
    with Session(_engine(settings)) as session:
        return [
            person_row(p)
            for p in people.list_people(session, completed_only=True, consent_for=MATCHING)
        ]


def demo_people() -> list[dict[str, Any]]:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return list(data["people"])


def load_demo(settings: Settings) -> int:
    """Add the demo community; people already loaded are left as they are. Returns how many."""
    now = utcnow()
    added = 0
    with session_scope(_engine(settings)) as session:
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
            consents.record_consent(
                session,
                person_id=person.id,
                purpose=MATCHING,
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


def remove_demo(settings: Settings) -> int:
    with session_scope(_engine(settings)) as session:
        ids = session.exec(select(Person.id).where(col(Person.is_demo).is_(True))).all()
        return people.delete_people(session, person_ids=[i for i in ids if i is not None])
