"""How every dashboard page is rendered, and the answers for the dependencies' refusals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.responses import RedirectResponse, Response

from bot.core.i18n import translator
from bot.core.vocabulary import GROUPS, PHASES, REGIONS, THEMES
from bot.http.csrf import token as csrf_token
from bot.http.deps import (
    FormExpired,
    NotSignedIn,
    Refused,
    dashboard_language,
    dashboard_sessions,
    dashboard_user,
    is_admin,
)
from bot.http.templates import templates
from bot.services.accounts import identity
from bot.services.audit_trail import AuditTrail

PREFIX = "/dashboard"
LOGIN = f"{PREFIX}/login"
MAX_ID = 2_147_483_647  # database integers: larger ids are refused (422), never queried
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Number = Annotated[int, Path(ge=0, le=MAX_ID)]
VOCABULARY = {"group": GROUPS, "region": REGIONS, "theme": THEMES, "phase": PHASES}


NOTICE = "dashboard_notice"


def tell(request: Request, msgid: str, *, at: str = "", **params: object) -> None:
    """What the last form did, said once on the next page shown (after its redirect): at the
    top, or in the part of the page with id ``at`` (where the redirect scrolls to)."""
    request.session[NOTICE] = [msgid, params, at]


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    language = dashboard_language(request)
    told = request.session.pop(NOTICE, None)
    return templates.TemplateResponse(
        request,
        f"dashboard/{template}",
        {
            "t": translator(language),
            "lang": language,
            "user": dashboard_user(request),
            "admin": is_admin(request),
            "csrf": csrf_token(request),
            "vocab": VOCABULARY,
            "told": told if isinstance(told, list) and len(told) == 3 else None,
            "privacy_contact_missing": getattr(request.app.state, "privacy_contact_missing", False),
            **context,
        },
        status_code=status,
    )


def message(request: Request, msgid: str, status: int) -> Response:
    """A page with one sentence, for what cannot be done."""
    return page(request, "message.html", status=status, message=msgid)


def redirect_to(path: str) -> Response:
    """After a form: to the page that shows the result (303, so a reload does not post again)."""
    return RedirectResponse(path, status_code=303)


def install_refusals(app: FastAPI, audit: AuditTrail) -> None:
    """The answers for the dependencies that stop a request (see bot.http.deps). Plain functions:
    Starlette runs them in its thread pool, so their database reads never block the loop."""

    def not_signed_in(request: Request, exc: Exception) -> Response:
        return redirect_to(LOGIN)

    def form_expired(request: Request, exc: Exception) -> Response:
        return message(request, "dashboard.error.csrf", 403)

    def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        # who was refused: the password login's ``local:NAME`` or an ``email:``/``oidc:`` identity
        actor = dashboard_sessions(request).actor(request) or identity("anonymous")
        audit.refused(actor=actor, action=exc.action)
        return message(request, "dashboard.forbidden", 403)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(FormExpired, form_expired)
    app.add_exception_handler(Refused, refused)
