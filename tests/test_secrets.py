"""An empty or weak secret is never used: empty means unset (in a copied .env and in the
environment), a key under 32 bytes is refused at start, the generated key is written once and
whole, and the data directory, the database files and exports are the owner's only."""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from pydantic import ValidationError
from sqlalchemy import text

from bot.app import create_app
from bot.settings import Settings, SettingsRefused
from storage.db import make_engine, migrate
from tests import ROOT

EXAMPLE = ROOT / ".env.example"
MAATJES = [sys.executable, "-c", "from bot.cli import main; main()"]
STRONG = "k" * 32

#: Every optional setting (default None), by its environment name(s).
OPTIONAL = {
    name: [f"MAATJES_{name.upper()}"]
    + ([name.upper()] if name.startswith("slack_") else [])  # Slack's own names too
    for name, field in Settings.model_fields.items()
    if field.default is None
}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _example_with_unset_lines_as(value: str) -> str:
    """.env.example as it was shipped before: every unset setting written out with ``value``."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    return "\n".join(re.sub(r"^# (MAATJES_[A-Z_]+)=$", rf"\1={value}", line) for line in lines)


def _forged(secret: str, session: dict[str, object]) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, with ``secret``."""
    data = base64.b64encode(json.dumps(session).encode("utf-8"))
    return TimestampSigner(secret).sign(data).decode("utf-8")


def _assert_nothing_empty(settings: Settings) -> None:
    for name in OPTIONAL:
        assert getattr(settings, name) is None, f"{name} is set from an empty value"
    assert settings.slack_mode is None and not settings.teams_enabled
    assert len(settings.session_secret().encode()) >= 32


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_a_copied_env_file_sets_no_empty_secret(tmp_path: Path, value: str) -> None:
    """The shipped example as is, and the old one with its empty (or blank) secret lines."""
    for content in (EXAMPLE.read_text(encoding="utf-8"), _example_with_unset_lines_as(value)):
        (tmp_path / ".env").write_text(content, encoding="utf-8")  # the tests run in tmp_path
        settings = Settings()
        _assert_nothing_empty(settings)


@pytest.mark.parametrize("value", ["", " ", "\n"])
def test_empty_environment_variables_are_unset(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    for names in OPTIONAL.values():
        for name in names:
            monkeypatch.setenv(name, value)
    _assert_nothing_empty(Settings(_env_file=None))  # type: ignore[call-arg]


def test_empty_secrets_given_directly_are_unset() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        secret_key="",
        slack_signing_secret=" ",
        slack_bot_token="",
        slack_client_id="",
        slack_client_secret="",
        teams_app_id=" ",
        teams_app_secret="",
        public_url="",
    )
    _assert_nothing_empty(settings)


def test_every_line_of_the_example_parses(tmp_path: Path) -> None:
    """Each setting line of .env.example on its own, and each unset one given a real value."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    settings_lines = [line for line in lines if re.match(r"^(# )?MAATJES_[A-Z_]+=", line)]
    assert len(settings_lines) >= len(Settings.model_fields)
    for line in settings_lines:
        (tmp_path / ".env").write_text(line + "\n", encoding="utf-8")
        Settings()
    for line in lines:
        if re.match(r"^# MAATJES_[A-Z_]+=", line):
            assert line.endswith("="), f"an unset line shows no value: {line}"


def test_a_session_signed_with_an_empty_key_opens_nothing(tmp_path: Path) -> None:
    """The outside tester's attack, on a server configured from the copied .env.example."""
    env = EXAMPLE.read_text(encoding="utf-8") + "\nMAATJES_ADMINS=local:tessa\n"
    (tmp_path / ".env").write_text(env, encoding="utf-8")
    settings = Settings(scheduler=False)
    assert settings.session_secret() != ""
    forged = {"dashboard_user": "tessa", "dashboard_since": int(time.time())}
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        for secret in ("", " "):
            client.cookies.set("maatjes_session", _forged(secret, forged))
            for path in ("/dashboard", "/dashboard/privacy", "/dashboard/audit"):
                page = client.get(path, follow_redirects=False)
                assert page.status_code in (303, 307, 401, 403), (path, page.status_code)
                assert "tessa" not in page.text
        assert client.post("/slack/events", content=b"{}").status_code == 404, "Slack is off"
        assert client.post("/api/messages", json={}).status_code == 404, "Teams is off"


