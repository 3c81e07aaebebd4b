"""What adapters need from the rest of the bot, as protocols, so they depend on bot.core only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from bot.core.messages import Account, Inbound, Outbound, Turn


class Conversations(Protocol):
    def handle(self, account: Account, inbound: Inbound) -> Turn: ...

    def resume(self, account: Account) -> tuple[Outbound, ...]: ...

    def language_of(self, account: Account) -> str: ...


class Threads(Protocol):
    """Group conversations after an introduction (the web chat's group threads)."""

    def groups(self, account: Account) -> list[dict[str, Any]]: ...

    def thread(self, account: Account, group_id: int) -> dict[str, Any] | None: ...

    def post(self, account: Account, group_id: int, text: str) -> str: ...


class Replies(Protocol):
    """Where a reply goes that the platform cannot take now (rate limited, briefly down): the
    outbox, which sends it when the platform is ready, so it arrives late instead of never."""

    def postpone(
        self, account: Account, messages: Sequence[Outbound], *, after: timedelta | None
    ) -> bool:
        """Queue the messages for this person; False when the person is unknown here."""
        ...

    def behind(self, account: Account, messages: Sequence[Outbound]) -> bool:
        """While an earlier reply to this person still waits, queue these behind it (so replies
        keep their order) and say True; False, queuing nothing, when none waits."""
        ...


class RetryLater(Exception):
    """A platform cannot take a message now; the outbox tries again, after ``after`` when the
    platform said how long (its Retry-After), else after its own backoff."""

    def __init__(self, reason: str, *, after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.after = after


class DeliveryRefused(Exception):
    """A platform will never take this message (the person or the installation is gone):
    retrying cannot help, so the outbox marks it failed for coordinators to see."""


class NotWanted(Exception):
    """The person does not want messages by this channel now (e-mail paused, no address): the
    outbox cancels the message; nothing failed."""


def retry_after_seconds(value: str | None) -> float | None:
    """A platform's ``Retry-After`` header as seconds (it may be a number or an HTTP date),
    never negative; None when absent or unreadable. Slack and Teams both answer 429 with it."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(seconds, 0.0)
