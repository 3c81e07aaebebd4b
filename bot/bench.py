"""``maatjes bench checkins``: many groups due at once, delivered by several processes through a
local fake platform that enforces a rate limit (HTTP 429 with Retry-After).

The fake platform records every message it accepts by its outbox id, so the run can count
duplicates (must be 0) and lost messages (must be 0) as well as time and throughput.
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Print = Callable[[str], None]


class RateLimitedPlatform:
    """A fake chat platform on localhost: accepts at most ``rate`` messages per second and
    answers 429 with ``Retry-After: 1`` beyond that, like Slack's and Teams' APIs do."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.accepted: Counter[int] = Counter()
        self.throttled = 0
        self._window = 0
        self._count = 0
        self._lock = threading.Lock()
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                status = platform.accept(int(body["id"]))
                self.send_response(status)
                if status == 429:
                    self.send_header("retry-after", "1")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def accept(self, message_id: int) -> int:
        with self._lock:
            second = int(time.monotonic())
            if second != self._window:
                self._window, self._count = second, 0
            if self._count >= self.rate:
                self.throttled += 1
                return 429
            self._count += 1
            self.accepted[message_id] += 1
            return 200

    def __enter__(self) -> RateLimitedPlatform:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HttpSender:
    """Sends each outbox message to the fake platform; 429 becomes RetryLater(Retry-After)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.current_id = 0

    def send(self, person: Any, messages: Any) -> None:
        from bot.core.ports import RetryLater

        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 fake
            self.url,
            data=json.dumps({"id": self.current_id, "to": person.id}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310
                pass
        except urllib.error.HTTPError as error:
            if error.code == 429:
                after = float(error.headers.get("retry-after", "1"))
                raise RetryLater("rate limited", after=timedelta(seconds=after)) from None
            raise


def _seed(url: str, groups: int, at: datetime) -> int:
    """Pairs of people (platform "bench"), introduced, each with a check-in due at ``at``."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from bot.core.intake import MATCHING
    from storage.db import make_engine, migrate, session_scope
    from storage.models import CheckIn, Consent, GroupMember, MatchGroup, MatchRound, Person

    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        session.execute(
            insert(Person),
            [
                {
                    "platform": "bench",
                    "platform_user_id": f"u{i}",
                    "language": "nl" if i % 3 else "en",
                    "name": f"Persoon {i}",
                    "language_chosen": True,
                    "is_demo": False,
                    "profile_completed_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
                for i in range(groups * 2)
            ],
        )
        ids = list(session.exec(select(Person.id).order_by(col(Person.id))))
        session.execute(
            insert(Consent),
            [
                {
                    "person_id": pid,
                    "purpose": MATCHING,
                    "policy_version": "bench",
                    "given": True,
                    "decided_at": at,
                }
                for pid in ids
            ],
        )
        match_round = MatchRound(kind="pairs", origin="cli", embedder="bench", status="introduced")
        session.add(match_round)
        session.flush()
        session.execute(
            insert(MatchGroup),
            [
                {
                    "round_id": match_round.id,
                    "position": i + 1,
                    "kind": "pair",
                    "status": "introduced",
                    "introduced_at": at - timedelta(days=31),
                    "explanation": {},
                    "score": 0.0,
                }
                for i in range(groups)
            ],
        )
        group_ids = list(session.exec(select(MatchGroup.id).order_by(col(MatchGroup.id))))
        session.execute(
            insert(GroupMember),
            [
                {"group_id": gid, "person_id": ids[2 * i + k], "added_at": at}
                for i, gid in enumerate(group_ids)
                for k in (0, 1)
            ],
        )
        session.execute(
            insert(CheckIn),
            [
                {
                    "group_id": gid,
                    "sequence": 1,
                    "prompt_code": "lib:doen_met_wie",
                    "due_at": at - timedelta(minutes=1),
                    "status": "scheduled",
                }
                for gid in group_ids
            ],
        )
    engine.dispose()
    return groups * 2


def _worker(url: str, platform_url: str, start_at: float, queue: Any) -> None:
    from bot.services.checkins import CheckInService
    from bot.services.delivery import Delivery
    from bot.settings import Settings
    from storage.db import make_engine

    engine = make_engine(url)
    settings = Settings(_env_file=None, database_url=url, scheduler=False)
    sender = HttpSender(platform_url)

    class Tracking(Delivery):
        def _deliver_one(self, message: Any, *args: Any, **kwargs: Any) -> None:
            sender.current_id = message.id
            super()._deliver_one(message, *args, **kwargs)

    delivery = Tracking(engine, {"bench": sender})
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    from sqlalchemy.exc import OperationalError

    for attempt in range(10):  # as the scheduler would: a locked SQLite file is tried again
        try:
            report = CheckInService(engine, settings).run_due()
            break
        except OperationalError:
            time.sleep(0.2 * (attempt + 1))
    else:
        raise RuntimeError("the database stayed locked")
    totals = Counter[str]()
    idle_since = None
    while True:
        done = delivery.deliver_due(batch=200)
        totals.update({"delivered": done.delivered, "retried": done.retried, "failed": done.failed})
        if done.delivered or done.retried:
            idle_since = None
            continue
        # nothing due now: wait for retries (Retry-After) unless nothing is left at all
        from sqlmodel import Session, col, func, select

        from storage.models import OutboxMessage

        with Session(engine) as session:
            left = session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.status).in_(("pending", "sending")))
            ).one()
        if not left:
            break
        idle_since = idle_since or time.perf_counter()
        if time.perf_counter() - idle_since > 30:
            break
        time.sleep(0.05)
    queue.put(
        {
            "checkins_sent": report.sent,
            "enqueued": report.messages,
            "seconds": time.perf_counter() - began,
            **totals,
        }
    )
    engine.dispose()


