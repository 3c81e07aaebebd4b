"""Sign-in by a link mailed to a work address, over a real SMTP server and a real database."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from storage import audit, identities
from storage.db import session_scope
from storage.types import utcnow
from tests.support.mail import SmtpServer, smtp_server

PUBLIC = "http://127.0.0.1:8000"
LINK = re.compile(re.escape(PUBLIC) + r"/signin/email/([A-Za-z0-9_-]+)")
SENT_EN = "If this address may sign in, a link is on its way."


def _settings(tmp_path: Path, port: int, **values: object) -> Settings:
    values = {"web_signin": "email", **values}
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        scheduler=False,
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from="maatjes@example.org",
        public_url=PUBLIC,
        **values,
    )


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def _client(tmp_path: Path, smtp: SmtpServer, **values: object) -> TestClient:
    app = create_app(_settings(tmp_path, smtp.port, **values))
    return TestClient(app, base_url="http://127.0.0.1:8000")


def _ask(client: TestClient, address: str, lang: str = "en") -> tuple[int, dict[str, object]]:
    response = client.post(f"/signin/email?lang={lang}", json={"email": address})
    return response.status_code, response.json()


def _token(smtp: SmtpServer, count: int = 1) -> str:
    message = smtp.wait_for(count)[count - 1]
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _sign_in(client: TestClient, smtp: SmtpServer, address: str, count: int = 1) -> None:
    assert _ask(client, address)[0] == 200
    token = _token(smtp, count)
    landing = client.get(f"/signin/email/{token}")
    assert landing.status_code == 200
    done = client.post(
        f"/signin/email/{token}", data={"csrf": _csrf(landing.text)}, follow_redirects=False
    )
    assert done.status_code == 303


def test_a_bare_name_opens_no_session(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        assert client.post("/session", json={"name": "Anna"}).status_code == 403
        assert client.get("/api/chat").status_code == 401
        page = client.get("/?lang=nl")
        assert 'id="email-form"' in page.text and 'id="signin-form"' not in page.text


def test_the_link_signs_in_once(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        status, body = _ask(client, "  Anna@Example.ORG ")
        assert status == 200 and SENT_EN in str(body["message"])
        message = smtp.wait_for(1)[0]
        assert message["To"] == "anna@example.org"
        assert message["Subject"] == "Your sign-in link for Maatjes"
        assert message.get_body(("html",)) is not None
        token = _token(smtp)
        assert "anna" not in token.lower() or len(token) >= 40
        for _ in range(2):  # opening (a mail scanner) spends nothing
            landing = client.get(f"/signin/email/{token}")
            assert landing.status_code == 200
        assert client.get("/api/chat").status_code == 401
        csrf = _csrf(landing.text)
        assert client.post(f"/signin/email/{token}", data={"csrf": "wrong"}).status_code == 403
        done = client.post(f"/signin/email/{token}", data={"csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert client.get("/api/chat").status_code == 200
        turn = client.post("/api/chat", json={"text": "hallo"})
        assert turn.status_code == 200 and turn.json()["messages"]
        again = client.get(f"/signin/email/{token}")
        assert again.status_code == 410


def test_a_second_post_is_gone(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        _ask(client, "bea@example.org")
        token = _token(smtp)
        landing = client.get(f"/signin/email/{token}?lang=nl")
        csrf = _csrf(landing.text)
        first = client.post(f"/signin/email/{token}", data={"csrf": csrf}, follow_redirects=False)
        assert first.status_code == 303
        csrf = _csrf(client.get("/").text)  # this session's token (the 410 page has no form)
        second = client.post(f"/signin/email/{token}?lang=nl", data={"csrf": csrf})
        assert second.status_code == 410
        assert "Vraag een nieuwe link" in second.text


def test_expired_and_unknown_links_are_gone(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
        with session_scope(engine) as session:
            identities.issue_token(
                session,
                token="x" * 43,
                email="cas@example.org",
                lifetime=timedelta(minutes=15),
                now=utcnow() - timedelta(hours=1),
            )
        assert client.get(f"/signin/email/{'x' * 43}").status_code == 410
        assert client.get(f"/signin/email/{'y' * 43}?lang=en").status_code == 410
        assert "This link no longer works" in client.get(f"/signin/email/{'y' * 43}?lang=en").text
        assert client.get("/signin/email/%00").status_code in (404, 410)


def test_known_and_unknown_addresses_get_the_same_answer(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        _sign_in(client, smtp, "known@example.org")
        client.cookies.clear()
        known = _ask(client, "known@example.org")
        unknown = _ask(client, "stranger@example.org")
        assert known == unknown
        assert known[0] == 200


def test_only_allowed_domains(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp, email_domains="gemeente.nl") as client:
        status, body = _ask(client, "ann@elders.nl", "nl")
        assert status == 422 and "niet aanmelden" in str(body["error"])
        assert _ask(client, "ann@gemeente.nl")[0] == 200
        assert _ask(client, "not an address")[0] == 422
        assert _ask(client, "Ann <ann@gemeente.nl>")[0] == 422
        assert (
            client.post(
                "/signin/email", content=b"{", headers={"content-type": "application/json"}
            ).status_code
            == 422
        )
        assert client.post("/signin/email", data={"email": "ann@gemeente.nl"}).status_code in (
            200,
            429,
        )
    time.sleep(0.2)
    assert all(m["To"].endswith("@gemeente.nl") for m in smtp.messages)


def test_asking_too_often_is_throttled(tmp_path: Path, smtp: SmtpServer) -> None:
    values = {"signin_address_rate_limit": "2/hour", "signin_client_rate_limit": "4/hour"}
    with _client(tmp_path, smtp, **values) as client:
        assert _ask(client, "dirk@example.org")[0] == 200
        assert _ask(client, "dirk@example.org")[0] == 200
        response = client.post("/signin/email?lang=nl", json={"email": "dirk@example.org"})
        assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
        assert "Wacht even" in response.json()["error"]
        assert _ask(client, "eva@example.org")[0] == 200
        assert _ask(client, "fien@example.org")[0] == 429  # this client asked enough


def test_sign_out_everywhere_kills_a_copy_of_the_cookie(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        _sign_in(client, smtp, "gijs@example.org")
        copy = TestClient(client.app, base_url="http://127.0.0.1:8000")
        copy.cookies.update(client.cookies)
        assert copy.get("/api/chat").status_code == 200
        page = client.get("/")
        assert 'action="/signout/everywhere"' in page.text
        assert client.post("/signout/everywhere", data={"csrf": "nope"}).status_code == 403
        out = client.post(
            "/signout/everywhere", data={"csrf": _csrf(page.text)}, follow_redirects=False
        )
        assert out.status_code == 303
        assert copy.get("/api/chat").status_code == 401
        assert client.get("/api/chat").status_code == 401


def test_sign_out_raises_the_version(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp) as client:
        _sign_in(client, smtp, "hans@example.org")
        copy = TestClient(client.app, base_url="http://127.0.0.1:8000")
        copy.cookies.update(client.cookies)
        assert client.delete("/session").status_code == 200
        assert copy.get("/api/chat").status_code == 401


def test_an_idle_session_ends(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(tmp_path, smtp, session_idle_hours=1) as client:
        _sign_in(client, smtp, "ivo@example.org")
        assert client.get("/api/chat").status_code == 200
        later = time.time() + 2 * 3600
        monkeypatch.setattr(time, "time", lambda: later)
        assert client.get("/api/chat").status_code == 401


def test_a_coordinator_by_email_reaches_the_dashboard(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp, coordinators="email:Jet@Example.org") as client:
        assert 'id="email-signin"' in client.get("/dashboard/login").text
        _sign_in(client, smtp, "jet@example.org")
        page = client.get("/dashboard", follow_redirects=False)
        assert page.status_code == 200
        client.cookies.clear()
        _sign_in(client, smtp, "kees@example.org", count=2)
        assert client.get("/api/chat").status_code == 200
        assert client.get("/dashboard", follow_redirects=False).status_code in (303, 401, 302)


def test_a_refusal_is_audited_under_the_coordinator_s_own_identity(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    with _client(tmp_path, smtp, coordinators="email:jet@example.org") as client:
        _sign_in(client, smtp, "jet@example.org")
        refused = client.get("/dashboard/privacy", follow_redirects=False)
        assert refused.status_code == 403, "a coordinator who is not an admin"
        engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        actors = [(e.actor, e.action, e.result) for e in audit.events(session)]
    assert ("email:jet@example.org", "privacy", "refused") in actors


def test_the_dashboard_idle_timeout(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(tmp_path, smtp, coordinators="email:lot@example.org") as client:
        _sign_in(client, smtp, "lot@example.org")
        assert client.get("/dashboard", follow_redirects=False).status_code == 200
        later = time.time() + 2 * 3600
        monkeypatch.setattr(time, "time", lambda: later)
        assert client.get("/dashboard", follow_redirects=False).status_code != 200


def test_a_name_trial_person_attaches_a_proven_address(tmp_path: Path, smtp: SmtpServer) -> None:
    with _client(tmp_path, smtp, web_signin="name") as client:
        assert _ask(client, "nina@example.org")[0] == 401  # no name session: nobody to attach to
        assert client.post("/session", json={"name": "Nina"}).status_code == 200
        assert client.post("/api/chat", json={"text": "hallo"}).status_code == 200
        assert 'id="email-form"' in client.get("/").text
        assert _ask(client, "Nina@Example.org")[0] == 200
        token = _token(smtp)
        landing = client.get(f"/signin/email/{token}")
        done = client.post(
            f"/signin/email/{token}", data={"csrf": _csrf(landing.text)}, follow_redirects=False
        )
        assert done.status_code == 303
        engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
        with session_scope(engine) as session:
            person = identities.person_by_email(session, "nina@example.org")
            assert person is not None and person.platform_user_id == "nina"
            assert identities.get_identity(session, "email:nina@example.org") is not None
