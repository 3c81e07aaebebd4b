"""The running app delivers the outbox on its own schedule."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

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
