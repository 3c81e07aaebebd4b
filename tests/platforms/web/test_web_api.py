"""The web chat's HTTP API on the real app (ASGI, real SQLite): sessions, limits, errors and
headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", max_request_bytes=50_000, scheduler=False
    )  # type: ignore[call-arg]
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def sign_in(client: TestClient, name: str = "Anna") -> None:
    response = client.post("/session", json={"name": name})
    assert response.status_code == 200, response.text


def test_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_health_reports_an_unreachable_database(client: TestClient) -> None:
    from sqlalchemy import create_engine

    client.app.state.maatjes.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # type: ignore[attr-defined]
    assert client.get("/healthz").status_code == 503


def test_chat_needs_a_session(client: TestClient) -> None:
    response = client.post("/api/chat", json={"text": "hallo"})
    assert response.status_code == 401
    assert "Log opnieuw in" in response.json()["error"]


def test_sign_in_and_talk(client: TestClient) -> None:
    sign_in(client)
    opening = client.get("/api/chat").json()
    assert opening["language"] == "nl"
    assert opening["messages"][-1]["kind"] == "question"
    assert opening["messages"][-1]["step"] == "consent"
    reply = client.post("/api/chat", json={"choice": "yes"}).json()
    assert reply["accepted"] is True
    assert reply["messages"][-1]["step"] == "name"
    reply = client.post("/api/chat", json={"text": "Anna"}).json()
    assert reply["messages"][-1]["step"] == "organisation"


def test_same_name_other_case_is_the_same_person(client: TestClient) -> None:
    sign_in(client, "Anna")
    client.post("/api/chat", json={"choice": "yes"})
    client.delete("/session")
    sign_in(client, "ANNA")
    assert client.get("/api/chat").json()["messages"][-1]["step"] == "name"


def test_bad_sign_in_names(client: TestClient) -> None:
    for name in ("", "   ", "x" * 81):
        response = client.post("/session", json={"name": name})
        assert response.status_code == 422
        assert "naam van 1 tot 80 tekens" in response.json()["error"]


def test_malformed_requests_get_a_clear_message(client: TestClient) -> None:
    sign_in(client)
    for body in ({"text": 5}, {"choices": "bouw"}, {"choices": ["a"] * 50}):
        response = client.post("/api/chat", json=body)
        assert response.status_code == 422
        assert response.json() == {"error": "Dat verzoek begreep ik niet."}
    response = client.post(
        "/api/chat", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    english = client.post(
        "/api/chat", json={"text": 5}, headers={"accept-language": "en-GB,en;q=0.9"}
    )
    assert english.json() == {"error": "I didn’t understand that request."}


def test_oversized_bodies_are_refused(client: TestClient) -> None:
    sign_in(client)
    response = client.post("/api/chat", json={"text": "a" * 60_000})
    assert response.status_code == 413
    assert "te groot" in response.json()["error"]


def test_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_the_page_escapes_the_account_name(client: TestClient) -> None:
    sign_in(client, "<script>alert(1)</script>")
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_page_language_follows_the_browser_then_the_person(client: TestClient) -> None:
    assert 'lang="en"' in client.get("/", headers={"accept-language": "en-US"}).text
    assert 'lang="nl"' in client.get("/").text
    assert 'lang="en"' in client.get("/?lang=en").text
    sign_in(client)
    client.post("/api/chat", json={"text": "language"})
    client.post("/api/chat", json={"choice": "en"})
    assert 'lang="en"' in client.get("/").text


def test_a_chunked_body_over_the_limit_is_a_413_on_every_route(tmp_path: Path) -> None:
    """A body sent without a length (chunked) is judged as it arrives, by the real server."""
    import httpx

    from tests.support.browser import running_server

    env = {
        "MAATJES_MAX_REQUEST_BYTES": "2000",
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "MAATJES_TEAMS_APP_ID": "6d1f7c2a-5b1e-4c3d-9f00-0000000b0701",
        "MAATJES_TEAMS_APP_SECRET": "test-only-secret",
        "MAATJES_TEAMS_TENANT_ID": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    }

    def chunks(total: int) -> Iterator[bytes]:
        piece = b'{"text": "' + b"a" * 500
        sent = 0
        while sent < total:
            yield piece
            sent += len(piece)

    with running_server(tmp_path / "data", env) as server, httpx.Client(base_url=server.url) as c:
        paths = [
            "/api/chat",
            "/session",
            "/dashboard/login",
            "/dashboard/rounds/1/groups/1/approve",
            "/privacy/export/abc",
            "/slack/events",  # Slack's own, larger limit
            "/api/messages",
            "/no/such/route",
        ]
        for path in paths:
            total = 1_200_000 if path == "/slack/events" else 10_000
            response = c.post(
                path,
                content=chunks(total),
                headers={"content-type": "application/json", "accept-language": "en"},
            )
            assert response.status_code == 413, (path, response.status_code, response.text[:200])
            assert "too large" in response.json()["error"], path
        # a chunked body within the limit is read as usual
        small = c.post(
            "/session",
            content=iter([b'{"name": ', b'"Chunk"}']),
            headers={"content-type": "application/json"},
        )
        assert small.status_code == 200, small.text
