"""Logging in and out of the dashboard: local accounts (Argon2), throttled per client address
and per account, a fresh session on every login, and a logout that ends every copy of it."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.http import deps
from bot.http.csrf import valid as valid_csrf
from bot.http.dashboard.pages import LOGIN, PREFIX, page, redirect_to
from bot.http.deps import CSRF_FIELD, Csrf, dashboard_user
from bot.services.access import Access
from bot.services.accounts import Accounts, identity
from bot.services.audit_trail import RefusedLogins

SESSION_KEYS = ("dashboard_user", "dashboard_since", "dashboard_version")
CHAT_KEYS = (
    "account",
    "display_name",
    "locale",
    "identity",
    "version",
    "since",
    "seen",
)  # the web chat's sign-in survives a login


def client_address(request: Request) -> str:
    # The peer's own address: forwarded headers are not trusted (anyone can send them).
    return request.client.host if request.client is not None else "unknown"


def _email(request: Request) -> bool:
    return getattr(request.app.state, "web_signin", None) == "email"


def router(accounts: Accounts, access: Access, refusals: RefusedLogins) -> APIRouter:
    api = APIRouter(prefix=PREFIX)

    def refused_login(request: Request, username: str, result: str) -> None:
        refusals.add(identity(username), result, client_address(request))

    @api.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        oidc = getattr(request.app.state, "web_signin", None) == "oidc"
        return page(
            request, "login.html", error=None, email_signin=_email(request), oidc_signin=oidc
        )

    @api.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: str = Form(max_length=80),
        password: str = Form(max_length=200),
        csrf: str = Form(default="", max_length=CSRF_FIELD),
    ) -> Response:
        # Checked here, not by the Csrf dependency: an expired form shows the login form again.
        if not valid_csrf(request, csrf):
            return page(request, "login.html", status=403, error="dashboard.error.csrf")
        outcome = accounts.login(username, password, address=client_address(request))
        if outcome.status == "throttled":
            refused_login(request, username, "throttled")
            minutes = max(1, -(-outcome.retry_after // 60))
            response = page(
                request,
                "login.html",
                status=429,
                error="dashboard.error.throttled",
                error_args={"minutes": minutes},
            )
            response.headers["retry-after"] = str(outcome.retry_after)
            return response
        refusal = None
        if outcome.status != "ok":
            refusal = (401, "dashboard.error.login")
        elif not access.is_coordinator(identity(username)):
            refusal = (403, "dashboard.forbidden")
        if refusal is not None:
            refused_login(request, username, "refused")
            status, error = refusal
            return page(request, "login.html", status=status, error=error)
        language = request.session.get("dashboard_lang")
        chat = {k: request.session.get(k) for k in CHAT_KEYS}
        request.session.clear()  # a fresh session on login: no fixation
        request.session.update({k: v for k, v in chat.items() if v is not None})
        request.session["dashboard_user"] = username
        request.session["dashboard_since"] = int(deps._now())
        request.session["dashboard_version"] = outcome.session_version
        if language:
            request.session["dashboard_lang"] = language
        return redirect_to(PREFIX)

    @api.post("/logout")
    def logout(request: Request, _: Csrf) -> Response:
        name = dashboard_user(request)
        sessions = deps.dashboard_sessions(request)
        if name is not None and request.session.get("dashboard_user") != name:
            if sessions.identities is not None:  # signed in by e-mail link or OIDC
                sessions.identities.end_sessions(name)
            request.session.clear()
        elif name is not None:
            accounts.end_sessions(name)  # signs out everywhere: copies of this cookie are dead
        for key in SESSION_KEYS:
            request.session.pop(key, None)
        return redirect_to(LOGIN)

    return api
