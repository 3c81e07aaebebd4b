"""The dashboard's invitations page: a coordinator uploads a CSV list; a bad list stores nothing
and says which lines; the page shows invited / joined / profile done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.services.accounts import Accounts
from bot.settings import Settings
from storage import outbox
from storage.db import session_scope
from storage.models import Invitation
from tests.support.dashboard import csrf_token, login


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        scheduler=False,
        coordinators="local:tessa",
        public_url="http://127.0.0.1:8000",
        **values,
    )


def _client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    Accounts(app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert login(client) == 303
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # mail configured (nothing is delivered here: the scheduler is off)
    settings = _settings(
        tmp_path, smtp_url="smtp://127.0.0.1:2525", mail_from="Maatjes <maatjes@example.nl>"
    )
    yield from _client(settings)


def _upload(client: TestClient, text: str, csrf: str | None = None) -> object:
    token = csrf if csrf is not None else csrf_token(client, "/dashboard/invitations")
    return client.post(
        "/dashboard/invitations",
        data={"csrf": token},
        files={"file": ("people.csv", text.encode("utf-8"), "text/csv")},
    )


def test_a_coordinator_invites_from_a_csv_file(client: TestClient) -> None:
    response = _upload(client, "name,email\nAnna,anna@gemeente.nl\nBram,bram@minienw.nl\n")
    assert response.status_code == 200  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "2 uitgenodigd, 0 al eerder uitgenodigd, 0 doen al mee." in text
    assert "anna@gemeente.nl" in text and "uitgenodigd" in text
    again = _upload(client, "name,email\nAnna,anna@gemeente.nl\n")
    assert "0 uitgenodigd, 1 al eerder uitgenodigd" in again.text  # type: ignore[attr-defined]
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        kinds = [m.kind for m in outbox.entries(session)]
    assert kinds == ["invitation", "invitation"]


def test_a_bad_list_stores_nothing_and_names_the_lines(client: TestClient) -> None:
    response = _upload(client, "name,email\nAnna,anna@gemeente.nl\nBram,geen-adres\n")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Regel 3: dit is geen e-mailadres" in response.text  # type: ignore[attr-defined]
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert outbox.entries(session) == [] and session.get(Invitation, 1) is None
    latin = client.post(
        "/dashboard/invitations",
        data={"csrf": csrf_token(client, "/dashboard/invitations")},
        files={"file": ("people.csv", b"name,email\n\xe9,x@y.nl\n", "text/csv")},
    )
    assert latin.status_code == 422 and "UTF-8" in latin.text


def test_the_page_counts_joined_and_finished_profiles(client: TestClient) -> None:
    _upload(client, "name,email\nAnna,anna@gemeente.nl\nBram,bram@minienw.nl\n")
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        anna = session.get(Invitation, 1)
        assert anna is not None
        from storage.types import utcnow

        anna.joined_at = utcnow()
        session.add(anna)
    page = client.get("/dashboard/invitations").text
    assert "2 uitgenodigd · 1 doen mee · 0 met een profiel" in page
    assert "doet mee" in page


def test_without_a_token_or_signed_in_nothing_is_invited(client: TestClient) -> None:
    refused = _upload(client, "name,email\nAnna,anna@gemeente.nl\n", csrf="wrong")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    client.cookies.clear()
    signed_out = client.post(
        "/dashboard/invitations",
        data={"csrf": "x"},
        files={"file": ("p.csv", b"name,email\nAnna,anna@gemeente.nl\n", "text/csv")},
        follow_redirects=False,
    )
    assert signed_out.status_code in (303, 403)
    engine = client.app.state.maatjes.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert outbox.entries(session) == []


def test_without_mail_the_page_says_what_is_needed(tmp_path: Path) -> None:
    for client in _client(_settings(tmp_path)):
        page = client.get("/dashboard/invitations")
        assert page.status_code == 200 and "MAATJES_SMTP_URL" in page.text
        assert 'name="file"' not in page.text
        token = csrf_token(client, "/dashboard")
        refused = _upload(client, "name,email\nA,a@b.nl\n", csrf=token)
        assert refused.status_code == 409  # type: ignore[attr-defined]
