"""A real server process and a real headless Chromium for the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

CHROMIUM = os.environ.get("MAATJES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing (.ci/run installs it)")
    pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's chromium (CI always runs these)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "MAATJES_DATA_DIR": str(data_dir),
            "MAATJES_PORT": str(self.port),
            "MAATJES_SCHEDULER": "false",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "server.log"
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import main; main()", "run"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=sink,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(log.read_text(encoding="utf-8"))
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not become healthy in 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@contextmanager
def running_server(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = Server(data_dir, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright gives every launch a fresh, empty profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def seed_round(
    data_dir: Path, *, with_local: str | None = None, with_person: int | None = None
) -> int:
    """A proposed round of two groups of demo people, stored as the matcher would store it.

    ``with_local`` puts a web chat account of that name (with consent) in the first group;
    ``with_person`` puts that person (by id) there."""
    from sqlmodel import Session, select

    from bot.core.conversation import MATCHING
    from bot.core.messages import local_account_id
    from storage import consents, people, rounds
    from storage.db import make_engine, session_scope
    from storage.models import Person

    engine = make_engine(f"sqlite:///{data_dir / 'maatjes.db'}")
    with Session(engine) as session:
        ids = [p.id for p in session.exec(select(Person).order_by(Person.id)).all()[:5]]
    if with_local is not None:
        with session_scope(engine) as session:
            person = people.get_or_create_person(
                session,
                platform="local",
                platform_user_id=local_account_id(with_local),
                language="nl",
            )
            assert person.id is not None
            consents.record_consent(
                session, person_id=person.id, purpose=MATCHING, policy_version="t", given=True
            )
            people.save_draft_answer(session, person_id=person.id, field="name", value=with_local)
            people.commit_profile(session, person=person)
            ids[0] = person.id
    if with_person is not None:
        ids[0] = with_person
    with session_scope(engine) as session:
        made = rounds.create_round(
            session,
            kind="pairs",
            origin="cli",
            proposed_by="cli:operator",
            embedder="test",
            weights={},
            groups=[
                rounds.NewGroup([ids[0], ids[1]], 0.8, {"themes": ["bouw"], "mix": True}),
                rounds.NewGroup([ids[2], ids[3], ids[4]], 0.4, {"themes": []}),
            ],
        )
        round_id = made.id
    engine.dispose()
    assert round_id is not None
    return round_id


def seed_people(data_dir: Path) -> None:
    """Five people with consent and a profile (demo accounts, nothing to embed): enough for
    ``seed_round`` without loading the whole demo community."""
    from storage.db import make_engine, session_scope
    from tests.support.community import profiled_person

    engine = make_engine(f"sqlite:///{data_dir / 'maatjes.db'}")
    with session_scope(engine) as session:
        for name, group in (
            ("Bram", "rijk"),
            ("Chris", "regionaal"),
            ("Dewi", "rijk"),
            ("Eva", "regionaal"),
            ("Fleur", "rijk"),
        ):
            profiled_person(session, platform="demo", user_id=name, name=name, group=group)
    engine.dispose()
