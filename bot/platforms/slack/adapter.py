"""Slack: the whole Maatjes conversation in Slack, with Bolt for Python.

Slack events become :class:`Inbound` turns for the same core as the web chat; its answers go back
as Block Kit (``blocks``). The adapter only translates: the intake, the commands, review and
check-in buttons all live in ``bot.core``.

- A DM with the bot runs the conversation; choices are buttons, long answers may be written in a
  modal. ``/maatjes <command>`` answers in that DM. App Home shows the person's own page.
- Every request's signature and timestamp are checked by Bolt (kept on). Events are processed once
  even when Slack retries them: their ``event_id`` is recorded with a unique key in our database.
- Slack wants an answer within 3 seconds: commands and buttons are acknowledged first and their
  work (which may embed a profile or propose a round) runs after the ack (Bolt lazy listeners).
- Web API calls retry a rate limit (429) in-process when Slack asks for a short wait; a longer
  wait goes back to the outbox as :class:`RetryLater`, and a live reply Slack will not take now
  is queued there (``replies``), so nothing is lost.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Protocol

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.core.i18n import translator
from bot.core.messages import Account, Inbound, Outbound, Text, from_dict
from bot.core.ports import (
    Conversations,
    DeliveryRefused,
    Replies,
    RetryLater,
    retry_after_seconds,
)
from bot.platforms.slack import blocks as kit

PLATFORM: Final = "slack"
SCOPES: Final = (
    "chat:write",
    "commands",
    "im:history",
    "im:read",
    "im:write",
    "mpim:write",
    "groups:write",
    "users:read",
)
INSTALL_PATH: Final = "/slack/install"
REDIRECT_PATH: Final = "/slack/oauth_redirect"
#: conversations.open takes up to 8 people; larger groups get a private channel.
GROUP_DM_UP_TO: Final = 8
SLACK_ID: Final = re.compile(r"[UW][A-Z0-9]{2,31}")
#: Outbox messages about a group that link its Slack conversation (and bring it up to date).
GROUP_NOTICES: Final = {
    "introduction": "slack.intro.conversation",
    "club_joined": "slack.club_joined.conversation",
}
#: Wait in-process for a rate limit up to this many seconds; longer goes back to the outbox.
SHORT_WAIT: Final = 5.0
LOCALE_TTL: Final = 3600.0
#: Slack errors that retrying will not fix (the person left, the app was removed, ...).
PERMANENT: Final = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "cannot_dm_bot",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "is_archived",
        "user_disabled",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "org_login_required",
        "ekm_access_denied",
        "invalid_blocks",
        "msg_too_long",
    }
)

#: What reading a payload that is not shaped like Slack's raises in a listener.
MALFORMED: Final = (KeyError, IndexError, TypeError, AttributeError, ValueError)

log = logging.getLogger(__name__)


# --- what the adapter needs from the rest of Maatjes ---------------------------------------------


class GroupConversation(Protocol):
    """A group's Slack conversation as stored (see bot.platforms.slack.store)."""

    @property
    def channel(self) -> str: ...

    @property
    def kind(self) -> str: ...  # mpim | private

    @property
    def members(self) -> tuple[str, ...]: ...  # the Slack users it holds

    @property
    def joined(self) -> tuple[str, ...] | None: ...  # whom the pending greeting welcomes

    @property
    def previous_channel(self) -> str | None: ...

    @property
    def greeted(self) -> bool: ...


class SlackStore(Protocol):
    """Our database as Slack needs it (implemented in bot.platforms.slack.store)."""

    def first_time(self, event_id: str) -> bool: ...

    def remember(
        self,
        user_id: str,
        *,
        team_id: str | None,
        enterprise_id: str | None,
        dm_channel: str | None = None,
    ) -> None: ...

    def whereabouts(self, user_id: str) -> tuple[str | None, str | None, str | None] | None: ...

    def group_members(self, group_id: int) -> list[dict[str, str]]: ...

    def group_conversation(self, group_id: int) -> GroupConversation | None: ...

    def record_group_channel(
        self, group_id: int, channel_id: str, kind: str, members: Sequence[str]
    ) -> str: ...

    def grow_group_channel(
        self,
        group_id: int,
        *,
        was: Sequence[str],
        channel_id: str,
        kind: str,
        members: Sequence[str],
        joined: Sequence[str] | None,
        previous_channel: str | None,
    ) -> bool: ...

    def claim_greeting(self, group_id: int, members: Sequence[str]) -> bool: ...

    def release_greeting(self, group_id: int) -> None: ...


