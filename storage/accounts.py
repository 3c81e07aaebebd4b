"""Local dashboard accounts. Hashing happens in the caller; this module only stores."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import DashboardAccount
from storage.types import utcnow

ROLES = ("coordinator", "admin")
MAX_USERNAME = 80  # DashboardAccount.username


def get_account(session: Session, *, username: str) -> DashboardAccount | None:
    return session.get(DashboardAccount, username)


def set_password_hash(session: Session, *, username: str, password_hash: str) -> DashboardAccount:
    """Create the account or give it a new password; a new password ends every open session."""
    account = session.get(DashboardAccount, username)
    if account is None:
        account = DashboardAccount(username=username, password_hash=password_hash)
    else:
        account.password_hash = password_hash
        account.session_version += 1
    session.add(account)
    session.flush()
    return account


def set_role(session: Session, *, username: str, role: str | None) -> bool:
    """Grant ``coordinator`` or ``admin`` to the account, or take it back (None); False when
    there is no such account."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    account = session.get(DashboardAccount, username)
    if account is None:
        return False
    account.role = role
    if role is None:
        account.session_version += 1
    session.add(account)
    session.flush()
    return True


def end_sessions(session: Session, *, username: str) -> None:
    """Every session cookie of this account stops working (sign out everywhere)."""
    account = session.get(DashboardAccount, username)
    if account is not None:
        account.session_version += 1
        session.add(account)


def record_login(
    session: Session,
    *,
    username: str,
    verified_hash: str,
    new_hash: str | None = None,
    at: datetime | None = None,
) -> int | None:
    """A successful login against ``verified_hash``: when, and the re-hashed password when the
    hashing parameters changed. The account's session version, or None when the password was
    changed meanwhile (the login used the old one)."""
    account = session.get(DashboardAccount, username)
    if account is None or account.password_hash != verified_hash:
        return None
    account.last_login_at = at or utcnow()
    if new_hash is not None:
        account.password_hash = new_hash
    session.add(account)
    return account.session_version
