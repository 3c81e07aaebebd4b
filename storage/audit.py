"""The audit trail: ids and outcomes of every review decision, introduction and refusal."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from storage.models import AuditEvent
from storage.types import utcnow

TALLY_WINDOW_SECONDS = 3600


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None,
    result: str,
    origin: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        result=result,
        origin=origin,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def tally(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    result: str,
    origin: str,
    source: str,
    count: int = 1,
    at: datetime | None = None,
) -> None:
    """Count ``count`` more of a repeated event (refused logins): one row per source, actor,
    action, result and hour, with a count, so a flood of them adds one row, not thousands."""
    when = at or utcnow()
    window = int(when.timestamp()) // TALLY_WINDOW_SECONDS
    # A typed name can grow under NFKC (the column holds 255) and hold NUL (PostgreSQL refuses it).
    actor = actor.replace("\x00", "\ufffd")[:255]
    source = source.replace("\x00", "\ufffd")
    key = hashlib.sha256(
        "\x1f".join((str(window), actor, action, object_type, result, origin, source)).encode(
            "utf-8", "surrogatepass"
        )
    ).hexdigest()
    bump = (
        update(AuditEvent)
        .where(col(AuditEvent.tally_key) == key)
        .values(count=col(AuditEvent.count) + count)
    )
    if session.exec(bump).rowcount:
        return
    try:
        with session.begin_nested():  # another process may insert the same row just now
            session.add(
                AuditEvent(
                    actor=actor,
                    action=action,
                    object_type=object_type,
                    object_id=None,
                    result=result,
                    origin=origin,
                    detail={"source": source},
                    at=when,
                    count=count,
                    tally_key=key,
                )
            )
    except IntegrityError:
        session.exec(bump)


def events(
    session: Session,
    *,
    limit: int = 500,
    offset: int = 0,
    actor: str | None = None,
    action: str | None = None,
) -> Sequence[AuditEvent]:
    """Newest first, a page at a time."""
    query = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return session.exec(query.offset(offset).limit(limit)).all()


def count_events(session: Session, *, action: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return int(session.exec(query).one())


def actions(session: Session) -> list[str]:
    """The actions recorded so far (the audit page's filter)."""
    query = select(AuditEvent.action).distinct().order_by(col(AuditEvent.action))
    return [str(a) for a in session.exec(query).all()]


def events_after(
    session: Session, *, after: int, limit: int = 500, action: str | None = None
) -> Sequence[AuditEvent]:
    """The next page of events in the order they were recorded (the complete export)."""
    query = select(AuditEvent).where(col(AuditEvent.id) > after)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return session.exec(query.order_by(col(AuditEvent.id)).limit(limit)).all()


def latest_at(session: Session, *, action: str, before: datetime) -> datetime | None:
    """When the latest event of ``action`` before ``before`` happened, if one did."""
    found: datetime | None = session.exec(
        select(func.max(AuditEvent.at)).where(AuditEvent.action == action, AuditEvent.at < before)
    ).first()
    return found
