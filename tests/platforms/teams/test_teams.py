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
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from bot.app import create_app
from bot.platforms.teams import cards
from bot.platforms.teams.adapter import Teams
from bot.platforms.teams.store import TeamsDirectory, group_chat_link
from bot.services.access import CLI_ACTOR
from bot.services.checkins import CheckInService
from bot.services.rounds import RoundService
from bot.settings import Settings
from storage import consents, outbox, people, rounds
from storage.db import session_scope
from storage.models import CheckIn, MatchGroup, Person, TeamsConversation
from storage.types import utcnow
from tests.fakes.bot_connector import (
    APP_ID,
    SECRET,
    TENANT,
    Call,
    FakeBotConnector,
    FakeChannelKeys,
    FakeEntra,
    teams_fakes,
)
from tests.support.community import profiled_person

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
            "from": {
                "id": f"29:{user}",
                "name": user.removeprefix("aad-").title(),
                "aadObjectId": user,
            },
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
def world(
    request: pytest.FixtureRequest,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    with teams_fakes(tmp_path, monkeypatch, tenant=TENANT, app_id=APP_ID, secret=SECRET) as fakes:
        connector, keys, entra = fakes.connector, fakes.keys, fakes.entra
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
            **getattr(request, "param", {}),
        )
        app = create_app(settings)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield World(client, connector, keys, entra)
        app.state.maatjes.engine.dispose()


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
        is_dropdown = element.get("type") == "Input.ChoiceSet" and element.get("id") == "choice"
        if is_dropdown and value in [c["value"] for c in element["choices"]]:
            send = next(a for a in card["actions"] if cards.PICK in (a.get("data") or {}))
            return {**send["data"], "choice": value}
    raise AssertionError(f"{value!r} is not offered on {json.dumps(card)[:400]}")


def press(world: World, user: str, calls: list[Call], value: str, **kwargs: Any) -> list[Call]:
    card_id, card = last_card(calls)
    return world.turn(user, value=submit_data(card, value), reply_to=card_id, **kwargs)


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


# --- security: authentication, tenants, duplicates -----------------------------------------------


def _nothing_stored(world: World) -> bool:
    with Session(world.maatjes.engine) as session:
        return session.exec(select(Person)).first() is None


def test_requests_without_valid_auth_are_refused_and_not_processed(world: World) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    body = world.activity("aad-mallory", text="hallo")
    no_header = world.client.post("/api/messages", json=body)
    assert no_header.status_code == 401
    forged = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for token in (
        "not-a-jwt",
        world.token(key=forged),  # signed by someone else
        world.keys.token(audience="some-other-bot", service_url=world.connector.url),
        world.token(expires_in=-3600),  # expired (beyond the SDK's five minutes of leeway)
        world.token(issuer="https://evil.example"),  # an issuer outside the allow-list
        world.keys.token(audience=APP_ID, service_url="https://smba.evil.example/"),  # replayed
    ):
        response = world.post(body, token=token)
        assert response.status_code == 401, token
    assert world.connector.calls == [], "nothing was answered"
    assert _nothing_stored(world), "nothing was processed"


def test_a_tenant_outside_the_allow_list_is_refused(world: World) -> None:
    response = world.post(world.activity("aad-stranger", text="hallo", tenant=OTHER_TENANT))
    assert response.status_code == 403
    missing = world.activity("aad-stranger", text="hallo")
    del missing["conversation"]["tenantId"], missing["channelData"]
    assert world.post(missing).status_code == 403
    assert world.connector.calls == [] and _nothing_stored(world)


@pytest.mark.parametrize(
    "world", [{"teams_allowed_tenants": f"{TENANT.upper()}, {OTHER_TENANT}"}], indirect=True
)
def test_the_allow_list_admits_the_tenants_it_names(world: World) -> None:
    assert world.maatjes.settings.teams_allowed_tenants == {TENANT, OTHER_TENANT}
    calls = world.turn("aad-guest", text="hallo", tenant=OTHER_TENANT)
    assert calls and person(world, "aad-guest").platform == "teams"
    assert world.post(world.activity("aad-x", text="hallo", tenant="0000-else")).status_code == 403


