"""Consent decisions: explicit, per purpose, with the policy version and time, withdrawable."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import Consent
from storage.types import utcnow


def record_consent(
    session: Session,
    *,
    person_id: int,
    purpose: str,
    policy_version: str,
    given: bool,
    at: datetime | None = None,
) -> Consent:
    consent = Consent(
        person_id=person_id,
        purpose=purpose,
        policy_version=policy_version,
        given=given,
        decided_at=at or utcnow(),
    )
    session.add(consent)
    session.flush()
    return consent


def withdraw_consent(
    session: Session, *, person_id: int, purpose: str, at: datetime | None = None
) -> int:
    at = at or utcnow()
    rows = session.exec(
        select(Consent).where(
            Consent.person_id == person_id,
            Consent.purpose == purpose,
            col(Consent.given).is_(True),
            col(Consent.withdrawn_at).is_(None),
        )
    ).all()
    for row in rows:
        row.withdrawn_at = at
        session.add(row)
    session.flush()
    return len(rows)


def has_consent(session: Session, *, person_id: int, purpose: str) -> bool:
    """True when the latest decision for ``purpose`` is a yes that has not been withdrawn."""
    latest = session.exec(
        select(Consent)
        .where(Consent.person_id == person_id, Consent.purpose == purpose)
        .order_by(col(Consent.decided_at).desc(), col(Consent.id).desc())
    ).first()
    return latest is not None and latest.given and latest.withdrawn_at is None


def consents_of(session: Session, *, person_id: int) -> list[Consent]:
    return list(
        session.exec(
            select(Consent).where(Consent.person_id == person_id).order_by(col(Consent.id))
        )
    )


def consenting_people(*, purpose: str) -> SelectOfScalar[int]:
    """A subquery of the ids of people whose consent for ``purpose`` is given and not withdrawn.

    A refusal can only follow a withdrawal (the bot asks again only then), so a live "yes" is the
    whole truth.
    """
    return (
        select(col(Consent.person_id))
        .where(
            Consent.purpose == purpose,
            col(Consent.given).is_(True),
            col(Consent.withdrawn_at).is_(None),
        )
        .distinct()
    )