class HomePage(Protocol):
    def home(self, account: Account) -> tuple[Outbound, ...]: ...

    def is_new(self, account: Account) -> bool: ...


class Recipient(Protocol):
    platform_user_id: str
    language: str


@dataclass(frozen=True)
class SlackConfig:
    signing_secret: str
    api_url: str = "https://slack.com/api/"
    bot_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = SCOPES

    @property
    def multi_workspace(self) -> bool:
        return bool(self.client_id and self.client_secret)


# --- rate limits ---------------------------------------------------------------------------------


def _retry_after(response: HttpResponse | None) -> float | None:
    return None if response is None else _header_seconds(response.headers)


def _header_seconds(headers: Any) -> float | None:
    """Retry-After from slack_sdk's headers (any case; a value or a list of values)."""
    for name, values in headers.items():
        if name.lower() == "retry-after":
            return retry_after_seconds(values[0] if isinstance(values, list) else values)
    return None


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's rate-limit retry, but only for short waits, and exactly as long as Slack says.

    A longer Retry-After surfaces as a 429 error: the outbox then schedules the message for
    that time instead of holding a worker thread."""

    def __init__(self, max_retry_count: int = 2, max_wait: float = SHORT_WAIT) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        return wait is None or wait <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response)
        time.sleep(1.0 if wait is None else wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


def web_client(api_url: str, token: str | None = None) -> WebClient:
    handlers: list[RetryHandler] = [ShortRateLimitRetry(), ConnectionErrorRetryHandler()]
    return WebClient(token=token, base_url=api_url, retry_handlers=handlers, timeout=15)


def _post_message(
    client: WebClient, channel: str, blocks: Sequence[dict[str, Any]], text: str
) -> None:
    """Every post asks Slack not to preview its links: a "mijn gegevens" link would otherwise be
    fetched by Slack's unfurler, and nothing we post gains from a preview."""
    client.chat_postMessage(
        channel=channel, blocks=blocks, text=text, unfurl_links=False, unfurl_media=False
    )


def _slack_error(error: SlackApiError) -> Exception:
    """A Web API error as an outbox outcome: retry later, or give up."""
    response = error.response
    if response.status_code == 429:
        wait = _header_seconds(response.headers)
        return RetryLater("rate limited", after=None if wait is None else timedelta(seconds=wait))
    code = str(response.get("error") or "") if isinstance(response.data, dict) else ""
    if code in PERMANENT:
        return DeliveryRefused(code)
    return RetryLater(code or f"http {response.status_code}")


# --- the adapter ---------------------------------------------------------------------------------


