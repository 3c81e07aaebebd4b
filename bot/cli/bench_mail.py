"""``maatjes bench mail``: many e-mails through the outbox to a local SMTP relay, delivered by
several processes at once; throughput, and duplicates and lost counted at the relay by
Message-ID (both must be 0)."""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any

Print = Callable[[str], None]
MAIL_FROM = "Maatjes <bench@maatjes.invalid>"


class _Relay:
    """An aiosmtpd server on 127.0.0.1 that counts each Message-ID it accepts."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = str(message_from_bytes(envelope.original_content)["Message-ID"])
        with self.lock:
            self.seen[message_id] += 1
        return "250 OK"


def _seed(url: str, messages: int, people: int) -> None:
    from sqlalchemy import insert
    from sqlmodel import select

    from storage.db import make_engine, migrate, session_scope
    from storage.models import OutboxMessage, Person

    engine = make_engine(url)
    migrate(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.execute(
            insert(Person),
            [
                {
                    "platform": "local",
                    "platform_user_id": f"email:p{i}@gemeente.nl",
                    "email": f"p{i}@gemeente.nl",
                    "email_notifications": True,
                    "language": "nl" if i % 3 else "en",
                    "language_chosen": True,
                    "is_demo": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(people)
            ],
        )
        ids = list(session.exec(select(Person.id)))
        text = "Hoe gaat het met je opgave? Wat ben je aan het doen, en met wie?"
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "dedupe_key": f"bench:{n}",
                    "recipient_id": ids[n % len(ids)],
                    "kind": "checkin",
                    "channel": "mail",
                    "payload": {"messages": [{"kind": "text", "text": text, "tone": "normal"}]},
                    "status": "pending",
                    "attempts": 0,
                    "not_before": now,
                    "created_at": now,
                }
                for n in range(messages)
            ],
        )
    engine.dispose()


def _worker(url: str, port: int, data_dir: str, start_at: float, queue: Any) -> None:
    from bot.platforms.mail.sender import MailSender
    from bot.services.delivery import Delivery
    from bot.settings import Settings
    from storage.db import make_engine

    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=Path(data_dir),
        scheduler=False,
        public_url="http://127.0.0.1:8000",
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from=MAIL_FROM,
    )
    engine = make_engine(url)
    delivery = Delivery(engine, {}, channels={"mail": MailSender(engine, settings.groups.mail)})
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    totals: Counter[str] = Counter()
    while True:
        done = delivery.deliver_due(batch=100)
        totals.update({"delivered": done.delivered, "retried": done.retried, "failed": done.failed})
        if not (done.delivered or done.retried or done.failed):
            break
    queue.put({"seconds": time.perf_counter() - began, **totals})
    engine.dispose()


@dataclass
class MailBench:
    messages: int
    workers: int
    seconds: float
    received: int
    duplicates: int
    lost: int
    failed: int

    @property
    def per_second(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0


def bench_mail(
    *,
    messages: int = 10_000,
    people: int = 1_000,
    workers: int = 2,
    database_url: str | None = None,
    out: Print = print,
) -> MailBench:
    try:
        from aiosmtpd.controller import Controller
    except ImportError as missing:  # a test dependency: the relay is only needed here
        raise SystemExit("maatjes bench mail needs aiosmtpd (make install-test)") from missing
    import socket

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        out(f"Seeding {messages:,} e-mails to {people:,} people ({url.split(':', 1)[0]}) …")
        _seed(url, messages, people)
        relay = _Relay()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        controller = Controller(relay, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            start_at = time.time() + 3.0
            processes = [
                context.Process(target=_worker, args=(url, port, tmp, start_at, queue))
                for _ in range(workers)
            ]
            for process in processes:
                process.start()
            results = [queue.get(timeout=900) for _ in processes]
            for process in processes:
                process.join()
        finally:
            controller.stop()
    seconds = max(r["seconds"] for r in results)
    unique = len(relay.seen)
    received = sum(relay.seen.values())
    result = MailBench(
        messages=messages,
        workers=workers,
        seconds=seconds,
        received=received,
        duplicates=received - unique,
        lost=messages - unique,
        failed=sum(r.get("failed", 0) for r in results),
    )
    out("")
    out("| e-mails | processes | seconds | mails/s | received | duplicates | lost | failed |")
    out("|---:|---:|---:|---:|---:|---:|---:|---:|")
    out(
        f"| {messages:,} | {workers} | {seconds:.1f} | {result.per_second:,.0f} | "
        f"{received:,} | {result.duplicates} | {result.lost} | {result.failed} |"
    )
    for number, r in enumerate(results, start=1):
        out(f"process {number}: {r.get('delivered', 0):,} sent in {r['seconds']:.1f} s")
    return result
