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
from bot.http.csrf import valid as csrf_token_matches
from bot.services.access import Access
from bot.services.accounts import Accounts, identity

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

    @property
    def actor(self) -> str:
        return identity(self.name)


class DashboardSessions:
    """Checks a request's dashboard session against the account, once per request: a live
    session of an existing account at its current session version, with a coordinator role."""

    def __init__(self, accounts: Accounts, access: Access, *, lifetime: float) -> None:
        self.accounts = accounts
        self.access = access
        self.lifetime = lifetime

    def user(self, request: Request) -> str | None:
        if hasattr(request.state, "dashboard_user"):
            return request.state.dashboard_user  # type: ignore[no-any-return]
        request.state.dashboard_user = None
        name = request.session.get("dashboard_user")
        if not isinstance(name, str):
            return None
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
            name = self.user(request)
            request.state.dashboard_admin = name is not None and self.access.is_admin(
                identity(name)
            )
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
    return SignedIn(name)


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
