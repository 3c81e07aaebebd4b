"""Roles on every coordinator page and action: found by walking the app's routes, so a new page
without a guard fails here. Also: a self-chosen web chat name is never a coordinator, and every
page carries the security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.services.accounts import Accounts
from bot.settings import Settings
from storage.models import AuditEvent
from tests.support.dashboard import csrf_token, login

FORM = {
    "group": "1",
    "reason": "niet passend",
    "member": "1",
    "with_person": "2",
    "to": "1",
    "person": "1",
    "confirm": "yes",
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        coordinators="local:tessa",
        admins="local:root",
        scheduler=False,
        secure_cookies=True,
    )
    app = create_app(settings)
    accounts = Accounts(app.state.maatjes.engine)
    accounts.set_password("Tessa", "een lang wachtwoord")
    accounts.set_password("anna", "een ander wachtwoord")
    accounts.set_password("root", "het beheerderswachtwoord")
    with TestClient(app, base_url="https://127.0.0.1") as client:
        yield client


def coordinator_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of the dashboard except its login page, with ids filled in (from
    the app's own OpenAPI description, which lists every route it serves)."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    found = []
    for path, methods in paths.items():
        if not path.startswith("/dashboard") or path == "/dashboard/login":
            continue
        filled = re.sub(r"\{[^}]+\}", "1", path)
        found += [(method.upper(), filled) for method in sorted(methods)]
    return found


def _attempt(client: TestClient, method: str, path: str) -> int:
    data = {"csrf": csrf_token(client), **FORM} if method == "POST" else None
    response = client.request(method, path, data=data, follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"] in ("/dashboard/login", "/dashboard")
    return response.status_code


def test_the_walk_finds_every_kind_of_action(client: TestClient) -> None:
    routes = coordinator_routes(client)
    assert ("POST", "/dashboard/rounds/1/approve") in routes
    assert ("GET", "/dashboard/audit") in routes
    assert len(routes) >= 10


def test_nobody_signed_out_reaches_a_coordinator_page_or_action(client: TestClient) -> None:
    for method, path in coordinator_routes(client):
        status = _attempt(client, method, path)
        assert status == 303, f"{method} {path} answered {status} without a login"


def test_a_person_without_the_role_cannot_log_in_nor_act(client: TestClient) -> None:
    assert login(client, "anna", "een ander wachtwoord") == 403
    assert login(client, "tessa", "een verkeerd wachtwoord") == 401
    for method, path in coordinator_routes(client):
        if path == "/dashboard/logout":
            continue
        assert _attempt(client, method, path) == 303, f"{method} {path}"
    with Session(client.app.state.maatjes.engine) as session:  # type: ignore[attr-defined]
        refused = session.exec(select(AuditEvent).where(col(AuditEvent.result) == "refused")).all()
    assert {e.actor for e in refused} == {"local:anna", "local:tessa"}


def test_coordinators_and_admins_get_in_and_every_action_checks_csrf(client: TestClient) -> None:
    assert login(client, "root", "het beheerderswachtwoord") == 303, "admins may too"
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    assert login(client, "Tessa") == 303
    for method, path in coordinator_routes(client):
        if method != "POST" or path == "/dashboard/logout":
            continue
        response = client.post(path, data={"csrf": "forged", **FORM}, follow_redirects=False)
        assert response.status_code == 403, f"{path} took a forged CSRF token"


def test_a_chat_name_is_not_a_coordinator_without_the_dashboard_login(
    client: TestClient,
) -> None:
    # anyone can type "Tessa" in the web chat: that gives no coordinator rights
    assert client.post("/session", json={"name": "Tessa"}).status_code == 200
    reply = client.post("/api/chat", json={"text": "nieuwe ronde"}).json()
    assert "coördinator" in reply["messages"][-1]["text"]
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    with Session(client.app.state.maatjes.engine) as session:  # type: ignore[attr-defined]
        refusal = session.exec(select(AuditEvent)).all()[-1]
    assert refusal.actor == "unverified:local:tessa" and refusal.result == "refused"

    # with her password on the dashboard, the same chat account is hers
    assert login(client, "tessa") == 303
    reply = client.post("/api/chat", json={"text": "ronde"}).json()
    assert "geen ronde" in reply["messages"][-1]["text"]


def test_every_page_has_the_security_headers_and_secure_cookies(client: TestClient) -> None:
    login_page = client.get("/dashboard/login")
    cookie = login_page.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert login(client, "tessa") == 303
    pages = [p for m, p in coordinator_routes(client) if m == "GET"] + ["/", "/dashboard/login"]
    for path in pages:
        response = client.get(path, follow_redirects=False)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["strict-transport-security"].startswith("max-age="), path


def test_only_admins_handle_privacy_requests_in_the_dashboard(client: TestClient) -> None:
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    chat = client.app.state.maatjes.conversations  # type: ignore[attr-defined]
    from bot.core.messages import Account, Inbound

    chat.handle(Account("local", "sanne"), Inbound(text="hallo"))
    chat.handle(Account("local", "sanne"), Inbound(choice="yes"))
    chat.handle(Account("local", "sanne"), Inbound(text="Sanne Unieknaam"))
    with Session(engine) as session:
        from storage import people

        sanne = people.get_person(session, platform="local", platform_user_id="sanne")
        assert sanne is not None and sanne.id is not None
        person = str(sanne.id)

    # a coordinator is not an admin: no privacy page, no export, no erasure (and it is audited)
    assert login(client, "tessa") == 303
    assert "/dashboard/privacy" not in client.get("/dashboard").text
    assert client.get("/dashboard/privacy").status_code == 403
    for action in ("export", "erase"):
        response = client.post(
            f"/dashboard/privacy/{action}",
            data={"csrf": csrf_token(client, "/dashboard"), "person": person, "confirm": "yes"},
        )
        assert response.status_code == 403 and "Unieknaam" not in response.text

    assert login(client, "root", "het beheerderswachtwoord") == 303
    assert "/dashboard/privacy" in client.get("/dashboard").text
    token = csrf_token(client, "/dashboard/privacy")
    exported = client.post("/dashboard/privacy/export", data={"csrf": token, "person": person})
    assert exported.status_code == 200
    assert exported.json()["profile_history"][0]["value"] == "Sanne Unieknaam"
    unconfirmed = client.post("/dashboard/privacy/erase", data={"csrf": token, "person": person})
    assert unconfirmed.status_code == 422 and "Er is niets gewist" in unconfirmed.text
    erased = client.post(
        "/dashboard/privacy/erase", data={"csrf": token, "person": person, "confirm": "yes"}
    )
    assert erased.status_code == 200 and "erased:" in erased.text
    again = client.post(
        "/dashboard/privacy/erase", data={"csrf": token, "person": person, "confirm": "yes"}
    )
    assert again.status_code == 404
    with Session(engine) as session:
        events = session.exec(select(AuditEvent)).all()
    assert [e.actor for e in events if e.action == "privacy"] == ["local:tessa"] * 3
    assert [(e.actor, e.origin) for e in events if e.action in ("export", "erase")] == [
        ("local:root", "dashboard"),
        ("local:root", "dashboard"),
    ]


def test_a_dashboard_login_expires(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.http import deps

    assert login(client, "tessa") == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    later = deps._now() + 12 * 3600 + 60
    monkeypatch.setattr(deps, "_now", lambda: later)
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