def test_empty_environment_variables_switch_nothing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same attack with every secret exported empty: no platform, no forged session."""
    for names in OPTIONAL.values():
        for name in names:
            monkeypatch.setenv(name, "")
    monkeypatch.setenv("MAATJES_ADMINS", "local:tessa")
    monkeypatch.setenv("MAATJES_SCHEDULER", "false")
    forged = {
        "dashboard_user": "tessa",
        "dashboard_since": int(time.time()),
        "account": "victoria",
        "display_name": "Victoria",
    }
    with TestClient(create_app(), base_url="http://127.0.0.1") as client:
        assert client.post("/slack/events", content=b"{}").status_code == 404, "Slack is off"
        assert client.post("/api/messages", json={}).status_code == 404, "Teams is off"
        client.cookies.set("maatjes_session", _forged("", forged))
        assert client.get("/api/chat").status_code == 401
        assert client.get("/dashboard/privacy", follow_redirects=False).status_code != 200
        assert "Victoria" not in client.get("/").text


# --- weak keys are refused at start ---------------------------------------------------------


@pytest.mark.parametrize("key", ["kort", "x" * 31, "é" * 15, "   padded-key-kort  "])
def test_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("MAATJES_SECRET_KEY", key)
    with pytest.raises(ValidationError) as refused:
        create_app()
    message = str(refused.value)
    assert "MAATJES_SECRET_KEY" in message and "32" in message
    assert "secrets.token_urlsafe(48)" in message and "openssl rand -hex 32" in message
    assert key.strip() not in message, "the refused key is never repeated"


def test_keys_of_32_bytes_or_more_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("x" * 32, "é" * 16, os.urandom(24).hex()):
        monkeypatch.setenv("MAATJES_SECRET_KEY", key)
        assert Settings(_env_file=None).session_secret() == key  # type: ignore[call-arg]


def test_a_short_slack_state_secret_is_refused_when_it_signs() -> None:
    oauth = {
        "slack_signing_secret": "signing",
        "slack_client_id": "111.222",
        "slack_client_secret": "client-secret",
    }
    with pytest.raises(ValidationError, match="MAATJES_SLACK_STATE_SECRET"):
        Settings(_env_file=None, slack_state_secret="state-secret", **oauth)  # type: ignore[call-arg]
    assert Settings(_env_file=None, slack_state_secret="s" * 32, **oauth).slack_mode == "oauth"  # type: ignore[call-arg]


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MAATJES, *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "env, named",
    [
        ({"MAATJES_SECRET_KEY": "too-short-a-key"}, "MAATJES_SECRET_KEY"),
        (
            {
                "SLACK_SIGNING_SECRET": "signing",
                "SLACK_CLIENT_ID": "111.222",
                "SLACK_CLIENT_SECRET": "client-secret",
                "SLACK_STATE_SECRET": "too-short-a-key",
            },
            "MAATJES_SLACK_STATE_SECRET",
        ),
    ],
)
def test_maatjes_run_refuses_a_weak_key_in_one_clear_line(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = _run(tmp_path, env, "run")
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "openssl rand -hex 32" in result.stderr
    assert "Traceback" not in result.stderr and "too-short-a-key" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_an_empty_generated_key_file_is_refused_not_used(tmp_path: Path) -> None:
    """A key file left empty by an earlier version is never signed with."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("\n", encoding="utf-8")
    with pytest.raises(SettingsRefused, match="secret_key"):
        create_app(Settings(_env_file=None, data_dir=data, scheduler=False))  # type: ignore[call-arg]
    result = _run(tmp_path, {"MAATJES_DATA_DIR": str(data)}, "run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "delete that file" in result.stderr


# --- the generated key ----------------------------------------------------------------------


def _start_and_read_the_key(data: str, start: Any, keys: Any) -> None:
    start.wait()  # every process asks for the key at the same moment
    keys.put(Settings(_env_file=None, data_dir=Path(data)).session_secret())  # type: ignore[call-arg]


def test_processes_starting_at_once_all_get_the_same_key(tmp_path: Path) -> None:
    processes = 16
    context = multiprocessing.get_context("fork")
    outcomes = []
    for trial in range(12):
        data = tmp_path / f"data-{trial}"
        start, keys = context.Barrier(processes), context.Queue()
        workers = [
            context.Process(target=_start_and_read_the_key, args=(str(data), start, keys))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        found = [keys.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        outcomes.append((data, found))
    different = [len(set(found)) for _, found in outcomes if len(set(found)) != 1]
    empty = sum(1 for _, found in outcomes for key in found if len(key) < 32)
    assert not different and not empty, f"{len(different)} trials differed, {empty} keys empty"
    for data, found in outcomes:
        key_file = data / "secret_key"
        assert key_file.read_text(encoding="utf-8").strip() == found[0]
        assert [p.name for p in data.iterdir()] == ["secret_key"], "no temporary file is left"
        assert _mode(key_file) == 0o600 and _mode(data) == 0o700


def test_a_key_file_others_could_read_is_tightened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "secret_key").write_text(STRONG, encoding="utf-8")
    os.chmod(data / "secret_key", 0o644)
    with caplog.at_level(logging.WARNING):
        assert Settings(_env_file=None, data_dir=data).session_secret() == STRONG  # type: ignore[call-arg]
    assert _mode(data / "secret_key") == 0o600 and _mode(data) == 0o700
    assert "tightened permissions" in caplog.text and STRONG not in caplog.text


# --- the data directory and the database files ----------------------------------------------


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_the_database_files_are_the_owners_only(tmp_path: Path) -> None:
    with _umask(0o022):  # the usual umask, which made the database 0644
        data = tmp_path / "fresh" / "data"
        engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
        migrate(engine)
        with engine.connect() as connection:  # keep a connection so -wal and -shm exist
            connection.execute(text("SELECT count(*) FROM person"))
            files = sorted(p.name for p in data.iterdir())
            assert files == ["maatjes.db", "maatjes.db-shm", "maatjes.db-wal"], files
            for name in files:
                assert _mode(data / name) == 0o600, name
        engine.dispose()
        assert _mode(data) == 0o700


def test_too_open_database_files_are_tightened_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    with _umask(0o022):
        engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
        migrate(engine)
        engine.dispose()
        # another process has the database open (so -wal and -shm exist), outside a transaction
        reader = sqlite3.connect(data / "maatjes.db", isolation_level=None)
        try:
            reader.execute("SELECT count(*) FROM person").fetchone()
            for path in [data, *data.iterdir()]:  # as an earlier version left them
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            settings = Settings(_env_file=None, data_dir=data, scheduler=False)  # type: ignore[call-arg]
            with caplog.at_level(logging.WARNING):
                create_app(settings)
            assert sorted(p.name for p in data.iterdir())[:3] == [
                "maatjes.db",
                "maatjes.db-shm",
                "maatjes.db-wal",
            ]
        finally:
            reader.close()
    assert _mode(data) == 0o700
    for path in data.iterdir():
        assert _mode(path) == 0o600, path.name
    assert caplog.text.count("tightened permissions") >= 3


def test_an_export_file_is_the_owners_only_even_when_it_existed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    demo = _run(tmp_path, {"MAATJES_DATA_DIR": str(data)}, "demo")
    assert demo.returncode == 0, demo.stderr
    out = tmp_path / "export.json"
    out.write_text("old", encoding="utf-8")
    os.chmod(out, 0o644)
    done = _run(tmp_path, {"MAATJES_DATA_DIR": str(data)}, "export", "1", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _mode(out) == 0o600 and json.loads(out.read_text(encoding="utf-8"))
    fresh = tmp_path / "fresh.json"
    made = _run(tmp_path, {"MAATJES_DATA_DIR": str(data)}, "export", "1", "-o", str(fresh))
    assert made.returncode == 0, made.stderr
    assert _mode(fresh) == 0o600


# --- the README's path: copy .env.example, run --------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_maatjes_run_starts_from_a_copied_example(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "MAATJES_PORT": str(port), "MAATJES_SCHEDULER": "false"}
    env.pop("MAATJES_DATA_DIR")  # the copied .env says ./data
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*MAATJES, "run"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=sink
        )
    try:
        for _ in range(300):
            assert server.poll() is None, log.read_text(encoding="utf-8")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and 'id="signin-form"' in page.text
        data = tmp_path / "data"
        assert _mode(data) == 0o700
        assert len((data / "secret_key").read_text(encoding="utf-8").strip()) >= 32
        for path in data.glob("maatjes.db*"):
            assert _mode(path) == 0o600, path.name
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "Traceback" not in log.read_text(encoding="utf-8")
