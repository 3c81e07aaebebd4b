"""The community at a glance: the overview page and the network of introductions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.core.vocabulary import GROUPS, THEMES
from bot.http.dashboard.pages import MAX_ID, PREFIX, message, page
from bot.http.deps import Coordinator
from bot.services.coordinator_views import CoordinatorViews
from bot.services.network import NetworkFilter

# The filter form sends an empty value for "all"; anything else must be a round id or a code.
RoundChoice = Annotated[str | None, Query(alias="round", max_length=10, pattern=r"^[0-9]*$")]
Code = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z-]*$")]


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
    def network_page(
        request: Request,
        _: Coordinator,
        round_choice: RoundChoice = None,
        group: Code = None,
        theme: Code = None,
    ) -> Response:
        round_id = int(round_choice) if round_choice else None
        if (
            (round_id is not None and not 1 <= round_id <= MAX_ID)
            or (group and group not in GROUPS)
            or (theme and theme not in THEMES)
        ):
            return message(request, "web.error.invalid", 400)
        shown = NetworkFilter(round_id=round_id, group=group or None, theme=theme or None)
        return page(request, "network.html", graph=views.network(shown))

    return api
