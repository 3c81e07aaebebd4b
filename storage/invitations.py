"""Invitations: one per address, with the one reminder and the person it became."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Invitation
from storage.types import utcnow


def get(session: Session, email: str) -> Invitation | None:
    return session.exec(select(Invitation).where(col(Invitation.email) == email)).first()


def add(
    session: Session,
    *,
    email: str,
    name: str | None,
    language: str,
    invited_by: str,
    person_id: int,
    at: datetime | None = None,
) -> Invitation:
    row = Invitation(
        email=email,
        name=name,
        language=language,
        invited_by=invited_by,
        person_id=person_id,
        invited_at=at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def mark_joined(session: Session, *, person_id: int, at: datetime | None = None) -> None:
    for row in session.exec(
        select(Invitation).where(
            col(Invitation.person_id) == person_id, col(Invitation.joined_at).is_(None)
        )
    ):
        row.joined_at = at or utcnow()
        session.add(row)


def due_for_reminder(session: Session, *, invited_before: datetime) -> Sequence[Invitation]:
    """Invitations older than ``invited_before`` that nobody used and that had no reminder."""
    return session.exec(
        select(Invitation)
        .where(
            col(Invitation.invited_at) < invited_before,
            col(Invitation.reminded_at).is_(None),
            col(Invitation.joined_at).is_(None),
            col(Invitation.person_id).is_not(None),
        )
        .order_by(col(Invitation.id))
    ).all()


def all_invitations(session: Session) -> Sequence[Invitation]:
    return session.exec(select(Invitation).order_by(col(Invitation.id))).all()


def forget(session: Session, *, person_id: int) -> None:
    """Erasure: the invitation of this person goes with them."""
    from sqlalchemy import delete

    session.execute(delete(Invitation).where(col(Invitation.person_id) == person_id))
