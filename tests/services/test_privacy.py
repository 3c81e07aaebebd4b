"""Privacy end to end on SQLite and PostgreSQL: the privacy overview and consent per purpose,
withdrawal that takes effect at once, "mijn gegevens" (a signed download link) and "vergeet mij"
(erasure that leaves no trace in any table, nor in the raw SQLite files), retention, the CLI, the
per-person turn limit and the log redaction filter."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import create_app
from bot.core.conversation import MATCHING, SHARING, CoreConfig
from bot.core.dialogue import Intake
from bot.core.messages import Account, Card, Inbound
from bot.logs import JsonFormatter, RedactingFilter
from bot.services import privacy as privacy_service
from bot.services.access import CLI_ACTOR
from bot.services.checkins import CheckInService
from bot.services.conversations import ConversationService
from bot.services.delivery import REPLY, Delivery, InboxSender
from bot.services.matchmaking import Matchmaker
from bot.services.privacy import LinkExpired, LinkInvalid, PrivacyService
from bot.services.rounds import RoundService
from bot.services.throttle import TurnLimiter
from bot.settings import Settings
from storage import audit, consents, outbox, people, rounds, threads
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    CheckIn,
    CheckInAnswer,
    GroupMember,
    MatchGroup,
    Person,
    ProfileEmbedding,
)
from storage.types import utcnow
from tests.support.chat import DUTCH_ANSWERS, Chat, complete_dutch_intake
from tests.support.cli import maatjes
from tests.support.community import community

MARKER = "Kiwibessen-Merkteken-7Q9Z"
LINK = re.compile(r"http://localhost:8000/privacy/export/([A-Za-z0-9._-]+)")


def _settings(**extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        coordinators="local:tessa",
        secret_key="a-test-secret-that-is-long-enough",
        public_url="http://localhost:8000/",  # name sign-in: this machine only
        **extra,
    )


def _services(engine: Engine) -> tuple[PrivacyService, ConversationService]:
    privacy = PrivacyService(engine, _settings().groups.privacy)
    chat = ConversationService(engine, Intake(CoreConfig(policy_version="t")), privacy=privacy)
    return privacy, chat


def _all_text(engine: Engine) -> str:
    """Every value in every table, as one string: what a database dump would show."""
    chunks: list[str] = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def _person(engine: Engine, user: str) -> Person:
    with Session(engine) as session:
        found = people.get_person(session, platform="local", platform_user_id=user)
        assert found is not None
        return found


# --- the overview and consent per purpose -------------------------------------------------------


def test_privacy_shows_each_purpose_with_time_and_version(engine: Engine) -> None:
    _, service = _services(engine)
    chat = Chat(service)
    complete_dutch_intake(chat)
    chat.say("privacy")
    card = next(m for m in chat.last.messages if isinstance(m, Card))  # type: ignore[union-attr]
    shown = {f.label: f.value for f in card.fields}
    assert "gegeven op" in shown["Koppelen en check-ins"]
    assert "(privacyverklaring t)" in shown["Koppelen en check-ins"]
    assert shown["Reflectie-antwoorden delen met je groep"] == "nog niet gevraagd"
    values = [c.value for c in card.choices]
    assert values == [
        "privacy:matching:off",
        "privacy:sharing:on",
        "privacy:insights:on",
        "privacy:export",
        "privacy:forget",
    ]
    with Session(engine) as session:
        state = people.load_conversation(session, person_id=_person(engine, "anna").id or 0)
    assert state.step == "done", "the overview keeps the conversation where it was"

    chat.click("privacy:sharing:on")
    chat.say("privacy")
    card = next(m for m in chat.last.messages if isinstance(m, Card))  # type: ignore[union-attr]
    assert (
        "gegeven op"
        in {f.label: f.value for f in card.fields}["Reflectie-antwoorden delen met je groep"]
    )
    with Session(engine) as session:
        pid = _person(engine, "anna").id
        assert pid is not None
        assert consents.has_consent(session, person_id=pid, purpose=SHARING)
        recorded = [c for c in consents.consents_of(session, person_id=pid)]
    assert {(c.purpose, c.policy_version) for c in recorded} == {(MATCHING, "t"), (SHARING, "t")}


def test_withdrawing_sharing_makes_every_answer_private(engine: Engine) -> None:
    _, service = _services(engine)
    ids, checkin_id = _introduced_pair_with_checkin(engine)
    anna = Account("local", "anna")
    service.handle(anna, Inbound(choice=f"checkin:{checkin_id}:answer"))
    service.handle(anna, Inbound(text=f"Gedeeld antwoord {MARKER}"))
    service.handle(anna, Inbound(choice="share"))
    with Session(engine) as session:
        assert consents.has_consent(session, person_id=ids[0], purpose=SHARING), (
            "choosing 'share' records the consent for sharing"
        )
        assert session.get(CheckInAnswer, (checkin_id, ids[0])).shared  # type: ignore[union-attr]
    turn = service.handle(anna, Inbound(choice="privacy:sharing:off"))
    assert "alleen voor jou" in " ".join(getattr(m, "text", "") for m in turn.messages)
    with Session(engine) as session:
        answer = session.get(CheckInAnswer, (checkin_id, ids[0]))
        assert answer is not None and answer.text and not answer.shared
        assert not consents.has_consent(session, person_id=ids[0], purpose=SHARING)


def test_withdrawing_matching_consent_stops_matching_proposals_and_check_ins(
    engine: Engine,
) -> None:
    _, service = _services(engine)
    ids, checkin_id = _introduced_pair_with_checkin(engine, send=False)
    # a second round, still a proposal, with Anna in it
    with session_scope(engine) as session:
        proposal = rounds.create_round(
            session,
            kind="pairs",
            origin="cli",
            proposed_by=CLI_ACTOR,
            embedder="test",
            weights={},
            groups=[
                rounds.NewGroup([ids[0], ids[2], ids[3]], 0.8, {"themes": [], "mix": True}),
                rounds.NewGroup([ids[0], ids[4]], 0.7, {"themes": [], "mix": True}),
            ],
        )
        proposal_group, lone_pair = (
            g.id for g in rounds.groups_of(session, round_id=proposal.id or 0)
        )
    with Session(engine) as session:
        assert ids[0] in [
            p.id for p in Matchmaker(_settings().groups.matching).candidates(session, now=utcnow())
        ]
        pending = [m for m in outbox.entries(session) if m.recipient_id == ids[0]]
        assert any(m.status == "pending" for m in pending)
    with session_scope(engine) as session:  # a reply the platform has not taken yet
        outbox.enqueue(
            session,
            dedupe_key="reply:test:1",
            recipient_id=ids[0],
            kind=REPLY,
            payload={"messages": [{"type": "text", "text": "Bij welke organisatie werk je?"}]},
        )

    anna = Chat(service, user="anna")
    anna.say("privacy")
    anna.click("privacy:matching:off")
    assert anna.step == "confirm_stop"
    anna.click("yes")
    assert "ingetrokken" in anna.text()

    with Session(engine) as session:
        candidates = [
            p.id for p in Matchmaker(_settings().groups.matching).candidates(session, now=utcnow())
        ]
        assert ids[0] not in candidates and ids[1] in candidates
        members = rounds.members_of(session, group_ids=[proposal_group or 0, lone_pair or 0])
        assert members[proposal_group or 0] == [ids[2], ids[3]], "out of the club, others stay"
        assert not members.get(lone_pair or 0), "a pair left with one member is dissolved"
        dissolved = session.get(MatchGroup, lone_pair)
        assert dissolved is not None and dissolved.status == "dissolved"
        assert ids[4] in candidates, "the one left is free for the next round"
        hers = [m for m in outbox.entries(session) if m.recipient_id == ids[0]]
        assert all(m.status == "cancelled" for m in hers if m.kind != REPLY), (
            "nothing pending goes out to her any more"
        )
        assert [m.status for m in hers if m.kind == REPLY] == ["pending"], (
            "but the reply to her own conversation still does"
        )
        due = session.get(CheckIn, checkin_id)
        assert due is not None
    CheckInService(engine, _settings().groups.checkins).run_due(due.due_at)
    with Session(engine) as session:
        asked = {m.recipient_id for m in outbox.entries(session) if m.kind == "checkin"}
    assert asked == {ids[1]}, "the check-in goes to Bram only"


# --- export -------------------------------------------------------------------------------------


def test_my_data_gives_a_link_to_everything_held(engine: Engine) -> None:
    privacy, service = _services(engine)
    chat = Chat(service)
    complete_dutch_intake(chat)
    pid = _person(engine, "anna").id
    assert pid is not None
    with session_scope(engine) as session:
        session.add(
            ProfileEmbedding(
                person_id=pid,
                field="works_on",
                embedder="test-model",
                text_hash="abc",
                dimensions=4,
                vector=b"\x00" * 16,
            )
        )
    chat.say("mijn gegevens")
    found = LINK.search(chat.text())
    assert found, chat.text()
    assert "15 minuten" in chat.text()
    assert privacy.read_link(found.group(1)) == pid
    assert "anna" not in base64.urlsafe_b64decode(found.group(1).split(".")[0] + "==").decode()
    data = privacy.export(pid, origin="test")
    assert data["format"] == "maatjes-export/1"
    assert data["person"]["works_on"] == DUTCH_ANSWERS["works_on"]
    assert {a["field"] for a in data["profile_history"]} >= {"name", "works_on", "seeks"}
    assert data["consents"][0]["purpose"] == MATCHING
    assert data["consents"][0]["policy_version"] == "t"
    assert data["embeddings"] == [
        {
            "id": data["embeddings"][0]["id"],
            "person_id": pid,
            "field": "works_on",
            "embedder": "test-model",
            "text_hash": "abc",
            "dimensions": 4,
            "created_at": data["embeddings"][0]["created_at"],
        }
    ], "metadata only, never the vector"
    assert data["conversation"]["step"] == "done"
    assert any(e["action"] == "export" for e in data["audit_events"])
    json.dumps(data)  # JSON-ready throughout

    with pytest.raises(LinkInvalid):
        privacy.read_link(found.group(1)[:-3] + "xyz")
    old = URLSafeTimedSerializer(
        "a-test-secret-that-is-long-enough",
        salt=privacy_service._SALT,
        signer=_PastSigner,
    ).dumps({"p": pid, "a": privacy._account_check(_person(engine, "anna"))})
    with pytest.raises(LinkExpired):
        privacy.read_link(old)


class _PastSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        scheduler=False,
        public_url="http://localhost:8000",
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def test_the_web_chat_download_and_broken_links(app_client: TestClient) -> None:
    assert app_client.post("/session", json={"name": "Anna"}).status_code == 200
    app_client.post("/api/chat", json={"text": "hallo"})
    app_client.post("/api/chat", json={"choice": "yes"})
    app_client.post("/api/chat", json={"text": f"Anna {MARKER}"})
    reply = app_client.post("/api/chat", json={"text": "my data"}).json()
    said = " ".join(m.get("text", "") for m in reply["messages"])
    found = LINK.search(said)
    assert found, said
    path = f"/privacy/export/{found.group(1)}"
    other = TestClient(app_client.app, base_url="http://127.0.0.1")  # no session: Slack, Teams
    landing = other.get(path)  # what a browser (or a mail scanner) opening the link gets
    assert landing.status_code == 200 and '<form method="post">' in landing.text
    assert MARKER not in landing.text
    download = other.post(path)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["referrer-policy"] == "no-referrer"
    data = download.json()
    assert data["profile_history"][0]["value"] == f"Anna {MARKER}"

    broken = other.get(path[:-4] + "AAAA", headers={"accept-language": "en"})
    assert broken.status_code == 404 and "not valid" in broken.text
    assert MARKER not in broken.text

    # forgotten: the link no longer works, and the chat starts afresh
    app_client.post("/api/chat", json={"text": "vergeet mij"})
    gone = app_client.post("/api/chat", json={"choice": "yes"}).json()
    assert "gewist" in gone["messages"][0]["text"]
    assert other.get(path).status_code == 404
    assert other.post(path).status_code == 404
    again = app_client.post("/api/chat", json={"text": "hallo"}).json()
    assert again["messages"][-1]["step"] == "consent"


# --- erasure ------------------------------------------------------------------------------------


def _introduced_pair_with_checkin(engine: Engine, *, send: bool = True) -> tuple[list[int], int]:
    """Anna (with the marker in her texts) and Bram introduced as a pair, with a check-in
    planned (and sent, with ``send``)."""
    ids = community(engine)
    with session_scope(engine) as session:
        anna = session.get(Person, ids[0])
        assert anna is not None
        for field, value in {
            "organisation": f"Gemeente {MARKER}",
            "seeks": f"Hulp bij {MARKER} inkoop. En meer.",
        }.items():
            people.save_draft_answer(session, person_id=ids[0], field=field, value=value)
        people.commit_profile(session, person=anna)
        created = rounds.create_round(
            session,
            kind="pairs",
            origin="cli",
            proposed_by=CLI_ACTOR,
            embedder="test",
            weights={},
            groups=[
                rounds.NewGroup(
                    [ids[0], ids[1]],
                    0.9,
                    {
                        "themes": ["bouw"],
                        "mix": True,
                        "fit": {
                            "seeker": ids[0],
                            "offerer": ids[1],
                            "seeks": f"Hulp bij {MARKER} inkoop",
                            "offers": "Bram biedt",
                        },
                    },
                )
            ],
        )
        round_id = created.id or 0
    RoundService(engine, _settings().groups.rounds).approve(round_id, actor=CLI_ACTOR, origin="cli")
    checkins = CheckInService(engine, _settings().groups.checkins)
    checkins.run_due()
    with Session(engine) as session:
        checkin = session.exec(select(CheckIn)).one()
    if send:
        checkins.run_due(checkin.due_at)
    return ids, checkin.id or 0


def _raw_files(database_url: str) -> bytes:
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def test_forget_me_leaves_no_trace_and_the_group_stays(engine: Engine, database_url: str) -> None:
    _, service = _services(engine)
    ids, checkin_id = _introduced_pair_with_checkin(engine)
    anna, bram = Account("local", "anna"), Account("local", "bram")
    # Anna shares a reflection answer and posts in the group thread; everything reaches Bram
    service.handle(anna, Inbound(choice=f"checkin:{checkin_id}:answer"))
    service.handle(anna, Inbound(text=f"Wij spraken over {MARKER} en meer"))
    service.handle(anna, Inbound(choice="share"))
    service.handle(bram, Inbound(choice=f"checkin:{checkin_id}:skip"))
    group_id = _pair(engine, ids)
    with session_scope(engine) as session:
        threads.add_post(session, group_id=group_id, person_id=ids[0], body=f"Post {MARKER}")
        audit.record(
            session,
            actor="local:anna",
            action="review",
            object_type="round",
            object_id=1,
            result="refused",
            origin="web",
        )
    with Session(engine) as session:
        due = session.get(CheckIn, checkin_id)
        assert due is not None
    CheckInService(engine, _settings().groups.checkins).run_due(
        due.due_at + timedelta(hours=1)
    )  # round-up
    Delivery(engine, {"local": InboxSender(engine)}).deliver_due()
    assert MARKER in _all_text(engine), "the marker was in many places"
    if database_url.startswith("sqlite"):
        assert MARKER.encode() in _raw_files(database_url)

    chat = Chat(service, user="anna")
    chat.say("vergeet mij")
    assert chat.step == "confirm_forget"
    chat.click("no")
    assert "niets gewist" in chat.text()
    chat.say("forget me")
    chat.say("ja")
    assert "gewist" in chat.text()

    dump = _all_text(engine)
    assert MARKER not in dump
    assert "local:anna" not in dump
    with Session(engine) as session:
        assert session.get(Person, ids[0]) is None
        assert [m.person_id for m in session.exec(select(GroupMember))] == [ids[1]] or set(
            rounds.members_of(session, group_ids=[group_id])[group_id]
        ) == {ids[1]}
        group = session.get(MatchGroup, group_id)
        assert group is not None and group.status == "introduced", "the group stays for Bram"
        assert "fit" not in group.explanation
        erased = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).one()
        assert erased.object_id is not None and erased.object_id.startswith("erased:")
        assert erased.actor == erased.object_id, "she asked herself: only her pseudonym"
        bram_inbox = json.dumps([m.messages for m in _inbox(session, ids[1])], ensure_ascii=False)
        assert "[verwijderd]" in bram_inbox
    if database_url.startswith("sqlite"):
        raw = _raw_files(database_url)
        assert MARKER.encode() not in raw, "not in the database file nor its WAL"
        assert MARKER.encode("utf-16-le") not in raw

    # writing again starts afresh, as someone new
    chat.say("hallo")
    assert chat.step == "consent"


def _pair(engine: Engine, ids: list[int]) -> int:
    with Session(engine) as session:
        return next(
            gid
            for gid, members in rounds.members_of(
                session, group_ids=[g.id or 0 for g in session.exec(select(MatchGroup))]
            ).items()
            if ids[1] in members
        )


def _inbox(session: Session, person_id: int) -> list[object]:
    from storage import inbox

    return list(inbox.all_for(session, person_id=person_id))


def test_retention_warns_then_erases_unless_the_person_comes_back(engine: Engine) -> None:
    ids = community(engine)
    settings = _settings(retention_inactive_days=180, retention_grace_days=30)
    privacy = PrivacyService(engine, settings.groups.privacy)
    now = utcnow()
    with session_scope(engine) as session:
        for pid in ids:
            person = session.get(Person, pid)
            assert person is not None
            person.last_active_at = now - timedelta(days=10)
        for pid in ids[:2]:  # Anna and Bram have been away for 200 days
            person = session.get(Person, pid)
            assert person is not None
            person.last_active_at = now - timedelta(days=200)
    report = privacy.run_retention(now)
    assert sorted(report.warned) == ids[:2] and report.erased == []
    with Session(engine) as session:
        warnings = [m for m in outbox.entries(session) if m.kind == "retention_warning"]
    assert sorted(m.recipient_id for m in warnings) == ids[:2]
    assert "180 dagen" in warnings[0].payload["messages"][0]["text"]
    assert privacy.run_retention(now).warned == [], "warned once"

    # Bram writes back within the grace period; Anna stays away
    _, service = _services(engine)
    service.handle(Account("local", "bram"), Inbound(text="profiel"))
    later = now + timedelta(days=31)
    report = privacy.run_retention(later)
    assert len(report.erased) == 1 and report.erased[0].startswith("erased:")
    with Session(engine) as session:
        assert session.get(Person, ids[0]) is None
        assert session.get(Person, ids[1]) is not None
        erasure = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).one()
        assert erasure.actor == "maatjes:retention" and erasure.origin == "scheduler"


# --- the operator's commands --------------------------------------------------------------------


def test_cli_export_and_forget(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    from bot.app import build

    maatjes_ = build(settings)
    chat = Chat(maatjes_.conversations, user="anna")
    complete_dutch_intake(chat)
    maatjes_.engine.dispose()
    listed = json.loads(maatjes("people", "--json", data_dir=data_dir).stdout)
    person = str(listed[0]["id"])
    everyone = json.loads(maatjes("people", "--all", "--json", data_dir=data_dir).stdout)
    assert [(p["id"], p["account"]) for p in everyone] == [(listed[0]["id"], "local:anna")]

    exported = maatjes("export", person, data_dir=data_dir)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["person"]["seeks"] == DUTCH_ANSWERS["seeks"]
    target = tmp_path / "anna.json"
    assert maatjes("export", person, "-o", str(target), data_dir=data_dir).returncode == 0
    assert json.loads(target.read_text(encoding="utf-8"))["person"]["name"] == "Anna de Vries"
    assert target.stat().st_mode & 0o077 == 0, "only the operator can read the file"

    refused = maatjes("forget", person, data_dir=data_dir)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    forgotten = maatjes("forget", person, "--yes", data_dir=data_dir)
    assert forgotten.returncode == 0, forgotten.stderr
    assert "erased" in forgotten.stdout
    assert maatjes("forget", person, "--yes", data_dir=data_dir).returncode == 1
    assert maatjes("export", "999", data_dir=data_dir).returncode == 1
    raw = b"".join(p.read_bytes() for p in data_dir.glob("maatjes.db*"))
    assert DUTCH_ANSWERS["seeks"].encode() not in raw
    assert maatjes("retention", "--dry-run", data_dir=data_dir).returncode == 0
    assert json.loads(maatjes("people", "--all", "--json", data_dir=data_dir).stdout) == []


# --- limits and logs ----------------------------------------------------------------------------


def test_turns_are_limited_per_person_with_a_polite_message(engine: Engine) -> None:
    service = ConversationService(
        engine, Intake(CoreConfig(policy_version="t")), limiter=TurnLimiter("3/minute")
    )
    anna, bram = Account("local", "anna"), Account("local", "bram")
    for _ in range(3):
        assert service.handle(anna, Inbound(text="help")).accepted
    limited = service.handle(anna, Inbound(text="help"))
    assert not limited.accepted
    assert "te snel" in limited.messages[0].text  # type: ignore[union-attr]
    assert service.handle(bram, Inbound(text="help")).accepted, "others are not affected"
    english = service.handle(Account("local", "anna", locale="en"), Inbound(text="help"))
    assert not english.accepted


def test_the_log_filter_strips_secrets_and_free_text() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("maatjes.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    secrets = [
        "xoxb-1234567890-abcdefghijkl",
        "xapp-1-A0123-456-abcdef",
        "xoxp-2222-3333-abcd",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl",
        "s3cr3t-signing-value",
        "hunter2-password",
        MARKER,
    ]
    try:
        logger.info("token %s used", secrets[0])
        logger.warning("Authorization: Bearer %s", "abcdefghijklmnopqrstuvwxyz")
        logger.info(
            "turn",
            extra={
                "person_id": 7,
                "text": f"mijn antwoord {MARKER}",
                "password": secrets[5],
                "signing_secret": secrets[4],
                "headers": {"authorization": "Bearer zzz", "x-app": secrets[1]},
                "url": f"https://slack.example/api?token={secrets[2]}",
                "detail": f"jwt {secrets[3]}",
            },
        )
        logger.info("download /privacy/export/InRva2VuIg.abc.def ok")
        logger.info("login password=%s", secrets[5])
        try:
            raise RuntimeError(f"failed with {secrets[0]} and [parameters: ('{MARKER}',)]")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    for secret in secrets:
        assert secret not in output, secret
    assert "abcdefghijklmnopqrstuvwxyz" not in output
    assert "InRva2VuIg" not in output
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines[2]["person_id"] == 7 and lines[2]["text"] == "[redacted]"
    assert lines[-1]["error"] == "RuntimeError" and "[redacted]" in lines[-1]["trace"]


def test_the_scheduler_runs_retention_daily_and_logs_are_redacted_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import jobs, logs
    from bot.app import build

    maatjes_ = build(Settings(_env_file=None, data_dir=tmp_path / "data"))  # type: ignore[call-arg]
    running = jobs.start(maatjes_)
    try:
        job = running.get_job("retention")
        assert job is not None and "hour='3'" in str(job.trigger)
    finally:
        running.shutdown(wait=False)
    off = build(Settings(_env_file=None, data_dir=tmp_path / "data", retention=False))  # type: ignore[call-arg]
    running = jobs.start(off)
    try:
        assert running.get_job("retention") is None
    finally:
        running.shutdown(wait=False)

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    logs.configure("INFO")
    (handler,) = root.handlers
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)


def test_scrubbing_others_copies_takes_whole_words_only() -> None:
    from storage.privacy import _patterns, _scrub

    patterns = _patterns(["Eva", "Hulp bij inkoop van beton", "Hulp bij", "ab"])
    scrubbed = _scrub(
        {"fields": [{"label": "Eva", "value": "Evaluatie: Hulp bij inkoop van beton."}], "n": 3},
        patterns,
        "[verwijderd]",
    )
    assert scrubbed == {
        "fields": [{"label": "[verwijderd]", "value": "Evaluatie: [verwijderd]."}],
        "n": 3,
    }, "a short name never takes a bite out of another word; two letters are left alone"


def test_without_the_privacy_service_nothing_is_claimed_erased(
    service: ConversationService,
) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    chat.say("vergeet mij")
    turn = chat.click("yes")
    assert not turn.accepted and "coördinator" in chat.text()
    assert "bewaarde is gewist" not in chat.text()
    chat.say("profiel")
    assert DUTCH_ANSWERS["name"] in chat.text(), "everything is still there"


def test_group_posts_share_the_per_person_limit(engine: Engine) -> None:
    from bot.services.threads import GroupThreads

    ids, _ = _introduced_pair_with_checkin(engine, send=False)
    group_id = _pair(engine, ids)
    limiter = TurnLimiter("3/minute")
    service = ConversationService(engine, Intake(CoreConfig(policy_version="t")), limiter=limiter)
    posts = GroupThreads(engine, link=Settings(_env_file=None).person_link, limiter=limiter)
    anna = Account("local", "anna")
    assert service.handle(anna, Inbound(text="help")).accepted
    assert posts.post(anna, group_id, "Eerste bericht") == "ok"
    assert posts.post(anna, group_id, "Tweede bericht") == "ok"
    assert posts.post(anna, group_id, "Derde bericht") == "rate_limited"
    assert not service.handle(anna, Inbound(text="help")).accepted
    assert posts.post(Account("local", "bram"), group_id, "Hoi Anna") == "ok"


def test_an_export_link_works_once_and_opening_it_spends_nothing(app_client: TestClient) -> None:
    """The chat says exactly what the link is; opening it (a browser, a mail scanner, a link
    preview) shows a button; the first download spends it, in any session; a second use is a
    polite 410 that says how to get a new link; another link asked for later still works."""
    from bot.core.i18n import translator

    assert app_client.post("/session", json={"name": "Anna"}).status_code == 200
    app_client.post("/api/chat", json={"text": "hallo"})
    app_client.post("/api/chat", json={"choice": "yes"})
    app_client.post("/api/chat", json={"text": f"Anna {MARKER}"})

    def ask() -> str:
        reply = app_client.post("/api/chat", json={"text": "mijn gegevens"}).json()
        said = " ".join(m.get("text", "") for m in reply["messages"])
        assert "één keer" in said and "15 minuten" in said, said
        assert "alleen voor jou" not in said, "the link is a key, not tied to a person's session"
        found = LINK.search(said)
        assert found, said
        return f"/privacy/export/{found.group(1)}"

    first, second = ask(), ask()
    assert first != second, "every link is its own"
    scanner = TestClient(app_client.app, base_url="http://127.0.0.1")
    for _ in range(3):
        assert scanner.get(first).status_code == 200  # prefetching spends nothing
    other = TestClient(app_client.app, base_url="http://127.0.0.1")
    download = other.post(first)
    assert download.status_code == 200 and MARKER in download.text
    for client in (other, scanner, app_client):
        for method in ("GET", "POST"):
            again = client.request(method, first, headers={"accept-language": "en"})
            assert again.status_code == 410, (method, again.status_code)
            assert translator("en")("privacy.link_used") in again.text.replace("&#x27;", "'")
            assert MARKER not in again.text
            assert again.headers["cache-control"] == "no-store"
    dutch = other.post(first)
    assert "al gebruikt" in dutch.text and "mijn gegevens" in dutch.text
    assert MARKER in other.post(second).text, "the other link still works, once"
    assert other.post(second).status_code == 410