def test_teams_settings_need_a_tenant() -> None:
    with pytest.raises(ValueError, match="MAATJES_TEAMS_TENANT_ID"):
        Settings(_env_file=None, teams_app_id=APP_ID, teams_app_secret=SECRET)  # type: ignore[call-arg]
    assert not Settings(_env_file=None, teams_app_id=APP_ID).teams_enabled  # type: ignore[call-arg]
    assert not Settings(_env_file=None).teams_enabled  # type: ignore[call-arg]


def test_a_duplicate_activity_is_processed_once(world: World) -> None:
    body = world.activity("aad-bram", text="hallo", activity_id="1700000009999")
    assert world.post(body).status_code in (200, 202)
    replies = len(world.connector.sent())
    assert replies > 0
    again = world.post(body)  # Teams retries when it did not see our answer in time
    assert again.status_code == 200
    assert len(world.connector.sent()) == replies, "the retry was not answered again"
    # the same id in another conversation is another activity
    other = world.activity("aad-chris", text="hallo", activity_id="1700000009999")
    assert world.post(other).status_code in (200, 202)
    assert len(world.connector.sent()) > replies


def test_group_chats_are_pointed_to_the_personal_chat(world: World) -> None:
    calls = world.turn("aad-dewi", text="hallo", conversation_type="groupChat")
    assert "één op één" in texts_of(calls)
    with Session(world.maatjes.engine) as session:
        assert session.exec(select(Person)).first() is None, "no intake in a group chat"


def test_the_sdk_default_error_text_never_reaches_a_person(world: World) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    world.maatjes.adapter(Teams).bot.references.needs_principal_name = broken
    calls = world.turn("aad-eva", text="hallo")
    said = texts_of(calls)
    assert "secret internals" not in said and "Exception" not in said
    assert "Sorry" in said


# --- review, introductions and check-ins ---------------------------------------------------------

MEMBERS = [
    ("Anna", "regionaal"),
    ("Bram", "rijk"),
    ("Chris", "regionaal"),
    ("Dewi", "rijk"),
    ("Eva", "regionaal"),
]


def teams_community(world: World) -> list[int]:
    """Five Teams people with profiles, each reachable (a stored reference and a UPN)."""
    engine = world.maatjes.engine
    directory = TeamsDirectory(engine)
    ids = []
    for name, group in MEMBERS:
        user = f"aad-{name.lower()}"
        with session_scope(engine) as session:
            ids.append(
                profiled_person(session, platform="teams", user_id=user, name=name, group=group)
            )
        directory.remember(
            user_id=user,
            tenant_id=TENANT,
            conversation_id=f"a:personal-{user}",
            service_url=world.connector.url,
            reference={
                "bot": {"id": f"28:{APP_ID}", "name": "Maatjes"},
                "user": {"id": f"29:{user}", "aadObjectId": user},
                "conversation": {
                    "id": f"a:personal-{user}",
                    "conversationType": "personal",
                    "tenantId": TENANT,
                },
                "channelId": "msteams",
                "serviceUrl": world.connector.url,
            },
            principal_name=f"{name.lower()}@example.nl",
        )
    return ids


def propose(world: World, ids: list[int]) -> int:
    with session_scope(world.maatjes.engine) as session:
        match_round = rounds.create_round(
            session,
            kind="pairs",
            origin="cli",
            proposed_by=CLI_ACTOR,
            embedder="test",
            weights={},
            groups=[
                rounds.NewGroup([ids[0], ids[1]], 0.9, {"themes": ["bouw"], "mix": True}),
                rounds.NewGroup([ids[2], ids[3], ids[4]], 0.5, {"themes": [], "mix": True}),
            ],
        )
        assert match_round.id is not None
        return match_round.id


def sent_to(world: World, user: str) -> list[Call]:
    return [c for c in world.connector.sent() if f"/a:personal-{user}/" in c.path]


