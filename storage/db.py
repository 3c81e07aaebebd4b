"""Engine, sessions and migrations.

SQLite is the embedded default: WAL so readers never block the writer, a busy timeout so a second
process waits instead of failing, and ``BEGIN IMMEDIATE`` so a read-then-write transaction takes the
write lock up front instead of failing halfway. PostgreSQL runs the same code and migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from storage.files import private_directory, private_file, tighten_if_present

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "maatjes_read_only"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_database_files(Path(database).expanduser())
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _private_database_files(path: Path) -> None:
    """The database and its -wal and -shm files are the owner's only (0600), in a 0700 directory
    when we make it. The file is made before SQLite opens it, because SQLite gives the -wal and
    -shm files the database file's mode; files left too open by an earlier version are tightened.
    """
    private_directory(path.parent, tighten=False)  # maybe not ours (a path in the URL)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten_if_present(path.with_name(path.name + suffix))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten with zeros, so erased text does not linger in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a snapshot for reading; no write lock
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for reading only. On SQLite it does not take the write lock (WAL readers never
    wait for the writer, nor it for them), so quick checks on hot paths (login, roles) neither
    queue behind writers nor stall them, even while this thread holds a write transaction."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        with Session(bind=connection) as session:
            yield session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def purge_deleted(engine: Engine) -> bool:
    """Make deleted rows physically gone from the database files, as far as the engine allows.

    SQLite (``secure_delete`` is on for every connection) keeps old page images in the WAL file
    until a checkpoint: a TRUNCATE checkpoint copies the zeroed pages into the database file and
    empties the WAL. It needs a moment without readers, so it is retried briefly; False when it
    could not finish (the next erasure or the next checkpoint finishes it). PostgreSQL frees
    deleted rows by (auto)vacuum; see docs/privacy.md for the policy. Returns True there.
    """
    if engine.dialect.name != "sqlite":
        return True
    import time

    for _ in range(20):
        # The driver connection, outside any transaction: a checkpoint cannot run inside one.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            row = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        if row is not None and row[0] == 0:
            return True
        time.sleep(0.05)
    return False


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (run at start-up and by ``maatjes db upgrade``)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:  # noqa: BLE001 - no table yet means no revision
            return None
    return str(row[0]) if row else None


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for a health check
        return False
    return True


def insert_for(session: Session) -> Any:
    """The dialect's INSERT (PostgreSQL or SQLite), for ``ON CONFLICT DO NOTHING/UPDATE``:
    the one place that knows both databases spell it the same but build it apart."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
