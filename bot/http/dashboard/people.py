"""Everyone in the community for coordinators: the list with a search, and one person's profile
(opened from the review of a round, each reading audited as ``read_profile``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.core.vocabulary import THEMES
from bot.http.dashboard.pages import MAX_ID, PREFIX, Id, message, page
from bot.http.deps import Coordinator
from bot.services.people_directory import MAX_QUERY, PeopleDirectory

PEOPLE_PAGE = 50
Search = Annotated[str, Query(max_length=MAX_QUERY)]


def router(directory: PeopleDirectory) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/people")

    @api.get("", response_class=HTMLResponse)
    def people_page(
        request: Request,
        _: Coordinator,
        q: Search = "",
        theme: Annotated[str, Query(max_length=32)] = "",
        page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_ID)] = 1,
    ) -> Response:
        if theme and theme not in THEMES:
            return message(request, "dashboard.people.bad_theme", 422)
        found = directory.search(text=q, theme=theme or None, number=page_number, size=PEOPLE_PAGE)
        return page(
            request,
            "people.html",
            found=found,
            q=q,
            theme=theme,
            page_number=min(page_number, found.pages),
        )

    @api.get("/{person_id}", response_class=HTMLResponse)
    def person_page(
        request: Request,
        person_id: Id,
        who: Coordinator,
        from_round: Annotated[int | None, Query(alias="round", ge=1, le=MAX_ID)] = None,
    ) -> Response:
        profile = directory.read(person_id, actor=who.actor)
        if profile is None:
            return message(request, "dashboard.people.unknown", 404)
        return page(request, "person.html", profile=profile, from_round=from_round)

    return api
