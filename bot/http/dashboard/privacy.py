"""Privacy requests in the dashboard, for admins only: a person's export as a download, and
erasure after a confirmation (see docs/privacy.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.http.dashboard.pages import MAX_ID, PREFIX, message, page
from bot.http.deps import Admin, Coordinator, Csrf
from bot.services.people_directory import MAX_QUERY, PeopleDirectory
from bot.services.privacy import PrivacyService

ORIGIN = "dashboard"


class Unavailable(Exception):
    """This app was built without the privacy service."""


#: how many people a search on the privacy page lists
FOUND = 20


def router(privacy: PrivacyService | None, directory: PeopleDirectory) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/privacy")

    def show(request: Request, status: int = 200, **context: Any) -> Response:
        """The page: who was searched for and found, or the person chosen, and the contact."""
        contact = privacy.settings.contact if privacy is not None else ""
        defaults = {"error": None, "erased": None, "q": "", "found": None, "chosen": None}
        return page(request, "privacy.html", status=status, contact=contact, **(defaults | context))

    def service() -> PrivacyService:
        if privacy is None:
            raise Unavailable
        return privacy

    # Declared before Admin in each route: an app without the service says so (503) to every
    # coordinator, before a role is checked.
    available = Depends(service)

    @api.get("", response_class=HTMLResponse)
    def privacy_page(
        request: Request,
        _: Coordinator,
        __: PrivacyService = available,
        *,
        admin: Admin,
        q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
        person: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ) -> Response:
        """Find the person by name or organisation (or come from their profile), then act."""
        if person is not None:
            chosen = directory.name_of(person)
            if chosen is None:
                return unknown(request)
            return show(request, chosen=chosen)
        found = directory.search(text=q, size=FOUND).rows if q.strip() else None
        return show(request, q=q, found=found)

    @api.post("/export", response_model=None)
    def privacy_export(
        request: Request,
        _: Coordinator,
        __: Csrf,
        desk: PrivacyService = available,
        *,
        admin: Admin,
        person: int = Form(ge=1, le=MAX_ID),
    ) -> Response:
        data = desk.export_bytes(person, actor=admin.actor, origin=ORIGIN)
        if data is None:
            return unknown(request)
        return Response(
            data,
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="maatjes-person-{person}.json"',
                "cache-control": "no-store",
            },
        )

    @api.post("/erase", response_class=HTMLResponse)
    def privacy_erase(
        request: Request,
        _: Coordinator,
        __: Csrf,
        desk: PrivacyService = available,
        *,
        admin: Admin,
        person: int = Form(ge=1, le=MAX_ID),
        confirm: str = Form(default="", max_length=10),
    ) -> Response:
        if confirm != "yes":
            chosen = directory.name_of(person)
            return show(request, 422, error="dashboard.privacy.unconfirmed", chosen=chosen)
        report = desk.erase(person, actor=admin.actor, origin=ORIGIN)
        if report is None:
            return unknown(request)
        return show(request, erased=report.pseudonym)

    def unknown(request: Request) -> Response:
        return show(request, 404, error="dashboard.privacy.unknown")

    return api


def unavailable(request: Request, exc: Exception) -> Response:
    return message(request, "privacy.unavailable", 503)
