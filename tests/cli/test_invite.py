"""The pilot's first step as the README gives it: with e-mail sign-in and a real SMTP server,
``maatjes invite people.csv`` sends one invitation per new address with a link under the public
URL; that link signs the person in once, into the chat, and never again."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from tests.support.cli import maatjes
from tests.support.mail import SmtpServer, smtp_server

PUBLIC = "http://127.0.0.1:8000"
LINK = re.compile(re.escape(PUBLIC) + r"/signin/email/([A-Za-z0-9_-]+)")


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with smtp_server() as server:
        for name, value in {
            "MAATJES_DATABASE_URL": f"sqlite:///{tmp_path / 'maatjes.db'}",
            "MAATJES_PUBLIC_URL": PUBLIC,
            "MAATJES_SMTP_URL": f"smtp://127.0.0.1:{server.port}",
            "MAATJES_MAIL_FROM": "Maatjes <maatjes@example.nl>",
            "MAATJES_SCHEDULER": "false",
        }.items():
            monkeypatch.setenv(name, value)
        yield server


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_invite_sends_one_invitation_per_address_and_its_link_signs_in_once(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "name,email,language\nAnna de Vries,anna@gemeente.nl,nl\nBram Jansen,bram@minienw.nl,en\n",
        encoding="utf-8",
    )
    done = maatjes("invite", str(people), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert "2 invited, 0 already invited, 0 already joined" in done.stdout
    mails = {str(m["To"]): m for m in smtp.wait_for(2)}
    assert sorted(mails) == ["anna@gemeente.nl", "bram@minienw.nl"]
    assert mails["anna@gemeente.nl"]["Subject"] == "Je bent uitgenodigd voor Maatjes"
    assert mails["bram@minienw.nl"]["Subject"] == "You are invited to Maatjes"
    for mail in mails.values():
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    again = maatjes("invite", str(people), data_dir=tmp_path / "data")
    assert again.returncode == 0 and "0 invited, 2 already invited" in again.stdout
    assert len(smtp.messages) == 2, "already invited addresses get nothing more"

    body = mails["anna@gemeente.nl"].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = LINK.search(body)
    assert found, body
    token = found.group(1)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    assert settings.signin == "email"
    with TestClient(create_app(settings), base_url=PUBLIC) as client:
        assert client.post("/session", json={"name": "Anna de Vries"}).status_code == 403
        assert client.get("/api/chat").status_code == 401
        landing = client.get(f"/signin/email/{token}")
        assert landing.status_code == 200 and client.get("/api/chat").status_code == 401
        signed = client.post(
            f"/signin/email/{token}", data={"csrf": _csrf(landing.text)}, follow_redirects=False
        )
        assert signed.status_code == 303
        chat = client.get("/api/chat")
        assert chat.status_code == 200 and chat.json()["language"] == "nl"
        again = client.post(f"/signin/email/{token}", data={"csrf": _csrf(client.get("/").text)})
        assert again.status_code == 410, "the link signs in once"
    with TestClient(create_app(settings), base_url=PUBLIC) as stranger:
        looked = stranger.get(f"/signin/email/{token}")
        assert looked.status_code == 410, "a spent link shows no button"
        assert 'name="csrf"' not in looked.text
        assert stranger.get("/api/chat").status_code == 401
    listed = maatjes("invitations", "--json", data_dir=tmp_path / "data")
    assert listed.returncode == 0
    assert '"joined": true' in listed.stdout and '"joined": false' in listed.stdout


def test_a_bad_list_imports_nothing(tmp_path: Path, smtp: SmtpServer) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAnna,anna@gemeente.nl\nBram,bram-at-minienw\n", encoding="utf-8")
    done = maatjes("invite", str(people), data_dir=tmp_path / "data")
    assert done.returncode == 1
    assert "Line 3: this is not an e-mail address" in done.stderr
    assert "nothing was imported" in done.stderr
    listed = maatjes("invitations", "--json", data_dir=tmp_path / "data")
    assert listed.stdout.strip() == "[]" and not smtp.messages


def test_invite_needs_mail(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAnna,anna@gemeente.nl\n", encoding="utf-8")
    assert "MAATJES_SMTP_URL" not in os.environ
    done = maatjes("invite", str(people), data_dir=tmp_path / "data")
    assert done.returncode == 2 and "MAATJES_SMTP_URL" in done.stderr
