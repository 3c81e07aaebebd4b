"""Microsoft Teams, with the Microsoft 365 Agents SDK (1.9, the last line for Python 3.11).

The SDK does the protocol: it validates every inbound request's JWT (signature against the Bot
Framework keys, audience = our app id, issuer allow-list), and gets tokens for outbound calls to
the Bot Connector with MSAL (client credentials of the Entra app). This module only translates:
activities → :class:`Inbound`, :data:`Outbound` → text and Adaptive Cards, and stores where each
person can be reached for proactive messages (introductions, check-ins).

Only personal (1:1) chats run the intake; in group chats and channels the bot points people to
its personal chat. Teams-specific behaviour written here (``hosting-teams`` needs Python 3.12):
card submits, updating a card in place after a choice, the tenant allow-list and member lookup.
"""

# No ``from __future__ import annotations``: FastAPI reads the route's annotations through the
# SDK's auth decorator, whose module globals would not resolve our string annotations.

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlparse

import aiohttp
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ConversationReference,
)
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import AgentAuthConfiguration, TurnContext
from microsoft_agents.hosting.core.authorization.auth_types import AuthTypes
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from microsoft_agents.hosting.fastapi import CloudAdapter, jwt_authorization_decorator

from bot.core.i18n import Translate, normalise_language, translator
from bot.core.messages import Account, Inbound, Outbound, Text, Turn, from_dict
from bot.core.ports import Conversations, Replies, retry_after_seconds
from bot.platforms.teams import cards

PLATFORM = "teams"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
MAX_RETRY_AFTER = 3600.0

log = logging.getLogger(__name__)
T = TypeVar("T")


class References(Protocol):
    """Where Teams users can be reached, and which activities were seen (storage, as a port)."""

    def remember(
        self,
        *,
        user_id: str,
        tenant_id: str | None,
        conversation_id: str,
        service_url: str,
        reference: dict[str, Any],
        principal_name: str | None,
    ) -> None: ...

    def needs_principal_name(self, user_id: str) -> bool: ...

    def first_time(self, key: str) -> bool: ...


@dataclass(frozen=True)
class TeamsConfig:
    app_id: str
    app_secret: str
    tenant_id: str
    allowed_tenants: frozenset[str] = frozenset()
    authority: str | None = None

    @property
    def tenants(self) -> frozenset[str]:
        """Tenants whose users may talk to the bot: the allow-list, else the app's own tenant."""
        return self.allowed_tenants or frozenset({self.tenant_id.lower()})


@dataclass(frozen=True)
class PushResult:
    """How a proactive send went: ``ok``; else whether retrying may help (and after how long)."""

    ok: bool
    retry: bool = False
    after: float | None = None
    reason: str = ""


def auth_configuration(config: TeamsConfig) -> AgentAuthConfiguration:
    """One connection: the Entra app (client id + secret) of a single-tenant bot."""
    return AgentAuthConfiguration(
        auth_type=AuthTypes.client_secret,
        client_id=config.app_id,
        tenant_id=config.tenant_id,
        client_secret=config.app_secret,
        authority=config.authority or f"https://login.microsoftonline.com/{config.tenant_id}",
        scopes=[BOT_FRAMEWORK_SCOPE],
        connection_name="SERVICE_CONNECTION",
        # Only tokens from the Bot Framework and this tenant's Entra issuers are accepted.
        validate_issuer=True,
    )


def _attachment(card: dict[str, Any]) -> Attachment:
    return Attachment(content_type=cards.CONTENT_TYPE, content=card)


def _activity(item: dict[str, Any] | str) -> Activity:
    if isinstance(item, str):
        return Activity(type=ActivityTypes.message, text=item, text_format="plain")
    return Activity(type=ActivityTypes.message, attachments=[_attachment(item)])


def user_id_of(activity: Activity) -> str | None:
    """The person's stable id: the Entra object id (same in every chat), else the Teams id."""
    sender = activity.from_property
    if sender is None:
        return None
    return sender.aad_object_id or sender.id


def tenant_of(body: Mapping[str, Any]) -> str | None:
    conversation = body.get("conversation") or {}
    channel_data = body.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}) if isinstance(channel_data, dict) else {}
    found = (conversation.get("tenantId") if isinstance(conversation, dict) else None) or (
        tenant.get("id") if isinstance(tenant, dict) else None
    )
    return str(found).lower() if found else None


