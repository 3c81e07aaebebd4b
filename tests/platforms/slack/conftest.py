"""Fixtures of the Slack tests: the fake Slack Web API, and the driver on SQLite or on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from tests.fakes.slack import FakeSlack
from tests.platforms.slack.driver import SlackDriver, slack_settings


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


@pytest.fixture
def driver(tmp_path: Path, fake: FakeSlack) -> Iterator[SlackDriver]:
    with TestClient(create_app(slack_settings(tmp_path, fake)), base_url="http://127.0.0.1") as c:
        yield SlackDriver(c, fake)


@pytest.fixture
def db_driver(tmp_path: Path, fake: FakeSlack, database_url: str) -> Iterator[SlackDriver]:
    """The driver on SQLite and on PostgreSQL."""
    settings = slack_settings(tmp_path, fake, database_url=database_url)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        yield SlackDriver(c, fake)
