"""What the Slack platform needs from the rest of Maatjes, as protocols (implemented by
``bot.platforms.slack.store`` and ``bot.services.home``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.core.messages import Account, Outbound


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
