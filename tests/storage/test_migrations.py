"""Migrations build the schema from empty, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import alembic_config, current_revision, make_engine, migrate


def test_upgrade_from_empty_reaches_head(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    migrate(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(engine) == head
    tables = set(inspect(engine).get_table_names())
    assert {"person", "consent", "profile_answer", "conversation_state"} <= tables
    migrate(engine)  # running again is harmless
    engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"the models changed without a migration: {diff}"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_upgrading_to_the_web_pilot_keeps_everything_that_hangs_off_a_person(
    database_url: str,
) -> None:
    """0013 adds columns to ``person``: on SQLite a table rebuild there would delete, through the
    foreign keys, every membership, consent and answer; the upgrade (and its downgrade) keep
    them."""
    from alembic import command
    from sqlalchemy import text

    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0012")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO person (id, platform, platform_user_id, language, language_chosen,"
                " is_demo, created_at, updated_at) VALUES (1, 'local', 'anna', 'nl', true, false,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO consent (person_id, purpose, given, policy_version, decided_at)"
                " VALUES (1, 'matching', true, 'v1', CURRENT_TIMESTAMP)"
            )
        )
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM consent")).scalar() == 1
        assert connection.execute(text("SELECT email_notifications FROM person")).scalar()
    command.downgrade(config, "0012")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM consent")).scalar() == 1
    engine.dispose()
