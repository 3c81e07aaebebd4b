"""The outbox delivers each message once: dedupe on enqueue, atomic claims across processes."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import outbox, people
from storage.db import session_scope
from storage.types import utcnow
from tests import ROOT


def _recipient(engine: Engine) -> int:
    with session_scope(engine) as session:
        person = people.get_or_create_person(
            session, platform="local", platform_user_id="r", language="nl"
        )
        assert person.id is not None
        return person.id


def test_the_same_message_is_enqueued_once(engine: Engine) -> None:
    rid = _recipient(engine)
    with session_scope(engine) as session:
        assert outbox.enqueue(
            session, dedupe_key="intro:1:1", recipient_id=rid, kind="introduction", payload={}
        )
        assert not outbox.enqueue(
            session,
            dedupe_key="intro:1:1",
            recipient_id=rid,
            kind="introduction",
            payload={"other": True},
        )
    with Session(engine) as session:
        (entry,) = outbox.entries(session)
        assert entry.payload == {} and entry.status == "pending"


def test_claims_retries_and_failures(engine: Engine) -> None:
    rid = _recipient(engine)
    with session_scope(engine) as session:
        for i in range(3):
            outbox.enqueue(
                session, dedupe_key=f"k{i}", recipient_id=rid, kind="test", payload={"i": i}
            )
    with session_scope(engine) as session:
        first = outbox.claim(session, worker="a", limit=2)
        assert [m.payload["i"] for m in first] == [0, 1]
        assert all(m.attempts == 1 and m.status == "sending" for m in first)
    with session_scope(engine) as session:
        assert [m.payload["i"] for m in outbox.claim(session, worker="b")] == [2], (
            "claimed rows are taken"
        )
        assert outbox.claim(session, worker="b") == []
    with session_scope(engine) as session:
        assert first[0].id is not None and first[1].id is not None
        assert not outbox.mark_sent(session, message_id=first[0].id, worker="b"), "not b's claim"
        assert outbox.mark_sent(session, message_id=first[0].id, worker="a")
        later = utcnow() + timedelta(seconds=30)
        outbox.mark_retry(session, message_id=first[1].id, worker="a", error="429", retry_at=later)
    with session_scope(engine) as session:
        assert outbox.claim(session, worker="a") == [], "a retry waits for its time"
        (again,) = outbox.claim(session, worker="a", now=later + timedelta(seconds=1))
        assert again.attempts == 2
        outbox.mark_retry(
            session, message_id=again.id or 0, worker="a", error="boom", retry_at=None
        )
    with Session(engine) as session:
        assert outbox.counts(session) == {"sent": 1, "failed": 1, "sending": 1}


def test_a_dead_workers_claim_is_released_after_the_lease(engine: Engine) -> None:
    rid = _recipient(engine)
    with session_scope(engine) as session:
        outbox.enqueue(session, dedupe_key="k", recipient_id=rid, kind="test", payload={})
        (claimed,) = outbox.claim(session, worker="dies")
    with session_scope(engine) as session:
        assert outbox.claim(session, worker="b", now=utcnow() + timedelta(minutes=1)) == []
        (taken,) = outbox.claim(session, worker="b", now=utcnow() + timedelta(minutes=6))
        assert taken.id == claimed.id
    with session_scope(engine) as session:
        assert not outbox.mark_sent(session, message_id=taken.id or 0, worker="dies")
        assert outbox.mark_sent(session, message_id=taken.id or 0, worker="b")


def test_two_processes_deliver_every_message_exactly_once(
    engine: Engine, database_url: str
) -> None:
    rid = _recipient(engine)
    total = 400
    with session_scope(engine) as session:
        for i in range(total):
            outbox.enqueue(session, dedupe_key=f"m{i}", recipient_id=rid, kind="test", payload={})
    start_at = time.time() + 1.5
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "workers" / "outbox.py"),
                database_url,
                name,
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name in ("w1", "w2")
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    sent = [[int(line) for line in out.split()] for out, _ in outputs]
    everything = sent[0] + sent[1]
    assert len(everything) == total, "nothing lost"
    assert len(set(everything)) == total, "nothing sent twice"
    assert sent[0] and sent[1], "both processes took part"
    with Session(engine) as session:
        assert outbox.counts(session) == {"sent": total}


class _Flaky:
    """A platform that answers 429 with Retry-After, then fails otherwise, then works."""

    def __init__(self, problems: list[Exception]) -> None:
        self.problems = problems
        self.sent = 0

    def send(self, person: object, messages: object) -> None:
        if self.problems:
            raise self.problems.pop(0)
        self.sent += 1


def test_retry_after_is_honoured_then_back_off_then_failed(engine: Engine) -> None:
    from bot.core.ports import RetryLater
    from bot.services.delivery import MAX_ATTEMPTS, Delivery, backoff
    from storage.models import OutboxMessage

    rid = _recipient(engine)
    with session_scope(engine) as session:
        outbox.enqueue(session, dedupe_key="m", recipient_id=rid, kind="test", payload={})
    now = utcnow() + timedelta(seconds=1)
    platform = _Flaky([RetryLater("429", after=timedelta(seconds=7)), ConnectionError("down")])
    delivery = Delivery(engine, {"local": platform}, clock=lambda: now)

    def row() -> OutboxMessage:
        with Session(engine) as session:
            return outbox.entries(session)[0]

    assert delivery.deliver_due(now=now).retried == 1
    assert row().not_before == now + timedelta(seconds=7), "the platform's Retry-After"
    assert delivery.deliver_due(now=now + timedelta(seconds=6)).delivered == 0, "not before"
    later = now + timedelta(seconds=7)
    assert delivery.deliver_due(now=later).retried == 1
    assert row().not_before == later + backoff(2), "then exponential back-off"
    assert row().last_error == "ConnectionError"
    done = delivery.deliver_due(now=later + backoff(2))
    assert done.delivered == 1 and platform.sent == 1 and row().status == "sent"

    with session_scope(engine) as session:
        outbox.enqueue(session, dedupe_key="n", recipient_id=rid, kind="test", payload={})
    broken = _Flaky([ConnectionError("down")] * MAX_ATTEMPTS)
    failing = Delivery(engine, {"local": broken}, clock=lambda: now)
    when = now
    for _ in range(MAX_ATTEMPTS):
        failing.deliver_due(now=when)
        when += timedelta(hours=3)
    with Session(engine) as session:
        assert outbox.counts(session) == {"sent": 1, "failed": 1}, "failed, never dropped"


def test_a_platforms_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from bot.core.ports import retry_after_seconds

    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    found = retry_after_seconds(later)
    assert found is not None and 100 < found <= 120
