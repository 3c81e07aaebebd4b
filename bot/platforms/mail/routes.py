"""One-click unsubscribe (RFC 8058) and its way back, by signed link, without signing in.

Mail clients POST ``List-Unsubscribe=One-Click`` to the link; a person who opens it in a browser
sees one button (scanners that only open links pause nothing). Bad links are a polite 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.i18n import translator
from bot.http.deps import Language
from bot.http.templates import templates
from bot.services.person_links import PersonLinks
from storage.db import session_scope
from storage.models import Person

Token = Annotated[str, Path(max_length=200)]


def router(engine: Engine, links: PersonLinks) -> APIRouter:
    api = APIRouter()

    def show(request: Request, language: str, state: str, token: str = "") -> Response:
        return templates.TemplateResponse(
            request,
            "mail_choice.html",
            {"lang": language, "t": translator(language), "state": state, "token": token},
            status_code=404 if state == "invalid" else 200,
        )

    def person_language(person_id: int | None) -> str | None:
        if person_id is None:
            return None
        with Session(engine) as session:
            person = session.get(Person, person_id)
            return None if person is None else person.language

    def choose(person_id: int, wanted: bool) -> bool:
        with session_scope(engine) as session:
            person = session.get(Person, person_id)
            if person is None:
                return False
            person.email_notifications = wanted
            session.add(person)
            return True

    @api.get("/mail/unsubscribe/{token}", response_class=HTMLResponse)
    def ask(request: Request, token: Token, asked: Language) -> Response:
        language = person_language(links.person_id(token))
        if language is None:
            return show(request, asked, "invalid")
        return show(request, language, "ask", token)

    def answer(request: Request, token: str, asked: str, *, wanted: bool) -> Response:
        person_id = links.person_id(token)
        language = person_language(person_id)
        if person_id is None or language is None or not choose(person_id, wanted):
            return show(request, asked, "invalid")
        return show(request, language, "resumed" if wanted else "paused", token)

    @api.post("/mail/unsubscribe/{token}", response_class=HTMLResponse)
    def pause(request: Request, token: Token, asked: Language) -> Response:
        return answer(request, token, asked, wanted=False)

    @api.post("/mail/resubscribe/{token}", response_class=HTMLResponse)
    def resume(request: Request, token: Token, asked: Language) -> Response:
        return answer(request, token, asked, wanted=True)

    return api
