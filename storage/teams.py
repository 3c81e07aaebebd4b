"""Teams conversation references: where the bot can reach each Teams user proactively."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from storage.models import TeamsConversation
from storage.types import utcnow


def remember(
    session: Session,
    *,
    user_id: str,
    tenant_id: str | None,
    conversation_id: str,
    service_url: str,
    reference: dict[str, Any],
    principal_name: str | None = None,
) -> TeamsConversation:
    """Store or refresh a user's personal-chat reference (the latest one wins)."""
    row = session.exec(
        select(TeamsConversation).where(TeamsConversation.user_id == user_id)
    ).first()
    if row is None:
        row = TeamsConversation(
            user_id=user_id,
            conversation_id=conversation_id,
            service_url=service_url,
            reference=reference,
        )
    row.tenant_id = tenant_id
    row.conversation_id = conversation_id
    row.service_url = service_url
    row.reference = reference
    if principal_name:
        row.principal_name = principal_name
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def reference_of(session: Session, *, user_id: str) -> TeamsConversation | None:
    return session.exec(
        select(TeamsConversation).where(TeamsConversation.user_id == user_id)
    ).first()


def principal_names(session: Session, *, user_ids: Iterable[str]) -> dict[str, str]:
    """User principal names (for deep links) of those users that have one."""
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(TeamsConversation).where(col(TeamsConversation.user_id).in_(wanted))
    ).all()
    return {row.user_id: row.principal_name for row in rows if row.principal_name}
