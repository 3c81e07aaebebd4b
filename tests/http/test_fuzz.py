"""Property-based fuzzing: the chat core, the conversation service on a real database and every
HTTP endpoint (schemathesis over the app's own /openapi.json, in-process via ASGI) get random
unicode, huge inputs and injection payloads. Nothing raises, nothing answers 500, every refusal
is a clear message, and nothing already stored is lost. Example counts stay moderate: the suite
runs on two cores."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.app import create_app
from bot.core.conversation import Conversation, CoreConfig
from bot.core.dialogue import Intake
from bot.core.effects import (
    ConsentDecided,
    ConsentWithdrawn,
    ErasureRequested,
    ProfileCommitted,
    ReviewDecided,
    ReviewRequested,
    RoundRequested,
    SwapRequested,
)
from bot.core.messages import Account, Card, Inbound, Question, Text
from bot.core.profile import FIELDS
from bot.services.accounts import Accounts
from bot.services.conversations import ConversationService
from bot.services.privacy import PrivacyService
from bot.settings import Settings
from storage import people
from storage.db import make_engine, migrate
from tests.support.chat import Chat, complete_dutch_intake

INJECTIONS = [
    "'; DROP TABLE person; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{name}{0}{__class__}",
    "%s%s%n",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "\x00\x01\x1b[31m",
    "\u202egnp.exe",
    "\ud7ff\ufffd\U0001f600" * 3,
    "privacy:forget",
    "privacy:matching:off",
    "review:approve:1:1",
    "checkin:1:answer:phase",
    "followup:1:block:2",
]
COMMANDS = [
    "help",
    "privacy",
    "mijn gegevens",
    "my data",
    "vergeet mij",
    "forget me",
    "stop",
    "pauze",
    "taal",
    "profiel",
    "wijzig",
    "ja",
    "nee",
    "1",
    "ronde",
]
CHOICES = [
    "yes",
    "no",
    "cancel",
    "share",
    "private",
    "privacy:export",
    "privacy:sharing:on",
    "privacy:sharing:off",
    "privacy:matching:off",
    "privacy:forget",
    "privacy:nonsense",
    "checkin:99:skip",
    "followup:1:met",
]

texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(INJECTIONS + COMMANDS),
    st.text(min_size=1, max_size=12).map(lambda s: s * 3000),  # huge
)
inbounds = st.one_of(
    st.builds(Inbound, text=texts),
    st.builds(Inbound, choice=st.one_of(st.sampled_from(CHOICES), st.text(max_size=60))),
    st.builds(
        Inbound, choices=st.lists(st.one_of(st.text(max_size=30), texts), max_size=6).map(tuple)
    ),
)
STEPS = [*FIELDS, "start", "consent", "summary", "done", "edit_menu", "pause_menu"]
STEPS += ["language_menu", "confirm_stop", "confirm_forget", "checkin_answer", "checkin_share"]


CALLER_ANSWERS = {ReviewRequested, RoundRequested, ReviewDecided, SwapRequested}


def _said(message: Any) -> str:
    if isinstance(message, Text):
        return message.text
    if isinstance(message, Question):
        return message.text
    assert isinstance(message, Card)
    return message.title


# --- the core, as pure functions -----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    step=st.sampled_from(STEPS),
    turns=st.lists(inbounds, min_size=1, max_size=6),
    language=st.sampled_from(["nl", "en"]),
)
def test_the_core_answers_every_sequence_and_keeps_the_profile(
    step: str, turns: list[Inbound], language: str
) -> None:
    profile = {"name": "Anna", "themes": ["bouw"], "group": "rijk", "works_on": "Een kiem"}
    conv = Conversation(
        step=step,
        language=language,
        consent=True,
        completed=True,
        profile=profile,
        context={"return_to": "done", "checkin": 1, "answer": "x", "updates": ""},
    )
    intake = Intake(CoreConfig(policy_version="fuzz"))
    for inbound in turns:
        reply = intake.respond(conv, inbound, today=date(2026, 11, 26))
        # every turn gets an answer; the coordinator's review commands get theirs from the caller
        assert reply.messages or {type(e) for e in reply.effects} <= CALLER_ANSWERS
        assert all(_said(m).strip() for m in reply.messages), "no empty message"
        if not reply.accepted and reply.conversation.step != "done":
            assert any(isinstance(m, Text) and m.tone == "error" for m in reply.messages)
        kinds = {type(e) for e in reply.effects}
        if ErasureRequested in kinds:
            return  # a fresh start: nothing of the old profile is meant to survive
        if ProfileCommitted not in kinds:
            assert reply.conversation.profile == conv.profile, "the profile is never lost"
        if not kinds & {ConsentDecided, ConsentWithdrawn}:
            assert reply.conversation.consent == conv.consent
        for message in reply.messages:
            if isinstance(message, Question) and message.max_length:
                assert message.max_length <= 20_000
        conv = replace(reply.conversation)


# --- the conversation service on a real database -------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'maatjes.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(turns=st.lists(inbounds, min_size=1, max_size=5))
def test_the_service_never_fails_and_loses_nothing(
    fuzz_engine: Engine, tmp_path_factory: pytest.TempPathFactory, turns: list[Inbound]
) -> None:
    config = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path_factory.getbasetemp() / "fuzz-data"
    )
    service = ConversationService(
        fuzz_engine,
        Intake(CoreConfig(policy_version="fuzz")),
        privacy=PrivacyService(fuzz_engine, config.groups.privacy),
    )
    chat = Chat(service, user=f"fuzz-{uuid.uuid4().hex[:8]}")
    complete_dutch_intake(chat)
    with Session(fuzz_engine) as session:
        person = people.get_person(session, platform="local", platform_user_id=chat.user)
        assert person is not None
        before = people.committed_profile(person)
    for inbound in turns:
        turn = service.handle(Account("local", chat.user), inbound)
        assert turn.messages
        said = " ".join(_said(m) for m in turn.messages)
        assert "Er ging iets mis" not in said and "went wrong" not in said, said
        if any(isinstance(e, ErasureRequested) for e in turn.effects):
            return
    with Session(fuzz_engine) as session:
        person = people.get_person(session, platform="local", platform_user_id=chat.user)
        assert person is not None
        after = people.committed_profile(person)
    changed = {k for k in before if before[k] != after[k]}
    assert changed <= {"phase", "ongemak"}, "only a check-in update may change the profile"


# --- every HTTP endpoint --------------------------------------------------------------------------


@pytest.fixture
def web_app(tmp_path: Path) -> FastAPI:
    return create_app(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path / "data",
            scheduler=False,
            rate_limit="",
            coordinators="local:tessa",
        )
    )


@pytest.fixture
def signed_in(web_app: FastAPI) -> dict[str, str]:
    """A web chat session cookie, so the chat endpoints are fuzzed past the sign-in too."""
    client = TestClient(web_app, base_url="http://127.0.0.1")
    assert client.post("/session", json={"name": "Fuzz"}).status_code == 200
    client.post("/api/chat", json={"choice": "yes"})
    return dict(client.cookies.items())


@pytest.fixture
def coordinator(web_app: FastAPI) -> dict[str, str]:
    """A dashboard session, so the coordinator pages are fuzzed past the login too."""
    Accounts(web_app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
    client = TestClient(web_app, base_url="http://127.0.0.1")
    form = client.get("/dashboard/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    login = {"username": "tessa", "password": "een lang wachtwoord", "csrf": token.group(1)}
    assert client.post("/dashboard/login", data=login, follow_redirects=False).status_code == 303
    return dict(client.cookies.items())


def answer_at_once(query: dict[str, Any] | None) -> dict[str, Any]:
    """The chat's long poll waits up to ``wait`` seconds for news: a sound wait becomes 0 (so
    the fuzzing does not wait), anything else is left as generated, to be refused."""
    query = dict(query or {})
    try:
        sound = 0 <= float(query.get("wait", 20)) <= 25
    except (TypeError, ValueError):
        sound = False
    if sound:
        query["wait"] = 0
    return query


def test_no_endpoint_answers_500(
    web_app: FastAPI, signed_in: dict[str, str], coordinator: dict[str, str]
) -> None:
    """Schemathesis generates requests for every operation in the app's /openapi.json (called
    in-process over ASGI): signed out, signed in to the chat, and as a coordinator."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "every route is described"
    for operation in operations:

        @settings(
            max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def no_server_error(case: Any) -> None:
            if case.path == "/api/chat/updates":
                case.query = answer_at_once(case.query)
            for cookies in ({}, signed_in, coordinator):
                response = case.call(cookies=cookies)
                assert response.status_code < 500, (case.method, case.path, response.text[:300])
                kind = response.headers.get("content-type", [""])[0]
                if response.status_code in (400, 413, 422) and "json" in kind:
                    assert response.json()["error"].strip(), "a refusal says why"

        no_server_error()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.dictionaries(
        st.sampled_from(["text", "choice", "choices", "x"]),
        st.one_of(texts, st.lists(texts, max_size=30), st.integers(), st.none(), st.booleans()),
        max_size=3,
    )
)
def test_the_chat_endpoint_answers_any_json_clearly(web_app: FastAPI, body: dict[str, Any]) -> None:
    client = TestClient(web_app, base_url="http://127.0.0.1")
    client.post("/session", json={"name": "Fuzz Twee"})
    response = client.post("/api/chat", json=body)
    assert response.status_code in (200, 413, 422), response.text[:300]
    data = response.json()
    if response.status_code == 200:
        assert data["messages"], "every accepted request gets an answer"
    else:
        assert data["error"].strip()