def inbound_of(activity: Activity) -> tuple[Inbound, dict[str, str] | None]:
    """The person's turn, and (for a card button) the card's title and the chosen label."""
    value = activity.value if isinstance(activity.value, dict) else None
    if value is not None:
        title = str(value.get("title") or "")
        if isinstance(value.get(cards.CHOICE), str):
            label = str(value.get("label") or value[cards.CHOICE])
            return Inbound(choice=value[cards.CHOICE]), {"title": title, "label": label}
        if cards.PICK in value:
            picked = str(value.get("choice") or "")
            return Inbound(choice=picked or None, text=None if picked else ""), None
        if cards.MULTI in value:
            raw = str(value.get("choices") or "")
            return Inbound(choices=tuple(v for v in raw.split(",") if v)), None
        if cards.TEXT in value:
            return Inbound(text=str(value.get("text") or "")), None
    text = activity.text or ""
    if activity.entities:
        text = activity.remove_recipient_mention() or text
    return Inbound(text=text), None


class TeamsBot:
    """The agent: one turn per activity, on the shared core (``Conversations``)."""

    def __init__(
        self,
        conversations: Conversations,
        references: References,
        replies: Replies | None = None,
    ) -> None:
        self.conversations = conversations
        self.references = references
        self.replies = replies

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == ActivityTypes.message:
            await self._message(context)
        elif activity.type == ActivityTypes.conversation_update:
            await self._conversation_update(context)

    async def _message(self, context: TurnContext) -> None:
        activity = context.activity
        user_id = user_id_of(activity)
        if user_id is None:
            return
        account = Account(platform=PLATFORM, user_id=user_id, locale=activity.locale)
        if not _is_personal(activity):
            language = normalise_language(activity.locale) or "nl"
            await context.send_activity(translator(language)("teams.personal_only"))
            return
        await self._remember(context, user_id)
        inbound, pressed = inbound_of(activity)
        turn: Turn = await asyncio.to_thread(self.conversations.handle, account, inbound)
        language = await asyncio.to_thread(self.conversations.language_of, account)
        t = translator(language)
        if pressed is not None and activity.reply_to_id and _settled(turn):
            await self._spend(context, activity.reply_to_id, pressed, t)
        await self._reply(context, account, turn.messages, t)

    async def _conversation_update(self, context: TurnContext) -> None:
        """The bot was added to a personal chat (the app was installed): say hello."""
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = [m.id for m in activity.members_added or []]
        user_id = user_id_of(activity)
        if bot_id not in added or not _is_personal(activity) or user_id is None:
            return
        await self._remember(context, user_id)
        account = Account(platform=PLATFORM, user_id=user_id, locale=activity.locale)
        messages = await asyncio.to_thread(self.conversations.resume, account)
        language = await asyncio.to_thread(self.conversations.language_of, account)
        await self._reply(context, account, messages, translator(language))

    async def _reply(
        self, context: TurnContext, account: Account, messages: Sequence[Outbound], t: Translate
    ) -> None:
        """Send a turn's reply. What the connector cannot take now (throttled, unreachable) is
        handed to ``replies`` (the outbox) from the first message not sent, so it comes late
        rather than never; the activity itself is not retried by Teams (its id is recorded).
        While such a reply waits, later ones queue behind it, so they are read in order."""
        if self.replies is not None and await asyncio.to_thread(
            self.replies.behind, account, messages
        ):
            return
        for first, item in cards.render(messages, t):
            try:
                await context.send_activity(_activity(item))
            except Exception as problem:
                outcome = push_outcome(problem)
                if not outcome.retry or self.replies is None:
                    raise  # on_turn_error: logged, and an apology if the connector takes it
                log.warning(
                    "teams reply postponed", extra={"platform": PLATFORM, "error": outcome.reason}
                )
                after = None if outcome.after is None else timedelta(seconds=outcome.after)
                await asyncio.to_thread(
                    self.replies.postpone, account, messages[first:], after=after
                )
                return

    async def _spend(
        self, context: TurnContext, card_id: str, pressed: dict[str, str], t: Translate
    ) -> None:
        """Replace the card whose button was used by what was chosen, so it is not used twice."""
        update = Activity(
            type=ActivityTypes.message,
            id=card_id,
            attachments=[_attachment(cards.spent(pressed["title"], pressed["label"], (), t))],
        )
        try:
            await context.update_activity(update)
        except Exception:  # noqa: BLE001 - the answer is stored; a stale card is only cosmetic
            log.warning("card update failed", extra={"platform": PLATFORM})

    async def _remember(self, context: TurnContext, user_id: str) -> None:
        activity = context.activity
        if not activity.conversation or not activity.service_url:
            return
        principal_name = None
        if await asyncio.to_thread(self.references.needs_principal_name, user_id):
            principal_name = await _principal_name(context)
        reference = activity.get_conversation_reference().model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        reference.pop("activityId", None)
        await asyncio.to_thread(
            lambda: self.references.remember(
                user_id=user_id,
                tenant_id=activity.conversation.tenant_id,
                conversation_id=activity.conversation.id,
                service_url=activity.service_url,
                reference=reference,
                principal_name=principal_name,
            )
        )


