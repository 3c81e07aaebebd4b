"""The local web chat: the embedded default that needs no accounts or tokens.

A person signs in with a name of their choice (a local account, kept in a signed session cookie)
when MAATJES_WEB_SIGNIN is ``name``, a local trial: anyone who reaches the page can pick any name,
so the page says so whenever it is reachable beyond this machine. ``off`` switches it off;
the page talks JSON to ``/api/chat`` and renders every message with ``textContent``, so nothing a
person typed is ever interpreted as HTML. The transcript lives in the browser tab only: the server
keeps the profile and the conversation step, not a chat log.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bot.core.i18n import translator
from bot.core.messages import Account, Inbound, local_account_id, to_dict
from bot.core.ports import Conversations, Threads
from bot.core.profile import clean_text
from bot.http import csrf, identity_session
from bot.http.csrf import valid as valid_csrf  # a form field of that name shadows the module
from bot.http.deps import Language
from bot.http.templates import STATIC_DIR, templates
from bot.services.inbox_updates import InboxUpdates
from bot.services.web_identities import WebIdentities
from bot.settings import Settings, WebSignIn

PLATFORM = "local"
MAX_ACCOUNT_NAME = 80
MAX_FIELD = 20_000  # far above any answer limit: the core tells people politely when too long
MAX_CHOICES = 20
#: Ids in URLs are database integers: anything larger is refused (422), never sent to the database.
MAX_ID = 2_147_483_647
GroupId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: The inbox message id up to which the page has shown what it was given (0: nothing yet).
Cursor = Annotated[int, Query(ge=0, le=MAX_ID)]
#: How long ``/api/chat/updates`` holds a request while nothing waits, and how often it looks:
#: the database is the source of truth, so every instance behind a proxy answers alike.
LONGEST_WAIT = 25.0
LOOK_EVERY = 1.0
#: The page's own texts (header, labels, buttons), in the template and as JSON for a switch of
#: language on the open page.
PAGE_TEXTS = (
    "title",
    "tagline",
    "signin.intro",
    "signin.label",
    "signin.button",
    "signin.invalid",
    "signout",
    "input.label",
    "input.placeholder",
    "send",
    "choose_several",
    "send_choices",
    "chars_left",
    "error.network",
    "error.too_large",
    "error.session",
    "language_switch",
    "signin.off",
    "signin.off_dashboard",
    "exposed_banner",
    "email.intro",
    "email.label",
    "email.button",
    "email.sent",
    "signout_everywhere",
)


class SignIn(BaseModel):
    name: str = Field(max_length=1_000)


class ChatTurn(BaseModel):
    text: str | None = Field(default=None, max_length=MAX_FIELD)
    choice: str | None = Field(default=None, max_length=200)
    choices: list[str] | None = Field(default=None, max_length=MAX_CHOICES)
    after: int | None = Field(default=None, ge=0, le=MAX_ID)  # the page's inbox cursor


def _page_language(request: Request, conversations: Conversations, asked: str) -> str:
    """A signed-in person's own language; for anyone else ``asked`` (the Language dependency:
    ``?lang=``, then the browser's)."""
    account = signed_in_account(request)
    if account is not None:
        return conversations.language_of(account)
    return asked


def _name_signin(request: Request) -> bool:
    """Whether people sign in here with a name of their choice (MAATJES_WEB_SIGNIN=name); any
    other method never takes a bare name."""
    return bool(request.app.state.web_signin == "name")


def signed_in_account(request: Request) -> Account | None:
    web: WebIdentities | None = getattr(request.app.state, "web_identities", None)
    if request.app.state.web_signin in ("email", "oidc") and web is not None:
        lifetimes = request.app.state.web_session_lifetimes
        signed = identity_session.current(request, web, lifetime=lifetimes[0], idle=lifetimes[1])
        if signed is None:
            return None
        return Account(
            platform=PLATFORM, user_id=signed.user_id, locale=signed.locale, verified=True
        )
    if not _name_signin(request):
        return None  # a name cookie from before it was switched off vouches for nobody
    user = request.session.get("account")
    if not isinstance(user, str) or not user:
        return None
    # A chat name is self-chosen; only a dashboard login (password) under the same name vouches.
    signed_in = request.session.get("dashboard_user")
    verified = isinstance(signed_in, str) and local_account_id(signed_in) == user
    return Account(
        platform=PLATFORM, user_id=user, locale=request.session.get("locale"), verified=verified
    )


def _error(status: int, language: str, msgid: str) -> JSONResponse:
    return JSONResponse({"error": translator(language)(msgid)}, status_code=status)


