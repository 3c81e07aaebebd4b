"""Dashboard logins: local accounts with Argon2 password hashes, and who may do what."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from bot.core.messages import local_account_id
from storage import accounts
from storage.db import session_scope

MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verifying against a real hash for unknown names keeps the timing the same as for known ones.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class WeakPassword(ValueError):
    pass


def identity(username: str) -> str:
    return f"local:{local_account_id(username)}"


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise WeakPassword(f"a password needs at least {MIN_PASSWORD} characters")
        with session_scope(self.engine) as session:
            accounts.set_password_hash(
                session, username=local_account_id(username), password_hash=_hasher.hash(password)
            )

    def verify(self, username: str, password: str) -> bool:
        name = local_account_id(username)
        with session_scope(self.engine) as session:
            account = accounts.get_account(session, username=name)
            stored = account.password_hash if account is not None else _DUMMY_HASH
            try:
                _hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return False
            if account is None:
                return False
            if _hasher.check_needs_rehash(stored):
                account.password_hash = _hasher.hash(password)
            accounts.touch_login(session, username=name)
            return True
