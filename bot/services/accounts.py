"""Dashboard logins: local accounts with Argon2 password hashes, their roles and sessions, and
the throttle that keeps a password guesser from trying many passwords or slowing others down."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from bot.core.messages import local_account_id
from bot.services.throttle import KeyedLimiter
from storage import accounts
from storage.db import read_scope, session_scope

MIN_PASSWORD = 10
# RFC 9106's second recommendation (64 MiB, 3 passes) in one lane: a check keeps one core busy
# instead of all of them, so a login never starves the chat. Older hashes (4 lanes) are re-hashed
# at their next login.
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
# At most this many checks at once per process (each takes ~0.2 s of CPU and 64 MiB): a burst of
# guesses queues here instead of taking every core and a lot of memory.
_checks = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))
# Verifying against a real hash for unknown names keeps the timing the same as for known ones.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
LOCAL = "local:"


class WeakPassword(ValueError):
    pass


def identity(username: str) -> str:
    return f"{LOCAL}{local_account_id(username)}"


def _possible_name(name: str) -> bool:
    """Whether an account can have this name: never asked of the database otherwise (PostgreSQL
    refuses NUL in text, and names are at most 80 characters)."""
    return 0 < len(name) <= accounts.MAX_USERNAME and name.isprintable()


class LoginThrottle:
    """Login attempts per client address and per account, and a lockout of an account after
    repeated failures. While locked even the right password is refused, so a guesser learns
    nothing; the lockout ends by itself when the failures leave their window."""

    def __init__(self, *, per_address: str, per_account: str, lockout: str) -> None:
        self.per_address = KeyedLimiter(per_address)
        self.per_account = KeyedLimiter(per_account)
        self.failures = KeyedLimiter(lockout)

    def admit(self, account: str, address: str) -> int:
        """Count one attempt; 0 when it may go ahead, else the seconds to wait."""
        if self.failures.exceeded(account):
            return self.failures.retry_after(account)
        if not self.per_address.allow(address):
            return self.per_address.retry_after(address)
        if not self.per_account.allow(account):
            return self.per_account.retry_after(account)
        return 0

    def failed(self, account: str) -> None:
        self.failures.hit(account)

    def succeeded(self, account: str) -> None:
        """The right password (outside a lockout): earlier typing errors no longer count."""
        self.failures.clear(account)


@dataclass(frozen=True)
class LoginOutcome:
    status: Literal["ok", "refused", "throttled"]
    retry_after: int = 0  # seconds, when throttled
    session_version: int = 0  # goes into the session cookie, when ok


class Accounts:
    def __init__(self, engine: Engine, *, throttle: LoginThrottle | None = None) -> None:
        self.engine = engine
        self.throttle = throttle

    def set_password(self, username: str, password: str) -> None:
        """Create the account or set a new password (which ends the account's open sessions)."""
        if len(password) < MIN_PASSWORD:
            raise WeakPassword(f"a password needs at least {MIN_PASSWORD} characters")
        with _checks:  # before the transaction, like every check
            hashed = _hasher.hash(password)
        with session_scope(self.engine) as session:
            accounts.set_password_hash(
                session, username=local_account_id(username), password_hash=hashed
            )

    def login(self, username: str, password: str, *, address: str) -> LoginOutcome:
        name = local_account_id(username)
        if self.throttle is not None:
            wait = self.throttle.admit(name, address)
            if wait:
                return LoginOutcome("throttled", retry_after=wait)
        version = self._verify(name, password)
        if version is None:
            if self.throttle is not None:
                self.throttle.failed(name)
            return LoginOutcome("refused")
        if self.throttle is not None:
            self.throttle.succeeded(name)
        return LoginOutcome("ok", session_version=version)

    def verify(self, username: str, password: str) -> bool:
        return self._verify(local_account_id(username), password) is not None

    def _verify(self, name: str, password: str) -> int | None:
        """The account's session version when the password is right, else None.

        Argon2 is slow on purpose, so it runs with no transaction open: a short read before, a
        short write after. Inside a write transaction every guess would hold the database's write
        lock (SQLite) for the whole hash and stall everyone else."""
        account = None
        if _possible_name(name):
            with read_scope(self.engine) as session:
                account = accounts.get_account(session, username=name)
        stored = account.password_hash if account is not None else _DUMMY_HASH
        known = account is not None
        with _checks:
            try:
                _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if not known:
                return None
            rehashed = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
        with session_scope(self.engine) as session:
            return accounts.record_login(
                session, username=name, verified_hash=stored, new_hash=rehashed
            )

    # --- sessions and roles --------------------------------------------------------------------

    def session_open(self, username: str, version: object) -> bool:
        """Whether a dashboard session cookie for this account (at this version) still counts."""
        with read_scope(self.engine) as session:
            account = accounts.get_account(session, username=local_account_id(username))
            return account is not None and account.session_version == version

    def end_sessions(self, username: str) -> None:
        with session_scope(self.engine) as session:
            accounts.end_sessions(session, username=local_account_id(username))

    def grant(self, username: str, role: str | None) -> bool:
        """Give the local account the coordinator or admin role, or take it back (None)."""
        with session_scope(self.engine) as session:
            return accounts.set_role(session, username=local_account_id(username), role=role)

    def granted_role(self, actor: str) -> str | None:
        """The role the database grants ``local:NAME`` (None for others and for no role)."""
        if not actor.startswith(LOCAL):
            return None
        with read_scope(self.engine) as session:
            account = accounts.get_account(session, username=actor[len(LOCAL) :])
            return account.role if account is not None else None
