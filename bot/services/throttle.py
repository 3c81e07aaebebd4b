"""Rate limits over moving windows, kept in memory: bot turns per person (every chat) and
dashboard logins per account and per client address.

Each process counts on its own (documented in .env.example): enough to stop a runaway client, a
stuck key or a password guesser from flooding the bot.
"""

from __future__ import annotations

import math
import threading
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.core.messages import Account


class KeyedLimiter:
    """One or more limits (``"10/minute;100/hour"``) counted per key."""

    def __init__(self, spec: str) -> None:
        self.limits = parse_many(spec) if spec.strip() else []
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()  # test-then-hit as one step across request threads

    def allow(self, key: str) -> bool:
        """Count one use; False when any of the limits is used up (the use is not counted)."""
        with self._lock:
            if not all(self._limiter.test(item, key) for item in self.limits):
                return False
            for item in self.limits:
                self._limiter.hit(item, key)
            return True

    def hit(self, key: str) -> None:
        """Count one use, whether or not a limit is used up (failures towards a lockout)."""
        with self._lock:
            for item in self.limits:
                self._limiter.hit(item, key)

    def clear(self, key: str) -> None:
        with self._lock:
            for item in self.limits:
                self._limiter.clear(item, key)

    def exceeded(self, key: str) -> bool:
        with self._lock:
            return not all(self._limiter.test(item, key) for item in self.limits)

    def retry_after(self, key: str) -> int:
        """Whole seconds until every limit has room again for ``key`` (0: now)."""
        now = time.time()
        wait = 0.0
        with self._lock:
            for item in self.limits:
                if not self._limiter.test(item, key):
                    reset, _ = self._limiter.get_window_stats(item, key)
                    wait = max(wait, reset - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0


class TurnLimiter:
    def __init__(self, spec: str) -> None:
        self._keyed = KeyedLimiter(spec)
        self.limits = self._keyed.limits

    def allow(self, account: Account) -> bool:
        """Count one turn; False when any of the limits is used up (the turn is not counted)."""
        return self._keyed.allow(f"{account.platform}:{account.user_id}")
