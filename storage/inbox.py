"""The local inbox: what the web chat and terminal show a person when they next open it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import InboxMessage
from storage.types import utcnow


def deliver(session: Session, *, person_id: int, messages: Sequence[dict[str, Any]]) -> None:
    session.add(InboxMessage(person_id=person_id, messages=list(messages)))
    session.flush()


def take_unseen(session: Session, *, person_id: int) -> list[dict[str, Any]]:
    """The unseen messages in order, marked seen in the same transaction."""
    rows = session.exec(
        select(InboxMessage)
        .where(InboxMessage.person_id == person_id, col(InboxMessage.seen_at).is_(None))
        .order_by(col(InboxMessage.id))
    ).all()
    now = utcnow()
    found: list[dict[str, Any]] = []
    for row in rows:
        found.extend(row.messages)
        row.seen_at = now
        session.add(row)
    return found


def all_for(session: Session, *, person_id: int) -> Sequence[InboxMessage]:
    return session.exec(
        select(InboxMessage)
        .where(InboxMessage.person_id == person_id)
        .order_by(col(InboxMessage.id))
    ).all()


def waiting(session: Session, *, person_id: int) -> Sequence[InboxMessage]:
    """The unseen messages in order, left unseen: the web chat's live updates hand them out
    until the page says it has shown them (:func:`acknowledge`), so none is lost on the way."""
    return session.exec(
        select(InboxMessage)
        .where(InboxMessage.person_id == person_id, col(InboxMessage.seen_at).is_(None))
        .order_by(col(InboxMessage.id))
    ).all()


def acknowledge(session: Session, *, person_id: int, upto: int) -> int:
    """Mark this person's messages up to id ``upto`` seen (a page has shown them); how many."""
    result = session.execute(
        update(InboxMessage)
        .where(
            col(InboxMessage.person_id) == person_id,
            col(InboxMessage.id) <= upto,
            col(InboxMessage.seen_at).is_(None),
        )
        .values(seen_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
