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

    def send(self, person: Any, messages: Any, *, link: Any = None) -> None:
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

    from bot.core.conversation import MATCHING
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
            report = CheckInService(engine, settings.groups.checkins).run_due()
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


# --- maatjes bench login: the chat's latency while someone guesses dashboard passwords ----------

# One person's answers through the intake, up to its summary (confirming embeds the profile,
# which `maatjes bench embeddings` measures): (field, value) as the web chat posts them.
INTAKE = [
    ("text", "hallo"),
    ("choice", "yes"),
    ("text", "Anna de Vries"),
    ("text", "Gemeente Zwolle"),
    ("choice", "gemeente"),
    ("choice", "regionaal"),
    ("choice", "overijssel"),
    ("choices", ["bouw", "kunststoffen"]),
    ("choice", "experimenteren"),
    ("text", "Een circulair viaduct: hergebruik van liggers uit oude bruggen."),
    ("text", "Iemand bij het rijk met ervaring in circulair inkopen van infrastructuur."),
    ("text", "Ervaring met marktconsultaties en een netwerk van aannemers."),
    ("text", "Onze inkoopregels passen niet bij hergebruikte materialen."),
    ("choice", "maandelijks"),
    ("choice", "nl"),
]


class _Browser:
    """One client with its own cookies, over plain HTTP on 127.0.0.1."""

    def __init__(self, base: str) -> None:
        import http.cookiejar

        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, method: str, path: str, *, json_body: Any = None, form: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        import urllib.parse

        data, headers = None, {}
        if json_body is not None:
            data, headers = json.dumps(json_body).encode(), {"content-type": "application/json"}
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers = {"content-type": "application/x-www-form-urlencoded"}
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 server
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return (
                    response.status,
                    response.read().decode("utf-8", "replace"),
                    dict(response.headers),
                )
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            return error.code, body, dict(error.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class LoginPhase:
    name: str
    turns: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    server_errors: int


@dataclass
class LoginBench:
    chatters: int
    guessers: int
    seconds: float
    phases: list[LoginPhase]
    guesses: int
    guesses_checked: int
    guesses_throttled: int
    guess_server_errors: int


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _chat_load(
    base: str, prefix: str, stop: threading.Event, latencies: list[float]
) -> Counter[int]:
    """New people, one after the other, each answering the intake through /api/chat."""
    statuses = Counter[int]()
    person = 0
    while not stop.is_set():
        person += 1
        browser = _Browser(base)
        browser.request("POST", "/session", json_body={"name": f"{prefix} {person}"})
        browser.request("GET", "/api/chat")
        for field, value in INTAKE:
            if stop.is_set():
                break
            began = time.perf_counter()
            status, _, _ = browser.request("POST", "/api/chat", json_body={field: value})
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] += 1
    return statuses


def _guesser(base: str, number: int, stop: threading.Event) -> Counter[int]:
    """Someone guessing the coordinator's password as fast as the server answers."""
    import re

    statuses = Counter[int]()
    browser = _Browser(base)
    _, form, _ = browser.request("GET", "/dashboard/login")
    found = re.search(r'name="csrf" value="([^"]+)"', form)
    token = found.group(1) if found else ""
    guess = 0
    while not stop.is_set():
        guess += 1
        status, _, _ = browser.request(
            "POST",
            "/dashboard/login",
            form={"username": "tessa", "password": f"gok {number}-{guess}", "csrf": token},
        )
        statuses[status] += 1
    return statuses


def _phase(
    base: str, name: str, *, chatters: int, guessers: int, seconds: float
) -> tuple[LoginPhase, Counter[int]]:
    from concurrent.futures import ThreadPoolExecutor

    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(chatters)]
    with ThreadPoolExecutor(max_workers=chatters + guessers) as pool:
        guessing = [pool.submit(_guesser, base, n, stop) for n in range(guessers)]
        chatting = [
            pool.submit(_chat_load, base, f"{name} {n}", stop, latencies[n])
            for n in range(chatters)
        ]
        time.sleep(seconds)
        stop.set()
        chat_statuses = sum((f.result() for f in chatting), Counter[int]())
        guess_statuses = sum((f.result() for f in guessing), Counter[int]())
    measured = [ms for part in latencies for ms in part]
    phase = LoginPhase(
        name=name,
        turns=len(measured),
        p50_ms=_percentile(measured, 0.50),
        p95_ms=_percentile(measured, 0.95),
        max_ms=max(measured, default=0.0),
        server_errors=sum(n for status, n in chat_statuses.items() if status >= 500),
    )
    return phase, guess_statuses


def bench_login(
    *, chatters: int = 4, guessers: int = 8, seconds: float = 20.0, out: Print = print
) -> LoginBench:
    """The real server (uvicorn, SQLite) in its own process on 127.0.0.1: the chat alone, then
    the chat while ``guessers`` clients guess a coordinator's password."""
    import os
    import secrets
    import socket
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        env = {
            **os.environ,
            "MAATJES_DATA_DIR": str(Path(tmp) / "data"),
            "MAATJES_HOST": "127.0.0.1",
            "MAATJES_PORT": str(port),
            "MAATJES_SCHEDULER": "false",
            "MAATJES_SECRET_KEY": secrets.token_urlsafe(48),
            "MAATJES_COORDINATORS": "local:tessa",
            "MAATJES_LOG_LEVEL": "WARNING",
        }
        env.pop("MAATJES_DATABASE_URL", None)
        command = [sys.executable, "-c", "from bot.cli import main; main()"]
        subprocess.run(  # noqa: S603 - our own command line
            [*command, "coordinator", "password", "tessa", "--password-stdin"],
            input=secrets.token_urlsafe(24) + "\n",
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        log = Path(tmp) / "server.log"
        with log.open("wb") as sink:
            server = subprocess.Popen(  # noqa: S603 - our own server
                [*command, "run"], env=env, stdout=subprocess.DEVNULL, stderr=sink
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, server, log)
            out(
                f"Login bench: the real server on {base} (SQLite), {chatters} chat clients "
                f"answering the intake, {guessers} password guessers, {seconds:g} s per phase"
            )
            alone, _ = _phase(base, "chat alone", chatters=chatters, guessers=0, seconds=seconds)
            during, guesses = _phase(
                base, "chat + guessing", chatters=chatters, guessers=guessers, seconds=seconds
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    result = LoginBench(
        chatters=chatters,
        guessers=guessers,
        seconds=seconds,
        phases=[alone, during],
        guesses=sum(guesses.values()),
        guesses_checked=guesses[401],
        guesses_throttled=guesses[429],
        guess_server_errors=sum(n for status, n in guesses.items() if status >= 500),
    )
    out(f"  {'phase':<18}{'chat turns':>11}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'5xx':>6}")
    for p in result.phases:
        out(
            f"  {p.name:<18}{p.turns:>11,}{p.p50_ms:>9.1f}{p.p95_ms:>9.1f}{p.max_ms:>9.1f}"
            f"{p.server_errors:>6}"
        )
    out(
        f"  guesses         {result.guesses:,} sent: {result.guesses_checked:,} checked (401), "
        f"{result.guesses_throttled:,} refused with 429, {result.guess_server_errors} 5xx"
    )
    verdict = "met" if during.p95_ms < 300 else "NOT met"
    cores = os.cpu_count()
    out(f"  target          chat p95 under 300 ms while guessing: {verdict} ({cores} cores)")
    return result


def _wait_healthy(base: str, server: Any, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text(encoding='utf-8')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not become healthy in 60 s")
