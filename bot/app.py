"""Composition root: settings → database → services → one ASGI app (web chat, health, later the
Slack and Teams endpoints and the coordinator dashboard)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import jobs
from bot.core.i18n import normalise_language, translator
from bot.core.intake import CoreConfig, Intake
from bot.http import dashboard
from bot.http import privacy as privacy_routes
from bot.platforms.slack import setup as slack_setup
from bot.platforms.slack.adapter import SlackAdapter
from bot.platforms.web import chat as web
from bot.services.accounts import Accounts, LoginThrottle
from bot.services.checkins import CheckInService
from bot.services.conversations import ConversationService
from bot.services.delivery import Delivery, InboxSender, Sender
from bot.services.privacy import PrivacyService
from bot.services.rounds import Proposer, RoundService
from bot.services.threads import GroupThreads
from bot.services.throttle import TurnLimiter
from bot.settings import Settings
from storage.db import is_reachable, make_engine, migrate
from storage.files import private_directory

log = logging.getLogger(__name__)

SLACK_MAX_BODY = 1_000_000

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@dataclass
class Maatjes:
    """The parts the entry points (server, CLI, tests) share."""

    settings: Settings
    engine: Engine
    conversations: ConversationService
    rounds: RoundService
    delivery: Delivery
    checkins: CheckInService
    teams: Any = None  # bot.adapters.teams.Teams when MAATJES_TEAMS_APP_ID and secret are set
    slack: SlackAdapter | None = None
    privacy: PrivacyService | None = None


def build(settings: Settings, *, run_migrations: bool = True) -> Maatjes:
    if settings.data_dir.exists():  # the database and the session key live here: owner only
        private_directory(settings.data_dir)
    engine = make_engine(settings.resolved_database_url)
    if run_migrations:
        migrate(engine)
    intake = Intake(
        CoreConfig(
            policy_version=settings.privacy_policy_version,
            max_answer_length=settings.max_answer_length,
            privacy_contact=settings.privacy_contact,
            retention_days=settings.retention_inactive_days,
        )
    )
    privacy = PrivacyService(engine, settings.groups.privacy)
    proposer = _proposer(settings)
    rounds = RoundService(engine, settings.groups.rounds, proposer=proposer)
    embed = getattr(proposer, "embed_person", None)
    conversations = ConversationService(
        engine,
        intake,
        default_language=settings.default_language,
        rounds=rounds,
        on_profile_committed=(lambda person_id: embed(engine, person_id)) if embed else None,
        privacy=privacy,
        limiter=TurnLimiter(settings.rate_limit) if settings.rate_limit else None,
    )
    inbox = InboxSender(engine)
    senders: dict[str, Sender] = {"local": inbox, "demo": inbox}
    teams = _teams(settings, engine, conversations)
    if teams is not None:
        from bot.platforms.teams.store import TeamsDirectory, TeamsSender

        senders["teams"] = TeamsSender(TeamsDirectory(engine), teams.push)
    slack = slack_setup.configure(settings, engine, conversations, intake)
    if slack is not None:
        senders["slack"] = slack_setup.SlackSender(slack)
    delivery = Delivery(engine, senders)
    return Maatjes(
        settings=settings,
        engine=engine,
        conversations=conversations,
        rounds=rounds,
        delivery=delivery,
        checkins=CheckInService(engine, settings.groups.checkins),
        teams=teams,
        slack=slack,
        privacy=privacy,
    )


def _teams(settings: Settings, engine: Engine, conversations: ConversationService) -> Any:
    """The Teams adapter (Microsoft 365 Agents SDK), when its app id and secret are set."""
    if not settings.teams_enabled:
        return None
    from bot.platforms.teams.adapter import Teams, TeamsConfig
    from bot.platforms.teams.store import TeamsDirectory
    from bot.services.delivery import PostponedReplies

    assert settings.teams_app_id and settings.teams_app_secret and settings.teams_tenant_id
    config = TeamsConfig(
        app_id=settings.teams_app_id,
        app_secret=settings.teams_app_secret.get_secret_value(),
        tenant_id=settings.teams_tenant_id,
        allowed_tenants=settings.teams_allowed_tenants,
        authority=settings.teams_authority or None,
    )
    return Teams(config, conversations, TeamsDirectory(engine), replies=PostponedReplies(engine))


def _proposer(settings: Settings) -> Proposer | None:
    """The matching engine behind rounds; loaded lazily so the chat starts without it."""
    try:
        from bot.services.matchmaking import Matchmaker
    except ImportError:  # pragma: no cover - the matcher ships with Maatjes
        return None
    proposer: Proposer = Matchmaker(settings.groups.matching)
    return proposer


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
        if declared is not None and declared.isdigit() and int(declared) > limit:
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
    language = _language_from_headers(dict(scope.get("headers") or []))
    response = JSONResponse({"error": translator(language)("web.error.too_large")}, status_code=413)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads
    return {"type": "http.disconnect"}


def _language_from_headers(headers: dict[bytes, bytes]) -> str:
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for part in accept.split(","):
        found = normalise_language(part.split(";")[0].strip())
        if found:
            return found
    return "nl"


def create_app(settings: Settings | None = None, *, maatjes: Maatjes | None = None) -> FastAPI:
    settings = settings or Settings()
    maatjes = maatjes or build(settings)
    assert settings is not None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        running = jobs.start(maatjes) if settings.scheduler else None
        try:
            yield
        finally:
            if running is not None:
                running.shutdown(wait=False)

    app = FastAPI(
        title="Maatjes",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.maatjes = maatjes

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:  # served behind TLS: browsers must never fall back to http
            response.headers.setdefault("strict-transport-security", "max-age=31536000")
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = _language_from_headers(dict(request.scope.get("headers") or []))
        return JSONResponse({"error": translator(language)("web.error.invalid")}, status_code=422)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        if is_reachable(maatjes.engine):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    threads = GroupThreads(
        maatjes.engine, link=settings.person_link, limiter=maatjes.conversations.limiter
    )
    if settings.name_signin_exposed:
        log.warning(
            "name-only web sign-in is reachable beyond this machine (MAATJES_HOST=%s, "
            "MAATJES_PUBLIC_URL=%s): anyone who reaches the page can sign in as anyone else; "
            "a trial only. Set MAATJES_WEB_SIGNIN=off to switch it off",
            settings.host,
            settings.public_url or "",
        )
    web.mount(
        app,
        maatjes.conversations,
        threads,
        signin=settings.web_signin,
        exposed=settings.name_signin_exposed,
    )
    app.include_router(
        dashboard.router(
            Accounts(
                maatjes.engine,
                throttle=LoginThrottle(
                    per_address=settings.login_rate_limit,
                    per_account=settings.login_account_rate_limit,
                    lockout=settings.login_lockout,
                ),
            ),
            maatjes.rounds,
            privacy=maatjes.privacy,
            session_hours=settings.dashboard_session_hours,
        )
    )
    if maatjes.privacy is not None:
        app.include_router(privacy_routes.router(maatjes.privacy))
    if maatjes.teams is not None:
        maatjes.teams.mount(app)  # POST /api/messages
    if maatjes.slack is not None:
        slack_setup.mount(app, maatjes.slack)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="maatjes_session",
        same_site="strict",
        https_only=settings.secure_cookies,
        max_age=60 * 60 * 24 * 30,
    )
    # A button press on a long Slack message carries the whole message: allow Slack more.
    larger = {"/slack/events": max(settings.max_request_bytes, SLACK_MAX_BODY)}
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, paths=larger)
    return app
