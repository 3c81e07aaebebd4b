"""The web layer's frame and dependencies (bot.http.main, bot.http.deps) on a real app of
their own: the reader's language from ?lang, the session or the browser, polite errors in it,
the health check and the headers every answer carries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.http.deps import DashboardLanguage, Language, accepted_language
from bot.http.main import SECURITY_HEADERS, create_web_app
from bot.settings import Settings


class Note(BaseModel):
    text: str


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    web = create_web_app(
        Settings(_env_file=None, data_dir=tmp_path / "data", max_request_bytes=1_000),  # type: ignore[call-arg]
        healthy=lambda: web.state.healthy,
    )
    web.state.healthy = True

    @web.get("/language")
    def language(asked: Language) -> dict[str, str]:
        return {"language": asked}

    @web.get("/dashboard-language")
    def dashboard_language(request: Request, chosen: DashboardLanguage) -> dict[str, str]:
        return {"language": chosen}

    @web.post("/note")
    def note(body: Note) -> dict[str, str]:
        return {"text": body.text}

    return web


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, nl-BE;q=0.5", "nl"),
        ("de, en_US", "en"),
        ("", None),
        ("*", None),
        ("fr;q=1.0", None),
        (";;,,;q=,", None),
        ("ééé, 🙂", None),
    ],
)
def test_the_first_supported_accept_language_wins(header: str, expected: str | None) -> None:
    assert accepted_language({"accept-language": header}) == expected


def test_no_accept_language_is_no_language() -> None:
    assert accepted_language({}) is None


def test_the_language_is_asked_then_the_browsers_then_dutch(client: TestClient) -> None:
    def language(path: str, header: str | None = None) -> str:
        headers = {"accept-language": header} if header is not None else {}
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        return str(response.json()["language"])

    assert language("/language") == "nl"
    assert language("/language", "en-US,en;q=0.8") == "en"
    assert language("/language?lang=nl", "en") == "nl", "asking beats the browser"
    assert language("/language?lang=klingon", "en") == "en", "an unknown ask is no ask"
    assert language("/language?lang=", "fr") == "nl"


def test_the_dashboard_remembers_a_chosen_language_and_ignores_the_browser(
    client: TestClient,
) -> None:
    assert client.get("/dashboard-language", headers={"accept-language": "en"}).json() == {
        "language": "nl"
    }
    assert client.get("/dashboard-language?lang=en").json() == {"language": "en"}
    assert client.get("/dashboard-language").json() == {"language": "en"}, "kept in the session"
    assert client.get("/dashboard-language?lang=xx").json() == {"language": "en"}
    client.cookies.clear()
    assert client.get("/dashboard-language").json() == {"language": "nl"}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    header=st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=200,
    ),
    query=st.text(max_size=20),
)
def test_any_language_header_or_query_is_answered_never_a_5xx(
    app: FastAPI, header: str, query: str
) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    raw = header.strip().encode("latin-1")
    response = client.get("/language", params={"lang": query}, headers=[(b"accept-language", raw)])
    assert response.status_code == 200
    assert response.json()["language"] in ("nl", "en")


def test_refusals_speak_the_readers_language(client: TestClient) -> None:
    invalid = client.post("/note", json={"text": 5}, headers={"accept-language": "en"})
    assert invalid.status_code == 422 and "understand" in invalid.json()["error"]
    dutch = client.post("/note", json={"text": 5})
    assert dutch.status_code == 422 and dutch.json()["error"] != invalid.json()["error"]
    large = client.post("/note", json={"text": "x" * 2_000}, headers={"accept-language": "en"})
    assert large.status_code == 413 and "too large" in large.json()["error"]
    asked = client.post("/note?lang=en", json={"text": "x" * 2_000})
    assert asked.status_code == 413 and "too large" in asked.json()["error"]


def test_health_follows_the_check(app: FastAPI, client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    app.state.healthy = False
    assert client.get("/healthz").status_code == 503


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/language"), client.get("/nothing-here")):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert "strict-transport-security" not in client.get("/language").headers


def test_the_web_chat_and_the_dashboard_share_one_template_environment() -> None:
    from bot.http.dashboard import pages
    from bot.platforms.web import chat

    assert chat.templates is pages.templates


# --- the dashboard's dependencies, in their order: signed in, then the form, then the role ------


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[TestClient]:
    from bot.app import create_app
    from bot.services.accounts import Accounts

    app = create_app(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path / "data",
            coordinators="local:tessa",
            admins="local:root",
            scheduler=False,
        )
    )
    Accounts(app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def _refusals(client: TestClient, action: str) -> int:
    from sqlmodel import Session, select

    from storage.models import AuditEvent

    with Session(client.app.state.maatjes.engine) as session:  # type: ignore[attr-defined]
        events = session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
    return sum(e.count for e in events if e.result == "refused")


def test_an_admin_form_checks_the_sign_in_then_the_form_then_the_role(
    dashboard: TestClient,
) -> None:
    from tests.support.dashboard import csrf_token, login

    form = {"csrf": "wrong", "person": "1"}
    anonymous = dashboard.post("/dashboard/privacy/export", data=form, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/dashboard/login"

    assert login(dashboard, "tessa") == 303
    expired = dashboard.post("/dashboard/privacy/export", data=form)
    assert expired.status_code == 403 and "Dit formulier is verlopen" in expired.text
    assert _refusals(dashboard, "privacy") == 0, "a stale form is not a refused privacy request"

    token = csrf_token(dashboard, "/dashboard")
    refused = dashboard.post("/dashboard/privacy/export", data={**form, "csrf": token})
    assert refused.status_code == 403 and "alleen voor" in refused.text
    assert _refusals(dashboard, "privacy") == 1


def test_without_the_privacy_service_the_privacy_page_says_so(tmp_path: Path) -> None:
    from dataclasses import replace

    from bot.app import build, create_app
    from bot.services.accounts import Accounts
    from tests.support.dashboard import login

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", admins="local:root", scheduler=False
    )
    maatjes = replace(build(settings), privacy=None)
    Accounts(maatjes.engine).set_password("root", "het beheerderswachtwoord")
    with TestClient(create_app(settings, maatjes=maatjes), base_url="http://127.0.0.1") as client:
        assert client.get("/dashboard/privacy", follow_redirects=False).status_code == 303
        assert login(client, "root", "het beheerderswachtwoord") == 303
        assert client.get("/dashboard/privacy").status_code == 503


def test_signed_out_requests_go_to_the_login_page_whatever_they_carry(
    dashboard: TestClient,
) -> None:
    """The sign-in is checked before any field: nobody learns a form's shape without a login."""
    for method, path, form in (
        ("GET", "/dashboard/rounds/0", None),
        ("GET", "/dashboard/rounds/1/groups/-1/members/x", None),
        ("POST", "/dashboard/rounds/1/reject", {"group": "x", "csrf": "é" * 2000}),
        ("POST", "/dashboard/privacy/erase", {"person": "-1"}),
    ):
        response = dashboard.request(method, path, data=form, follow_redirects=False)
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"] == "/dashboard/login"
