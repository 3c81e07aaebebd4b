"""The running app delivers the outbox on its own schedule."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import create_app
from bot.settings import Settings
from storage import outbox, people
from storage.db import session_scope


def test_the_server_delivers_due_messages_by_itself(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        delivery_interval_seconds=1,
        scheduled_rounds=False,
    )
    app = create_app(settings)
    engine = app.state.maatjes.engine
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="local", platform_user_id="anna", language="nl"
        )
        assert person.id is not None
        outbox.enqueue(
            session,
            dedupe_key="hello",
            recipient_id=person.id,
            kind="test",
            payload={"messages": [{"kind": "text", "text": "Hallo!", "tone": "normal"}]},
        )
    with TestClient(app):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if outbox.counts(session) == {"sent": 1}:
                    break
            time.sleep(0.2)
    with Session(engine) as session:
        assert outbox.counts(session) == {"sent": 1}


def test_old_platform_event_ids_are_forgotten_daily(tmp_path: Path) -> None:
    from datetime import timedelta

    from bot import jobs
    from bot.app import build
    from storage import events
    from storage.db import session_scope
    from storage.models import PlatformEvent
    from storage.types import utcnow

    maatjes = build(Settings(_env_file=None, data_dir=tmp_path / "data"))  # type: ignore[call-arg]
    with session_scope(maatjes.engine) as session:
        assert events.first_time(session, platform="slack", event_id="Ev-old")
        assert events.first_time(session, platform="teams", event_id="act-new")
        old = session.exec(select(PlatformEvent).where(PlatformEvent.event_id == "Ev-old")).one()
        old.received_at = utcnow() - jobs.EVENT_MEMORY - timedelta(minutes=1)
        session.add(old)
    assert jobs.forget_old_events(maatjes) == 1
    with session_scope(maatjes.engine) as session:
        assert not events.first_time(session, platform="teams", event_id="act-new")
        assert events.first_time(session, platform="slack", event_id="Ev-old")
    running = jobs.start(maatjes)
    try:
        job = running.get_job("housekeeping")
        assert job is not None and "hour='3'" in str(job.trigger)
    finally:
        running.shutdown(wait=False)
    maatjes.engine.dispose()
