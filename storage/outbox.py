"""The outbox: every message to a person is enqueued here once and delivered once.

Enqueue is an INSERT that does nothing when the dedupe key exists, so any number of processes may
enqueue the same message. Delivery claims a batch with one atomic UPDATE … RETURNING (PostgreSQL
adds ``FOR UPDATE SKIP LOCKED`` so instances never wait on each other; SQLite serialises writers
with ``BEGIN IMMEDIATE``), sends, and marks each row sent, or pending again with a back-off, or
failed after the last attempt. A claim whose process died is released after a lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, func, select

from storage.db import insert_for
from storage.models import OutboxMessage
from storage.types import utcnow

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    recipient_id: int,
    kind: str,
    payload: dict[str, Any],
    not_before: datetime | None = None,
    channel: str | None = None,
) -> bool:
    """Add a message unless one with the same key exists. True when this call added it.
    ``channel``: deliver by that channel (``mail``), not the recipient's own platform."""
    now = utcnow()
    values = {
        "dedupe_key": dedupe_key,
        "recipient_id": recipient_id,
        "kind": kind,
        "channel": channel,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "not_before": not_before or now,
        "created_at": now,
    }
    insert = insert_for(session)
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(col(OutboxMessage.id))
    )
    return session.execute(statement).first() is not None


def claim(
    session: Session,
    *,
    worker: str,
    limit: int = 100,
    now: datetime | None = None,
    lease: timedelta = timedelta(minutes=5),
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for ``worker``; nobody else gets them."""
    now = now or utcnow()
    due = or_(
        and_(col(OutboxMessage.status) == PENDING, col(OutboxMessage.not_before) <= now),
        and_(col(OutboxMessage.status) == SENDING, col(OutboxMessage.claimed_at) < now - lease),
    )
    candidates = select(OutboxMessage.id).where(due).order_by(col(OutboxMessage.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(candidates.scalar_subquery()))
        .values(
            status=SENDING, claimed_by=worker, claimed_at=now, attempts=OutboxMessage.attempts + 1
        )
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list(session.execute(statement).scalars())
    return sorted(rows, key=lambda row: row.id or 0)


def mark_sent(
    session: Session, *, message_id: int, worker: str, at: datetime | None = None
) -> bool:
    """Only the worker that holds the claim can mark it (a released, re-claimed row is not ours)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message_id,
            col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.status) == SENDING,
        )
        .values(status=SENT, sent_at=at or utcnow(), last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_cancelled(session: Session, *, message_id: int, worker: str, reason: str) -> None:
    """Not sent, and never will be (the person paused that channel meanwhile)."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.claimed_by) == worker)
        .values(status=CANCELLED, last_error=reason[:500], claimed_by=None, claimed_at=None)
    )


def mark_retry(
    session: Session,
    *,
    message_id: int,
    worker: str,
    error: str,
    retry_at: datetime | None,
) -> None:
    """Back to pending until ``retry_at``; with no ``retry_at`` it is failed for good."""
    values: dict[str, Any] = {"last_error": error[:500], "claimed_by": None, "claimed_at": None}
    values |= {"status": PENDING, "not_before": retry_at} if retry_at else {"status": FAILED}
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.claimed_by) == worker)
        .values(**values)
    )


def cancel_for(
    session: Session,
    *,
    recipient_id: int,
    kinds: Sequence[str] | None = None,
    keep: Sequence[str] = (),
) -> int:
    """Cancel someone's messages that were not sent yet (after a pause, stop or erasure): of
    ``kinds`` (all when None), except those of the kinds in ``keep``."""
    statement = update(OutboxMessage).where(
        col(OutboxMessage.recipient_id) == recipient_id, col(OutboxMessage.status) == PENDING
    )
    if kinds is not None:
        statement = statement.where(col(OutboxMessage.kind).in_(kinds))
    if keep:
        statement = statement.where(col(OutboxMessage.kind).not_in(keep))
    result = session.execute(statement.values(status=CANCELLED))
    return int(result.rowcount)  # type: ignore[attr-defined]


def last_waiting(session: Session, *, recipient_id: int, kind: str) -> datetime | None:
    """When the last of someone's unsent messages of this kind is due, or None if none waits."""
    due: datetime | None = session.exec(
        select(func.max(OutboxMessage.not_before)).where(
            col(OutboxMessage.recipient_id) == recipient_id,
            col(OutboxMessage.kind) == kind,
            col(OutboxMessage.status).in_((PENDING, SENDING)),
        )
    ).one()
    return due


def entries(session: Session, *, status: str | None = None) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return session.exec(query).all()


def counts(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    ).all()
    return {status: int(n) for status, n in rows}
