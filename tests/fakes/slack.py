"""A fake Slack on 127.0.0.1: the Web API (records every call, answers like Slack) and a Socket
Mode WebSocket endpoint, served by aiohttp in a thread. Point ``SLACK_API_URL`` at ``api_url``.

Tests can queue failures per method (``fail("chat.postMessage", 429, retry_after=0)``) and push
Socket Mode envelopes; they wait for calls by polling with a short timeout, never by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"
TEAM = "T0MAATJES"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.locales: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}  # who is in each group DM and private channel
        self.acks: list[dict[str, Any]] = []
        self.socket_connections = 0
        self.holds: dict[str, threading.Event] = {}
        self.waiting: dict[str, int] = {}  # calls that reached a hold
        self._envelopes: asyncio.Queue[dict[str, Any]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._ts = 0
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._envelopes = asyncio.Queue()
            app = web.Application()
            app.router.add_route("*", "/api/{method}", self._api)
            app.router.add_get("/link", self._socket)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-slack", daemon=True)
        self._thread.start()
        assert ready.wait(10), "the fake Slack did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # --- test helpers ------------------------------------------------------------------------

    def fail(
        self, method: str, status: int = 200, *, error: str = "", retry_after: int | None = None
    ) -> None:
        """The next call of ``method`` fails: a 429 with Retry-After, or ``ok: false``."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
        self.failures.setdefault(method, []).append(Failure(status, body, headers))

    def hold(self, method: str) -> threading.Event:
        """Calls of ``method`` wait until the returned event is set (a slow Slack, on demand)."""
        gate = self.holds[method] = threading.Event()
        return gate

    def wait_held(self, method: str, count: int, *, timeout: float = 10.0) -> None:
        """Wait until ``count`` calls of a held method are waiting at the hold."""
        deadline = time.monotonic() + timeout
        while self.waiting.get(method, 0) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} × {method} held")
            time.sleep(0.02)

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def of_channel(self, channel: str) -> list[Call]:
        """What the bot posted in one conversation (successful posts only)."""
        return [
            c
            for c in self.of("chat.postMessage")
            if c.args.get("channel") == channel and c.result.get("ok")
        ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.of(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} × {method}, saw {seen}")
            time.sleep(0.02)

    def posted_texts(self, channel: str | None = None) -> list[str]:
        """Everything posted (section and context texts), in order."""
        texts: list[str] = []
        for call in self.of("chat.postMessage"):
            if channel is not None and call.args.get("channel") != channel:
                continue
            for block in _blocks(call.args.get("blocks")):
                if block.get("type") == "section":
                    texts.append(block["text"]["text"])
                elif block.get("type") == "context":
                    texts += [e.get("text", "") for e in block.get("elements", [])]
        return texts

    def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        assert self._loop is not None and self._envelopes is not None
        self._loop.call_soon_threadsafe(self._envelopes.put_nowait, envelope)

    # --- the Web API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(dict(parse_qsl(raw.decode("utf-8"))))
        gate = self.holds.get(method)
        if gate is not None:
            with self._lock:
                self.waiting[method] = self.waiting.get(method, 0) + 1
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, 30)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        with self._lock:
            call = Call(method, args, token)
            self.calls.append(call)
            queued = self.failures.get(method)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            call.result = failure.body
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        call.result = self._answer(method, args)
        return web.json_response(call.result)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {
                **ok,
                "url": "https://maatjes-test.slack.com/",
                "team": "Maatjes test",
                "user": "maatjes",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0MAATJES",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = str(args.get("user"))
            return {
                **ok,
                "user": {
                    "id": user,
                    "team_id": TEAM,
                    "name": user.lower(),
                    "locale": self.locales.get(user, "nl-NL"),
                },
            }
        if method == "conversations.open":
            users = str(args.get("users", "")).split(",")
            if len(users) == 1:
                return {**ok, "channel": {"id": f"D{users[0]}"}}
            # like Slack: the same people always get the same group DM, and it is fixed
            joined = "".join(sorted(set(users)))
            channel = "G" + (
                joined if len(joined) <= 24 else sha1(joined.encode()).hexdigest()[:16].upper()
            )
            with self._lock:
                self.members.setdefault(channel, {BOT_USER, *users})
            return {**ok, "channel": {"id": channel}}
        if method == "conversations.create":
            channel = f"C{uuid.uuid4().hex[:8].upper()}"
            with self._lock:
                self.members[channel] = {BOT_USER}
            return {**ok, "channel": {"id": channel, "is_private": True}}
        if method == "conversations.invite":
            channel, users = str(args.get("channel")), set(str(args.get("users", "")).split(","))
            force = str(args.get("force", "")).lower() in ("1", "true")
            with self._lock:
                present = self.members.get(channel)
                if present is None:
                    return {"ok": False, "error": "channel_not_found"}
                if channel.startswith("G"):
                    return {"ok": False, "error": "method_not_supported_for_channel_type"}
                if users & present and (not force or users <= present):
                    return {"ok": False, "error": "already_in_channel"}
                present |= users
            return {**ok, "channel": {"id": channel}}
        if method in ("chat.postMessage", "chat.update"):
            with self._lock:
                self._ts += 1
                ts = f"1700000000.{self._ts:06d}"
            return {**ok, "channel": args.get("channel"), "ts": args.get("ts") or ts}
        if method in ("views.open", "views.publish"):
            return {**ok, "view": {"id": f"V{uuid.uuid4().hex[:8].upper()}"}}
        if method == "apps.connections.open":
            return {**ok, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "oauth.v2.access":
            team = "T0OTHER"
            return {
                **ok,
                "app_id": "A0MAATJES",
                "authed_user": {"id": "U0INSTALLER"},
                "scope": "chat:write,commands",
                "token_type": "bot",
                "access_token": "xoxb-other-workspace",
                "bot_user_id": "U0OTHERBOT",
                "team": {"id": team, "name": "Other"},
                "enterprise": None,
                "is_enterprise_install": False,
            }
        return ok

    # --- Socket Mode -------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.socket_connections += 1
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        assert self._envelopes is not None
        envelopes = self._envelopes

        async def pump() -> None:
            while not ws.closed:
                envelope = await envelopes.get()
                await ws.send_str(json.dumps(envelope))

        sender = asyncio.ensure_future(pump())
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    with self._lock:
                        self.acks.append(json.loads(message.data))
                elif message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            sender.cancel()
        return ws


def _blocks(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        return list(json.loads(raw))
    return list(raw or [])