def _is_personal(activity: Activity) -> bool:
    kind = activity.conversation.conversation_type if activity.conversation else None
    return kind in (None, "personal")


def _settled(turn: Turn) -> bool:
    """A choice was taken: accepted, and no error among the replies (refused, unknown…)."""
    return turn.accepted and not any(
        isinstance(m, Text) and m.tone == "error" for m in turn.messages
    )


async def _principal_name(context: TurnContext) -> str | None:
    """The user's UPN (for group chat deep links), from the Bot Connector's member lookup."""
    client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
    sender = context.activity.from_property
    if not isinstance(client, TeamsConnectorClient) or sender is None:
        return None
    try:
        member = await client.get_conversation_member(context.activity.conversation.id, sender.id)
    except Exception:  # noqa: BLE001 - optional: without it there is no deep link, nothing else
        log.warning("member lookup failed", extra={"platform": PLATFORM})
        return None
    return member.user_principal_name or None


async def _turn_error(context: TurnContext, error: Exception) -> None:
    """Never the SDK's default (which posts the exception text to the user): log, say sorry."""
    log.error(
        "teams turn failed",
        exc_info=error,
        extra={"platform": PLATFORM, "error": type(error).__name__},
    )
    language = normalise_language(context.activity.locale) or "nl"
    try:
        await context.send_activity(translator(language)("error.internal"))
    except Exception:  # noqa: BLE001 - the connector itself may be what failed
        log.warning("apology not sent", extra={"platform": PLATFORM})


