"""Property-based fuzzing: the chat core, the conversation service on a real database and every
HTTP endpoint (schemathesis over the app's own /openapi.json, in-process via ASGI) get random
unicode, huge inputs and injection payloads. Nothing raises, nothing answers 500, every refusal
is a clear message, and nothing already stored is lost. Example counts stay moderate: the suite
runs on two cores."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
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
from bot.core.intake import (
    FIELDS,
    ConsentDecided,
    ConsentWithdrawn,
    Conversation,
    CoreConfig,
    ErasureRequested,
    Intake,
    ProfileCommitted,
    ReviewDecided,
    ReviewRequested,
    RoundRequested,
    SwapRequested,
)
from bot.core.messages import Account, Card, Inbound, Question, Text
from bot.services.accounts import Accounts
from bot.services.conversations import ConversationService
from bot.services.privacy import PrivacyService
from bot.settings import Settings
from storage import people
from storage.db import make_engine, migrate
from tests.chat_support import Chat, complete_dutch_intake

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
        privacy=PrivacyService(fuzz_engine, config),
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
    huge = "x" * 200_000
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