def thread_router(conversations: Conversations, threads: Threads) -> APIRouter:
    """Group threads: ``/groups`` lists a person's groups, ``/groups/ID`` is one conversation.

    Plain HTML forms (with a CSRF token), no script needed; every text is escaped by Jinja."""
    api = APIRouter()

    def page(
        request: Request, account: Account, template: str, status: int = 200, **context: Any
    ) -> Response:
        language = conversations.language_of(account)
        return templates.TemplateResponse(
            request,
            template,
            {
                "lang": language,
                "t": translator(language),
                "csrf": csrf.token(request),
                "display_name": request.session.get("display_name"),
                **context,
            },
            status_code=status,
        )

    @api.get("/groups", response_class=HTMLResponse)
    def group_list(request: Request) -> Response:
        account = signed_in_account(request)
        if account is None:
            return RedirectResponse("/", status_code=303)
        return page(request, account, "groups.html", groups=threads.groups(account))

    @api.get("/groups/{group_id}", response_class=HTMLResponse)
    def group_thread(request: Request, group_id: GroupId) -> Response:
        account = signed_in_account(request)
        if account is None:
            return RedirectResponse("/", status_code=303)
        thread = threads.thread(account, group_id)
        if thread is None:
            return page(request, account, "thread.html", status=404, thread=None)
        return page(request, account, "thread.html", thread=thread, draft="", error=None)

    @api.post("/groups/{group_id}", response_class=HTMLResponse)
    def group_post(
        request: Request,
        group_id: GroupId,
        csrf: str = Form(default="", max_length=100),
        text: str = Form(default="", max_length=MAX_FIELD),
    ) -> Response:
        account = signed_in_account(request)
        if account is None:
            return RedirectResponse("/", status_code=303)
        outcome = threads.post(account, group_id, text) if valid_csrf(request, csrf) else "csrf"
        if outcome == "ok":
            return RedirectResponse(f"/groups/{group_id}#latest", status_code=303)
        thread = threads.thread(account, group_id)
        if thread is None or outcome == "forbidden":
            return page(request, account, "thread.html", status=404, thread=None)
        # nothing typed is lost: the text comes back in the box with a polite reason
        return page(
            request, account, "thread.html", status=422, thread=thread, draft=text, error=outcome
        )

    return api


#: Those of them the open chat shows and may switch (the rest belong to pages before sign-in).
LIVE_TEXTS = (
    "title",
    "tagline",
    "signout",
    "signout_everywhere",
    "input.label",
    "input.placeholder",
    "send",
    "choose_several",
    "send_choices",
    "chars_left",
    "error.network",
    "error.too_large",
    "error.session",
    "signed_in_as",
    "groups",
)


def live_texts(texts: dict[str, str]) -> dict[str, str]:
    return {key: texts[key] for key in LIVE_TEXTS}


def page_texts(language: str, display_name: str | None) -> dict[str, str]:
    t = translator(language)
    texts = {key: t(f"web.{key}") for key in PAGE_TEXTS}
    texts["signed_in_as"] = t("web.signed_in_as", account=display_name or "")
    texts["groups"] = t("web.groups.title")
    return texts


