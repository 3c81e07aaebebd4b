"""The follow-up loop through the chat, on SQLite and PostgreSQL: members press the answers and
type why, the counts reach `maatjes round show` and the dashboard, a group that did not meet is
asked once more (and never a third time), and then counts as not meeting."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot import jobs
from bot.app import Maatjes, create_app
from bot.core.messages import Account, Inbound, Question
from bot.services.access import CLI_ACTOR
from bot.services.accounts import Accounts
from bot.services.delivery import Delivery, InboxSender
from bot.services.follow_ups import FollowUps
from bot.services.matchmaking import Matchmaker
from bot.services.round_views import round_view
from bot.services.rounds import RoundService
from bot.settings import Settings
from matching.embedders import load_embedder
from storage import checkins, follow_ups, rounds
from storage.db import session_scope
from storage.models import FollowUpAnswer, MatchGroup, OutboxMessage
from storage.types import utcnow
from tests.support.cli import maatjes
from tests.support.community import community, profiled_person, proposed_round
from tests.support.dashboard import login

REASON = "andere opgave dan gedacht"
ENGLISH_REASON = "no time before the summer"


def _app(tmp_path: Path, database_url: str) -> tuple[TestClient, Maatjes]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=database_url,
        coordinators="local:tessa",
        scheduler=False,
        follow_up_days=14,
        follow_up_again_days=14,
    )
    app = create_app(settings)
    Accounts(app.state.maatjes.engine).set_password("Tessa", "een lang wachtwoord")
    return TestClient(app, base_url="http://127.0.0.1"), app.state.maatjes


def _follow_up_question(found: Maatjes, who: str) -> Question:
    """The latest follow-up question delivered to ``who`` (shown once, when they come back)."""
    shown = found.conversations.resume(Account("local", who))
    questions = [m for m in shown if isinstance(m, Question) and m.step == "follow_up"]
    assert questions, f"{who} was asked whether they met"
    return questions[-1]


def _press(found: Maatjes, who: str, question: Question, answer: str) -> Question:
    """Press one answer under a delivered follow-up question; returns what is asked next."""
    value = next(c.value for c in question.choices if c.value.endswith(f":{answer}"))
    turn = found.conversations.handle(Account("local", who), Inbound(choice=value))
    assert turn.accepted
    return [m for m in turn.messages if isinstance(m, Question)][-1]


def _type(found: Maatjes, who: str, text: str) -> None:
    assert found.conversations.handle(Account("local", who), Inbound(text=text)).accepted


def _days_ago(engine: Engine, group_ids: list[int], days: int) -> None:
    """As if the groups were introduced ``days`` ago (the scheduler reads the clock)."""
    with session_scope(engine) as session:
        session.execute(
            update(MatchGroup)
            .where(col(MatchGroup.id).in_(group_ids))
            .values(introduced_at=utcnow() - timedelta(days=days))
        )


def _asked_again(engine: Engine) -> list[tuple[int, int]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        return sorted(
            (int(m.payload["group_id"]), m.recipient_id)
            for m in rows
            if m.dedupe_key.startswith("follow_up_again:")
        )


def test_the_follow_up_loop_through_the_chat(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("bot", "storage"):
        caplog.set_level(logging.DEBUG, logger=name)
    client, found = _app(tmp_path, database_url)
    engine = found.engine
    anna, bram, chris, dewi, eva = ids = community(engine)
    round_id = proposed_round(engine, ids)
    found.rounds.approve(round_id, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        pair, trio = (g.id or 0 for g in rounds.groups_of(session, round_id=round_id))
    delivery = Delivery(engine, {"local": InboxSender(engine)})
    assert delivery.deliver_due(now=utcnow() + timedelta(days=15)).by_kind == {
        "introduction": 5,
        "follow_up": 5,
    }

    asked = {who: _follow_up_question(found, who) for who in ("anna", "bram", "chris", "eva")}
    # the pair: Anna says it was not a fit and why, Bram says they met
    then = _press(found, "anna", asked["anna"], "not_a_fit")
    assert then.step == "follow_up_reason" and then.text.startswith("Wil je in een paar")
    _type(found, "anna", REASON)
    _press(found, "bram", asked["bram"], "met")
    # the trio: Chris (English) not yet, and why; Eva answers twice (the latest counts) and
    # skips the reason; Dewi does not answer
    then = _press(found, "chris", asked["chris"], "not_yet")
    assert then.text.startswith("Would you like to say why")
    _type(found, "chris", ENGLISH_REASON)
    _press(found, "eva", asked["eva"], "met")
    _press(found, "eva", asked["eva"], "not_yet")
    _type(found, "eva", "sla over")

    with Session(engine) as session:
        view = round_view(session, round_id=round_id)
        stored = {(a.person_id, a.answer, a.reason) for a in session.exec(select(FollowUpAnswer))}
    counts = {g.id: g.as_dict()["follow_up"] for g in view.groups}
    assert counts == {
        pair: {"met": 1, "not_yet": 0, "not_a_fit": 1, "no_answer": 0},
        trio: {"met": 0, "not_yet": 2, "not_a_fit": 0, "no_answer": 1},
    }
    assert stored == {
        (anna, "not_a_fit", REASON),
        (bram, "met", None),
        (chris, "not_yet", ENGLISH_REASON),
        (eva, "not_yet", None),
    }

    # the command line shows the same (the JSON without anybody's reason)
    monkeypatch.setenv("MAATJES_DATABASE_URL", database_url)
    data = tmp_path / "data"
    shown = maatjes("round", "show", str(round_id), "--json", data_dir=data)
    assert shown.returncode == 0, shown.stderr
    assert {g["id"]: g["follow_up"] for g in json.loads(shown.stdout)["groups"]} == counts
    assert REASON not in shown.stdout + shown.stderr and ENGLISH_REASON not in shown.stdout
    plain = maatjes("round", "show", str(round_id), data_dir=data).stdout
    assert "follow-up: met 0 · not yet 2 · not a fit 0 · no answer 1" in plain

    # too early for a second ask; then, a second interval on, only the trio (no „met”) is asked,
    # and only those who did not say it was not a fit: once, whoever runs the job
    assert jobs.ask_follow_up_again(found) is None
    _days_ago(engine, [pair, trio], 29)
    done = jobs.ask_follow_up_again(found)
    assert done is not None and done.fields == {"groups": 1}
    assert jobs.ask_follow_up_again(found) is None
    other_process = FollowUps(engine, found.settings.groups.rounds)
    assert other_process.ask_again() == 0
    assert _asked_again(engine) == sorted((trio, p) for p in (chris, dewi, eva))
    with Session(engine) as session:
        assert follow_ups.did_not_meet(session) == {trio}
        assert trio in checkins.quiet_groups(session) and pair not in checkins.quiet_groups(session)
    assert delivery.deliver_due().by_kind == {"follow_up": 3}
    again = _follow_up_question(found, "dewi")
    assert again.text.startswith("Nog één keer, dan laat ik het rusten")
    _days_ago(engine, [pair, trio], 60)
    assert jobs.ask_follow_up_again(found) is None, "never a third time"
    assert len(_asked_again(engine)) == 3

    # the dashboard: the counts and reasons per group, the meeting rate per round
    with client:
        assert login(client) == 303
        page = client.get(f"/dashboard/rounds/{round_id}").text
        assert "Gesproken: 1 · nog niet: 0 · klikte niet: 1 · geen antwoord: 0" in page
        assert "Gesproken: 0 · nog niet: 2 · klikte niet: 0 · geen antwoord: 1" in page
        assert f"Het klikte niet: <q>{REASON}</q>" in page
        assert f"Nog niet: <q>{ENGLISH_REASON}</q>" in page
        assert page.count("Twee keer gevraagd.") == 1
        english = client.get(f"/dashboard/rounds/{round_id}?lang=en").text
        assert "Met: 0 · not yet: 2 · not a fit: 0 · no answer: 1" in english
        assert f"Not yet: <q>{ENGLISH_REASON}</q>" in english
        listed = client.get("/dashboard/rounds?lang=nl").text
        assert "Hoe vaak groepen elkaar spraken" in listed
        assert 'class="bar w4"' in listed and "20%" in listed  # 1 of 5 members met

        # Dewi answers the second ask: they met after all, so the trio is no longer freed
        _press(found, "dewi", again, "met")
        with Session(engine) as session:
            assert follow_ups.did_not_meet(session) == set()
            assert trio not in checkins.quiet_groups(session)
        assert "40%" in client.get("/dashboard/rounds?lang=en").text

    # the reasons are personal: in the person's export, gone with them, never in a log
    assert found.privacy is not None
    exported = found.privacy.export(anna, origin="test")
    assert [(a["answer"], a["reason"]) for a in exported["follow_up_answers"]] == [
        ("not_a_fit", REASON)
    ]
    found.privacy.erase(anna, origin="test")
    with Session(engine) as session:
        assert REASON not in {a.reason for a in session.exec(select(FollowUpAnswer))}
    assert REASON not in caplog.text and ENGLISH_REASON not in caplog.text
    engine.dispose()


TFIDF = load_embedder("tfidf")  # fast, no model


def _club_settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, coordinators="local:tessa", embedder="tfidf"
    )


def _add_person(engine: Engine, index: int) -> None:
    """A finished profile with consent for matching, as the intake leaves it."""
    with session_scope(engine) as session:
        person_id = profiled_person(
            session,
            platform="local",
            user_id=f"p{index}",
            name=f"Persoon {index}",
            group=("regionaal", "rijk")[index % 2],
        )
        assert person_id


def test_a_club_that_did_not_meet_is_freed_for_the_next_round(
    database_url: str, engine: Engine
) -> None:
    """Asked twice and nobody said „ja”: its members are placed anew and the club ends, while
    the clubs that met go on."""
    settings = _club_settings(database_url)
    matcher = Matchmaker(settings.groups.matching)
    matcher._embedder = TFIDF
    service = RoundService(engine, settings.groups.rounds, proposer=matcher)
    for i in range(9):
        _add_person(engine, i)
    first = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    service.approve(first, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        clubs = [g.id or 0 for g in rounds.groups_of(session, round_id=first)]
        members = rounds.members_of(session, group_ids=clubs)
    quiet, *others = clubs
    assert others
    with session_scope(engine) as session:  # the other clubs met
        for club in others:
            rounds.record_follow_up(
                session, group_id=club, person_id=members[club][0], answer="met"
            )
        rounds.record_follow_up(
            session, group_id=quiet, person_id=members[quiet][0], answer="not_yet"
        )
        follow_ups.record_reason(
            session, group_id=quiet, person_id=members[quiet][0], reason="Geheime reden"
        )
    _days_ago(engine, clubs, 29)
    assert FollowUps(engine, settings.groups.rounds).ask_again() == 1
    second = service.propose(actor=CLI_ACTOR, origin="cli", kind="clubs")
    with Session(engine) as session:
        groups = rounds.groups_of(session, round_id=second)
        proposed = rounds.members_of(session, group_ids=[g.id or 0 for g in groups])
    assert set(members[quiet]) <= {p for ids in proposed.values() for p in ids}
    with Session(engine) as session:  # the matcher never quotes a reason
        shown = json.dumps(round_view(session, round_id=second).as_dict(), ensure_ascii=False)
        stored = json.dumps([g.explanation for g in groups], ensure_ascii=False)
    assert "Geheime reden" not in shown + stored
    service.approve(second, actor=CLI_ACTOR, origin="cli")
    with Session(engine) as session:
        ended = session.get(MatchGroup, quiet)
        assert ended is not None and ended.status == rounds.DISSOLVED
        going_on = [session.get(MatchGroup, c) for c in others]
        assert all(g is not None and g.status in rounds.RUNNING for g in going_on)
