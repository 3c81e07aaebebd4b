"""Installing and running Slack: OAuth, sealed tokens, Socket Mode, the real server, the manifest,
limits, logs."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.app import Maatjes, create_app
from storage import outbox
from storage.db import session_scope
from storage.models import (
    SlackInstallation,
)
from storage.types import utcnow
from tests import ROOT
from tests.fakes.slack import TEAM, FakeSlack
from tests.platforms.slack.driver import (
    FORM,
    JSON,
    SlackDriver,
    _enqueue_text,
    _person_id,
    _person_id_in,
    slack_settings,
    texts,
)
from tests.support.browser import Server, free_port
from tests.support.slack import (
    SECRET,
    command_body,
    dm_event,
    event_body,
    signed_headers,
)

# --- multi-workspace OAuth ------------------------------------------------------------------------


def test_oauth_installs_into_our_database_and_uses_that_workspace_token(
    tmp_path: Path, fake: FakeSlack
) -> None:
    settings = slack_settings(
        tmp_path,
        fake,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_state_secret="a-state-secret-of-at-least-32-bytes",
    )
    with TestClient(create_app(settings), base_url="https://127.0.0.1") as client:
        page = client.get("/slack/install")
        assert page.status_code == 200
        state = re.search(r"state=([^&\"]+)", page.text)
        assert state is not None and "client_id=111.222" in page.text
        assert f"http://127.0.0.1:{fake.port}/oauth/v2/authorize?" in page.text
        done = client.get(f"/slack/oauth_redirect?code=good-code&state={state.group(1)}")
        assert done.status_code == 200, done.text
        assert fake.of("oauth.v2.access")[0].args["code"] == "good-code"
        maatjes: Maatjes = client.app.state.maatjes  # type: ignore[attr-defined]
        with Session(maatjes.engine) as session:
            installed = session.exec(select(SlackInstallation)).one()
            assert installed.team_id == "T0OTHER"
        # a state is good for one installation only
        replay = client.get(f"/slack/oauth_redirect?code=again&state={state.group(1)}")
        assert replay.status_code == 400 and len(fake.of("oauth.v2.access")) == 1

        body = event_body(dm_event("UOTHER", "hallo")).replace(TEAM, "T0OTHER")
        response = client.post(
            "/slack/events", content=body, headers=signed_headers(body, content_type=JSON)
        )
        assert response.status_code == 200
        posted = fake.wait_for("chat.postMessage")[-1]
        assert posted.token == "xoxb-other-workspace"
        # and the outbox reaches that member with the same workspace's token
        pid = _person_id_in(maatjes, "UOTHER")
        with session_scope(maatjes.engine) as session:
            outbox.enqueue(
                session,
                dedupe_key="oauth-1",
                recipient_id=pid,
                kind="notice",
                payload={"messages": [{"kind": "text", "text": "hoi", "tone": "normal"}]},
            )
        assert maatjes.delivery.deliver_due().delivered == 1
        assert fake.of("chat.postMessage")[-1].token == "xoxb-other-workspace"

        # uninstalling the app removes the workspace's installation (and its token)
        gone = event_body({"type": "app_uninstalled", "event_ts": "1700000000.000100"})
        gone = gone.replace(TEAM, "T0OTHER")
        response = client.post(
            "/slack/events", content=gone, headers=signed_headers(gone, content_type=JSON)
        )
        assert response.status_code == 200
        deadline = time.monotonic() + 10
        while True:
            with Session(maatjes.engine) as session:
                if not session.exec(select(SlackInstallation)).all():
                    break
            assert time.monotonic() < deadline, "the installation was not removed"
            time.sleep(0.02)


# --- Socket Mode ----------------------------------------------------------------------------------


def test_socket_mode_receives_events_and_acknowledges_them(tmp_path: Path, fake: FakeSlack) -> None:
    from bot.platforms.slack import setup as slack_setup

    app = create_app(slack_settings(tmp_path, fake))
    adapter = app.state.maatjes.slack
    handler = slack_setup.socket_mode(adapter, "xapp-1-test")
    try:
        deadline = time.monotonic() + 10
        while fake.socket_connections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.socket_connections == 1
        assert fake.of("apps.connections.open")[0].token == "xapp-1-test"
        fake.push(
            {
                "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                "payload": json.loads(event_body(dm_event("USOCK", "hallo"))),
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        posted = fake.wait_for("chat.postMessage")[-1]
        assert posted.args["channel"] == "DUSOCK" and "Maatjes" in texts(posted)
        assert any(
            a.get("envelope_id") == "57d6a792-4d35-4d0b-b6aa-3361493e1caf" for a in fake.acks
        )
    finally:
        handler.close()


# --- the real server process ----------------------------------------------------------------------


def test_the_real_maatjes_run_process_serves_slack_over_http(
    tmp_path: Path, fake: FakeSlack
) -> None:
    server = Server(
        tmp_path / "server",
        {
            "SLACK_BOT_TOKEN": "xoxb-process-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
        },
    )
    server.start()
    try:
        challenge = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
        answer = httpx.post(
            f"{server.url}/slack/events",
            content=challenge,
            headers=signed_headers(challenge, content_type=JSON),
        )
        assert answer.status_code == 200 and "c-123" in answer.text
        body = event_body(dm_event("UPROC", "hallo"))
        bad = httpx.post(
            f"{server.url}/slack/events",
            content=body,
            headers=signed_headers(body, content_type=JSON, secret="wrong"),
        )
        assert bad.status_code == 401
        good = httpx.post(
            f"{server.url}/slack/events",
            content=body,
            headers=signed_headers(body, content_type=JSON),
        )
        assert good.status_code == 200
        posted = fake.wait_for("chat.postMessage")[-1]
        assert posted.token == "xoxb-process-token" and posted.args["channel"] == "DUPROC"
        command = command_body("UPROC", "help")
        ack = httpx.post(
            f"{server.url}/slack/events",
            content=command,
            headers=signed_headers(command, content_type=FORM),
        )
        assert ack.status_code == 200
        fake.wait_for("chat.postMessage", 2)
    finally:
        server.stop()
    assert free_port()


# --- the manifest ---------------------------------------------------------------------------------


def test_the_manifest_matches_what_the_app_needs() -> None:
    import yaml

    from bot.platforms.slack import adapter as slack

    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text("utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(slack.SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/maatjes"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert {"app_home_opened", "message.im"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    urls = {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["features"]["slash_commands"][0]["url"],
    }
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(slack.REDIRECT_PATH)


def test_maatjes_run_socket_mode_connects_out_and_answers(tmp_path: Path, fake: FakeSlack) -> None:
    import subprocess
    import sys

    data = tmp_path / "socket"
    data.mkdir()
    env = {
        **Server(data).env,
        "SLACK_BOT_TOKEN": "xoxb-socket-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "xapp-1-socket",
        "SLACK_API_URL": fake.api_url,
    }
    with (data / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "run", "--socket-mode"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 30
        while fake.socket_connections == 0:
            assert process.poll() is None, (data / "server.log").read_text()
            assert time.monotonic() < deadline, "no Socket Mode connection"
            time.sleep(0.05)
        fake.push(
            {
                "envelope_id": "b0a0c0d0-socket-cli",
                "payload": json.loads(event_body(dm_event("USOCKCLI", "hallo"))),
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        posted = fake.wait_for("chat.postMessage", timeout=20)[-1]
        assert posted.token == "xoxb-socket-token" and posted.args["channel"] == "DUSOCKCLI"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_socket_mode_without_an_app_token_says_what_is_missing(tmp_path: Path) -> None:
    result = Server(tmp_path / "none").cli("run", "--socket-mode")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_oauth_states_are_signed_expire_and_work_once(engine: Any) -> None:
    from bot.platforms.slack.store import SignedStateStore

    store = SignedStateStore(engine, "state-secret")
    state = store.issue()
    other_instance = SignedStateStore(engine, "state-secret")
    assert other_instance.consume(state) is True
    assert store.consume(state) is False, "a state is used once, across instances"
    issued = store.issue()
    forged = issued[:-1] + ("1" if issued.endswith("0") else "0")
    assert store.consume(forged) is False
    assert SignedStateStore(engine, "another-secret").consume(store.issue()) is False
    expired = SignedStateStore(engine, "state-secret", expiration_seconds=-1).issue()
    assert store.consume(expired) is False
    assert store.consume("not-a-state") is False


def test_installation_tokens_are_sealed_in_the_database(
    engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.platforms.slack.store import DatabaseInstallationStore, TokenSeal
    from storage import slack as slack_store
    from storage.models import SlackInstallation

    store = DatabaseInstallationStore(engine, TokenSeal("de sleutel van deze server"))
    store.save(
        Installation(
            team_id="T1",
            user_id="U1",
            bot_token="xoxb-secret-bot",
            bot_refresh_token="xoxe-secret-refresh",
            user_token="xoxp-secret-user",
            bot_id="B1",
            bot_user_id="UB1",
        )
    )
    with Session(engine) as session:
        (row,) = session.exec(select(SlackInstallation)).all()
    raw = json.dumps(row.data)
    assert "xoxb-secret-bot" not in raw and "xoxp-secret-user" not in raw
    assert "xoxe-secret-refresh" not in raw and row.data["bot_token"].startswith("sealed:v1:")
    assert row.data["team_id"] == "T1", "only the credentials are sealed"
    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-secret-bot"
    assert (
        found.user_token == "xoxp-secret-user" and found.bot_refresh_token == "xoxe-secret-refresh"
    )

    # another server key opens nothing: the workspace counts as not installed, and says why
    other = DatabaseInstallationStore(engine, TokenSeal("een andere sleutel"))
    with caplog.at_level("ERROR"):
        assert other.find_bot(enterprise_id=None, team_id="T1") is None
    assert "another secret key" in caplog.text and "xoxb" not in caplog.text

    # a record from before sealing is still read, as it is
    with session_scope(engine) as session:
        slack_store.save_installation(
            session,
            enterprise_id=None,
            team_id="T2",
            is_enterprise_install=False,
            user_id="U2",
            data={"team_id": "T2", "user_id": "U2", "bot_token": "xoxb-old-plain", "bot_id": "B2"},
        )
    old = store.find_bot(enterprise_id=None, team_id="T2")
    assert old is not None and old.bot_token == "xoxb-old-plain"


def test_the_installation_store_keeps_workspaces_and_organisations_apart(engine: Any) -> None:
    from slack_sdk.oauth.installation_store import Installation

    from bot.platforms.slack.store import DatabaseInstallationStore, TokenSeal

    store = DatabaseInstallationStore(engine, TokenSeal("een geheime sleutel"))
    store.save(
        Installation(
            team_id="T1", user_id="U1", bot_token="xoxb-t1", bot_id="B1", bot_user_id="UB1"
        )
    )
    store.save(
        Installation(
            team_id="T1", user_id="U2", bot_token="xoxb-t1-new", bot_id="B1", bot_user_id="UB1"
        )
    )
    store.save(
        Installation(
            enterprise_id="E1",
            team_id="T9",
            user_id="U3",
            bot_token="xoxb-org",
            bot_id="B2",
            bot_user_id="UB2",
            is_enterprise_install=True,
        )
    )
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-t1-new", "the latest installation wins"
    org = store.find_bot(enterprise_id="E1", team_id="T5")
    assert org is not None and org.bot_token == "xoxb-org", (
        "an org-wide install serves its workspaces"
    )
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    installed = store.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert installed is not None and installed.installed_at > 0
    store.delete_installation(enterprise_id=None, team_id="T1", user_id="U2")
    kept = store.find_bot(enterprise_id=None, team_id="T1")
    assert kept is not None and kept.bot_token == "xoxb-t1-new", "a user's revocation keeps the bot"
    store.delete_all(enterprise_id=None, team_id="T1")
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    assert store.find_bot(enterprise_id="E1", team_id="T5") is not None


def test_block_kit_rendering_respects_slack_limits() -> None:
    from bot.core.i18n import translator
    from bot.core.messages import Card, CardField, Choice, Question, Text
    from bot.platforms.slack import blocks as kit

    t = translator("nl")
    long_text = "Een heel lang verhaal. " * 400  # ~9,200 characters
    many = tuple(Choice(f"v{i}", f"Keuze {i} " + "x" * 100) for i in range(30))
    messages = [
        Text(long_text),
        Question(text="Kies", step="region", choices=many, free_text=False),
        Card(title="Profiel", fields=tuple(CardField(f"veld {i}", "w" * 500) for i in range(20))),
        *[Text(f"bericht {i}") for i in range(60)],
    ]
    rendered = list(kit.messages_of(messages, t))
    assert len(rendered) >= 2, "more than 50 blocks are split over messages"
    for message in rendered:
        assert len(message.blocks) <= kit.MESSAGE_BLOCKS
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= kit.SECTION_LIMIT
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= kit.LABEL_LIMIT
                for option in element.get("options", []):
                    assert len(option["text"]["text"]) <= kit.LABEL_LIMIT
    selects = [
        e
        for m in rendered
        for b in m.blocks
        for e in b.get("elements", [])
        if e.get("type") == "static_select"
    ]
    assert len(selects) == 1 and len(selects[0]["options"]) == 30
    joined = "".join(
        b["text"]["text"] for m in rendered for b in m.blocks if b["type"] == "section"
    )
    assert joined.count("Een heel lang verhaal.") == 400, "a long text is split, not cut"


def test_logs_hold_neither_tokens_nor_what_people_wrote(
    driver: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    user = "ULOGS"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")
    driver.say(user, "Geheime Naam Zeventien")
    pid = _person_id(driver, user)
    _enqueue_text(driver, pid, "Persoonlijk bericht negen", key="logs-1")
    driver.fake.fail("chat.postMessage", error="fatal_error")
    driver.maatjes.delivery.deliver_due()
    driver.maatjes.delivery.deliver_due(now=utcnow() + timedelta(hours=1))
    assert caplog.records, "something was logged"
    for secret in ("Geheime Naam", "Persoonlijk bericht", "xoxb-test-token", SECRET):
        assert secret not in caplog.text
