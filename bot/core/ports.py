"""What adapters need from the rest of the bot, as protocols, so they depend on bot.core only."""

from __future__ import annotations

from datetime import UTC, datetime
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
