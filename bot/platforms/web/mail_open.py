"""A mail's link back to the chat (``/mail/open/<signed token>``): it opens the web chat at the
question the mail was about, signed in or not.

The token names the person the mail went to (bot.services.person_links; it expires). Signed in as
that person, the link goes straight to the chat, which resumes at the open question. Anyone else
gets one button: "mail me a sign-in link", sent to the address the mail went to (nothing to type,
and nothing learnt about the address); with single sign-on, the organisation's sign-in. Opening
the link alone sends nothing, so mail scanners that open every link do no harm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.core.i18n import translator
from bot.http import csrf
from bot.http.deps import Language
from bot.http.templates import templates
from bot.platforms.web.chat import PLATFORM, signed_in_account
from bot.platforms.web.email_signin import LinkMailer
from bot.services.person_links import open_chat_links
from bot.services.web_identities import WebIdentities
from bot.settings import Settings
from storage.db import read_scope
from storage.models import Person

Token = Annotated[str, Path(max_length=300)]


@dataclass(frozen=True)
class Owner:
    """The person a mail's link was made for."""

    user_id: str
    email: str
    language: str


def _masked(address: str) -> str:
    """``j…@gemeente.nl``: enough to recognise one's own address, not to learn someone's."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def router(settings: Settings, web: WebIdentities, mailer: LinkMailer | None) -> APIRouter:
    api = APIRouter()
    mail = settings.groups.mail
    links = open_chat_links(mail.links, mail.signing_key)

    def owner(token: str) -> Owner | None:
        person_id = links.person_id(token)
        if person_id is None:
            return None
        with read_scope(web.engine) as session:
            person = session.get(Person, person_id)
            if person is None or person.platform != PLATFORM or not person.email:
                return None  # erased, or no longer reachable by mail
            return Owner(person.platform_user_id, person.email, person.language)

    def page(
        request: Request,
        language: str,
        state: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: object,
    ) -> Response:
        return templates.TemplateResponse(
            request,
            "mail_open.html",
            {
                "lang": language,
                "t": translator(language),
                "csrf": csrf.token(request),
                "state": state,
                "oidc": request.app.state.web_signin == "oidc",
                **context,
            },
            status_code=status,
            headers=headers,
        )

    def is_owner(request: Request, person: Owner) -> bool:
        account = signed_in_account(request)
        return account is not None and account.user_id == person.user_id

    @api.get("/mail/open/{token}", response_class=HTMLResponse)
    def open_chat(request: Request, token: Token, asked: Language) -> Response:
        person = owner(token)
        if person is None:
            return page(request, asked, "invalid", status=404)
        if is_owner(request, person) or request.app.state.web_signin == "name":
            return RedirectResponse("/", status_code=303)
        can_mail = mailer is not None and request.app.state.web_signin == "email"
        return page(
            request,
            person.language,
            "ask" if can_mail else "sso",
            token=token,
            address=_masked(person.email),
        )

    @api.post("/mail/open/{token}", response_class=HTMLResponse)
    def send_link(
        request: Request,
        tasks: BackgroundTasks,
        token: Token,
        asked: Language,
        csrf_token: Annotated[str, Form(alias="csrf", max_length=100)] = "",
    ) -> Response:
        person = owner(token)
        if person is None:
            return page(request, asked, "invalid", status=404)
        language = person.language
        if not csrf.valid(request, csrf_token):
            return page(request, language, "ask", status=403, token=token, csrf_failed=True)
        if mailer is None or request.app.state.web_signin != "email":
            return RedirectResponse("/", status_code=303)
        wait = mailer.throttled(request, person.email)
        if wait is not None:
            return page(
                request,
                language,
                "throttled",
                status=429,
                token=token,
                headers={"Retry-After": str(wait)},
            )
        mailer.send(tasks, person.email, language, "signin")
        return page(
            request,
            language,
            "sent",
            address=_masked(person.email),
            minutes=settings.groups.web.email.link_minutes,
        )

    return api
