"""Slack listeners for button presses and selections in the bot's messages: each becomes the
choice of an :class:`Inbound` turn, and the answered message shows what was chosen.

Buttons are acknowledged first; the turn runs after the ack (Bolt lazy listeners).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.core.messages import Inbound
from bot.platforms.slack import blocks as kit
from bot.platforms.slack.chat import SlackChat, ack_only


def register(app: App, chat: SlackChat) -> None:
    listeners = Actions(chat)
    pattern = re.escape
    app.action(re.compile(rf"^{pattern(kit.CHOICE)}\.\d+$"))(
        ack=ack_only, lazy=[listeners.on_choice]
    )
    app.action(re.compile(rf"^{pattern(kit.SELECT)}\.\d+$"))(
        ack=ack_only, lazy=[listeners.on_choice]
    )
    app.action(re.compile(rf"^{pattern(kit.PICK)}\.\d+$"))(ack_only)
    app.action(re.compile(rf"^{pattern(kit.SUBMIT_PICKS)}\.\d+$"))(
        ack=ack_only, lazy=[listeners.on_picks]
    )


class Actions:
    def __init__(self, chat: SlackChat) -> None:
        self.chat = chat

    def on_choice(
        self, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if "selected_option" in action:
            value = str(action["selected_option"]["value"])
            label = str(action["selected_option"]["text"]["text"])
        else:
            value, label = str(action.get("value", "")), str(action["text"]["text"])
        self._choose(body, action, client, context, Inbound(choice=value), label)

    def on_picks(
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
        channel = str((body.get("channel") or {}).get("id") or self.chat.dm(client, user))
        account = self.chat.account(client, user, context)
        with self.chat.turn(user):
            turn = self.chat.conversations.handle(account, inbound)
            message = body.get("message")
            if turn.accepted and message and message.get("ts"):
                blocks = kit.answered(message, str(action.get("action_id")), label)
                if blocks is not None:
                    self.chat.call(
                        client.chat_update,
                        channel=channel,
                        ts=message["ts"],
                        blocks=blocks,
                        text=message.get("text", ""),
                    )
            self.chat.post(client, channel, account, turn.messages)
