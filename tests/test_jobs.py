"""The running app delivers the outbox on its own schedule."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
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


def test_a_failing_job_is_logged_once_and_the_next_one_still_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The check-ins cannot reach their database: that is one log line with the error, and the
    outbox is delivered in the same run all the same."""
    from dataclasses import dataclass

    from sqlalchemy import create_engine

    from bot import jobs
    from bot.app import build
    from bot.services.checkins import CheckInService
    from bot.services.delivery import Delivery
    from bot.services.follow_ups import FollowUps
    from bot.services.housekeeping import Housekeeping
    from bot.services.privacy import PrivacyService
    from bot.services.rounds import RoundService

    @dataclass(frozen=True)
    class Services:
        settings: Settings
        checkins: CheckInService
        delivery: Delivery
        rounds: RoundService
        privacy: PrivacyService | None
        housekeeping: Housekeeping
        follow_ups: FollowUps
        invitations: None = None

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        delivery_interval_seconds=3600,  # one run, at start
        scheduled_rounds=False,
        retention=False,
    )
    maatjes = build(settings)
    with session_scope(maatjes.engine) as session:
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
    unreachable = create_engine("postgresql+psycopg://maatjes:secret@127.0.0.1:1/none")
    services = Services(
        settings=settings,
        checkins=CheckInService(unreachable, settings),
        delivery=maatjes.delivery,
        rounds=maatjes.rounds,
        privacy=None,
        housekeeping=maatjes.housekeeping,
        follow_ups=maatjes.follow_ups,
    )
    caplog.set_level(logging.INFO, logger="bot.jobs")
    running = jobs.start(services)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if any(r.getMessage() == "delivered" for r in caplog.records):
                break
            time.sleep(0.2)
    finally:
        running.shutdown(wait=True)
    lines = [r for r in caplog.records if r.name == "bot.jobs"]
    assert [r.getMessage() for r in lines] == ["scheduled check-ins failed", "delivered"]
    assert lines[0].exc_info is not None and lines[0].levelno == logging.ERROR
    assert lines[1].__dict__["delivered"] == 1
    with Session(maatjes.engine) as session:
        assert outbox.counts(session) == {"sent": 1}
    maatjes.engine.dispose()
