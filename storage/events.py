"""Things that may happen once: retried Slack events or Teams activities, replayed Slack
requests, spent export links. The unique key makes "once" hold across processes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete, select

from storage.db import insert_for
from storage.models import PlatformEvent
from storage.types import utcnow


def first_time(session: Session, *, platform: str, event_id: str) -> bool:
    """Record the event; True only for the first caller, in this process or any other."""
    insert = insert_for(session)
    statement = (
        insert(PlatformEvent)
        .values(platform=platform, event_id=event_id[:255], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        .returning(col(PlatformEvent.id))
    )
    return session.execute(statement).first() is not None


def seen(session: Session, *, platform: str, event_id: str) -> bool:
    statement = select(PlatformEvent.id).where(
        PlatformEvent.platform == platform, PlatformEvent.event_id == event_id[:255]
    )
    return session.exec(statement).first() is not None


def forget_before(session: Session, *, before: datetime) -> int:
    """Drop records older than any retry window (platforms retry within minutes, not days)."""
    statement = delete(PlatformEvent).where(col(PlatformEvent.received_at) < before)
    result = session.connection().execute(statement)
    return int(result.rowcount or 0)
