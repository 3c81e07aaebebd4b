"""The coordinator dashboard on the real app: login, CSRF, roles on every page, review actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.services.accounts import Accounts
from bot.settings import Settings
from storage import audit, outbox
from tests.support.community import community, proposed_round
from tests.support.dashboard import csrf_token, login

PAGES = [
    "/dashboard",
    "/dashboard/rounds",
    "/dashboard/network",
    "/dashboard/audit",
    "/dashboard/rounds/1",
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", coordinators="local:tessa", scheduler=False
    )  # type: ignore[call-arg]
    app = create_app(settings)
    accounts = Accounts(app.state.maatjes.engine)
    accounts.set_password("Tessa", "een lang wachtwoord")
    accounts.set_password("anna", "een ander wachtwoord")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_coordinator_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"


def test_wrong_password_and_non_coordinators_are_refused(client: TestClient) -> None:
    assert login(client, password="fout wachtwoord!") == 401
    assert login(client, name="nobody", password="whatever12345") == 401
    assert login(client, name="anna", password="een ander wachtwoord") == 403
    for path in PAGES:
        assert client.get(path, follow_redirects=False).status_code == 303
    with Session(client.app.state.maatjes.engine) as session:  # type: ignore[attr-defined]
        refused = [(e.actor, e.result) for e in audit.events(session) if e.action == "login"]
    assert sorted(refused) == [
        ("local:anna", "refused"),
        ("local:nobody", "refused"),
        ("local:tessa", "refused"),
    ]


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    response = client.post(
        "/dashboard/login",
        data={"username": "tessa", "password": "een lang wachtwoord", "csrf": "forged"},
    )
    assert response.status_code == 403
    assert login(client) == 303
    response = client.post("/dashboard/rounds/1/approve", data={"csrf": "forged"})
    assert response.status_code == 403


def test_a_coordinator_reviews_a_round(client: TestClient) -> None:
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    assert login(client) == 303
    overview = client.get("/dashboard").text
    assert 'id="stat-total">5<' in overview
    page = client.get(f"/dashboard/rounds/{round_id}").text
    assert "Anna zoekt „circulair inkopen”" in page
    token = csrf_token(client, f"/dashboard/rounds/{round_id}")
    response = client.post(
        f"/dashboard/rounds/{round_id}/approve",
        data={"csrf": token, "group": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    response = client.post(
        f"/dashboard/rounds/{round_id}/reject",
        data={"csrf": token, "group": "2", "reason": "<b>kennen elkaar al</b>"},
    )
    assert response.status_code == 200
    assert "&lt;b&gt;kennen elkaar al&lt;/b&gt;" in response.text, "a reason is shown as text"
    with Session(engine) as session:
        kinds = sorted(m.kind for m in outbox.entries(session))
    assert kinds == [
        "follow_up",
        "follow_up",
        "introduction",
        "introduction",
        "left_out",
        "left_out",
        "left_out",
    ]
    again = client.post(f"/dashboard/rounds/{round_id}/approve", data={"csrf": token})
    assert again.status_code == 409
    overview = client.get("/dashboard").text
    assert 'id="stat-checkins">0<' in overview and 'id="stat-quiet">0<' in overview
    network = client.get("/dashboard/network").text
    assert network.count("<circle") == 2 and network.count("<line") == 1
    csv = client.get("/dashboard/audit?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "local:tessa,approve,group" in csv.text


def test_language_switch(client: TestClient) -> None:
    assert "Coordinator login" in client.get("/dashboard/login?lang=en").text
    assert "Coordinator login" in client.get("/dashboard/login").text, "the choice is remembered"
