"""Per-person rate limiting of bot turns, for every chat (web, Slack, Teams, terminal).

A moving window per account (``platform:user``), kept in memory: enough to stop a runaway client
or a stuck key from flooding the bot. Each process counts on its own (documented in .env.example).
"""

from __future__ import annotations

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.core.messages import Account


class TurnLimiter:
    def __init__(self, spec: str) -> None:
        self.limits = parse_many(spec) if spec.strip() else []
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, account: Account) -> bool:
        """Count one turn; False when any of the limits is used up (the turn is not counted)."""
        key = f"{account.platform}:{account.user_id}"
        if not all(self._limiter.test(item, key) for item in self.limits):
            return False
        for item in self.limits:
            self._limiter.hit(item, key)
        return True