def test_every_endpoint_refuses_a_huge_body_politely(web_app: FastAPI) -> None:
    client = TestClient(web_app, base_url="http://127.0.0.1")
    huge = "x" * 1_100_000  # above every path's limit (the invitations upload takes 1 MB)
    for path, methods in web_app.openapi()["paths"].items():
        filled = path.replace("{round_id}", "1").replace("{group_id}", "1")
        filled = filled.replace("{position}", "1").replace("{member}", "1")
        filled = filled.replace("{token}", "abc")
        for method in methods:
            if method not in ("post", "put", "patch"):
                continue
            response = client.request(
                method.upper(),
                filled,
                content=huge,
                headers={"content-type": "application/json", "accept-language": "en"},
            )
            assert response.status_code == 413, (method, filled, response.status_code)
            assert "too large" in response.json()["error"], filled


# --- every route of the app, Slack and Teams included --------------------------------------------
#
# Schemathesis above only sees what /openapi.json describes. This part enumerates the app's own
# routes (a new route is fuzzed without anyone listing it) and sends each random methods, headers
# and bodies: unsigned and signed Slack payloads, Teams activities with and without a valid
# token, forms, JSON, broken bytes. Nothing may answer 5xx and no exception may escape.

#: MAATJES_FUZZ_SCALE=20 runs twenty times the examples (a longer hunt, locally)
FUZZ_SCALE = int(os.environ.get("MAATJES_FUZZ_SCALE", "1"))
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data",
    "text/plain",
    "",
    "\xff/\xfe",
]
FIELD_NAMES = ["csrf", "username", "password", "name", "text", "choice", "person", "reason"]
FIELD_NAMES += ["payload", "command", "user_id", "trigger_id", "type", "member", "with_person"]
QUERY_NAMES = ["code", "state", "error", "action", "limit", "page", "person", "round", "next"]
SLACK_TYPES = ["event_callback", "block_actions", "view_submission", "view_closed", "shortcut"]
SLACK_TYPES += ["message_action", "block_suggestion", "url_verification", "app_rate_limited"]
TEAMS_TYPES = ["message", "invoke", "conversationUpdate", "messageReaction", "event", "typing"]
TEAMS_TYPES += ["installationUpdate", "endOfConversation", ""]

latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
slack_ids = st.sampled_from(["U0FUZZ", "D0FUZZ", "C0FUZZ", "", "maatjes.choice.1"]) | st.text(
    max_size=12
)
slack_payloads = st.fixed_dictionaries(
    {"type": st.sampled_from(SLACK_TYPES)},
    optional={
        "user": st.one_of(st.fixed_dictionaries({"id": slack_ids}), json_values),
        "team": st.fixed_dictionaries({"id": slack_ids}),
        "trigger_id": slack_ids,
        "event_id": slack_ids,
        "challenge": slack_ids,
        "actions": st.lists(
            st.fixed_dictionaries(
                {
                    "action_id": st.sampled_from(
                        ["maatjes.choice.1", "maatjes.long.1", "maatjes.reason.1", "maatjes.home.1"]
                    )
                    | slack_ids,
                    "value": st.sampled_from(CHOICES) | st.text(max_size=20),
                },
                optional={"text": json_values, "selected_option": json_values},
            ),
            max_size=2,
        )
        | json_values,
        "event": st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "app_home_opened", "app_mention"])},
            optional={
                "user": slack_ids,
                "channel": slack_ids,
                "channel_type": st.sampled_from(["im", "channel"]),
                "text": texts,
                "tab": st.sampled_from(["home", "messages"]),
            },
        )
        | json_values,
        "view": st.fixed_dictionaries(
            {"callback_id": st.sampled_from(["maatjes.long", "maatjes.reason", "maatjes.checkin"])},
            optional={"state": json_values, "private_metadata": texts, "type": slack_ids},
        )
        | json_values,
        "message": json_values,
        "state": json_values,
        "channel": json_values,
    },
)
slack_commands = st.fixed_dictionaries(
    {"command": st.sampled_from(["/maatjes", "/other"])},
    optional={"user_id": slack_ids, "text": texts, "channel_id": slack_ids, "team_id": slack_ids},
)


