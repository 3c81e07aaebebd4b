"""Name-only web sign-in is a local trial: it can be switched off (MAATJES_WEB_SIGNIN=off), the
page always says it is a trial, and settings that would let others reach it are refused. Every
link a person receives is absolute under the public URL, never a wildcard address."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from bot.app import create_app
from bot.core.messages import Account, local_account_id
from bot.services.access import CLI_ACTOR
from bot.services.threads import GroupThreads
from bot.settings import Settings
from storage import outbox, rounds
from storage.models import Person
from tests import ROOT
from tests.support.community import community, proposed_round

MAATJES = [sys.executable, "-c", "from bot.cli import main; main()"]
BANNER_NL = "Proefomgeving: iedereen die deze pagina kan bereiken, kan zich als een ander aanmelden"
BANNER_EN = "Trial setup: anyone who can reach this page can sign in as someone else"


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", scheduler=False, **values)  # type: ignore[call-arg]


@pytest.fixture
def closed(tmp_path: Path) -> Iterator[TestClient]:
    settings = _settings(tmp_path, web_signin="off", coordinators="local:tessa")
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


# --- MAATJES_WEB_SIGNIN=off -----------------------------------------------------------------


def test_sign_in_off_refuses_politely_in_both_languages(closed: TestClient) -> None:
    for language, says in (("nl", "staat uit"), ("en", "switched off")):
        refused = closed.post(
            "/session", json={"name": "Victoria"}, headers={"accept-language": language}
        )
        assert refused.status_code == 403 and says in refused.json()["error"]
        page = closed.get("/", headers={"accept-language": language})
        assert page.status_code == 200 and says in page.text
        assert 'id="signin-form"' not in page.text and 'id="signin-off"' in page.text
        assert 'href="/dashboard"' in page.text
    assert "account" not in str(closed.cookies.get("maatjes_session") or "")


def test_sign_in_off_lets_no_name_cookie_in(tmp_path: Path) -> None:
    """A name signed in before the switch is no way around it."""
    with TestClient(create_app(_settings(tmp_path)), base_url="http://127.0.0.1") as open_one:
        assert open_one.post("/session", json={"name": "Victoria"}).status_code == 200
        cookie = open_one.cookies.get("maatjes_session")
    assert cookie
    with TestClient(
        create_app(_settings(tmp_path, web_signin="off")), base_url="http://127.0.0.1"
    ) as client:
        client.cookies.set("maatjes_session", cookie)
        assert client.get("/api/chat").status_code == 401
        assert client.post("/api/chat", json={"text": "hallo"}).status_code == 401
        assert client.get("/groups", follow_redirects=False).status_code == 303
        assert 'id="composer"' not in client.get("/").text


def test_the_dashboard_still_works_with_sign_in_off(closed: TestClient) -> None:
    login = closed.get("/dashboard/login")
    assert login.status_code == 200 and 'name="password"' in login.text


def test_only_known_sign_in_methods_are_taken(tmp_path: Path) -> None:
    for value in ("password", "sso", "NAME "):
        with pytest.raises(ValidationError, match="web_signin"):
            _settings(tmp_path, web_signin=value)
    with pytest.raises(ValidationError, match="MAATJES_SMTP_URL"):
        _settings(tmp_path, web_signin="email")
    with pytest.raises(ValidationError, match="MAATJES_OIDC_ISSUER"):
        _settings(tmp_path, web_signin="oidc")
    assert _settings(tmp_path, web_signin="").signin == "name", "empty is unset: the trial"


# --- name-only sign-in beyond this machine is refused ---------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"host": "0.0.0.0", "public_url": "http://127.0.0.1:8000"},
        {"host": "::", "public_url": "http://[::1]:8000"},
        {"host": "192.168.1.20"},
        {"host": "10.0.0.7"},
        {"host": "fe80::1"},
        {"host": "maatjes.internal"},
        {"host": "127.0.0.1", "public_url": "https://maatjes.example.nl"},
        {"host": "localhost", "public_url": "http://192.168.1.20:8000"},
    ],
)
def test_name_sign_in_beyond_this_machine_is_refused(
    tmp_path: Path, values: dict[str, str]
) -> None:
    with pytest.raises(ValidationError, match="trial on this machine only"):
        _settings(tmp_path, **values)
    with pytest.raises(ValidationError, match="trial on this machine only"):
        _settings(tmp_path, web_signin="name", **values)
    assert not _settings(tmp_path, web_signin="off", **values).name_signin_exposed


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"host": "localhost"},
        {"host": "::1"},
        {"host": "127.0.0.2"},
        {"host": "127.0.0.1", "public_url": "http://localhost:8000"},
    ],
)
def test_name_sign_in_on_this_machine_is_taken(tmp_path: Path, values: dict[str, str]) -> None:
    settings = _settings(tmp_path, **values)
    assert settings.signin == "name" and not settings.name_signin_exposed


def test_the_trial_page_says_it_is_a_trial(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path)), base_url="http://127.0.0.1") as client:
        assert BANNER_NL in client.get("/", headers={"accept-language": "nl"}).text
        assert BANNER_EN in client.get("/", headers={"accept-language": "en"}).text
        assert client.post("/session", json={"name": "Anna"}).status_code == 200
        assert BANNER_NL in client.get("/").text, "also once signed in"


def test_no_trial_banner_with_sign_in_off(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, web_signin="off"))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        page = client.get("/").text
        assert BANNER_NL not in page and 'id="exposed-banner"' not in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        assert server.poll() is None, log.read_text(encoding="utf-8")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not become healthy")


def test_maatjes_run_on_every_address_with_name_sign_in_refuses_to_start(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "MAATJES_HOST": "0.0.0.0",
        "MAATJES_PORT": str(port),
        "MAATJES_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MAATJES_SCHEDULER": "false",
        "MAATJES_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("MAATJES_WEB_SIGNIN", None)
    done = subprocess.run(
        [*MAATJES, "run"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "trial on this machine only" in done.stderr
    assert "MAATJES_SMTP_URL" in done.stderr, "the message says what to set instead"


# --- the shipped Docker files -----------------------------------------------------------------


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            found.update(re.findall(r"(\w+)=(\S+)", line))
    return found


def _compose_env(service: str, given: dict[str, str]) -> dict[str, str]:
    """A service's environment as compose interpolates it from ``given`` (the operator's shell):
    ``${X:-default}``, and ``${X:?message}`` which stops compose when X is missing."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    environment = compose["services"][service]["environment"]

    def interpolate(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if given.get(name):
            return given[name]
        if kind == ":?":
            raise LookupError(f"{name}: {rest}")
        return rest or ""

    pattern = re.compile(r"\$\{(\w+)(:-|:\?)?([^}]*)\}")
    return {key: pattern.sub(interpolate, str(value)) for key, value in environment.items()}


def test_the_dockerfile_switches_name_sign_in_off() -> None:
    env = _dockerfile_env()
    assert env["MAATJES_WEB_SIGNIN"] == "off"
    assert env["MAATJES_HOST"] == "0.0.0.0", "so MAATJES_PUBLIC_URL is required to start"


@pytest.mark.parametrize("service", ["app", "app-2"])
def test_compose_runs_a_pilot_with_e_mail_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    operator = {
        "MAATJES_SECRET_KEY": "s" * 64,
        "MAATJES_PUBLIC_URL": "https://maatjes.example.nl",
        "MAATJES_SMTP_URL": "smtp://relay.example.nl:587",
        "MAATJES_MAIL_FROM": "Maatjes <maatjes@example.nl>",
    }
    for missing in ("MAATJES_PUBLIC_URL", "MAATJES_SMTP_URL", "MAATJES_MAIL_FROM"):
        with pytest.raises(LookupError, match=missing):
            _compose_env(service, {k: v for k, v in operator.items() if k != missing})
    env = {**_dockerfile_env(), **_compose_env(service, operator)}
    assert env["MAATJES_WEB_SIGNIN"] == "email"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # the compose database (db:5432) is not here: the same settings on a local SQLite file
    monkeypatch.setenv("MAATJES_DATABASE_URL", f"sqlite:///{tmp_path / 'maatjes.db'}")
    monkeypatch.setenv("MAATJES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MAATJES_SCHEDULER", "false")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.signin == "email" and not settings.name_signin_exposed
    assert settings.cookies_secure, "an https public URL: cookies over TLS only"
    assert settings.person_link("/groups/3") == "https://maatjes.example.nl/groups/3"
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        assert client.post("/session", json={"name": "Victoria"}).status_code == 403
        assert BANNER_NL not in client.get("/").text
        assert client.get("/dashboard/login").status_code == 200
    # name-only sign-in is refused behind compose's published ports
    monkeypatch.setenv("MAATJES_WEB_SIGNIN", "name")
    with pytest.raises(ValidationError, match="trial on this machine only"):
        Settings(_env_file=None)  # type: ignore[call-arg]


# --- links always use the public URL ----------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0", ""])
def test_a_wildcard_address_without_a_public_url_is_refused(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("MAATJES_HOST", host)
    with pytest.raises(ValidationError, match="MAATJES_PUBLIC_URL"):
        create_app()
    monkeypatch.setenv("MAATJES_PUBLIC_URL", "  ")  # blank is unset
    with pytest.raises(ValidationError, match="MAATJES_PUBLIC_URL"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_public_url_on_a_wildcard_address_is_refused(tmp_path: Path) -> None:
    for url in ("http://0.0.0.0:8000", "http://[::]:8000/"):
        with pytest.raises(ValidationError, match="MAATJES_PUBLIC_URL"):
            _settings(tmp_path, host="0.0.0.0", public_url=url)


@pytest.mark.parametrize(
    "how", [{"MAATJES_HOST": "0.0.0.0"}, {"MAATJES_HOST": "::"}, {"args": "--host=0.0.0.0"}]
)
def test_maatjes_run_on_a_wildcard_address_needs_a_public_url(
    tmp_path: Path, how: dict[str, str]
) -> None:
    args = [how.pop("args")] if "args" in how else []
    result = subprocess.run(
        [*MAATJES, "run", *args],
        env={**os.environ, **how},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "MAATJES_PUBLIC_URL" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_links_are_never_made_on_a_wildcard_or_bare_ipv6_address(tmp_path: Path) -> None:
    assert _settings(tmp_path, host="::1").person_link("/x") == "http://[::1]:8000/x"
    assert _settings(
        tmp_path, host="192.168.1.20", port=8123, web_signin="off"
    ).resolved_public_url == ("http://192.168.1.20:8123")
    behind = _settings(
        tmp_path, host="0.0.0.0", public_url="https://maatjes.example.nl/", web_signin="off"
    )
    assert behind.person_link("/groups/17") == "https://maatjes.example.nl/groups/17"
    assert behind.person_link("privacy/export/t") == "https://maatjes.example.nl/privacy/export/t"


RELATIVE_LINK = re.compile(r"(?<![\w.:/\]])/(?:groups|privacy|dashboard)/")


def test_every_link_a_person_receives_is_absolute(tmp_path: Path) -> None:
    """Introductions, thread notices and export links, to people on the web chat, Slack and
    Teams: every one points under MAATJES_PUBLIC_URL."""
    public = "https://maatjes.example.nl"
    settings = _settings(
        tmp_path, host="0.0.0.0", public_url=public, coordinators="local:tessa", web_signin="off"
    )
    app = create_app(settings)
    maatjes = app.state.maatjes
    ids = community(maatjes.engine)
    with Session(maatjes.engine) as session:  # Bram talks to the bot in Slack, Carla in Teams
        for person_id, platform in ((ids[1], "slack"), (ids[2], "teams")):
            person = session.get(Person, person_id)
            assert person is not None
            person.platform = platform
            session.add(person)
        session.commit()
    round_id = proposed_round(maatjes.engine, ids)
    maatjes.rounds.approve(round_id, position=1, actor=CLI_ACTOR, origin="cli")
    maatjes.rounds.approve(round_id, position=2, actor=CLI_ACTOR, origin="cli")
    with Session(maatjes.engine) as session:
        pair = rounds.groups_of(session, round_id=round_id)[0].id
    anna = Account(platform="local", user_id=local_account_id("Anna"))
    assert GroupThreads(maatjes.engine, link=settings.person_link).post(anna, pair, "Hoi!") == "ok"
    assert maatjes.privacy is not None
    export = maatjes.privacy.export_link(ids[1])
    assert export.startswith(f"{public}/privacy/export/")
    with Session(maatjes.engine) as session:
        sent = outbox.entries(session)
    notices = [m for m in sent if m.kind == "thread_post"]
    assert notices and f"{public}/groups/{pair}" in str(notices[0].payload)
    assert any(
        f"{public}/groups/{pair}" in str(m.payload) for m in sent if m.kind == "introduction"
    )
    for message in sent:
        payload = str(message.payload)
        assert not RELATIVE_LINK.search(payload), (message.kind, payload)
        assert "0.0.0.0" not in payload and "[::]" not in payload


def test_the_banner_shows_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from tests.support.browser import Server, chromium, require_chromium

    require_chromium()
    server = Server(tmp_path / "data", {})
    server.start()
    try:
        with chromium() as browser:
            page = browser.new_page(locale="nl-NL")
            page.goto(f"{server.url}/")
            banner = page.locator("#exposed-banner")
            expect(banner).to_be_visible()
            expect(banner).to_contain_text(BANNER_NL)
            page.fill("#signin-name", "Anna")
            page.click("#signin-form button[type=submit]")
            expect(page.locator("#composer")).to_be_visible()
            expect(banner).to_be_visible()
    finally:
        server.stop()
