"""Slack modals: a long answer, a rejection's reason and a check-in answer are written in a
modal; a refused answer keeps the modal open with the reason under the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core.i18n import translator
from bot.core.messages import Account, Inbound, Outbound, Text
from bot.platforms.slack import blocks as kit
from bot.platforms.slack.chat import PLATFORM, SlackChat


def register(app: App, chat: SlackChat) -> None:
    listeners = Modals(chat)
    pattern = re.escape
    app.action(re.compile(rf"^{pattern(kit.LONG_ANSWER)}\.\d+$"))(listeners.open_long_answer)
    app.action(re.compile(rf"^({pattern(kit.REASON)}|{pattern(kit.CHECKIN)})\.\d+$"))(
        listeners.open_choice_modal
    )
    app.view(kit.LONG_VIEW)(listeners.on_long_answer)
    app.view(re.compile(rf"^({pattern(kit.REASON_VIEW)}|{pattern(kit.CHECKIN_VIEW)})$"))(
        listeners.on_choice_modal
    )


class Modals:
    def __init__(self, chat: SlackChat) -> None:
        self.chat = chat

    def open_long_answer(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        user = str(body["user"]["id"])  # read before the ack: a payload without one is a 400
        trigger = str(body["trigger_id"])
        ack()
        step = str(action.get("value", ""))
        t = translator(self.chat.conversations.language_of(Account(PLATFORM, user)))
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
        self.chat.call(client.views_open, trigger_id=trigger, view=view)

    def open_choice_modal(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Reject (with a reason) and a check-in answer: the text is written in a modal."""
        user = str(body["user"]["id"])  # read before the ack: a payload without one is a 400
        trigger = str(body["trigger_id"])
        ack()
        value = str(action.get("value", ""))
        reason = str(action.get("action_id", "")).startswith(kit.REASON)
        t = translator(self.chat.conversations.language_of(Account(PLATFORM, user)))
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
        self.chat.call(client.views_open, trigger_id=trigger, view=view)

    def on_long_answer(
        self,
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        self._submit(ack, body, view, client, context, first=None)

    def on_choice_modal(
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
        account = self.chat.account(client, user, context)
        messages: tuple[Outbound, ...] = ()
        # wait briefly for this person's running turn, but never past Slack's 3 seconds
        lock = self.chat.turn(user)
        locked = lock.acquire(timeout=1.5)
        try:
            if first:
                opened = self.chat.conversations.handle(account, Inbound(choice=first))
                if not opened.accepted:
                    messages = opened.messages
            turn = (
                self.chat.conversations.handle(account, Inbound(text=text))
                if not messages
                else None
            )
        finally:
            if locked:
                lock.release()
        if turn is not None and not turn.accepted:
            problem = next(
                (m.text for m in turn.messages if isinstance(m, Text) and m.tone == "error"),
                translator(self.chat.conversations.language_of(account))("error.type_answer"),
            )
            ack(response_action="errors", errors={kit.ANSWER_BLOCK: kit.shorten(problem, 2000)})
            return
        ack()
        if turn is not None:
            messages = turn.messages
        channel = _metadata(view).get("channel") or self.chat.dm(client, user)
        self.chat.post(client, str(channel), account, messages)


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