class SlackAdapter:
    """The Bolt app with Maatjes' listeners, and delivery of outbox messages to Slack."""

    def __init__(
        self,
        config: SlackConfig,
        conversations: Conversations,
        store: SlackStore,
        home: HomePage,
        *,
        installation_store: InstallationStore | None = None,
        state_store: OAuthStateStore | None = None,
        replies: Replies | None = None,
    ) -> None:
        self.config = config
        self.conversations = conversations
        self.store = store
        self.home = home
        self.replies = replies
        self.installation_store = installation_store
        self.client = web_client(config.api_url, config.bot_token)
        self._locales: dict[str, tuple[float, str | None]] = {}
        self._dms: dict[str, str] = {}
        self._turns: dict[str, threading.Lock] = {}
        self._turns_lock = threading.Lock()
        if config.multi_workspace:
            assert installation_store is not None, "multi-workspace Slack needs a store"
            self.app = App(
                signing_secret=config.signing_secret,
                client=self.client,
                installation_store=installation_store,
                oauth_settings=OAuthSettings(
                    client_id=config.client_id,
                    client_secret=config.client_secret,
                    scopes=list(config.scopes),
                    user_scopes=[],
                    installation_store=installation_store,
                    state_store=state_store,
                    install_path=INSTALL_PATH,
                    redirect_uri_path=REDIRECT_PATH,
                    # Slack, GovSlack or a test server: the same host as the Web API
                    authorization_url=_origin(config.api_url) + "/oauth/v2/authorize",
                ),
            )
            self.app.enable_token_revocation_listeners()
        else:
            # The token is checked on the first request (auth.test), not at start: Maatjes starts
            # even while Slack is unreachable, and the web chat keeps working.
            self.app = App(
                signing_secret=config.signing_secret,
                client=self.client,
                token_verification_enabled=False,
            )
        self._register()

    # listeners

    def _register(self) -> None:
        app = self.app
        app.error(self._on_error)
        app.middleware(self._once)
        app.event("message")(self._on_message)
        app.event("app_home_opened")(self._on_home_opened)
        app.command("/maatjes")(ack=self._ack_command, lazy=[self._on_command])
        pattern = re.escape
        app.action(re.compile(rf"^{pattern(kit.CHOICE)}\.\d+$"))(
            ack=self._ack, lazy=[self._on_choice]
        )
        app.action(re.compile(rf"^{pattern(kit.SELECT)}\.\d+$"))(
            ack=self._ack, lazy=[self._on_choice]
        )
        app.action(re.compile(rf"^{pattern(kit.PICK)}\.\d+$"))(self._ack)
        app.action(re.compile(rf"^{pattern(kit.SUBMIT_PICKS)}\.\d+$"))(
            ack=self._ack, lazy=[self._on_picks]
        )
        app.action(re.compile(rf"^{pattern(kit.HOME)}\.\d+$"))(
            ack=self._ack, lazy=[self._on_home_command]
        )
        app.action(re.compile(rf"^{pattern(kit.LONG_ANSWER)}\.\d+$"))(self._open_long_answer)
        app.action(re.compile(rf"^({pattern(kit.REASON)}|{pattern(kit.CHECKIN)})\.\d+$"))(
            self._open_choice_modal
        )
        app.view(kit.LONG_VIEW)(self._on_long_answer)
        app.view(re.compile(rf"^({pattern(kit.REASON_VIEW)}|{pattern(kit.CHECKIN_VIEW)})$"))(
            self._on_choice_modal
        )

    def _once(
        self, req: BoltRequest, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        """Each request runs once. Slack retries an event it thinks we missed (same
        ``event_id``); a command, button press or modal submission has no id, but a replayed
        copy carries the same signature (it signs the timestamp and the whole body), so that
        signature is its key. Seen before: acknowledged only."""
        key = None
        if body.get("type") == "event_callback" and body.get("event_id"):
            key = str(body["event_id"])
        elif body.get("type") not in ("url_verification", "ssl_check"):
            signature = (req.headers.get("x-slack-signature") or [""])[0]
            if signature:  # an HTTP request (Socket Mode has none, and no replays either)
                key = f"request:{signature}"
        if key is not None and not self.store.first_time(key):
            log.info("slack request seen before", extra={"kind": body.get("type") or "command"})
            return BoltResponse(status=200, body="")
        next()
        return None

    @staticmethod
    def _on_error(error: Exception) -> BoltResponse | None:
        """A signed request whose payload lacks what Slack always sends (a user, an action's
        text, a trigger) makes a listener fail on it: that is the request's fault, a 400. Any
        other failure stays a 500, so Slack knows to retry."""
        if isinstance(error, MALFORMED):
            log.warning("slack request refused as malformed", extra={"error": type(error).__name__})
            return BoltResponse(status=400, body="")
        return None

    @staticmethod
    def _ack(ack: Ack) -> None:
        ack()

    def _ack_command(self, ack: Ack, body: dict[str, Any]) -> None:
        channel = str(body.get("channel_id", ""))
        if channel.startswith("D"):
            ack()
            return
        account = Account(platform=PLATFORM, user_id=str(body.get("user_id", "")))
        t = translator(self.conversations.language_of(account))
        ack(text=t("slack.command.see_dm"))

    def _on_message(self, event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user = event.get("user")
        if not user:
            return
        channel = str(event["channel"])
        inbound = Inbound(text=kit.unescape(event.get("text", "")))
        with self._turn(str(user)):
            account = self._account(client, str(user), context, dm_channel=channel)
            turn = self.conversations.handle(account, inbound)
            self._post(client, channel, account, turn.messages)

    def _on_command(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        user = str(body["user_id"])
        account = self._account(client, user, context)
        text = kit.unescape(str(body.get("text") or "")).strip() or "help"
        with self._turn(user):
            turn = self.conversations.handle(account, Inbound(text=text))
            self._post(client, self._dm(client, user), account, turn.messages)

    def _on_choice(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if "selected_option" in action:
            value = str(action["selected_option"]["value"])
            label = str(action["selected_option"]["text"]["text"])
        else:
            value, label = str(action.get("value", "")), str(action["text"]["text"])
        self._choose(body, action, client, context, Inbound(choice=value), label)

    def _on_picks(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        state = body.get("state", {}).get("values", {}).get(str(action.get("value")), {})
        picked: list[dict[str, Any]] = []
        for element in state.values():
            picked += element.get("selected_options") or []
        values = tuple(str(o["value"]) for o in picked)
        label = ", ".join(str(o["text"]["text"]) for o in picked)
        self._choose(body, action, client, context, Inbound(choices=values), label or "—")

    def _choose(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        inbound: Inbound,
        label: str,
    ) -> None:
        user = str(body["user"]["id"])
        channel = str((body.get("channel") or {}).get("id") or self._dm(client, user))
        account = self._account(client, user, context)
        with self._turn(user):
            turn = self.conversations.handle(account, inbound)
            message = body.get("message")
            if turn.accepted and message and message.get("ts"):
                blocks = kit.answered(message, str(action.get("action_id")), label)
                if blocks is not None:
                    self._call(
                        client.chat_update,
                        channel=channel,
                        ts=message["ts"],
                        blocks=blocks,
                        text=message.get("text", ""),
                    )
            self._post(client, channel, account, turn.messages)

    def _on_home_opened(
        self, event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        tab = event.get("tab")
        user = str(event.get("user", ""))
        if tab == "messages" and event.get("channel"):
            # the first visit to the Messages tab: greet, so nobody faces an empty chat
            account = self._account(client, user, context, dm_channel=str(event["channel"]))
            if self.home.is_new(account):
                greeting = self.conversations.resume(account)
                self._post(client, str(event["channel"]), account, greeting)
            return
        if tab != "home":
            return
        account = self._account(client, user, context)
        self._publish_home(client, account)

    def _on_home_command(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        user = str(body["user"]["id"])
        account = self._account(client, user, context)
        with self._turn(user):
            turn = self.conversations.handle(account, Inbound(text=str(action.get("value", ""))))
            self._post(client, self._dm(client, user), account, turn.messages)
        self._publish_home(client, account)

    def _open_long_answer(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        user = str(body["user"]["id"])  # read before the ack: a payload without one is a 400
        trigger = str(body["trigger_id"])
        ack()
        step = str(action.get("value", ""))
        t = translator(self.conversations.language_of(Account(PLATFORM, user)))
        channel = (body.get("channel") or {}).get("id")
        view = kit.answer_modal(
            kit.LONG_VIEW,
            title=t("slack.modal.title"),
            label=t("slack.modal.label"),
            submit=t("slack.modal.submit"),
            close=t("slack.modal.close"),
            question=kit.question_text(body.get("message"), step),
            metadata={"step": step, "channel": channel},
        )
        self._call(client.views_open, trigger_id=trigger, view=view)

    def _open_choice_modal(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Reject (with a reason) and a check-in answer: the text is written in a modal."""
        user = str(body["user"]["id"])  # read before the ack: a payload without one is a 400
        trigger = str(body["trigger_id"])
        ack()
        value = str(action.get("value", ""))
        reason = str(action.get("action_id", "")).startswith(kit.REASON)
        t = translator(self.conversations.language_of(Account(PLATFORM, user)))
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        question = None if reason else kit.question_text(message, "checkin")
        view = kit.answer_modal(
            kit.REASON_VIEW if reason else kit.CHECKIN_VIEW,
            title=t("slack.modal.reason_title" if reason else "slack.modal.checkin_title"),
            label=t("slack.modal.reason_label" if reason else "slack.modal.label"),
            submit=t("slack.modal.submit"),
            close=t("slack.modal.close"),
            question=question,
            metadata={"choice": value, "channel": channel},
            max_length=1000 if reason else kit.MODAL_INPUT_LIMIT,
        )
        self._call(client.views_open, trigger_id=trigger, view=view)

    def _on_long_answer(
        self,
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        self._submit(ack, body, view, client, context, first=None)

    def _on_choice_modal(
        self,
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        metadata = _metadata(view)
        self._submit(ack, body, view, client, context, first=str(metadata.get("choice", "")))

    def _submit(
        self,
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        *,
        first: str | None,
    ) -> None:
        """A modal's answer. A refused answer keeps the modal open with the reason under the
        field, so nothing typed is lost; an accepted one closes it and the reply goes to the DM.

        The core's work for a modal is short (store an answer, record a decision): it runs
        before the ack so the modal can show a refusal."""
        user = str(body["user"]["id"])
        values = view.get("state", {}).get("values", {})
        text = str(
            (values.get(kit.ANSWER_BLOCK, {}).get(kit.ANSWER_BLOCK) or {}).get("value") or ""
        )
        account = self._account(client, user, context)
        messages: tuple[Outbound, ...] = ()
        # wait briefly for this person's running turn, but never past Slack's 3 seconds
        lock = self._turn(user)
        locked = lock.acquire(timeout=1.5)
        try:
            if first:
                opened = self.conversations.handle(account, Inbound(choice=first))
                if not opened.accepted:
                    messages = opened.messages
            turn = self.conversations.handle(account, Inbound(text=text)) if not messages else None
        finally:
            if locked:
                lock.release()
        if turn is not None and not turn.accepted:
            problem = next(
                (m.text for m in turn.messages if isinstance(m, Text) and m.tone == "error"),
                translator(self.conversations.language_of(account))("error.type_answer"),
            )
            ack(response_action="errors", errors={kit.ANSWER_BLOCK: kit.shorten(problem, 2000)})
            return
        ack()
        if turn is not None:
            messages = turn.messages
        channel = _metadata(view).get("channel") or self._dm(client, user)
        self._post(client, str(channel), account, messages)

    # helpers

    def _turn(self, user: str) -> threading.Lock:
        """One turn at a time per person (in this process): two quick messages never race over
        the same conversation step, and each reply is posted before the next turn starts."""
        with self._turns_lock:
            return self._turns.setdefault(user, threading.Lock())

    def _account(
        self,
        client: WebClient,
        user: str,
        context: BoltContext,
        *,
        dm_channel: str | None = None,
    ) -> Account:
        self.store.remember(
            user,
            team_id=context.team_id,
            enterprise_id=context.enterprise_id,
            dm_channel=dm_channel,
        )
        if dm_channel:
            self._dms[user] = dm_channel
        return Account(platform=PLATFORM, user_id=user, locale=self._locale(client, user))

    def _locale(self, client: WebClient, user: str) -> str | None:
        """The person's Slack locale (users.info), which picks the language until they choose."""
        now = time.monotonic()
        cached = self._locales.get(user)
        if cached is not None and now - cached[0] < LOCALE_TTL:
            return cached[1]
        locale: str | None = None
        try:
            found = client.users_info(user=user, include_locale=True)
            locale = (found.get("user") or {}).get("locale")
        except SlackApiError as error:
            log.warning("slack users.info failed", extra={"error": error.response.get("error")})
        self._locales[user] = (now, locale)
        return locale

    def _dm(self, client: WebClient, user: str) -> str:
        known = self._dms.get(user)
        if known:
            return known
        where = self.store.whereabouts(user)
        if where is not None and where[2]:
            self._dms[user] = where[2]
            return where[2]
        opened = client.conversations_open(users=user)
        channel = str(opened["channel"]["id"])
        self._dms[user] = channel
        if where is not None:
            self.store.remember(user, team_id=where[0], enterprise_id=where[1], dm_channel=channel)
        return channel

    def _post(
        self, client: WebClient, channel: str, account: Account, messages: Sequence[Outbound]
    ) -> None:
        """Post a turn's reply. What Slack will not take now (a long rate limit, an outage) is
        handed to ``replies`` (the outbox) from the first message not sent, so it comes late
        rather than never; what Slack refuses for good is logged. While such a reply waits,
        later ones queue behind it, so the person reads them in order."""
        if self.replies is not None and self.replies.behind(account, messages):
            return
        t = translator(self.conversations.language_of(account))
        sent = 0
        for message in kit.messages_of(messages, t):
            try:
                _post_message(client, channel, message.blocks, message.text)
            except (SlackApiError, OSError) as error:
                problem = (
                    _slack_error(error)
                    if isinstance(error, SlackApiError)
                    else RetryLater(type(error).__name__)
                )
                log.warning(
                    "slack reply not posted",
                    extra={"error": str(problem), "postponed": isinstance(problem, RetryLater)},
                )
                if isinstance(problem, RetryLater) and self.replies is not None:
                    self.replies.postpone(account, messages[sent:], after=problem.after)
                return
            sent += message.covers

    def _publish_home(self, client: WebClient, account: Account) -> None:
        t = translator(self.conversations.language_of(account))
        view = kit.home_view(self.home.home(account), t)
        self._call(client.views_publish, user_id=account.user_id, view=view)

    @staticmethod
    def _call(method: Callable[..., Any], **kwargs: Any) -> Any:
        """A Web API call from a listener: a failure is logged (without content), not raised."""
        try:
            return method(**kwargs)
        except SlackApiError as error:
            log.warning(
                "slack call failed",
                extra={"method": method.__name__, "error": error.response.get("error")},
            )
            return None

    # delivery from the outbox

    def client_for(self, user: str) -> tuple[WebClient, tuple[str | None, str | None, str | None]]:
        """A client with the token of the workspace this person lives in."""
        where = self.store.whereabouts(user)
        if where is None:
            if self.config.multi_workspace:
                raise DeliveryRefused("unknown slack member")
            where = (None, None, None)
        if not self.config.multi_workspace:
            return self.client, where
        assert self.installation_store is not None
        bot = self.installation_store.find_bot(enterprise_id=where[1], team_id=where[0])
        if bot is None or not bot.bot_token:
            raise DeliveryRefused("no installation for this workspace")
        return web_client(self.config.api_url, bot.bot_token), where

    def deliver(self, person: Recipient, kind: str, payload: dict[str, Any]) -> None:
        """Send one outbox message to one person; raises :class:`RetryLater` or
        :class:`DeliveryRefused`."""
        user = person.platform_user_id
        try:
            client, where = self.client_for(user)
            channel = where[2] or self._open_dm(client, user, where)
            messages = [from_dict(m) for m in payload.get("messages", [])]
            t = translator(person.language)
            extra: list[dict[str, Any]] = []
            group_id = payload.get("group_id")
            if kind in GROUP_NOTICES and isinstance(group_id, int):
                conversation = self._group_conversation_or_none(client, group_id, user)
                if conversation is not None:
                    extra = [
                        {
                            "type": "section",
                            "text": {
                                "type": "mrkdwn",
                                "text": t(GROUP_NOTICES[kind], channel=f"<#{conversation}>"),
                            },
                        }
                    ]
            rendered = list(kit.messages_of(messages, t))
            for number, message in enumerate(rendered):
                blocks = message.blocks
                if number == len(rendered) - 1 and extra:
                    blocks = [*blocks, *extra][: kit.MESSAGE_BLOCKS]
                _post_message(client, channel, blocks, message.text)
        except SlackApiError as error:
            raise _slack_error(error) from None

    def _open_dm(
        self, client: WebClient, user: str, where: tuple[str | None, str | None, str | None]
    ) -> str:
        channel = str(client.conversations_open(users=user)["channel"]["id"])
        self.store.remember(user, team_id=where[0], enterprise_id=where[1], dm_channel=channel)
        return channel

    def _group_conversation_or_none(
        self, client: WebClient, group_id: int, recipient: str
    ) -> str | None:
        """The group conversation, when it holds the recipient; when Slack refuses to make one
        for good, the personal introduction still goes out (it names everyone), only without
        the link."""
        try:
            return self._group_conversation(client, group_id, recipient)
        except SlackApiError as error:
            problem = _slack_error(error)
            if isinstance(problem, DeliveryRefused):
                log.warning(
                    "slack group conversation refused",
                    extra={"group_id": group_id, "error": str(problem)},
                )
                return None
            raise

    def _group_conversation(self, client: WebClient, group_id: int, recipient: str) -> str | None:
        """The group's Slack conversation, holding every member of the group on Slack, whoever
        delivers first. Made and greeted once; when the club grows, newcomers are invited to its
        private channel, or (a group DM cannot take anyone in) the club moves to a group DM of
        everyone, or a private channel beyond eight, greeted once more naming who joined. Each
        step is stored compare-and-set, so retries and other instances make nothing twice."""
        members = self.store.group_members(group_id)
        users = sorted({m["user_id"] for m in members})
        for _ in range(4):
            stored = self.store.group_conversation(group_id)
            if stored is None:
                if len(users) < 2 or not self._one_home(users):
                    return None  # the introduction says who to contact
                channel, kind = self._new_conversation(client, group_id, users)
                # recorded at once (before inviting), so a crash leaves no channel nobody knows of
                self.store.record_group_channel(group_id, channel, kind, users)
                continue
            newcomers = [u for u in users if u not in stored.members]
            if not newcomers or not self._one_home(users):
                break
            previous = stored.previous_channel if not stored.greeted else None
            if stored.kind == "private":
                channel, kind = stored.channel, "private"
            else:
                channel, kind = self._new_conversation(client, group_id, users)
                previous = stored.channel if channel != stored.channel else previous
            # a greeting not out yet is folded into this one (the first welcome covers all)
            pending = stored.joined if not stored.greeted else ()
            joined = None if pending is None else sorted({*pending, *newcomers})
            self.store.grow_group_channel(
                group_id,
                was=stored.members,
                channel_id=channel,
                kind=kind,
                members=users,
                joined=joined,
                previous_channel=previous,
            )
        else:
            raise RetryLater("group conversation changing elsewhere", after=timedelta(seconds=30))
        if not stored.greeted and self.store.claim_greeting(group_id, stored.members):
            try:
                self._greet(client, stored, members)
            except SlackApiError:
                self.store.release_greeting(group_id)
                raise
        return stored.channel if recipient in stored.members else None

    def _one_home(self, users: Sequence[str]) -> bool:
        """Whether these members can share a conversation: one workspace, or one Enterprise
        Grid organisation."""
        homes = {(w[0], w[1]) if w else None for w in map(self.store.whereabouts, users)}
        organisations = {h[1] if h else None for h in homes}
        return len(homes) == 1 or (None not in organisations and len(organisations) == 1)

    @staticmethod
    def _new_conversation(
        client: WebClient, group_id: int, users: Sequence[str]
    ) -> tuple[str, str]:
        """A group DM of these people (Slack gives the same one for the same people), or, for
        more than eight, the group's private channel (its members are invited when greeted)."""
        if len(users) <= GROUP_DM_UP_TO:
            opened = client.conversations_open(users=",".join(users))
            return str(opened["channel"]["id"]), "mpim"
        try:
            created = client.conversations_create(name=f"maatjes-club-{group_id}", is_private=True)
        except SlackApiError as error:
            if error.response.get("error") == "name_taken":
                raise RetryLater(
                    "group channel being made elsewhere", after=timedelta(seconds=30)
                ) from None
            raise
        return str(created["channel"]["id"]), "private"

    def _greet(
        self, client: WebClient, stored: GroupConversation, members: list[dict[str, str]]
    ) -> None:
        """The conversation's greeting: the first welcome, or who joined (and, when the club
        moved here, that the earlier conversation stays as it was)."""
        languages = {m["language"] for m in members}
        t = translator("en" if languages == {"en"} else "nl")
        if stored.kind == "private":  # a private channel: invite, then greet
            first_here = stored.joined is None or stored.previous_channel is not None
            invitees = stored.members if first_here or stored.joined is None else stored.joined
            self._invite(client, stored.channel, invitees)
        if stored.joined is None:
            for message in kit.messages_of([Text(t("slack.group.welcome"))], t):
                _post_message(client, stored.channel, message.blocks, message.text)
            return
        # mentions, so Slack shows each newcomer's own name (and they are notified)
        names = [f"<@{u}>" for u in stored.joined if SLACK_ID.fullmatch(u)]
        joined = ", ".join(names[:-1]) + f" {t('common.and')} " if len(names) > 1 else ""
        joined += names[-1] if names else ""
        key = "slack.group.moved" if stored.previous_channel is not None else "slack.group.joined"
        text = kit.escape(t(key, names="\x00")).replace("\x00", joined)
        section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        _post_message(client, stored.channel, [section], text)

    @staticmethod
    def _invite(client: WebClient, channel: str, users: Sequence[str]) -> None:
        try:  # force: whoever is in already (a retry after a crash) does not stop the others
            client.conversations_invite(channel=channel, users=",".join(users), force=True)
        except SlackApiError as error:
            if error.response.get("error") != "already_in_channel":
                raise


def _origin(url: str) -> str:
    """``https://slack.com/api/`` → ``https://slack.com``."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
