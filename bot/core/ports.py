"""What adapters need from the rest of the bot, as protocols, so they depend on bot.core only."""

from __future__ import annotations

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
