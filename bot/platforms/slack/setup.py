"""Slack wired from settings (called by ``bot.platforms.slack.build``): the adapter, its HTTP
endpoints on the FastAPI app, its outbox sender and group conversations, and Socket Mode."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from bot.platforms.base import Deps, Platform
from bot.platforms.slack import adapter as slack
from bot.platforms.slack.conversations import SlackGroupConversations
from bot.platforms.slack.store import (
    DatabaseInstallationStore,
    SignedStateStore,
    SlackDirectory,
    TokenSeal,
)
from bot.services.access import Access
from bot.services.group_conversations import GroupLink
from bot.services.home import Overview
from bot.settings import Settings
from storage.models import Person

log = logging.getLogger(__name__)


#: What Slack may send in one request (a block action on a long message carries all of it).
SLACK_MAX_BODY = 1_000_000


def platform(settings: Settings, deps: Deps) -> Platform:
    """Slack as configured (``settings.slack_mode`` is set: a signing secret plus a bot token,
    or OAuth for several workspaces)."""
    slack_settings = settings.groups.slack
    mode = slack_settings.mode
    assert mode is not None and slack_settings.signing_secret is not None
    secret = slack_settings.signing_secret.get_secret_value()
    engine = deps.engine
    installations = state = None
    if mode == "oauth":
        assert slack_settings.client_secret is not None
        installations = DatabaseInstallationStore(engine, TokenSeal(settings.session_secret()))
        state_secret = (
            slack_settings.state_secret.get_secret_value()
            if slack_settings.state_secret is not None
            else settings.session_secret()
        )
        state = SignedStateStore(engine, state_secret)
    config = slack.SlackConfig(
        signing_secret=secret,
        api_url=slack_settings.api_url.rstrip("/") + "/",  # the SDK appends method names
        bot_token=(
            slack_settings.bot_token.get_secret_value()
            if slack_settings.bot_token is not None and mode == "token"
            else None
        ),
        client_id=slack_settings.client_id if mode == "oauth" else None,
        client_secret=(
            slack_settings.client_secret.get_secret_value()
            if slack_settings.client_secret is not None and mode == "oauth"
            else None
        ),
    )
    directory = SlackDirectory(engine)
    adapter = slack.SlackAdapter(
        config,
        deps.conversations,
        directory,
        Overview(
            engine,
            deps.intake,
            default_language=settings.default_language,
            is_coordinator=Access.from_settings(settings).is_coordinator,
        ),
        installation_store=installations,
        state_store=state,
        replies=deps.replies,
    )
    log.info("slack configured", extra={"mode": mode})
    return Platform(
        names=(slack.PLATFORM,),
        mount=lambda app: mount(app, adapter),
        sender=SlackSender(adapter),
        conversations=SlackGroupConversations(lambda user: adapter.client_for(user)[0], directory),
        # A button press on a long Slack message carries the whole message: allow Slack more.
        body_limits={"/slack/events": max(settings.max_request_bytes, SLACK_MAX_BODY)},
        adapter=adapter,
    )


class SlackSender:
    """The outbox's sender for Slack members (the adapter raises the outbox's own
    :class:`RetryLater` and :class:`DeliveryRefused`)."""

    def __init__(self, adapter: slack.SlackAdapter) -> None:
        self.adapter = adapter

    def send(
        self, person: Person, messages: Sequence[dict[str, Any]], *, link: GroupLink | None = None
    ) -> None:
        self.adapter.deliver(person, messages, link)


def mount(app: FastAPI, adapter: slack.SlackAdapter) -> None:
    """``POST /slack/events`` (events, commands, interactivity) and, for OAuth, the install
    pages. Bolt runs in a worker thread so a slow listener never blocks the event loop."""
    bolt = adapter.app

    verifier = SignatureVerifier(adapter.config.signing_secret)

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        refused = refusal(verifier, body, request.headers)
        if refused is not None:
            return refused
        try:
            response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        except slack.MALFORMED as error:  # Bolt reading a signed payload not shaped like Slack's
            log.warning("slack request refused as malformed", extra={"error": type(error).__name__})
            return JSONResponse({"error": "malformed request"}, status_code=400)
        return to_starlette_response(response)

    flow = bolt.oauth_flow
    if flow is None:
        return

    @app.get(slack.INSTALL_PATH, include_in_schema=False)
    async def slack_install(request: Request) -> Response:
        bolt_request = to_bolt_request(request, b"")
        return to_starlette_response(
            await run_in_threadpool(flow.handle_installation, bolt_request)
        )

    @app.get(slack.REDIRECT_PATH, include_in_schema=False)
    async def slack_oauth_redirect(request: Request) -> Response:
        bolt_request = to_bolt_request(request, b"")
        return to_starlette_response(await run_in_threadpool(flow.handle_callback, bolt_request))


_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def refusal(
    verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]
) -> Response | None:
    """Why a request to ``/slack/events`` is refused before Bolt sees it, or None.

    The signature is checked first, on the bytes as they came: nothing of an unsigned request is
    parsed (401). A signed request whose body is not what Slack sends is a 400. Headers are
    checked for shape first because the verifier itself raises on a non-numeric timestamp or a
    non-ASCII signature; a body that is not UTF-8 cannot carry Slack's signature (the verifier
    signs text), so it is refused as unsigned."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if (
        text is None
        or not _TIMESTAMP.fullmatch(timestamp)
        or not signature.isascii()
        or not verifier.is_valid(body=text, timestamp=timestamp, signature=signature)
    ):
        return JSONResponse({"error": "invalid request"}, status_code=401)
    content_type = (headers.get("content-type") or "").split(";")[0]
    try:
        parsed = parse_body(text, content_type or None)  # exactly as Bolt will parse it
    except (ValueError, RecursionError):
        parsed = None
    if not isinstance(parsed, dict):
        log.info("slack request refused: body is not a Slack payload")
        return JSONResponse({"error": "malformed request"}, status_code=400)
    return None


def socket_mode(adapter: slack.SlackAdapter, app_token: str) -> Any:
    """Connect to Slack over Socket Mode (no public URL needed); returns the running handler."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(adapter.app, app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    return handler
