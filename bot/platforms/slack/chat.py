"""A person's chat with the bot on Slack (their DM): one turn at a time, who they are, and
posting a turn's reply. Shared by the listeners (``messages``, ``actions``, ``modals``).

A live reply Slack will not take now is queued in the outbox (``replies``), so nothing is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.i18n import translator
from bot.core.messages import Account, Outbound
from bot.core.ports import Conversations, Replies, RetryLater
from bot.platforms.slack import blocks as kit
from bot.platforms.slack.ports import HomePage, SlackStore
from bot.platforms.slack.webapi import post_message, slack_error

PLATFORM: Final = "slack"
LOCALE_TTL: Final = 3600.0

log = logging.getLogger(__name__)


def ack_only(ack: Ack) -> None:
    ack()


class SlackChat:
    def __init__(
        self,
        conversations: Conversations,
        store: SlackStore,
        home: HomePage,
        replies: Replies | None,
    ) -> None:
        self.conversations = conversations
        self.store = store
        self.home = home
        self.replies = replies
        self._locales: dict[str, tuple[float, str | None]] = {}
        self._dms: dict[str, str] = {}
        self._turns: dict[str, threading.Lock] = {}
        self._turns_lock = threading.Lock()

    def turn(self, user: str) -> threading.Lock:
        """One turn at a time per person (in this process): two quick messages never race over
        the same conversation step, and each reply is posted before the next turn starts."""
        with self._turns_lock:
            return self._turns.setdefault(user, threading.Lock())

    def account(
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
        return Account(platform=PLATFORM, user_id=user, locale=self.locale(client, user))

    def locale(self, client: WebClient, user: str) -> str | None:
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

    def dm(self, client: WebClient, user: str) -> str:
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

    def post(
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
                post_message(client, channel, message.blocks, message.text)
            except (SlackApiError, OSError) as error:
                problem = (
                    slack_error(error)
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

    def publish_home(self, client: WebClient, account: Account) -> None:
        t = translator(self.conversations.language_of(account))
        view = kit.home_view(self.home.home(account), t)
        self.call(client.views_publish, user_id=account.user_id, view=view)

    @staticmethod
    def call(method: Callable[..., Any], **kwargs: Any) -> Any:
        """A Web API call from a listener: a failure is logged (without content), not raised."""
        try:
            return method(**kwargs)
        except SlackApiError as error:
            log.warning(
                "slack call failed",
                extra={"method": method.__name__, "error": error.response.get("error")},
            )
            return None
