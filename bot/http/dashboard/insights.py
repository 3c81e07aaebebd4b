"""„Wat speelt er”: the themes of the community for coordinators, and a printable report.

Each reading is in the audit trail (``read_insights``, ``read_insights_report``): the page shows
people's own words, though never their names. The report says what changed since the last
report opened on an earlier day (or since ``?since=``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.http.dashboard.pages import PREFIX, message, page
from bot.http.deps import Coordinator, dashboard_language
from bot.services.insights import REPORT_ACTION, InsightsService

Since = Annotated[str, Query(max_length=10, pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]


def _day(value: str) -> date | str | None:
    """The day asked for; "" when the value is not a real day."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return ""


def router(service: InsightsService | None) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/insights")

    def shown(request: Request, who: Coordinator, since: str, *, report: bool) -> Response:
        if service is None:
            return message(request, "dashboard.insights.unavailable", 503)
        day = _day(since)
        if day == "":
            return message(request, "web.error.invalid", 400)
        assert not isinstance(day, str)
        language = dashboard_language(request)
        if report and day is None:
            today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
            day = service.last_report(before=today)
        view = service.themes(
            language=language,
            since=day,
            actor=who.actor,
            action=REPORT_ACTION if report else "read_insights",
        )
        top = max((theme.people for theme in view.themes), default=1)
        return page(
            request,
            "insights_report.html" if report else "insights.html",
            view=view,
            top=top,
            since=day.isoformat() if day else "",
        )

    @api.get("", response_class=HTMLResponse)
    def insights_page(request: Request, who: Coordinator, since: Since = "") -> Response:
        return shown(request, who, since, report=False)

    @api.get("/report", response_class=HTMLResponse)
    def report_page(request: Request, who: Coordinator, since: Since = "") -> Response:
        return shown(request, who, since, report=True)

    return api
