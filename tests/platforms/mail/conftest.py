"""The mail platform's world: a small community of web people with work addresses, a real SMTP
server on 127.0.0.1, and Maatjes configured to mail them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.app import Maatjes, build
from bot.services.access import CLI_ACTOR
from bot.settings import Settings
from storage.db import session_scope
from storage.models import Person
from tests.support.community import community, proposed_round
from tests.support.mail import SmtpServer, smtp_server

PUBLIC = "http://127.0.0.1:8000"


@dataclass
class World:
    maatjes: Maatjes
    smtp: SmtpServer
    ids: list[int]
    settings: Settings


def mail_settings(tmp_path: Path, smtp_url: str, **values: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        scheduler=False,
        public_url=PUBLIC,
        smtp_url=smtp_url,
        **values,
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with smtp_server() as smtp:
        settings = mail_settings(
            tmp_path,
            f"smtp://127.0.0.1:{smtp.port}",
            mail_from="Maatjes <maatjes@example.nl>",
            mail_reply_to="coordinator@example.nl",
        )
        maatjes = build(settings)
        ids = community(maatjes.engine)
        with session_scope(maatjes.engine) as session:
            for person_id in ids:
                person = session.get(Person, person_id)
                assert person is not None
                person.email = f"{(person.name or '').lower()}@gemeente.nl"
                session.add(person)
        yield World(maatjes, smtp, ids, settings)
        maatjes.engine.dispose()


def approve_all(world: World) -> int:
    round_id = proposed_round(world.maatjes.engine, world.ids)
    world.maatjes.rounds.approve(round_id, position=1, actor=CLI_ACTOR, origin="cli")
    world.maatjes.rounds.approve(round_id, position=2, actor=CLI_ACTOR, origin="cli")
    return round_id


def by_address(messages: list[EmailMessage]) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in messages:
        found.setdefault(str(message["To"]), []).append(message)
    return found
