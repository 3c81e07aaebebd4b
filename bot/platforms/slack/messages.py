"""Slack listeners for what a person writes: a DM with the bot runs the conversation,
``/maatjes <command>`` answers in that DM, and App Home shows the person's own page.

Slack wants an answer within 3 seconds: a command is acknowledged first and its work (which may
embed a profile or propose a round) runs after the ack (a Bolt lazy listener).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core.i18n import translator
from bot.core.messages import Account, Inbound
from bot.platforms.slack import blocks as kit
from bot.platforms.slack.chat import PLATFORM, SlackChat, ack_only


def register(app: App, chat: SlackChat) -> None:
    listeners = Messages(chat)
    app.event("message")(listeners.on_message)
    app.event("app_home_opened")(listeners.on_home_opened)
    app.command("/maatjes")(ack=listeners.ack_command, lazy=[listeners.on_command])
    app.action(re.compile(rf"^{re.escape(kit.HOME)}\.\d+$"))(
        ack=ack_only, lazy=[listeners.on_home_command]
    )


class Messages:
    def __init__(self, chat: SlackChat) -> None:
        self.chat = chat

    def ack_command(self, ack: Ack, body: dict[str, Any]) -> None:
        channel = str(body.get("channel_id", ""))
        if channel.startswith("D"):
            ack()
            return
        account = Account(platform=PLATFORM, user_id=str(body.get("user_id", "")))
        t = translator(self.chat.conversations.language_of(account))
        ack(text=t("slack.command.see_dm"))

    def on_message(self, event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user = event.get("user")
        if not user:
            return
        channel = str(event["channel"])
        inbound = Inbound(text=kit.unescape(event.get("text", "")))
        with self.chat.turn(str(user)):
            account = self.chat.account(client, str(user), context, dm_channel=channel)
            turn = self.chat.conversations.handle(account, inbound)
            self.chat.post(client, channel, account, turn.messages)

    def on_command(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        user = str(body["user_id"])
        account = self.chat.account(client, user, context)
        text = kit.unescape(str(body.get("text") or "")).strip() or "help"
        with self.chat.turn(user):
            turn = self.chat.conversations.handle(account, Inbound(text=text))
            self.chat.post(client, self.chat.dm(client, user), account, turn.messages)

    def on_home_opened(
        self, event: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        tab = event.get("tab")
        user = str(event.get("user", ""))
        if tab == "messages" and event.get("channel"):
            # the first visit to the Messages tab: greet, so nobody faces an empty chat
            account = self.chat.account(client, user, context, dm_channel=str(event["channel"]))
            if self.chat.home.is_new(account):
                greeting = self.chat.conversations.resume(account)
                self.chat.post(client, str(event["channel"]), account, greeting)
            return
        if tab != "home":
            return
        account = self.chat.account(client, user, context)
        self.chat.publish_home(client, account)

    def on_home_command(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        user = str(body["user"]["id"])
        account = self.chat.account(client, user, context)
        with self.chat.turn(user):
            turn = self.chat.conversations.handle(
                account, Inbound(text=str(action.get("value", "")))
            )
            self.chat.post(client, self.chat.dm(client, user), account, turn.messages)
        self.chat.publish_home(client, account)
