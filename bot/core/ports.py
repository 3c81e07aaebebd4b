"""What adapters need from the rest of the bot, as protocols, so they depend on bot.core only."""

from __future__ import annotations

from typing import Protocol

from bot.core.messages import Account, Inbound, Outbound, Turn


class Conversations(Protocol):
    def handle(self, account: Account, inbound: Inbound) -> Turn: ...

    def resume(self, account: Account) -> tuple[Outbound, ...]: ...

    def language_of(self, account: Account) -> str: ...