def _slack_body(kind: str, value: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    if kind == "json":
        return json.dumps(value)
    if kind == "form":
        return urlencode({"payload": json.dumps(value)})
    return urlencode({k: str(v) for k, v in value.items()})


@st.composite
def slack_requests(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    from tests.support.slack import SECRET, signed_headers

    kind = draw(st.sampled_from(["json", "form", "command", "raw"]))
    if kind == "raw":
        body = draw(st.binary(max_size=200) | texts.map(str.encode))
        text = body.decode("utf-8", "replace")
    else:
        value = draw(slack_commands if kind == "command" else slack_payloads)
        # a nonce: a replayed request is deliberately dropped, and hypothesis replays examples
        value["fuzz_nonce"] = uuid.uuid4().hex
        text = _slack_body(kind, value)
        body = text.encode()
    content_type = JSON_TYPE if kind == "json" else FORM_TYPE
    headers = {"content-type": draw(st.sampled_from([content_type, *CONTENT_TYPES[:3]]))}
    if draw(st.booleans()):  # signed as Slack signs (most of the interesting paths)
        signed = signed_headers(text, secret=SECRET, content_type=headers["content-type"])
        if body != text.encode():  # bytes that are not text carry a signature of their text
            signed["x-slack-signature"] = draw(
                st.sampled_from(["v0=", signed["x-slack-signature"]])
            )
        headers.update(signed)
    elif draw(st.booleans()):
        headers["x-slack-request-timestamp"] = draw(st.sampled_from(["abc", "-1", "1e9", "9" * 30]))
        headers["x-slack-signature"] = draw(st.sampled_from(["v0=abc", "", "v1=" + "0" * 64]))
    return body, headers


JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass
class Everything:
    """The whole app, every chat platform on: Slack against the fake Web API, Teams against the
    fake Bot Connector (with the real token checks), a chat and a coordinator session."""

    client: TestClient
    app: FastAPI
    teams_token: str
    service_url: str
    sessions: list[str]


@pytest.fixture
def everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Everything]:
    from tests.fakes.bot_connector import APP_ID, SECRET, TENANT, teams_fakes
    from tests.fakes.slack import FakeSlack
    from tests.support.slack import SECRET as SLACK_SECRET

    slack = FakeSlack().start()
    try:
        with teams_fakes(tmp_path, monkeypatch, tenant=TENANT, app_id=APP_ID, secret=SECRET) as (
            fakes
        ):
            keys, connector, entra = fakes.keys, fakes.connector, fakes.entra
            app = create_app(
                Settings(  # type: ignore[call-arg]
                    _env_file=None,
                    data_dir=tmp_path / "data",
                    scheduler=False,
                    rate_limit="",
                    embedder="tfidf",
                    coordinators="local:tessa",
                    slack_bot_token="xoxb-test-token",
                    slack_signing_secret=SLACK_SECRET,
                    slack_api_url=slack.api_url,
                    teams_app_id=APP_ID,
                    teams_app_secret=SECRET,
                    teams_tenant_id=TENANT,
                    teams_authority=entra.authority,
                )
            )
            with TestClient(app, base_url="http://127.0.0.1") as client:
                chat = TestClient(app, base_url="http://127.0.0.1")
                assert chat.post("/session", json={"name": "Fuzz"}).status_code == 200
                chat.post("/api/chat", json={"choice": "yes"})
                Accounts(app.state.maatjes.engine).set_password("tessa", "een lang wachtwoord")
                coordinator = TestClient(app, base_url="http://127.0.0.1")
                form = coordinator.get("/dashboard/login").text
                token = re.search(r'name="csrf" value="([^"]+)"', form)
                assert token
                login = {"username": "tessa", "password": "een lang wachtwoord", "csrf": token[1]}
                signed_in = coordinator.post("/dashboard/login", data=login, follow_redirects=False)
                assert signed_in.status_code == 303
                sessions = [
                    "; ".join(f"{k}={v}" for k, v in c.cookies.items()) for c in (chat, coordinator)
                ]
                yield Everything(
                    client,
                    app,
                    keys.token(audience=APP_ID, service_url=connector.url),
                    connector.url,
                    sessions,
                )
            app.state.maatjes.engine.dispose()
    finally:
        slack.stop()


def _routes(app: FastAPI) -> list[tuple[str, list[str]]]:
    """(path template, methods) of every route, also those left out of /openapi.json."""
    from fastapi.routing import iter_route_contexts

    found = []
    for context in iter_route_contexts(app.routes):
        template = context.path_format or context.path
        assert template, context
        methods = sorted(getattr(context.original_route, "methods", None) or ["GET"])
        found.append((template, methods))
    return found


segments = st.one_of(
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.sampled_from(["1", "0", "..", "%2e%2e", "abc", "a.b.c", "x" * 1100, "style.css"]),
    st.text(max_size=30),
)


@st.composite
def teams_activities(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    from tests.fakes.bot_connector import APP_ID, TENANT

    user = draw(st.sampled_from(["aad-fuzz", "aad-tessa", ""]) | st.text(max_size=10))
    activity: dict[str, Any] = {
        "type": draw(st.sampled_from(TEAMS_TYPES)),
        "id": draw(st.text(max_size=12)) + uuid.uuid4().hex,  # duplicates are dropped
        "serviceUrl": service_url,
        "channelId": draw(st.sampled_from(["msteams", "webchat", ""])),
        "from": {"id": f"29:{user}", "aadObjectId": user, "name": draw(texts)},
        "conversation": {
            "id": f"a:personal-{user}",
            "conversationType": draw(st.sampled_from(["personal", "groupChat", "channel"])),
            "tenantId": draw(st.sampled_from([TENANT, "other"])),
        },
        "recipient": {"id": f"28:{APP_ID}"},
        "channelData": {"tenant": {"id": TENANT}},
    }
    extra = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "text": texts,
                "value": json_values,
                "replyToId": st.text(max_size=10),
                "locale": st.sampled_from(["nl-NL", "en-US", "", "xx"]) | st.text(max_size=8),
                "membersAdded": json_values,
                "name": st.sampled_from(["adaptiveCard/action", "task/fetch"]) | texts,
                "from": json_values,
                "conversation": json_values,
            },
        )
    )
    return {**activity, **extra}