def router(conversations: Conversations, updates: InboxUpdates | None = None) -> APIRouter:
    api = APIRouter()

    def shown(account: Account, upto: int | None) -> None:
        """What the page says it has shown from the live updates is seen, before a turn or a
        resume takes what is still unseen (so nothing comes twice)."""
        if updates is not None and upto:
            updates.acknowledge(account, upto=upto)

    @api.get("/", response_class=HTMLResponse)
    def chat_page(request: Request, asked: Language) -> Response:
        language = _page_language(request, conversations, asked)
        t = translator(language)
        account = signed_in_account(request)
        mode = request.app.state.web_signin
        display_name = request.session.get("display_name") if account is not None else None
        texts = page_texts(language, display_name)
        return templates.TemplateResponse(
            request,
            "chat.html",
            {
                "lang": language,
                "other_lang": "en" if language == "nl" else "nl",
                "t": texts,
                "live_texts": live_texts(texts),
                "display_name": display_name,
                "signed_in_as": texts["signed_in_as"],
                "groups_link": texts["groups"],
                "live": updates is not None,
                "signin_off": mode not in ("name", "email", "oidc"),
                "email_signin": mode == "email",
                "attach_email": mode == "name" and getattr(request.app.state, "web_attach", False),
                "identity": account is not None and mode in ("email", "oidc"),
                "csrf": csrf.token(request),
                "oidc": mode == "oidc",
                "oidc_button": t("web.oidc.button"),
                "oidc_intro": t("web.oidc.intro"),
                "exposed": request.app.state.web_signin_exposed,
            },
        )

    @api.post("/session")
    def sign_in(body: SignIn, request: Request, asked: Language) -> JSONResponse:
        language = _page_language(request, conversations, asked)
        if not _name_signin(request):
            return _error(403, language, "web.signin.off_error")
        name = clean_text(body.name)
        if not name or len(name) > MAX_ACCOUNT_NAME:
            return _error(422, language, "web.signin.invalid")
        dashboard = {k: request.session.get(k) for k in ("dashboard_user", "dashboard_lang")}
        request.session.clear()
        request.session.update({k: v for k, v in dashboard.items() if v is not None})
        request.session["account"] = local_account_id(name)
        request.session["display_name"] = name
        request.session["locale"] = language
        return JSONResponse({"account": name})

    @api.delete("/session")
    def sign_out(request: Request) -> JSONResponse:
        web: WebIdentities | None = getattr(request.app.state, "web_identities", None)
        identity = request.session.get("identity")
        if web is not None and isinstance(identity, str) and identity:
            web.end_sessions(identity)
        request.session.clear()
        return JSONResponse({"signed_out": True})

    @api.get("/api/chat/texts")
    def texts(request: Request, asked: Language) -> JSONResponse:
        """The page's own texts in the reader's language: the open page switches with them."""
        language = _page_language(request, conversations, asked)
        account = signed_in_account(request)
        name = request.session.get("display_name") if account is not None else None
        return JSONResponse({"language": language, "texts": live_texts(page_texts(language, name))})

    @api.get("/api/chat/updates")
    async def live(
        request: Request,
        asked: Language,
        after: Cursor = 0,
        wait: Annotated[float, Query(ge=0, le=LONGEST_WAIT)] = 20.0,
    ) -> JSONResponse:
        """Long polling: what waits in the person's inbox, at once, or as soon as it arrives
        within ``wait`` seconds (looked up every second, in a thread: the event loop never
        waits on the database). ``after``: the cursor of the last answer the page has shown."""
        account = await run_in_threadpool(signed_in_account, request)
        if account is None:
            return _error(401, asked, "web.error.session")
        if updates is None:  # a chat mounted without an inbox (never by the web platform)
            return JSONResponse({"error": "no live updates here"}, status_code=404)
        await run_in_threadpool(shown, account, after)
        deadline = time.monotonic() + wait
        stopping = getattr(request.app.state, "stopping", None)  # set by `maatjes run`
        while True:
            found = await run_in_threadpool(updates.waiting, account)
            if found.messages or time.monotonic() >= deadline:
                break
            if stopping is not None and stopping.is_set():
                # this instance is going away: the page asks again shortly (another, or the next)
                headers = {"Retry-After": "2"}
                return JSONResponse({"error": "restarting"}, status_code=503, headers=headers)
            if await request.is_disconnected():
                break
            await asyncio.sleep(min(LOOK_EVERY, max(deadline - time.monotonic(), 0.0)))
        return JSONResponse(
            {
                "messages": list(found.messages),
                "cursor": found.cursor if found.cursor is not None else after,
                "language": found.language or asked,
            }
        )

    @api.get("/api/chat")
    def resume(request: Request, asked: Language, after: Cursor = 0) -> JSONResponse:
        account = signed_in_account(request)
        if account is None:
            return _error(401, asked, "web.error.session")
        shown(account, after)
        messages = conversations.resume(account)
        return JSONResponse(
            {
                "messages": [to_dict(m) for m in messages],
                "language": conversations.language_of(account),
            }
        )

    @api.post("/api/chat")
    def chat(body: ChatTurn, request: Request, asked: Language) -> JSONResponse:
        account = signed_in_account(request)
        if account is None:
            return _error(401, asked, "web.error.session")
        shown(account, body.after)
        inbound = Inbound(
            text=body.text,
            choice=body.choice,
            choices=tuple(body.choices) if body.choices is not None else None,
        )
        turn = conversations.handle(account, inbound)
        payload: dict[str, Any] = {
            "messages": [to_dict(m) for m in turn.messages],
            "accepted": turn.accepted,
            "language": conversations.language_of(account),
        }
        return JSONResponse(payload)

    return api


def mount(
    app: FastAPI,
    conversations: Conversations,
    threads: Threads | None = None,
    *,
    signin: WebSignIn = "name",
    settings: Settings | None = None,
    identities: WebIdentities | None = None,
    updates: InboxUpdates | None = None,
) -> None:
    """``signin``: MAATJES_WEB_SIGNIN; name-only sign-in is a trial, and the page says so."""
    from fastapi.staticfiles import StaticFiles

    app.state.web_signin = signin
    app.state.web_signin_exposed = signin == "name"
    app.include_router(router(conversations, updates))
    if settings is not None and identities is not None:
        web = settings.groups.web
        app.state.web_identities = identities
        app.state.web_attach = settings.groups.mail.enabled
        app.state.web_session_lifetimes = (float(web.session_lifetime), float(web.session_idle))
    if threads is not None:
        app.include_router(thread_router(conversations, threads))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
