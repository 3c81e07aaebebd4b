"""Maatjes in Microsoft Teams, end to end on the real Microsoft 365 Agents SDK.

The app under test is the one ``maatjes run`` serves, with the SDK's ``CloudAdapter``: inbound
activities carry JWTs signed by a test key that the SDK fetches from a local JWKS endpoint (only
the SDK's issuer → JWKS URL table is pointed at 127.0.0.1: its code has no setting for it, see
``_build_jwks_uri`` in ``hosting/core/authorization/jwt/jwt_token_validator.py``); outbound calls
get their token from MSAL against a local Entra stand-in (HTTPS) and go to a local Bot Connector
that records them. Nothing here touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import msal.authority
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from microsoft_agents.hosting.core.authorization._entra_issuers import BOTFRAMEWORK_JWKS_URIS
from sqlmodel import Session, select

from bot.adapters.teams import cards
from bot.app import create_app
from bot.services.checkins import CheckInService
from bot.services.rounds import CLI_ACTOR, RoundService
from bot.services.teams import TeamsDirectory, group_chat_link
from bot.settings import Settings
from storage import consents, outbox, people, rounds
from storage.db import session_scope
from storage.models import CheckIn, MatchGroup, Person, TeamsConversation
from tests.fake_bot_connector import (
    BOT_FRAMEWORK_ISSUER,
    Call,
    FakeBotConnector,
    FakeChannelKeys,
    FakeEntra,
)

APP_ID = "6d1f7c2a-5b1e-4c3d-9f00-0000000b0701"
SECRET = "test-only-secret"
TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
OTHER_TENANT = "9a8b7c6d-0000-4000-8000-00000000dead"
COORDINATOR = "aad-tessa"


@dataclass
class World:
    client: TestClient
    connector: FakeBotConnector
    keys: FakeChannelKeys
    entra: FakeEntra
    counter: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def maatjes(self) -> Any:
        return self.client.app.state.maatjes  # type: ignore[attr-defined]

    def token(self, **overrides: Any) -> str:
        return self.keys.token(audience=APP_ID, service_url=self.connector.url, **overrides)

    def activity(
        self,
        user: str,
        *,
        kind: str = "message",
        text: str | None = None,
        value: dict[str, Any] | None = None,
        reply_to: str | None = None,
        tenant: str = TENANT,
        activity_id: str | None = None,
        conversation_type: str = "personal",
        locale: str = "nl-NL",
        **extra: Any,
    ) -> dict[str, Any]:
        self.counter += 1
        body: dict[str, Any] = {
            "type": kind,
            "id": activity_id or f"1700000000{self.counter:03d}",
            "timestamp": "2026-11-26T10:00:00.000Z",
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": f"29:{user}", "name": user.removeprefix("aad-").title(), "aadObjectId": user},
            "conversation": {
                "id": f"a:personal-{user}",
                "conversationType": conversation_type,
                "tenantId": tenant,
            },
            "recipient": {"id": f"28:{APP_ID}", "name": "Maatjes"},
            "locale": locale,
            "channelData": {"tenant": {"id": tenant}},
            **extra,
        }
        if text is not None:
            body["text"] = text
        if value is not None:
            body["value"] = value
        if reply_to is not None:
            body["replyToId"] = reply_to
        return body

    def post(self, body: dict[str, Any], *, token: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return self.client.post("/api/messages", json=body, headers=headers)

    def turn(self, user: str, **kwargs: Any) -> list[Call]:
        """One activity from ``user``; returns what the bot posted in reply."""
        before = len(self.connector.calls)
        response = self.post(self.activity(user, **kwargs))
        assert response.status_code in (200, 202), response.text
        return [c for c in self.connector.calls[before:] if c.method == "POST"]


@pytest.fixture
def world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    keys = FakeChannelKeys().start()
    connector = FakeBotConnector().start()
    entra = FakeEntra(TENANT, APP_ID, SECRET).start(tmp_path)
    try:
        # The SDK fetches the Bot Framework channel's keys from a fixed URL: point it here.
        monkeypatch.setitem(BOTFRAMEWORK_JWKS_URIS, BOT_FRAMEWORK_ISSUER, keys.jwks_url)
        # MSAL asks login.microsoftonline.com whether an unknown authority host is genuine;
        # the local stand-in is declared known instead, so MSAL talks to it directly.
        monkeypatch.setattr(
            msal.authority,
            "WELL_KNOWN_AUTHORITY_HOSTS",
            msal.authority.WELL_KNOWN_AUTHORITY_HOSTS | {"127.0.0.1"},
        )
        assert entra.ca_file is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.ca_file))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            data_dir=tmp_path / "data",
            scheduler=False,
            embedder="tfidf",
            coordinators=f"teams:{COORDINATOR}",
            teams_app_id=APP_ID,
            teams_app_secret=SECRET,
            teams_tenant_id=TENANT,
            teams_authority=entra.authority,
        )
        app = create_app(settings)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield World(client, connector, keys, entra)
        app.state.maatjes.engine.dispose()
    finally:
        connector.close()
        keys.close()
        entra.close()


# --- reading what the bot sent -------------------------------------------------------------------


def card_of(call: Call) -> dict[str, Any] | None:
    for attachment in call.activity.get("attachments") or []:
        if attachment.get("contentType") == cards.CONTENT_TYPE:
            content: dict[str, Any] = attachment["content"]
            return content
    return None


def texts_of(calls: list[Call]) -> str:
    """Everything readable in these activities (texts and card texts), for assertions."""
    out = []
    for call in calls:
        out.append(call.activity.get("text") or "")
        card = card_of(call)
        if card is not None:
            out.append(json.dumps(card, ensure_ascii=False))
    return "\n".join(out)


def last_card(calls: list[Call]) -> tuple[str, dict[str, Any]]:
    for call in reversed(calls):
        card = card_of(call)
        if card is not None:
            assert call.response_id is not None
            return call.response_id, card
    raise AssertionError(f"no card in {texts_of(calls)}")


def submit_data(card: dict[str, Any], value: str) -> dict[str, Any]:
    """What Teams posts when a person picks ``value`` on this card (a button or a drop-down)."""
    for action in card.get("actions", []):
        data = action.get("data") or {}
        if data.get(cards.CHOICE) == value:
            return dict(data)
    for element in card["body"]:
        if element.get("type") == "Input.ChoiceSet" and element.get("id") == "choice":
            if value in [c["value"] for c in element["choices"]]:
                send = next(a for a in card["actions"] if cards.PICK in (a.get("data") or {}))
                return {**send["data"], "choice": value}
    raise AssertionError(f"{value!r} is not offered on {json.dumps(card)[:400]}")


def press(world: World, user: str, calls: list[Call], value: str) -> list[Call]:
    card_id, card = last_card(calls)
    return world.turn(user, value=submit_data(card, value), reply_to=card_id)


def pick_several(world: World, user: str, calls: list[Call], *values: str) -> list[Call]:
    card_id, card = last_card(calls)
    send = next(a for a in card["actions"] if cards.MULTI in (a.get("data") or {}))
    data = {**send["data"], "choices": ",".join(values)}
    return world.turn(user, value=data, reply_to=card_id)


def type_in_card(world: World, user: str, calls: list[Call], text: str) -> list[Call]:
    card_id, card = last_card(calls)
    send = next(a for a in card["actions"] if cards.TEXT in (a.get("data") or {}))
    return world.turn(user, value={**send["data"], "text": text}, reply_to=card_id)


def person(world: World, user: str) -> Person:
    with Session(world.maatjes.engine) as session:
        found = people.get_person(session, platform="teams", platform_user_id=user)
        assert found is not None
        return found


# --- the intake in a personal chat ---------------------------------------------------------------


def test_a_full_intake_in_a_personal_chat(world: World) -> None:
    anna = "aad-anna"
    world.connector.members[f"29:{anna}"] = {
        "id": f"29:{anna}",
        "name": "Anna",
        "aadObjectId": anna,
        "userPrincipalName": "anna@zwolle.example",
    }
    # installing the app adds the bot to the personal chat: the bot says hello and asks consent
    calls = world.turn(
        anna,
        kind="conversationUpdate",
        membersAdded=[{"id": f"28:{APP_ID}"}, {"id": f"29:{anna}"}],
    )
    assert "toestemming" in texts_of(calls).lower() or "privacy" in texts_of(calls).lower()
    consent_id, consent = last_card(calls)
    assert [a["data"][cards.CHOICE] for a in consent["actions"]] == ["yes", "no", "privacy"]

    calls = press(world, anna, calls, "yes")
    # the consent card was replaced in place by what was chosen
    update = world.connector.updates()[-1]
    assert update.path.endswith(f"/activities/{consent_id}")
    assert "Gekozen" in json.dumps(update.activity)
    assert "actions" not in card_of(update)  # type: ignore[operator]

    calls = world.turn(anna, text="Anna de Vries")  # typed in the chat box
    calls = type_in_card(world, anna, calls, "Gemeente Zwolle")  # typed in the card
    calls = press(world, anna, calls, "gemeente")
    calls = press(world, anna, calls, "regionaal")
    calls = press(world, anna, calls, "overijssel")  # more than five: a drop-down
    calls = pick_several(world, anna, calls, "bouw", "kunststoffen")
    calls = press(world, anna, calls, "experimenteren")
    for answer in (
        "Ik werk aan circulair inkopen van bouwmaterialen.",
        "Iemand die het Rijk van binnen kent.",
        "Ervaring met marktconsultaties.",
        "Regels die hergebruik lastig maken.",
    ):
        calls = world.turn(anna, text=answer)
    calls = press(world, anna, calls, "maandelijks")
    calls = press(world, anna, calls, "nl")
    assert "Anna de Vries" in texts_of(calls)  # the summary
    calls = press(world, anna, calls, "confirm")

    anna_person = person(world, anna)
    assert anna_person.profile_completed_at is not None
    assert anna_person.name == "Anna de Vries"
    assert anna_person.organisation == "Gemeente Zwolle"
    assert sorted(anna_person.themes or []) == ["bouw", "kunststoffen"]
    assert anna_person.region == "overijssel"

    # commands work as in the web chat
    calls = world.turn(anna, text="help")
    assert "profiel" in texts_of(calls)

    # the reference to reach Anna later is stored, with her UPN from the member lookup
    with Session(world.maatjes.engine) as session:
        row = session.exec(select(TeamsConversation)).one()
    assert row.user_id == anna and row.principal_name == "anna@zwolle.example"
    assert row.conversation_id == f"a:personal-{anna}" and row.tenant_id == TENANT

    # every outbound call carried the bot's token, which MSAL got from the token service
    assert all(
        c.headers.get("Authorization", "").startswith("Bearer bot-token-")
        for c in world.connector.calls
    )
    request = world.entra.token_requests[0]
    assert request["grant_type"] == ["client_credentials"]
    assert request["scope"] == ["https://api.botframework.com/.default"]