def test_a_coordinator_reviews_in_teams_and_the_card_updates_in_place(world: World) -> None:
    ids = teams_community(world)
    round_id = propose(world, ids)
    tessa = COORDINATOR
    calls = world.turn(tessa, text="ronde")
    approve = f"review:approve:{round_id}:1"
    card_calls = [c for c in calls if approve in json.dumps(card_of(c) or {})]
    assert len(card_calls) == 1, texts_of(calls)
    card_id = card_calls[0].response_id
    card = card_of(card_calls[0])
    assert card is not None and "Anna" in json.dumps(card) and "Bram" in json.dumps(card)

    calls = world.turn(tessa, value=submit_data(card, approve), reply_to=card_id)
    update = world.connector.updates()[-1]
    assert update.path.endswith(f"/activities/{card_id}")
    updated = card_of(update)
    assert updated is not None and "actions" not in updated
    assert "Gekozen: Goedkeuren" in json.dumps(updated, ensure_ascii=False)
    with Session(world.maatjes.engine) as session:
        group = session.exec(
            select(MatchGroup).where(MatchGroup.round_id == round_id, MatchGroup.position == 1)
        ).one()
        assert group.status == "introduced"
        intros = [m for m in outbox.entries(session) if m.kind == "introduction"]
    assert sorted(m.recipient_id for m in intros) == sorted(ids[:2])

    # introductions go out proactively: one card each, naming the other, with a chat link
    report = world.maatjes.delivery.deliver_due()
    assert report.by_kind.get("introduction") == 2 and report.failed == 0
    for me, other in (("anna", "bram"), ("bram", "anna")):
        (intro,) = sent_to(world, f"aad-{me}")
        card = card_of(intro)
        assert card is not None
        text = json.dumps(card, ensure_ascii=False)
        assert other.title() in text
        links = [a for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"]
        assert links and links[0]["url"] == group_chat_link([f"{other}@example.nl"], "Maatjes")
        assert links[0]["url"].startswith("https://teams.microsoft.com/l/chat/0/0?users=")

    # a reviewer without the role gets a refusal, and the card stays usable
    before = len(world.connector.updates())
    calls = world.turn(
        "aad-anna", value=submit_data(card_of(card_calls[0]) or {}, approve), reply_to=card_id
    )
    assert len(world.connector.updates()) == before


def _checkins_due(world: World, ids: list[int]) -> Any:
    round_id = propose(world, ids)
    maatjes = world.maatjes
    RoundService(maatjes.engine, maatjes.settings.groups.rounds).approve(
        round_id, actor=CLI_ACTOR, origin="cli"
    )
    service = CheckInService(maatjes.engine, maatjes.settings.groups.checkins)
    service.run_due()
    with Session(maatjes.engine) as session:
        due = min(c.due_at for c in session.exec(select(CheckIn)).all())
    assert service.run_due(due).sent == 2
    return due


def test_a_proactive_check_in_from_a_stored_reference(world: World) -> None:
    ids = teams_community(world)
    due = _checkins_due(world, ids)
    report = world.maatjes.delivery.deliver_due(now=due + timedelta(days=30))
    assert report.by_kind.get("checkin") == 5 and report.failed == 0
    (message,) = [
        c for c in sent_to(world, "aad-anna") if "checkin:" in json.dumps(card_of(c) or {})
    ]
    assert message.activity["conversation"]["id"] == "a:personal-aad-anna"
    card = card_of(message)
    assert card is not None
    answer = next(
        a["data"][cards.CHOICE]
        for a in card["actions"]
        if a["data"][cards.CHOICE].startswith("checkin:") and ":answer" in a["data"][cards.CHOICE]
    )
    # Anna answers from the card in her personal chat
    calls = world.turn("aad-anna", value=submit_data(card, answer), reply_to=message.response_id)
    calls = world.turn("aad-anna", text="We hebben gebeld over inkoop.")
    calls = press(world, "aad-anna", calls, "share")
    assert "Dank" in texts_of(calls) or "dank" in texts_of(calls)
    from storage.models import CheckInAnswer

    with Session(world.maatjes.engine) as session:
        (stored,) = session.exec(select(CheckInAnswer)).all()
    assert (
        stored.person_id == ids[0]
        and stored.shared
        and stored.text == "We hebben gebeld over inkoop."
    )


def test_a_throttled_send_is_retried_after_retry_after(world: World) -> None:
    ids = teams_community(world)
    due = _checkins_due(world, ids)
    world.maatjes.delivery.deliver_due(now=due - timedelta(seconds=1))  # the introductions
    now = due
    world.connector.fail_next(429, {"Retry-After": "7"})
    report = world.maatjes.delivery.deliver_due(now=now)
    assert report.retried == 1 and report.by_kind == {"checkin": 4}
    with Session(world.maatjes.engine) as session:
        (waiting,) = [m for m in outbox.entries(session) if m.status != "sent"]
        assert waiting.attempts == 1
        # honours the connector's Retry-After (7 s), not the default backoff (30 s)
        assert waiting.not_before == now + timedelta(seconds=7)
    assert world.maatjes.delivery.deliver_due(now=now + timedelta(seconds=6)).delivered == 0
    again = world.maatjes.delivery.deliver_due(now=now + timedelta(seconds=8))
    assert again.delivered == 1
    person_id = waiting.recipient_id
    with Session(world.maatjes.engine) as session:
        user = session.get(Person, person_id)
        assert user is not None
    attempts = [
        c for c in sent_to(world, user.platform_user_id) if "checkin:" in json.dumps(c.body)
    ]
    assert len(attempts) == 2, "one throttled attempt, one delivered"


def test_a_reply_the_connector_will_not_take_now_comes_later_through_the_outbox(
    world: World,
) -> None:
    anna = "aad-anna"
    calls = world.turn(
        anna, kind="conversationUpdate", membersAdded=[{"id": f"28:{APP_ID}"}, {"id": f"29:{anna}"}]
    )
    press(world, anna, calls, "yes")  # consent: the next question asks the name

    # the reply is throttled: Teams will not resend the activity, so the outbox must
    world.connector.fail_next(429, {"Retry-After": "7"})
    started = utcnow()
    attempt = world.turn(anna, text="Anna Later")
    assert len(attempt) == 1, "one throttled attempt, no apology on top"
    anna_id = person(world, anna).id
    with Session(world.maatjes.engine) as session:
        (waiting,) = [m for m in outbox.entries(session) if m.kind == "reply"]
        assert waiting.status == outbox.PENDING and waiting.recipient_id == anna_id
        assert started + timedelta(seconds=6) <= waiting.not_before
        assert waiting.not_before <= utcnow() + timedelta(seconds=8), "as long as Teams said"
        assert people.draft_answers(session, person_id=waiting.recipient_id)["name"] == (
            "Anna Later"
        )
    # the connector would take the next reply, but it waits behind the first: read in order
    assert world.turn(anna, text="Gemeente Later") == [], "nothing overtakes the waiting reply"
    with Session(world.maatjes.engine) as session:
        queued = [m for m in outbox.entries(session) if m.kind == "reply"]
    assert len(queued) == 2 and queued[1].not_before == queued[0].not_before

    assert world.maatjes.delivery.deliver_due().delivered == 0, "not before Teams said"
    later = world.maatjes.delivery.deliver_due(now=utcnow() + timedelta(seconds=9))
    assert later.delivered == 2 and later.by_kind == {"reply": 2}
    name_reply, organisation_reply = (
        json.dumps(c.body, ensure_ascii=False) for c in sent_to(world, anna)[-2:]
    )
    assert "Anna Later" in name_reply and "Anna Later" not in organisation_reply


def test_people_without_a_stored_conversation_are_reported_not_retried(world: World) -> None:
    ids = teams_community(world)
    with session_scope(world.maatjes.engine) as session:
        row = session.exec(
            select(TeamsConversation).where(TeamsConversation.user_id == "aad-anna")
        ).one()
        session.delete(row)
    due = _checkins_due(world, ids)
    report = world.maatjes.delivery.deliver_due(now=due)
    assert report.retried == 0 and report.failed > 0
    with Session(world.maatjes.engine) as session:
        failed = [m for m in outbox.entries(session) if m.status == "failed"]
    assert {m.recipient_id for m in failed} == {ids[0]}, "only Anna, who never talked to the bot"
    assert "checkin" in {m.kind for m in failed}


# --- the app package -----------------------------------------------------------------------------


def test_the_teams_package_is_ready_to_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import re
    import zipfile

    from PIL import Image
    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    missing = runner.invoke(app, ["teams-package", "--out", str(tmp_path / "x.zip")])
    assert missing.exit_code == 2 and "MAATJES_TEAMS_APP_ID" in missing.output
    monkeypatch.setenv("MAATJES_TEAMS_APP_ID", "not-a-guid")
    bad = runner.invoke(app, ["teams-package", "--out", str(tmp_path / "x.zip")])
    assert bad.exit_code == 2 and "GUID" in bad.output
    assert not (tmp_path / "x.zip").exists()

    monkeypatch.setenv("MAATJES_TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("MAATJES_TEAMS_WEBSITE_URL", "https://maatjes.example.nl/over")
    out = tmp_path / "dist" / "maatjes-teams.zip"
    result = runner.invoke(app, ["teams-package", "--out", str(out), "--version", "1.2.0"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "en-us.json",
            "manifest.json",
            "outline.png",
        ]
        manifest = json.loads(archive.read("manifest.json"))
        english = json.loads(archive.read("en-us.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))

    assert manifest["manifestVersion"] == "1.17" and manifest["$schema"].endswith(
        "v1.17/MicrosoftTeams.schema.json"
    )
    assert manifest["id"] == APP_ID and manifest["version"] == "1.2.0"
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal"]
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles == ["help", "profiel", "pauze", "taal", "privacy"]
    assert all(len(c["description"]) <= 128 for c in bot["commandLists"][0]["commands"])
    # the limits of the manifest schema
    assert 1 <= len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", manifest["accentColor"])
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert manifest["developer"][key].startswith("https://")
    assert manifest["validDomains"] == ["maatjes.example.nl"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert manifest["localizationInfo"]["additionalLanguages"] == [
        {"languageTag": "en-us", "file": "en-us.json"}
    ]
    assert english["name.short"] == manifest["name"]["short"]
    assert english["description.short"] != manifest["description"]["short"]  # translated
    assert len(english["description.short"]) <= 80

    assert color.format == "PNG" and color.size == (192, 192)
    assert outline.format == "PNG" and outline.size == (32, 32)
    raw = outline.convert("RGBA").tobytes()
    pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in pixels), (
        "white on transparent"
    )
    assert any(a == 255 for *_, a in pixels) and any(a == 0 for *_, a in pixels)


def test_the_language_follows_the_teams_locale_until_chosen(world: World) -> None:
    calls = world.turn("aad-frank", text="hello", locale="en-US")
    _, consent = last_card(calls)
    labels = [a["title"] for a in consent["actions"]]
    assert "Send" not in labels and any("privacy" in label.lower() for label in labels)
    assert person(world, "aad-frank").language == "en"
    calls = press(world, "aad-frank", calls, "yes", locale="en-US")
    _, name_card = last_card(calls)
    assert [a["title"] for a in name_card["actions"]] == ["Send"]


# --- privacy in Teams ----------------------------------------------------------------------------


def test_my_data_and_forget_me_work_in_teams_and_take_the_reference_along(world: World) -> None:
    user = "aad-priya"
    calls = world.turn(user, text="hallo")
    calls = press(world, user, calls, "yes")
    world.turn(user, text="Priya Zeldenrust")

    said = texts_of(world.turn(user, text="mijn gegevens"))
    link = re.search(r"https?://[^\s)\]\"]+/privacy/export/[A-Za-z0-9._-]+", said)
    assert link, f"the export comes as a link in the chat: {said}"
    export = world.client.post(urlsplit(link.group(0)).path)
    assert export.status_code == 200, export.text
    data = export.json()
    assert "Priya Zeldenrust" in json.dumps(data)
    assert [row["user_id"] for row in data["platform_account"]] == [user]

    calls = world.turn(user, text="vergeet mij")
    press(world, user, calls, "yes")
    with Session(world.maatjes.engine) as session:
        assert people.get_person(session, platform="teams", platform_user_id=user) is None
        gone = session.exec(select(TeamsConversation).where(TeamsConversation.user_id == user))
        assert gone.first() is None, "the stored conversation reference goes too"


# --- what people wrote reaches Teams as text, never as markdown ----------------------------------

SPOOF = "[Log in](https://evil.example)"
MARKDOWN = f"{SPOOF} **vet** _schuin_ <at>Tessa</at>"


def _card_texts(card: dict[str, Any]) -> list[str]:
    """The texts Teams reads as markdown: TextBlocks and FactSet titles and values."""
    found: list[str] = []
    for element in card.get("body", []):
        if element.get("type") == "TextBlock":
            found.append(element["text"])
        elif element.get("type") == "FactSet":
            found += [part for fact in element["facts"] for part in (fact["title"], fact["value"])]
    return found


def test_profile_text_reaches_teams_cards_as_plain_text(world: World) -> None:
    """A profile with markdown (a spoofed link, emphasis, a heading, a list, a mention): in the
    summary card, every TextBlock and FactSet shows it escaped, so nothing renders as markup."""
    user = "aad-mallory"
    with session_scope(world.maatjes.engine) as session:
        found = people.get_or_create_person(
            session, platform="teams", platform_user_id=user, language="nl"
        )
        assert found.id is not None
        consents.record_consent(
            session, person_id=found.id, purpose="matching", policy_version="t", given=True
        )
        for name, value in (
            ("name", MARKDOWN),
            ("organisation", "# Kop"),
            ("group", "rijk"),
            ("region", "utrecht"),
            ("themes", ["bouw"]),
            ("phase", "experimenteren"),
            ("works_on", "- een lijst\n1. genummerd\n" + SPOOF),
            ("seeks", "Iemand met **ervaring**."),
            ("offers", "Kennis & <b>kunde</b>."),
        ):
            people.save_draft_answer(session, person_id=found.id, field=name, value=value)
        people.commit_profile(session, person=found)
    calls = world.turn(user, text="profiel")
    texts = [t for call in calls if (card := card_of(call)) for t in _card_texts(card)]
    joined = "\n".join(texts)
    assert "Log in" in joined and "ervaring" in joined, joined
    for raw in (SPOOF, "**vet**", "_schuin_", "<at>", "**ervaring**", "\n- een", "\n1. gen"):
        assert raw not in joined, (raw, joined)
    assert not re.search(r"(?<!\\)# Kop", joined) and "\\# Kop" in joined
    assert "\\[Log in\\]\\(https://evil.example\\)" in joined
    # a forged submit (title and label are the client's to send) is escaped on the spent card
    card_id, card = last_card(calls)
    data = {**submit_data(card, card["actions"][0]["data"][cards.CHOICE]), "label": SPOOF}
    world.turn(user, value={**data, "title": MARKDOWN}, reply_to=card_id)
    spent = [c for c in world.connector.updates() if card_of(c)]
    assert spent, "the card was replaced by what was chosen"
    spent_texts = "\n".join(_card_texts(card_of(spent[-1]) or {}))
    assert "Log in" in spent_texts and "Tessa" in spent_texts, spent_texts
    assert SPOOF not in spent_texts and "<at>" not in spent_texts, spent_texts


def test_activities_the_bot_cannot_read_or_does_not_offer_get_400(world: World) -> None:
    """Authenticated, from the right tenant, but not something the SDK can read (an empty
    channel id, an empty replyToId, a list as sender) or an invoke nothing handles: 4xx, never
    the SDK's 5xx or a traceback."""
    user = "aad-oddity"
    for extra in (
        {"channelId": ""},
        {"replyToId": ""},
        {"from": [1, None]},
        {"conversation": {"": ["x"]}},
    ):
        body = {**world.activity(user, text="hallo"), **extra}
        response = world.post(body)
        assert response.status_code == 400, (extra, response.status_code, response.text)
    for name in ("task/fetch", "", None):
        invoke = world.activity(user, kind="invoke", **({"name": name} if name is not None else {}))
        response = world.post(invoke)
        assert response.status_code == 400, (name, response.status_code, response.text)
    assert _nothing_stored(world)