def test_every_route_answers_random_requests_without_a_server_error(
    everything: Everything,
) -> None:
    routes = _routes(everything.app)
    paths = {path for path, _ in routes}
    # the non-schema routes are in, so a route added later is fuzzed too without being listed
    assert {"/slack/events", "/api/messages", "/openapi.json", "/healthz"} <= paths, paths
    assert any(path.startswith("/static") for path in paths)
    assert any("{" in path for path in paths)
    for template, methods in routes:
        _fuzz_route(everything, template, methods)


def _fuzz_route(everything: Everything, template: str, methods: list[str]) -> None:
    client = everything.client

    # the chat platforms' endpoints parse the most, so they get more examples
    examples = 60 if template in ("/slack/events", "/api/messages") else 14

    @settings(
        max_examples=examples * FUZZ_SCALE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def no_server_error(data: st.DataObject) -> None:
        from urllib.parse import quote

        path = re.sub(r"\{[^}]+\}", lambda _: quote(data.draw(segments), safe="") or "x", template)
        query = data.draw(
            st.dictionaries(
                st.sampled_from(QUERY_NAMES) | st.text(max_size=6),
                st.text(max_size=60) | st.sampled_from(INJECTIONS) | st.integers().map(str),
                max_size=3,
            )
        )
        if query:
            path += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
        method = data.draw(st.sampled_from(methods) | st.sampled_from(HTTP_METHODS))
        headers: dict[str, Any] = {}
        if template == "/slack/events":
            body, headers = data.draw(slack_requests())
        elif template == "/api/messages" and data.draw(st.booleans()):
            body = json.dumps(data.draw(teams_activities(everything.service_url))).encode()
            headers = {"content-type": JSON_TYPE}
            if data.draw(st.integers(0, 3)):  # mostly past the token check
                headers["authorization"] = f"Bearer {everything.teams_token}"
        else:
            body = data.draw(
                st.one_of(
                    st.binary(max_size=300),
                    json_values.map(lambda v: json.dumps(v).encode()),
                    st.dictionaries(
                        st.sampled_from(FIELD_NAMES) | st.text(max_size=8),
                        texts | st.sampled_from(INJECTIONS),
                        max_size=5,
                    )
                    .map(lambda d: "&".join(f"{quote(k)}={quote(v)}" for k, v in d.items()))
                    .map(str.encode),
                )
            )
            headers["content-type"] = data.draw(st.sampled_from(CONTENT_TYPES))
        extra = data.draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        *["accept-language", "cookie", "authorization", "origin", "referer"],
                        *["x-forwarded-for", "x-slack-retry-num", "x-csrf-token", "range"],
                    ]
                ),
                latin1.filter(lambda s: len(s) < 60),
                max_size=3,
            )
        )
        headers.update({k: v.encode("latin-1") for k, v in extra.items() if k not in headers})
        if data.draw(st.booleans()):
            headers["cookie"] = data.draw(st.sampled_from(everything.sessions))
        headers = {
            k: (v.encode("latin-1") if isinstance(v, str) else v) for k, v in headers.items()
        }
        response = client.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (method, path, response.status_code, response.text)

    no_server_error()


def test_the_routes_of_slack_oauth_mode_answer_random_requests_too(
    everything: Everything, tmp_path: Path
) -> None:
    """Multi-workspace Slack adds its install pages: every route only that mode has is fuzzed."""
    from tests.fakes.slack import FakeSlack
    from tests.support.slack import SECRET as SLACK_SECRET

    slack = FakeSlack().start()
    try:
        app = create_app(
            Settings(  # type: ignore[call-arg]
                _env_file=None,
                data_dir=tmp_path / "oauth",
                scheduler=False,
                rate_limit="",
                slack_signing_secret=SLACK_SECRET,
                slack_client_id="111.222",
                slack_client_secret="a-client-secret-for-tests",
                slack_api_url=slack.api_url,
            )
        )
        known = {path for path, _ in _routes(everything.app)}
        only_here = [(path, methods) for path, methods in _routes(app) if path not in known]
        assert {"/slack/install", "/slack/oauth_redirect"} <= {p for p, _ in only_here}
        with TestClient(app, base_url="http://127.0.0.1") as client:
            oauth = Everything(client, app, "", everything.service_url, [""])
            for template, methods in only_here:
                _fuzz_route(oauth, template, methods)
        app.state.maatjes.engine.dispose()
    finally:
        slack.stop()
