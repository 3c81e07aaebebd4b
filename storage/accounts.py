"""Local dashboard accounts. Hashing happens in the caller; this module only stores."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import DashboardAccount
from storage.types import utcnow


def get_account(session: Session, *, username: str) -> DashboardAccount | None:
    return session.get(DashboardAccount, username)


def set_password_hash(session: Session, *, username: str, password_hash: str) -> DashboardAccount:
    account = session.get(DashboardAccount, username) or DashboardAccount(
        username=username, password_hash=password_hash
    )
    account.password_hash = password_hash
    session.add(account)
    session.flush()
    return account


def touch_login(session: Session, *, username: str, at: datetime | None = None) -> None:
    account = session.get(DashboardAccount, username)
    if account is not None:
        account.last_login_at = at or utcnow()
        session.add(account)
