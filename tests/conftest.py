"""Shared fixtures: a clean environment per test, and real databases (SQLite always; PostgreSQL
when MAATJES_TEST_POSTGRES_URL names a server, which CI always does)."""

from __future__ import annotations

import os
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import Pool

from bot.core.conversation import CoreConfig
from bot.core.dialogue import Intake
from bot.services.conversations import ConversationService
from storage.db import make_engine, migrate

POSTGRES_URL = os.environ.get("MAATJES_TEST_POSTGRES_URL")
IN_CI = bool(os.environ.get("CI"))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell or a .env file."""
    for key in list(os.environ):
        ours = key.startswith("MAATJES_") and key != "MAATJES_TEST_POSTGRES_URL"
        if ours or key.startswith("SLACK_"):  # Slack's own names are settings too
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAATJES_DATA_DIR", str(tmp_path / "data"))


#: every PostgreSQL connection a pool opened in this process, so that a test's database can
#: close them all before it is dropped: an engine a test built and never disposed (a Maatjes
#: inside an app, a service's own) would otherwise keep open connections until the garbage
#: collector finds them during some later test, which then fails on psycopg's ResourceWarning
_OPENED: list[weakref.ref[object]] = []


@event.listens_for(Pool, "connect")
def _remember(dbapi_connection: object, _record: object) -> None:
    if type(dbapi_connection).__module__.startswith("psycopg"):
        _OPENED.append(weakref.ref(dbapi_connection))


def _close_connections_to(database: str) -> None:
    for ref in list(_OPENED):
        connection: Any = ref()
        if connection is None or connection.closed:
            _OPENED.remove(ref)
        elif connection.info.dbname == database:
            connection.close()
            _OPENED.remove(ref)


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("CI must provide PostgreSQL: MAATJES_TEST_POSTGRES_URL is not set")
        pytest.skip(
            "PostgreSQL not configured (set MAATJES_TEST_POSTGRES_URL); CI always runs these"
        )
    name = f"maatjes_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _close_connections_to(name)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'maatjes.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'maatjes.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def service(engine: Engine) -> ConversationService:
    return ConversationService(engine, Intake(CoreConfig(policy_version="test-1")))
