"""Inviting participants from the dashboard: upload a CSV list, see who joined."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.http.dashboard.pages import PREFIX, page
from bot.http.deps import Coordinator, Csrf, dashboard_language
from bot.services.invitations import Invitations, InvitationView, ListRefused, read_list
from bot.settings_groups import EmailSignIn

PATH = f"{PREFIX}/invitations"
#: the largest list taken (5,000 rows of name and address fit well within)
MAX_UPLOAD = 1_000_000


def _counts(views: list[InvitationView]) -> dict[str, int]:
    counted = Counter(
        "profile_done" if v.profile_done else "joined" if v.joined_at else "invited" for v in views
    )
    return {
        "invited": len(views),
        "joined": counted["joined"] + counted["profile_done"],
        "profile_done": counted["profile_done"],
    }


def router(
    invitations: Invitations | None, *, signin: EmailSignIn, default_language: str
) -> APIRouter:
    """``invitations`` is None when mail is not configured: the page says what is needed."""
    api = APIRouter(prefix=PREFIX)

    def show(request: Request, status: int = 200, **context: object) -> Response:
        views = invitations.overview() if invitations is not None else []
        return page(
            request,
            "invitations.html",
            status=status,
            invitations=views,
            counts=_counts(views),
            enabled=invitations is not None,
            **{"report": None, "problems": None, "error": None, **context},
        )

    @api.get("/invitations", response_class=HTMLResponse)
    def invitations_page(request: Request, _: Coordinator) -> Response:
        return show(request)

    @api.post("/invitations", response_class=HTMLResponse)
    async def upload(
        request: Request, who: Coordinator, _: Csrf, file: Annotated[UploadFile, File()]
    ) -> Response:
        if invitations is None:
            no_mail = "dashboard.invitations.no_mail"
            return await run_in_threadpool(show, request, 409, error=no_mail)
        data = await file.read(MAX_UPLOAD + 1)
        try:
            if len(data) > MAX_UPLOAD:
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "too large")
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return await run_in_threadpool(
                show, request, 422, error="dashboard.invitations.unreadable"
            )
        try:
            invitees = read_list(text, default_language=default_language, signin=signin)
        except ListRefused as refused:
            lines = refused.lines(dashboard_language(request))
            return await run_in_threadpool(
                show, request, 422, problems=lines, error="dashboard.invitations.refused"
            )
        report = await run_in_threadpool(invitations.invite, invitees, actor=who.actor)
        return await run_in_threadpool(show, request, report=report.as_dict())

    return api
