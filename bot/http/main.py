"""The web app's frame, shared by every route on it: security headers, the body limit, the
signed session cookie, polite errors in the reader's language and ``/healthz``.

The composition root (bot.app) makes the app here and then mounts the dashboard, the privacy
downloads and the platforms on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.i18n import translator
from bot.http.deps import request_language
from bot.settings import Settings

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
SESSION_COOKIE = "maatjes_session"
SESSION_DAYS = 30


def create_web_app(
    settings: Settings,
    *,
    healthy: Callable[[], bool],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    larger_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """``healthy`` answers ``/healthz`` (is the database reachable); ``larger_bodies`` allows
    some paths more than MAATJES_MAX_REQUEST_BYTES."""
    app = FastAPI(
        title="Maatjes",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.cookies_secure:  # served behind TLS: browsers must never fall back to http
            response.headers.setdefault("strict-transport-security", "max-age=31536000")
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(request_language(request), "web.error.invalid", 422)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        if healthy():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    # Added last, so they run first: the session, and outermost the body limit.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie=SESSION_COOKIE,
        same_site="strict",
        https_only=settings.cookies_secure,
        max_age=60 * 60 * 24 * SESSION_DAYS,
    )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, paths=dict(larger_bodies or {}))
    return app


def _error(language: str, msgid: str, status: int) -> JSONResponse:
    return JSONResponse({"error": translator(language)(msgid)}, status_code=status)


class BodyLimit:
    """Refuse request bodies above a size with 413, before any of it is parsed.

    A declared length is judged at once. Any other body (chunked) is read here up to the limit
    and only then handed on, so an over-limit body is a 413 however it was sent: an error raised
    while the app reads would be turned into a 400 (or worse) by whatever is parsing it."""

    def __init__(self, app: ASGIApp, limit: int, paths: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.paths = paths or {}  # a different limit for some paths (Slack's payloads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.limit)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        # a length of more digits than any body could have is too large (and int() refuses
        # thousands of digits)
        if declared and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
            await _too_large(scope, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await _too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as servers do

        await self.app(scope, replay, send)


async def _too_large(scope: Scope, send: Send) -> None:
    # The session middleware runs inside this one: the language comes from the request alone.
    response = _error(request_language(Request(scope)), "web.error.too_large", 413)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads
    return {"type": "http.disconnect"}
