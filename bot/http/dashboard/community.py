"""The community at a glance: the overview page and the network of introductions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.http.dashboard.pages import PREFIX, page
from bot.http.deps import Coordinator
from bot.services.coordinator_views import CoordinatorViews


def router(views: CoordinatorViews) -> APIRouter:
    api = APIRouter(prefix=PREFIX)

    @api.get("", response_class=HTMLResponse)
    def overview(request: Request, _: Coordinator) -> Response:
        found = views.overview()
        return page(
            request,
            "overview.html",
            stats=found.stats,
            latest=found.latest,
            failed=found.failed,
            participation=found.participation,
            quiet=found.quiet,
        )

    @api.get("/network", response_class=HTMLResponse)
    def network_page(request: Request, _: Coordinator) -> Response:
        return page(request, "network.html", graph=views.network())

    return api