def push_outcome(problem: Exception) -> PushResult:
    """A failed send to the Bot Connector as an outcome: retry (when, if it said), or not."""
    if isinstance(problem, aiohttp.ClientResponseError):
        status = problem.status
        if status == 429:
            return PushResult(False, True, _retry_after(problem.headers), "throttled (429)")
        if status in (403, 404):  # the person removed the app or blocked the bot
            return PushResult(False, False, None, f"connector refused ({status})")
        return PushResult(False, True, _retry_after(problem.headers), f"connector {status}")
    if isinstance(problem, aiohttp.ClientError | TimeoutError | OSError):
        return PushResult(False, True, None, f"connector unreachable ({type(problem).__name__})")
    # e.g. no token: retried, then reported
    log.warning("teams send failed", extra={"platform": PLATFORM, "error": type(problem).__name__})
    return PushResult(False, True, None, type(problem).__name__)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    seconds = retry_after_seconds((headers or {}).get("Retry-After"))
    return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run async SDK calls from synchronous code (scheduler thread, CLI, or inside a loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Teams:
    """The Teams adapter: the SDK's CloudAdapter, our agent, the endpoint, proactive sends."""

    def __init__(
        self,
        config: TeamsConfig,
        conversations: Conversations,
        references: References,
        *,
        replies: Replies | None = None,
    ) -> None:
        self.config = config
        self.references = references
        self.auth = auth_configuration(config)
        connections = MsalConnectionManager(
            connections_configurations={"SERVICE_CONNECTION": self.auth}
        )
        self.adapter = CloudAdapter(connection_manager=connections)
        self.adapter.on_turn_error = _turn_error
        self.bot = TeamsBot(conversations, references, replies)

    def mount(self, app: FastAPI) -> None:
        """``POST /api/messages``: authenticated by the SDK, tenant checked, retries dropped."""
        app.state.agent_configuration = self.auth
        router = APIRouter()
        config = self.config
        references = self.references
        adapter = self.adapter
        bot = self.bot

        @router.post("/api/messages", include_in_schema=False)
        @jwt_authorization_decorator  # type: ignore[untyped-decorator]
        async def messages(request: Request) -> Response:
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"error": "invalid JSON"}, status_code=400)
            if not isinstance(body, dict) or not _is_activity(body):
                return JSONResponse({"error": "invalid activity"}, status_code=400)
            if not _same_service(request, body):
                # A genuine token names the Bot Connector it came from; replies go there, so a
                # token replayed with another serviceUrl (where our token would be sent) is refused.
                log.warning("teams serviceUrl mismatch", extra={"platform": PLATFORM})
                return JSONResponse({"error": "serviceUrl does not match the token"}, 401)
            tenant = tenant_of(body)
            if tenant is None or tenant not in config.tenants:
                log.warning("teams tenant refused", extra={"platform": PLATFORM, "tenant": tenant})
                return JSONResponse({"error": "tenant not allowed"}, status_code=403)
            key = _event_key(body)
            if key is not None and not await asyncio.to_thread(references.first_time, key):
                log.info("teams duplicate activity", extra={"platform": PLATFORM})
                return Response(status_code=200)
            response = await adapter.process(request, bot)
            if response is not None and response.status_code == 501:
                # The SDK's answer to an invoke nothing here handles (Maatjes' cards send
                # messages, not invokes): the request asks for what this bot does not offer.
                return JSONResponse({"error": "unsupported invoke"}, status_code=400)
            return response or Response(status_code=200)

        app.include_router(router)

    def push(
        self, reference: dict[str, Any], messages: Sequence[dict[str, Any]], language: str
    ) -> PushResult:
        """Send stored messages proactively, as one card, to a stored conversation reference."""
        t = translator(language)
        card = cards.compose([from_dict(m) for m in messages], t)
        activity = Activity(type=ActivityTypes.message, attachments=[_attachment(card)])
        try:
            _run(self._continue(reference, activity))
        except Exception as problem:  # noqa: BLE001 - every failure becomes an outcome
            return push_outcome(problem)
        return PushResult(True)

    async def _continue(self, reference: dict[str, Any], activity: Activity) -> None:
        continuation = ConversationReference.model_validate(reference).get_continuation_activity()

        failures: list[Exception] = []

        async def send(context: TurnContext) -> None:
            # The SDK hands errors inside a turn to on_turn_error and swallows them; a proactive
            # send must know, to retry, so the error is kept and raised below.
            try:
                await context.send_activity(activity)
            except Exception as problem:  # noqa: BLE001 - re-raised after the turn
                failures.append(problem)

        callback: Callable[[TurnContext], Awaitable[None]] = send
        await self.adapter.continue_conversation(self.config.app_id, continuation, callback)
        if failures:
            raise failures[0]


def _same_service(request: Request, body: Mapping[str, Any]) -> bool:
    identity = getattr(request.state, "claims_identity", None)
    claimed = identity.get_claim_value("serviceurl") if identity is not None else None
    if not claimed:
        return True  # tokens without the claim (e.g. other agents) are bound by the SDK alone
    given = body.get("serviceUrl")
    return (
        isinstance(given, str)
        and (urlparse(claimed).hostname or "").casefold()
        == (urlparse(given).hostname or "").casefold()
        and urlparse(claimed).port == urlparse(given).port
    )


def _event_key(body: Mapping[str, Any]) -> str | None:
    """Activity ids are unique within a conversation: the key combines both."""
    activity_id = body.get("id")
    conversation = body.get("conversation") or {}
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
    if not activity_id:
        return None
    digest = hashlib.sha256(f"{conversation_id}\n{activity_id}".encode()).hexdigest()
    return f"activity:{digest}"


def _is_activity(body: dict[str, Any]) -> bool:
    """Whether the SDK can read this as an activity: it raises (TypeError as well as pydantic's
    ValueError) on one it cannot, which would otherwise escape as a 500."""
    try:
        Activity.model_validate(body)
    except (ValueError, TypeError):
        return False
    return True
