"""Sign-in to the web chat by a link mailed to a work address (MAATJES_WEB_SIGNIN=email).

Asking a link always gets the same answer, known address or not; the link's landing page has one
button (a POST with a CSRF token), so a mail scanner that opens the link spends nothing. Pressing
it spends the token once and opens a session by the ``email:ADDRESS`` identity."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.core.i18n import translator
from bot.http import csrf, identity_session
from bot.http.deps import Language
from bot.http.templates import templates
from bot.services.smtp import SmtpTransport
from bot.services.throttle import KeyedLimiter
from bot.services.web_identities import WebIdentities
from bot.settings import Settings
from storage import identities
from storage.db import session_scope

log = logging.getLogger(__name__)
#: a deliberately strict address: local part and a dotted domain of plain characters
_ADDRESS = re.compile(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def normalise(raw: object) -> str | None:
    """The address in lower case, or None when it is not a plain, valid address."""
    if not isinstance(raw, str) or len(raw) > identities.MAX_EMAIL:
        return None
    name, address = parseaddr(raw.strip())
    address = address.lower()
    if name or not _ADDRESS.fullmatch(address) or ".." in address:
        return None
    return address


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def link_message(settings: Settings, address: str, url: str, language: str) -> EmailMessage:
    t = translator(language)
    message = EmailMessage()
    message["Subject"] = t("web.email.subject")
    message["From"] = settings.groups.mail.mail_from or ""
    message["To"] = address
    if settings.groups.mail.reply_to:
        message["Reply-To"] = settings.groups.mail.reply_to
    minutes = settings.groups.web.email.link_minutes
    text = t("web.email.body", url=url, minutes=minutes)
    message.set_content(text)
    html = templates.get_template("signin_email_mail.html").render(
        lang=language, t=t, url=url, minutes=minutes
    )
    message.add_alternative(html, subtype="html")
    return message


class LinkMailer:
    """Issues single-use sign-in links and mails them after the response, throttled per address
    and per client (shared by the address form and a mail's link back to the chat)."""

    def __init__(self, settings: Settings, web: WebIdentities) -> None:
        self.settings = settings
        self.web = web
        email = settings.groups.web.email
        self.per_address = KeyedLimiter(email.address_rate_limit)
        self.per_client = KeyedLimiter(email.client_rate_limit)

    def throttled(self, request: Request, address: str) -> int | None:
        """Seconds to wait before another link for ``address`` from this client, or None."""
        for limiter, key in ((self.per_client, _client(request)), (self.per_address, address)):
            if not limiter.allow(key):
                return max(1, limiter.retry_after(key))
        return None

    def send(self, tasks: BackgroundTasks, address: str, language: str, purpose: str) -> None:
        """A new link for ``address`` (in the language of its person, if known), mailed after
        the response; a relay that fails is logged without the address or the link."""
        token = secrets.token_urlsafe(32)
        with session_scope(self.web.engine) as session:
            known = identities.person_by_email(session, address)
            mail_language = known.language if known is not None else language
            identities.issue_token(
                session,
                token=token,
                email=address,
                lifetime=timedelta(minutes=self.settings.groups.web.email.link_minutes),
                purpose=purpose,
            )
        url = self.settings.person_link(f"/signin/email/{token}")
        tasks.add_task(self._deliver, link_message(self.settings, address, url, mail_language))

    def _deliver(self, message: EmailMessage) -> None:
        try:
            transport = SmtpTransport(self.settings.groups.mail)
            try:
                transport.send(message)
            finally:
                transport.close()
        except Exception as exc:  # noqa: BLE001 — logged without the address or the link
            log.warning("a sign-in link could not be mailed: %s", type(exc).__name__)


def throttled_answer(language: str, wait: int) -> JSONResponse:
    return JSONResponse(
        {"error": translator(language)("web.email.throttled")},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


def router(settings: Settings, web: WebIdentities, mailer: LinkMailer) -> APIRouter:
    api = APIRouter()
    email = settings.groups.web.email

    def enabled(request: Request) -> bool:
        return bool(request.app.state.web_signin == "email") or attaching(request)

    def attaching(request: Request) -> bool:
        """Name sign-in with mail configured: a signed-in name-trial person proves an address."""
        return bool(request.app.state.web_signin == "name") and settings.groups.mail.enabled

    def trial_account(request: Request) -> str | None:
        account = request.session.get("account")
        return account if isinstance(account, str) and account else None

    def page(request: Request, language: str, status: int, **context: object) -> Response:
        return templates.TemplateResponse(
            request,
            "signin_email.html",
            {"lang": language, "t": translator(language), "csrf": csrf.token(request), **context},
            status_code=status,
        )

    @api.post("/signin/email")
    async def ask(request: Request, tasks: BackgroundTasks, language: Language) -> Response:
        t = translator(language)
        if not enabled(request):
            return JSONResponse({"error": t("web.signin.off_error")}, status_code=403)
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                body = None
            raw = body.get("email") if isinstance(body, dict) else None
        else:
            raw = (await request.form()).get("email")
        if attaching(request) and trial_account(request) is None:
            return JSONResponse({"error": t("web.error.session")}, status_code=401)
        address = normalise(raw)
        if address is None:
            return JSONResponse({"error": t("web.email.invalid")}, status_code=422)
        if not email.allows(address):
            return JSONResponse({"error": t("web.email.not_allowed")}, status_code=422)
        wait = mailer.throttled(request, address)
        if wait is not None:
            return throttled_answer(language, wait)
        mailer.send(tasks, address, language, "attach" if attaching(request) else "signin")
        return JSONResponse({"sent": True, "message": t("web.email.sent")})

    @api.get("/signin/email/{token}", response_class=HTMLResponse)
    def landing(request: Request, token: str, language: Language) -> Response:
        if not enabled(request) or not TOKEN.fullmatch(token):
            return page(request, language, 410, token=None)
        with session_scope(web.engine) as session:
            valid = identities.valid_token(session, token) is not None
        return page(request, language, 200 if valid else 410, token=token if valid else None)

    @api.post("/signin/email/{token}", response_class=HTMLResponse)
    async def spend(request: Request, token: str, language: Language) -> Response:
        form = await request.form()
        if not csrf.valid(request, form.get("csrf")):
            return page(request, language, 403, token=None, csrf_failed=True)
        if not enabled(request) or not TOKEN.fullmatch(token):
            return page(request, language, 410, token=None)
        with session_scope(web.engine) as session:
            address = identities.spend_token(session, token)
        if address is None:
            return page(request, language, 410, token=None)
        if attaching(request):
            account = trial_account(request)
            if account is None or web.attach_email(account, address) is None:
                return page(request, language, 410, token=None)
            return RedirectResponse("/", status_code=303)
        signed = web.sign_in(
            identities.email_identity(address),
            email=address,
            display_name=address,
            language=language,
        )
        dashboard = {k: request.session.get(k) for k in ("dashboard_user", "dashboard_lang")}
        identity_session.begin(request, signed, language=language)
        request.session.update({k: v for k, v in dashboard.items() if v is not None})
        return RedirectResponse("/", status_code=303)

    @api.post("/signout/everywhere")
    async def everywhere(request: Request, language: Language) -> Response:
        form = await request.form() if "form" in request.headers.get("content-type", "") else {}
        candidate = form.get("csrf") or request.headers.get("x-csrf-token")
        if not csrf.valid(request, candidate):
            return JSONResponse({"error": translator(language)("web.error.session")}, 403)
        identity = request.session.get("identity")
        if isinstance(identity, str) and identity:
            web.end_sessions(identity)
        request.session.clear()
        return RedirectResponse("/", status_code=303)

    return api
