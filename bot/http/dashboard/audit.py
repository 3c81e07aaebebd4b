"""The audit trail in the dashboard: a page at a time with a filter by action, or all of it as
CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from bot.http.dashboard.pages import MAX_ID, PREFIX, page
from bot.http.deps import Coordinator
from bot.services.audit_trail import ACTIONS, EXPORT_COLUMNS, RESULTS, AuditTrail, RefusedLogins

AUDIT_PAGE = 100


def router(trail: AuditTrail, refusals: RefusedLogins) -> APIRouter:
    api = APIRouter(prefix=PREFIX)

    @api.get("/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request,
        _: Coordinator,
        format: Annotated[str, Query(max_length=8)] = "html",
        action: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")] = None,
        page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_ID)] = 1,
    ) -> Response:
        action = action or None
        refusals.flush()  # what this process still holds in memory is shown too
        if format == "csv":
            return StreamingResponse(
                _csv(trail, action),
                media_type="text/csv; charset=utf-8",
                headers={
                    "content-disposition": "attachment; filename=maatjes-audit.csv",
                    "cache-control": "no-store",
                },
            )
        found = trail.page(action=action, number=page_number, size=AUDIT_PAGE)
        return page(
            request,
            "audit.html",
            events=found.events,
            actions=found.actions,
            action=action,
            page_number=page_number,
            pages=found.pages,
            total=found.total,
            labelled_actions=ACTIONS,
            labelled_results=RESULTS,
        )

    return api


def _csv(trail: AuditTrail, action: str | None) -> Iterator[str]:
    """Every event, oldest first, one chunk per batch the trail reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for rows in trail.export_rows(action=action):
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
