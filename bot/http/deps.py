"""FastAPI dependencies of the web: the reader's language and who is signed in to the dashboard.

Routes declare what they need (``who: Coordinator``, ``admin: Admin``, ``language: Language``)
instead of checking by hand. A dependency that cannot go on raises one of the exceptions below;
the dashboard's handlers turn them into the answer (a redirect to the login page, a polite 403).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request

from bot.core.i18n import DEFAULT_LANGUAGE, normalise_language
from bot.http import identity_session
from bot.http.csrf import valid as csrf_token_matches
from bot.services.access import Access
from bot.services.accounts import Accounts, identity
from bot.services.web_identities import WebIdentities

# A longer field is still a wrong token, answered as one (403), not as malformed input.
CSRF_FIELD = 1000


# --- the reader's language ------------------------------------------------------------------


def accepted_language(headers: Mapping[str, str]) -> str | None:
    """The first supported language of an Accept-Language header (``en-GB,en;q=0.9``), in the
    order given; ``None`` when none is supported or the header is missing or malformed."""
    for part in headers.get("accept-language", "").split(","):
        found = normalise_language(part.split(";")[0].strip())
        if found:
            return found
    return None


def request_language(request: Request) -> str:
    """``?lang=`` when asked for, then the browser's Accept-Language, then Dutch."""
    return (
        normalise_language(request.query_params.get("lang"))
        or accepted_language(request.headers)
        or DEFAULT_LANGUAGE
    )


def dashboard_language(request: Request) -> str:
    """The dashboard's language: ``?lang=`` is remembered in the session, so the choice stays
    for every page; Dutch until one is chosen (the browser's language is not followed)."""
    asked = normalise_language(request.query_params.get("lang"))
    if asked:
        request.session["dashboard_lang"] = asked
    return str(request.session.get("dashboard_lang") or DEFAULT_LANGUAGE)


Language = Annotated[str, Depends(request_language)]
DashboardLanguage = Annotated[str, Depends(dashboard_language)]


# --- who is signed in to the dashboard ------------------------------------------------------


def _now() -> float:
    return time.time()


class NotSignedIn(Exception):
    """No live dashboard session of a coordinator: the answer is the login page."""


class Refused(Exception):
    """Signed in, but the role does not allow this: audited, answered with a 403 page."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


class FormExpired(Exception):
    """A form without this session's CSRF token: a 403 page that asks to try again."""


@dataclass(frozen=True)
class SignedIn:
    """The coordinator (or admin) a dashboard request is from."""

    name: str
    #: signed in by a proven identity (``email:ADDRESS``, ``oidc:…``): that is the actor
    signed_in_as: str | None = None

    @property
    def actor(self) -> str:
        return self.signed_in_as or identity(self.name)


class DashboardSessions:
    """Checks a request's dashboard session against the account, once per request: a live
    session of an existing account at its current session version, with a coordinator role."""

    def __init__(
        self,
        accounts: Accounts,
        access: Access,
        *,
        lifetime: float,
        identities: WebIdentities | None = None,
        identity_lifetime: float = 0,
        idle: float = 0,
    ) -> None:
        self.accounts = accounts
        self.access = access
        self.lifetime = lifetime
        #: sign-in by a proven identity (e-mail link, OIDC): the chat's session, when that
        #: identity is a coordinator, and not idle for longer than ``idle`` seconds
        self.identities = identities
        self.identity_lifetime = identity_lifetime
        self.idle = idle

    def _identity_user(self, request: Request) -> str | None:
        if self.identities is None:
            return None
        seen = request.session.get("seen")
        if not isinstance(seen, int | float) or _now() - seen > self.idle:
            return None  # idle too long for the dashboard (the chat may still be open)
        signed = identity_session.current(
            request, self.identities, lifetime=self.identity_lifetime, idle=self.idle
        )
        if signed is None or not self.access.is_coordinator(signed.identity):
            return None
        request.state.dashboard_actor = signed.identity
        return signed.identity

    def actor(self, request: Request) -> str | None:
        """The signed-in coordinator's identity (``local:NAME``, ``email:ADDRESS``), or None."""
        name = self.user(request)
        if name is None:
            return None
        found: str | None = getattr(request.state, "dashboard_actor", None)
        return found or identity(name)

    def user(self, request: Request) -> str | None:
        if hasattr(request.state, "dashboard_user"):
            return request.state.dashboard_user  # type: ignore[no-any-return]
        request.state.dashboard_user = None
        name = request.session.get("dashboard_user")
        if not isinstance(name, str):
            request.state.dashboard_user = self._identity_user(request)
            return request.state.dashboard_user  # type: ignore[no-any-return]
        since = request.session.get("dashboard_since")
        version = request.session.get("dashboard_version")
        if (
            not isinstance(since, int | float)
            or _now() - since > self.lifetime
            or not self.accounts.session_open(name, version)
        ):
            request.session.pop("dashboard_user", None)  # expired or revoked: log in again
            return None
        if self.access.is_coordinator(identity(name)):
            request.state.dashboard_user = name
        return request.state.dashboard_user  # type: ignore[no-any-return]

    def is_admin(self, request: Request) -> bool:
        if not hasattr(request.state, "dashboard_admin"):
            actor = self.actor(request)
            request.state.dashboard_admin = actor is not None and self.access.is_admin(actor)
        return bool(request.state.dashboard_admin)


def dashboard_sessions(request: Request) -> DashboardSessions:
    """The checker the dashboard installed on the app (see bot.http.dashboard.mount)."""
    sessions: DashboardSessions = request.app.state.dashboard_sessions
    return sessions


def dashboard_user(request: Request) -> str | None:
    """The signed-in coordinator's account name, or ``None`` (for pages shown to anyone)."""
    return dashboard_sessions(request).user(request)


def is_admin(request: Request) -> bool:
    return dashboard_sessions(request).is_admin(request)


def coordinator(request: Request) -> SignedIn:
    name = dashboard_user(request)
    if name is None:
        raise NotSignedIn
    actor = dashboard_sessions(request).actor(request)
    return SignedIn(name, signed_in_as=actor if actor != identity(name) else None)


Coordinator = Annotated[SignedIn, Depends(coordinator)]


def checked_form(request: Request, csrf: str = Form(default="", max_length=CSRF_FIELD)) -> None:
    """A form posted from one of this session's pages (its CSRF token matches)."""
    if not csrf_token_matches(request, csrf):
        raise FormExpired


Csrf = Annotated[None, Depends(checked_form)]


def admin(request: Request, who: Coordinator) -> SignedIn:
    """An admin: a coordinator who also handles privacy requests for others (the only thing
    the admin role adds, so a refusal is audited as a refused ``privacy`` action)."""
    if not is_admin(request):
        raise Refused("privacy")
    return who


Admin = Annotated[SignedIn, Depends(admin)]
