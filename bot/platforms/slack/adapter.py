"""Slack: the whole Maatjes conversation in Slack, with Bolt for Python.

Slack events become :class:`Inbound` turns for the same core as the web chat; its answers go back
as Block Kit (``blocks``). The adapter only translates: the intake, the commands, review and
check-in buttons all live in ``bot.core``. This module makes the Bolt app and delivers outbox
messages; the listeners are in ``messages`` (DMs, ``/maatjes``, App Home), ``actions`` (buttons)
and ``modals``, a person's chat with the bot in ``chat``, and a group's conversation in
``conversations``.

- Every request's signature and timestamp are checked by Bolt (kept on). Events are processed once
  even when Slack retries them: their ``event_id`` is recorded with a unique key in our database.
- Slack wants an answer within 3 seconds: commands and buttons are acknowledged first and their
  work runs after the ack (Bolt lazy listeners).
- Web API calls retry a short rate limit in-process (``webapi``); a longer wait goes back to the
  outbox as :class:`RetryLater`, and a live reply Slack will not take now is queued there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.core.i18n import translator
from bot.core.messages import from_dict
from bot.core.ports import Conversations, DeliveryRefused, Replies
from bot.platforms.slack import actions, messages, modals
from bot.platforms.slack import blocks as kit
from bot.platforms.slack.chat import PLATFORM, SlackChat
from bot.platforms.slack.ports import HomePage, Recipient, SlackStore
from bot.platforms.slack.webapi import post_message, slack_error, web_client
from bot.services.group_conversations import GroupLink

__all__ = ["INSTALL_PATH", "MALFORMED", "PLATFORM", "REDIRECT_PATH", "SCOPES", "SlackAdapter"]

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
#: What a notice about a group says to link the group's Slack conversation.
GROUP_NOTICES: Final = {
    "introduction": "slack.intro.conversation",
    "club_joined": "slack.club_joined.conversation",
}

#: What reading a payload that is not shaped like Slack's raises in a listener.
MALFORMED: Final = (KeyError, IndexError, TypeError, AttributeError, ValueError)

log = logging.getLogger(__name__)


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
        self.store = store
        self.chat = SlackChat(conversations, store, home, replies)
        self.installation_store = installation_store
        self.client = web_client(config.api_url, config.bot_token)
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
        messages.register(app, self.chat)
        actions.register(app, self.chat)
        modals.register(app, self.chat)

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

    def deliver(
        self, person: Recipient, outgoing: Sequence[dict[str, Any]], link: GroupLink | None = None
    ) -> None:
        """Send one outbox message to one person, linking the group's conversation (``link``)
        in its last block; raises :class:`RetryLater` or :class:`DeliveryRefused`."""
        user = person.platform_user_id
        try:
            client, where = self.client_for(user)
            channel = where[2] or self._open_dm(client, user, where)
            t = translator(person.language)
            extra: list[dict[str, Any]] = []
            notice = GROUP_NOTICES.get(link.notice) if link is not None else None
            if link is not None and notice is not None:
                extra = [
                    {
                        "type": "section",
                        "text": {
                            "type": "mrkdwn",
                            "text": t(notice, channel=f"<#{link.conversation}>"),
                        },
                    }
                ]
            rendered = list(kit.messages_of([from_dict(m) for m in outgoing], t))
            for number, message in enumerate(rendered):
                blocks = message.blocks
                if number == len(rendered) - 1 and extra:
                    blocks = [*blocks, *extra][: kit.MESSAGE_BLOCKS]
                post_message(client, channel, blocks, message.text)
        except SlackApiError as error:
            raise slack_error(error) from None

    def _open_dm(
        self, client: WebClient, user: str, where: tuple[str | None, str | None, str | None]
    ) -> str:
        channel = str(client.conversations_open(users=user)["channel"]["id"])
        self.store.remember(user, team_id=where[0], enterprise_id=where[1], dm_channel=channel)
        return channel


def _origin(url: str) -> str:
    """``https://slack.com/api/`` → ``https://slack.com``."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