@dataclass
class CheckinBench:
    groups: int
    messages: int
    workers: int
    rate: int
    seconds: float
    delivered: int
    duplicates: int
    lost: int
    throttled: int
    per_worker: list[dict[str, Any]]

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


def bench_checkins(
    *,
    groups: int = 10_000,
    workers: int = 2,
    rate: int = 1_000,
    database_url: str | None = None,
    out: Print = print,
) -> CheckinBench:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        now = datetime.now(UTC)
        out(f"Seeding {groups:,} pairs with a check-in due now ({url.split(':', 1)[0]}) …")
        expected = _seed(url, groups, now)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        with RateLimitedPlatform(rate) as platform:
            start_at = time.time() + 3.0
            processes = [
                context.Process(target=_worker, args=(url, platform.url, start_at, queue))
                for _ in range(workers)
            ]
            for process in processes:
                process.start()
            results = [queue.get() for _ in processes]
            for process in processes:
                process.join()
            elapsed = max(r["seconds"] for r in results)
            accepted = platform.accepted
            result = CheckinBench(
                groups=groups,
                messages=expected,
                workers=workers,
                rate=rate,
                seconds=elapsed,
                delivered=len(accepted),
                duplicates=sum(count - 1 for count in accepted.values() if count > 1),
                lost=expected - len(accepted),
                throttled=platform.throttled,
                per_worker=results,
            )
    out(
        f"\nCheck-ins: {groups:,} groups due at once, {expected:,} messages, {workers} delivering "
        f"processes, platform limit {rate:,}/s"
    )
    out(f"  time            {result.seconds:,.1f} s")
    out(f"  throughput      {result.per_second:,.0f} messages/s")
    out(f"  duplicates      {result.duplicates}")
    out(f"  lost            {result.lost}")
    out(f"  throttled (429) {result.throttled:,} (retried after Retry-After)")
    shares = ", ".join(str(r.get("delivered", 0)) for r in results)
    out(f"  per process     {shares} delivered")
    return result
