"""Web sign-in by a proven identity (an e-mail link, an OpenID Connect provider): which chat person
the identity is, and the session version whose raise signs every cookie of it out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage import identities, invitations
from storage.db import read_scope, session_scope
from storage.models import Person

PLATFORM = "local"


@dataclass(frozen=True)
class SignedInIdentity:
    """Who a web session is from: the proven identity, the chat person's account id (their
    ``platform_user_id``), and the session version the cookie carries."""

    identity: str
    user_id: str
    person_id: int
    version: int
    email: str | None
    display_name: str | None


class WebIdentities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sign_in(
        self, identity: str, *, email: str | None, display_name: str | None, language: str
    ) -> SignedInIdentity:
        """Record a sign-in of ``identity``: its chat person (the one it already belongs to,
        else the one with this address, else a new one), the identity's row and the
        invitation, if any, marked as joined."""
        email = email.strip().lower() if email else None
        with session_scope(self.engine) as session:
            row = identities.get_identity(session, identity)
            person: Person | None = None
            if row is not None and row.person_id is not None:
                person = session.get(Person, row.person_id)
            if person is None and email:
                person = identities.person_by_email(session, email)
            if person is None:
                person = session.exec(
                    select(Person).where(
                        col(Person.platform) == PLATFORM, col(Person.platform_user_id) == identity
                    )
                ).first()
            if person is None:
                person = Person(
                    platform=PLATFORM, platform_user_id=identity, email=email, language=language
                )
                session.add(person)
                session.flush()
            elif email and person.email is None:
                person.email = email
                session.add(person)
            assert person.id is not None
            identities.ensure_identity(session, identity, email=email, person_id=person.id)
            invitations.mark_joined(session, person_id=person.id)
            return _signed_in(session, identity, person, email, display_name or person.name)

    def version(self, identity: str) -> int | None:
        with read_scope(self.engine) as session:
            return identities.session_version(session, identity)

    def session_open(self, identity: str, version: object) -> bool:
        """Whether a cookie of ``identity`` at ``version`` still counts (not signed out
        everywhere, the identity not erased)."""
        if (
            not isinstance(identity, str)
            or isinstance(version, bool)
            or not isinstance(version, int)
        ):
            return False
        current = self.version(identity)
        return current is not None and current == version

    def end_sessions(self, identity: str) -> None:
        """Sign ``identity`` out everywhere: every cookie it has stops working."""
        with session_scope(self.engine) as session:
            identities.end_sessions(session, identity)

    def attach_email(self, user_id: str, email: str) -> SignedInIdentity | None:
        """A name-trial web person proved ``email``: it becomes theirs and they may sign in by it.
        None when the address already belongs to someone else or the person is unknown."""
        email = email.strip().lower()
        identity = identities.email_identity(email)
        with session_scope(self.engine) as session:
            person = session.exec(
                select(Person).where(
                    col(Person.platform) == PLATFORM, col(Person.platform_user_id) == user_id
                )
            ).first()
            if person is None or person.id is None:
                return None
            owner = identities.person_by_email(session, email)
            if owner is not None and owner.id != person.id:
                return None
            row = identities.get_identity(session, identity)
            if row is not None and row.person_id not in (None, person.id):
                return None
            person.email = email
            session.add(person)
            identities.ensure_identity(session, identity, email=email, person_id=person.id)
            return _signed_in(session, identity, person, email, person.name)


def _signed_in(
    session: Session, identity: str, person: Person, email: str | None, name: str | None
) -> SignedInIdentity:
    """Record a sign-in of ``identity`` as ``person``: the session it begins."""
    assert person.id is not None
    return SignedInIdentity(
        identity=identity,
        user_id=person.platform_user_id,
        person_id=person.id,
        version=identities.record_signin(session, identity),
        email=email,
        display_name=name,
    )
