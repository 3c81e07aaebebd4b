"""Privacy requests in the dashboard, for admins only: a person's export as a download, and
erasure after a confirmation (see docs/privacy.md)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.http.dashboard.pages import MAX_ID, PREFIX, message, page
from bot.http.deps import Admin, Coordinator, Csrf
from bot.services.privacy import PrivacyService

ORIGIN = "dashboard"


class Unavailable(Exception):
    """This app was built without the privacy service."""


def router(privacy: PrivacyService | None) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/privacy")

    def service() -> PrivacyService:
        if privacy is None:
            raise Unavailable
        return privacy

    # Declared before Admin in each route: an app without the service says so (503) to every
    # coordinator, before a role is checked.
    available = Depends(service)

    @api.get("", response_class=HTMLResponse)
    def privacy_page(
        request: Request, _: Coordinator, __: PrivacyService = available, *, admin: Admin
    ) -> Response:
        return page(request, "privacy.html", error=None, erased=None)

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
            return page(
                request,
                "privacy.html",
                status=422,
                error="dashboard.privacy.unconfirmed",
                erased=None,
            )
        report = desk.erase(person, actor=admin.actor, origin=ORIGIN)
        if report is None:
            return unknown(request)
        return page(request, "privacy.html", error=None, erased=report.pseudonym)

    return api


def unknown(request: Request) -> Response:
    return page(request, "privacy.html", status=404, error="dashboard.privacy.unknown", erased=None)


def unavailable(request: Request, exc: Exception) -> Response:
    return message(request, "privacy.unavailable", 503)
