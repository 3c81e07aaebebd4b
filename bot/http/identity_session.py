"""The web chat's sign-in session of a web identity (e-mail link, OIDC) in the signed session
cookie: who, at which session version, since when and last seen when. ``current`` checks the
absolute and idle lifetimes and the version (a sign-out everywhere or an erasure ends it)."""

from __future__ import annotations

import time
from typing import Protocol

from fastapi import Request

from bot.services.web_identities import SignedInIdentity

KEYS = ("identity", "identity_version", "identity_since", "identity_seen", "display_name", "locale")
#: a dashboard login in the same browser survives a chat sign-in
DASHBOARD_KEYS = ("dashboard_user", "dashboard_since", "dashboard_version", "dashboard_lang")
#: how often the last-seen time is written back (the cookie changes at most this often)
SEEN_EVERY = 60


class OpenSessions(Protocol):
    def session_open(self, identity: str, version: object) -> bool: ...


def _now() -> float:
    return time.time()


def begin(request: Request, signed: SignedInIdentity, *, language: str) -> None:
    """A fresh session (no fixation): only a dashboard login of the same browser is kept."""
    kept = {k: request.session.get(k) for k in DASHBOARD_KEYS}
    request.session.clear()
    request.session.update({k: v for k, v in kept.items() if v is not None})
    now = int(_now())
    request.session.update(
        identity=signed.identity,
        identity_version=signed.session_version,
        identity_since=now,
        identity_seen=now,
        display_name=signed.display_name,
        locale=language,
    )


def current(
    request: Request, identities: OpenSessions, *, lifetime: float, idle: float
) -> str | None:
    """The signed-in identity, or None (and the session's sign-in forgotten) when it expired,
    sat idle too long or was ended."""
    identity = request.session.get("identity")
    if not isinstance(identity, str) or not identity:
        return None
    since, seen = request.session.get("identity_since"), request.session.get("identity_seen")
    now = _now()
    if (
        not isinstance(since, int | float)
        or not isinstance(seen, int | float)
        or now - since > lifetime
        or now - seen > idle
        or not identities.session_open(identity, request.session.get("identity_version"))
    ):
        end(request)
        return None
    if now - seen > SEEN_EVERY:
        request.session["identity_seen"] = int(now)
    return identity


def end(request: Request) -> None:
    for key in KEYS:
        request.session.pop(key, None)
