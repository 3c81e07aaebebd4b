"""Web identities that sign in to the chat (``email:ADDR``, ``oidc:ISSUER|SUB``): the row made on
first sign-in, the session version a cookie carries, and ending every session of an identity.

Minimal version for the OIDC sign-in; the e-mail sign-in shares it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from storage import identities


@dataclass(frozen=True)
class SignedInIdentity:
    identity: str
    session_version: int
    display_name: str
    language: str
    email: str | None


class WebIdentities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sign_in(
        self, identity: str, *, email: str | None, display_name: str, language: str
    ) -> SignedInIdentity:
        """A sign-in that checked out (a spent link, a valid ID token): the identity's row, made
        on first sign-in, and the session version the new cookie carries."""
        with Session(self.engine) as session:
            row = identities.ensure_identity(session, identity, email=email)
            version = identities.record_signin(session, identity)
            known = row.email
            session.commit()
        return SignedInIdentity(
            identity=identity,
            session_version=version,
            display_name=display_name,
            language=language,
            email=known,
        )

    def session_open(self, identity: str, version: object) -> bool:
        """Whether a cookie at ``version`` still counts: not signed out everywhere, not erased."""
        if not isinstance(version, int):
            return False
        with Session(self.engine) as session:
            return identities.session_version(session, identity) == version

    def end_sessions(self, identity: str) -> None:
        with Session(self.engine) as session:
            identities.end_sessions(session, identity)
            session.commit()
