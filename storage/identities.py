"""Web sign-in: proven identities (an e-mail address, an OpenID Connect subject) with the session
version that revokes their cookies, and the single-use sign-in links mailed to an address.

A link's token is never stored, only its SHA-256; spending it is one conditional UPDATE, so two
clicks, two tabs or two instances spend it once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import Person, SignInToken, WebIdentity
from storage.types import utcnow

MAX_EMAIL = 254  # RFC 5321: the longest address a mail server takes


def email_identity(address: str) -> str:
    return f"email:{address}"


def oidc_identity(issuer: str, subject: str) -> str:
    return f"oidc:{issuer}|{subject}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- identities -----------------------------------------------------------------------------


def get_identity(session: Session, identity: str) -> WebIdentity | None:
    return session.get(WebIdentity, identity)


def ensure_identity(
    session: Session, identity: str, *, email: str | None = None, person_id: int | None = None
) -> WebIdentity:
    """The identity's row, made on first sign-in; a person and an address fill in when known."""
    row = session.get(WebIdentity, identity)
    if row is None:
        row = WebIdentity(identity=identity, email=email, person_id=person_id)
    else:
        row.email = row.email or email
        row.person_id = row.person_id or person_id
    session.add(row)
    session.flush()
    return row


def record_signin(session: Session, identity: str, *, at: datetime | None = None) -> int:
    """A sign-in: when, and the session version the new cookie carries."""
    row = session.get(WebIdentity, identity)
    if row is None:
        raise LookupError(identity)
    row.last_signin_at = at or utcnow()
    session.add(row)
    return row.session_version


def session_version(session: Session, identity: str) -> int | None:
    """The current session version, or None when the identity is gone (erased)."""
    found: int | None = session.exec(
        select(WebIdentity.session_version).where(col(WebIdentity.identity) == identity)
    ).first()
    return found


def end_sessions(session: Session, identity: str) -> None:
    """Every cookie of this identity stops working (sign out everywhere)."""
    session.execute(
        update(WebIdentity)
        .where(col(WebIdentity.identity) == identity)
        .values(session_version=WebIdentity.session_version + 1)
    )


def person_by_email(session: Session, address: str) -> Person | None:
    return session.exec(select(Person).where(col(Person.email) == address)).first()


# --- sign-in links ---------------------------------------------------------------------------


def issue_token(
    session: Session,
    *,
    token: str,
    email: str,
    lifetime: timedelta,
    purpose: str = "signin",
    now: datetime | None = None,
) -> SignInToken:
    now = now or utcnow()
    row = SignInToken(
        token_hash=token_hash(token),
        email=email,
        purpose=purpose,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return row


def valid_token(session: Session, token: str, *, now: datetime | None = None) -> SignInToken | None:
    """The unspent, unexpired link for ``token`` (looking spends nothing)."""
    row = session.get(SignInToken, token_hash(token))
    now = now or utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def spend_token(session: Session, token: str, *, now: datetime | None = None) -> str | None:
    """Spend the link once: the address it was sent to, or None when it is unknown, spent or
    expired. One conditional UPDATE, so only one of any number of concurrent clicks wins."""
    now = now or utcnow()
    result = session.execute(
        update(SignInToken)
        .where(
            col(SignInToken.token_hash) == token_hash(token),
            col(SignInToken.used_at).is_(None),
            col(SignInToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(SignInToken.email))
    )
    found = result.first()
    return None if found is None else str(found[0])


def purge_tokens(session: Session, *, before: datetime) -> int:
    """Housekeeping: links that expired before ``before`` are deleted."""
    from sqlalchemy import delete

    result = session.execute(delete(SignInToken).where(col(SignInToken.expires_at) < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
