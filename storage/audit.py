"""The audit trail: ids and outcomes of every review decision, introduction and refusal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEvent
from storage.types import utcnow


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


def events(session: Session, *, limit: int = 500, actor: str | None = None) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    return session.exec(query.limit(limit)).all()
