"""A web session by a proven identity (e-mail link or OpenID Connect) in the signed session
cookie: who, since when, last seen, and the identity's session version, so that signing out
everywhere (raising the version) ends every copy of the cookie."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request

KEY = "identity"
_KEYS = ("identity", "version", "since", "seen", "account", "display_name", "locale")


class _Signed(Protocol):
    @property
    def identity(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def display_name(self) -> str | None: ...


class _Identities(Protocol):
    def session_open(self, identity: str, version: object) -> bool: ...


@dataclass(frozen=True)
class IdentitySession:
    identity: str
    user_id: str
    version: int
    display_name: str | None
    locale: str | None


def begin(request: Request, signed: _Signed, *, language: str) -> None:
    """A new session for ``signed``: whatever the cookie held before is dropped (no fixation)."""
    now = time.time()
    request.session.clear()
    request.session.update(
        {
            "identity": signed.identity,
            "version": signed.version,
            "since": now,
            "seen": now,
            "account": signed.user_id,
            "display_name": signed.display_name or "",
            "locale": language,
        }
    )


def current(
    request: Request, identities: _Identities, *, lifetime: float, idle: float
) -> IdentitySession | None:
    """The request's identity session, or None (and the session cleared) when there is none,
    it is older than ``lifetime`` seconds, was idle longer than ``idle``, or was revoked."""
    data = request.session
    identity, version = data.get("identity"), data.get("version")
    if not isinstance(identity, str) or not identity:
        return None
    since, seen, account = data.get("since"), data.get("seen"), data.get("account")
    now = time.time()
    if (
        not isinstance(since, int | float)
        or not isinstance(seen, int | float)
        or not isinstance(account, str)
        or isinstance(version, bool)
        or not isinstance(version, int)
        or now - since > lifetime
        or now - seen > idle
        or not identities.session_open(identity, version)
    ):
        end(request)
        return None
    if now - seen > 30:  # refresh at most twice a minute: the cookie is rewritten on change
        data["seen"] = now
    display = data.get("display_name")
    locale = data.get("locale")
    return IdentitySession(
        identity=identity,
        user_id=account,
        version=version,
        display_name=display if isinstance(display, str) else None,
        locale=locale if isinstance(locale, str) else None,
    )


def end(request: Request) -> None:
    """Forget the identity session in this cookie (other keys, like the dashboard's, stay)."""
    for key in _KEYS:
        request.session.pop(key, None)
