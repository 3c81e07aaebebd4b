"""Where a group talks on Slack: a group DM of its members, or a private channel beyond eight.

The group conversations port (bot.services.group_conversations) for Slack: when an introduction
or a club's "who joined" notice is delivered, the group's conversation is made, or brought up to
date when the club grew, and the sender links it in the personal message. Everything happens at
delivery, driven by the outbox, so a retry or another instance makes nothing twice: each step is
stored compare-and-set before Slack is told more.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.core.i18n import join_list, translator
from bot.core.messages import Outbound, Text
from bot.core.ports import DeliveryRefused, RetryLater
from bot.platforms.slack import blocks as kit
from bot.platforms.slack.ports import GroupConversation, SlackStore
from bot.platforms.slack.webapi import post_message, slack_error
from bot.services.group_conversations import Introduced
from storage.models import Person

#: conversations.open takes up to 8 people; larger groups get a private channel.
GROUP_DM_UP_TO: Final = 8
SLACK_ID: Final = re.compile(r"[UW][A-Z0-9]{2,31}")

log = logging.getLogger(__name__)


class SlackGroupConversations:
    def __init__(self, client_for: Callable[[str], WebClient], store: SlackStore) -> None:
        self.client_for = client_for  # a client with the token of this member's workspace
        self.store = store

    def introduction_extras(self, session: Session, intro: Introduced) -> list[Outbound]:
        return []  # the conversation is linked at delivery, once it exists

    def open(self, person: Person, group_id: int) -> str | None:
        """The group conversation, when it holds the recipient; when Slack refuses to make one
        for good, the personal introduction still goes out (it names everyone), only without
        the link."""
        recipient = person.platform_user_id
        client = self.client_for(recipient)
        try:
            return self._group_conversation(client, group_id, recipient)
        except SlackApiError as error:
            problem = slack_error(error)
            if isinstance(problem, DeliveryRefused):
                log.warning(
                    "slack group conversation refused",
                    extra={"group_id": group_id, "error": str(problem)},
                )
                return None
            raise problem from None

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
                post_message(client, stored.channel, message.blocks, message.text)
            return
        # mentions, so Slack shows each newcomer's own name (and they are notified)
        names = [f"<@{u}>" for u in stored.joined if SLACK_ID.fullmatch(u)]
        joined = join_list(names, t.language)
        key = "slack.group.moved" if stored.previous_channel is not None else "slack.group.joined"
        text = kit.escape(t(key, names="\x00")).replace("\x00", joined)
        section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        post_message(client, stored.channel, [section], text)

    @staticmethod
    def _invite(client: WebClient, channel: str, users: Sequence[str]) -> None:
        try:  # force: whoever is in already (a retry after a crash) does not stop the others
            client.conversations_invite(channel=channel, users=",".join(users), force=True)
        except SlackApiError as error:
            if error.response.get("error") != "already_in_channel":
                raise
