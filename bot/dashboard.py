"""The coordinator dashboard: server-rendered pages on the same app, for coordinators only.

Login with a local account (Argon2 hash) whose ``local:NAME`` identity is a coordinator or admin;
every form carries a per-session CSRF token; every page checks the role again.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from bot import csrf
from bot.core.i18n import normalise_language, translator
from bot.core.vocabulary import GROUPS, PHASES, REGIONS, THEMES
from bot.services.accounts import Accounts, identity
from bot.services.community import community_stats, network
from bot.services.privacy import PrivacyService
from bot.services.rounds import (
    MatchingUnavailable,
    NotAllowed,
    NotEnoughPeople,
    RoundClosed,
    RoundService,
    UnknownRound,
    alternative_names,
    round_view,
)
from storage import audit, checkins, outbox, rounds
from storage.db import session_scope

PREFIX = "/dashboard"
_MAX_ID = 2_147_483_647  # database integers: larger ids are refused (422), never queried
Id = Annotated[int, Path(ge=1, le=_MAX_ID)]
Number = Annotated[int, Path(ge=0, le=_MAX_ID)]
templates = Jinja2Templates(
    directory=str(__import__("pathlib").Path(__file__).parent / "web" / "templates")
)


def _now() -> float:
    return time.time()


def _language(request: Request) -> str:
    asked = normalise_language(request.query_params.get("lang"))
    if asked:
        request.session["dashboard_lang"] = asked
    return str(request.session.get("dashboard_lang") or "nl")


_csrf = csrf.token
_valid_csrf = csrf.valid


def router(
    accounts: Accounts, round_service: RoundService, privacy: PrivacyService | None = None
) -> APIRouter:
    api = APIRouter(prefix=PREFIX)
    engine = round_service.engine

    lifetime = round_service.settings.dashboard_session_hours * 3600

    def user(request: Request) -> str | None:
        name = request.session.get("dashboard_user")
        if not isinstance(name, str):
            return None
        since = request.session.get("dashboard_since")
        if not isinstance(since, int | float) or _now() - since > lifetime:
            request.session.pop("dashboard_user", None)  # expired: log in again
            return None
        return name if round_service.access.is_coordinator(identity(name)) else None

    def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        language = _language(request)
        return templates.TemplateResponse(
            request,
            f"dashboard/{template}",
            {
                "t": translator(language),
                "lang": language,
                "user": request.session.get("dashboard_user"),
                "admin": is_admin(request),
                "csrf": _csrf(request),
                "vocab": {"group": GROUPS, "region": REGIONS, "theme": THEMES, "phase": PHASES},
                **context,
            },
            status_code=status,
        )

    def is_admin(request: Request) -> bool:
        name = user(request)
        return name is not None and round_service.access.is_admin(identity(name))

    def guard(request: Request) -> Response | None:
        if user(request) is None:
            return RedirectResponse(f"{PREFIX}/login", status_code=303)
        return None

    def refuse(request: Request, action: str) -> Response:
        actor = identity(str(request.session.get("dashboard_user", "anonymous")))
        with session_scope(engine) as session:
            audit.record(
                session,
                actor=actor,
                action=action,
                object_type="dashboard",
                object_id=None,
                result="refused",
                origin="dashboard",
            )
        return page(request, "message.html", status=403, message="dashboard.forbidden")

    @api.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return page(request, "login.html", error=None)

    @api.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: str = Form(max_length=80),
        password: str = Form(max_length=200),
        csrf: str = Form(max_length=100),
    ) -> Response:
        if not _valid_csrf(request, csrf):
            return page(request, "login.html", status=400, error="dashboard.error.csrf")
        refusal = None
        if not accounts.verify(username, password):
            refusal = (401, "dashboard.error.login")
        elif not round_service.access.is_coordinator(identity(username)):
            refusal = (403, "dashboard.forbidden")
        if refusal is not None:
            with session_scope(engine) as session:
                audit.record(
                    session,
                    actor=identity(username),
                    action="login",
                    object_type="dashboard",
                    object_id=None,
                    result="refused",
                    origin="dashboard",
                )
            status, error = refusal
            return page(request, "login.html", status=status, error=error)
        language = request.session.get("dashboard_lang")
        chat = {k: request.session.get(k) for k in ("account", "display_name", "locale")}
        request.session.clear()  # a fresh session on login: no fixation
        request.session.update({k: v for k, v in chat.items() if v is not None})
        request.session["dashboard_user"] = username
        request.session["dashboard_since"] = int(_now())
        if language:
            request.session["dashboard_lang"] = language
        return RedirectResponse(PREFIX, status_code=303)

    @api.post("/logout")
    def logout(request: Request, csrf: str = Form(max_length=100)) -> Response:
        if _valid_csrf(request, csrf):
            request.session.pop("dashboard_user", None)
        return RedirectResponse(f"{PREFIX}/login", status_code=303)

    @api.get("", response_class=HTMLResponse)
    def overview(request: Request) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        with Session(engine) as session:
            stats = community_stats(session)
            latest = rounds.latest_round(session)
            failed = len(outbox.entries(session, status="failed"))
            participation = checkins.participation(session)
            quiet = checkins.quiet_groups(session)
        return page(
            request,
            "overview.html",
            stats=stats,
            latest=latest,
            failed=failed,
            participation=participation,
            quiet=quiet,
        )

    @api.get("/rounds", response_class=HTMLResponse)
    def round_list(request: Request) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        with Session(engine) as session:
            items = rounds.rounds(session)
        return page(request, "rounds.html", rounds=items)

    @api.post("/rounds")
    def propose(request: Request, csrf: str = Form(max_length=100)) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        if not _valid_csrf(request, csrf):
            return page(request, "message.html", status=400, message="dashboard.error.csrf")
        try:
            round_id = round_service.propose(actor=identity(str(user(request))), origin="dashboard")
        except NotAllowed:
            return refuse(request, "propose")
        except NotEnoughPeople:  # everyone is in a club or a proposal: nothing to do, not an error
            return page(request, "message.html", status=409, message="review.nobody_to_place")
        except MatchingUnavailable:
            return page(request, "message.html", status=503, message="review.no_matcher")
        return RedirectResponse(f"{PREFIX}/rounds/{round_id}", status_code=303)

    @api.get("/rounds/{round_id}", response_class=HTMLResponse)
    def show_round(request: Request, round_id: Id) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        with Session(engine) as session:
            try:
                view = round_view(session, round_id=round_id, language=_language(request))
            except UnknownRound:
                return page(request, "message.html", status=404, message="dashboard.error.no_round")
        return page(request, "round.html", round=view)

    @api.post("/rounds/{round_id}/approve")
    def approve(
        request: Request,
        round_id: Id,
        csrf: str = Form(max_length=100),
        group: int | None = Form(default=None, ge=0, le=_MAX_ID),
    ) -> Response:
        return decide(
            request,
            round_id,
            csrf,
            lambda actor: round_service.approve(
                round_id, position=group, actor=actor, origin="dashboard"
            ),
        )

    @api.post("/rounds/{round_id}/reject")
    def reject(
        request: Request,
        round_id: Id,
        csrf: str = Form(max_length=100),
        group: int = Form(ge=0, le=_MAX_ID),
        reason: str = Form(min_length=1, max_length=1000),
    ) -> Response:
        return decide(
            request,
            round_id,
            csrf,
            lambda actor: round_service.reject(
                round_id, position=group, reason=reason, actor=actor, origin="dashboard"
            ),
        )

    @api.get("/rounds/{round_id}/groups/{position}/members/{member}", response_class=HTMLResponse)
    def alternatives(request: Request, round_id: Id, position: Number, member: Id) -> Response:
        """The three best swaps or moves for one member, with their effect on the score."""
        if (redirect := guard(request)) is not None:
            return redirect
        try:
            options = round_service.alternatives(round_id, position=position, member=member)
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        with Session(engine) as session:
            view = round_view(session, round_id=round_id, language=_language(request))
            names = alternative_names(session, member, options)
        group = next((g for g in view["groups"] if g["position"] == position), None)
        if group is None:
            return review_failure(request, UnknownRound(f"{round_id}/{position}"))
        return page(
            request,
            "alternatives.html",
            round=view,
            group=group,
            member=member,
            names=names,
            options=options,
        )

    @api.post("/rounds/{round_id}/rearrange")
    def rearrange(
        request: Request,
        round_id: Id,
        csrf: str = Form(max_length=100),
        group: int = Form(ge=0, le=_MAX_ID),
        member: int = Form(ge=0, le=_MAX_ID),
        with_person: int | None = Form(default=None, ge=0, le=_MAX_ID),
        to: int | None = Form(default=None, ge=0, le=_MAX_ID),
    ) -> Response:
        return decide(
            request,
            round_id,
            csrf,
            lambda actor: round_service.rearrange(
                round_id,
                position=group,
                member=member,
                with_person=with_person,
                to_position=to,
                actor=actor,
                origin="dashboard",
            ),
        )

    def review_failure(request: Request, problem: Exception) -> Response:
        """A review action that cannot be done: a polite page with the right status."""
        if isinstance(problem, RoundClosed):
            return page(request, "message.html", status=409, message="dashboard.error.closed")
        if isinstance(problem, MatchingUnavailable):
            return page(request, "message.html", status=503, message="review.no_matcher")
        return page(request, "message.html", status=404, message="dashboard.error.no_round")

    def decide(request: Request, round_id: int, csrf: str, action: Any) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        if not _valid_csrf(request, csrf):
            return page(request, "message.html", status=400, message="dashboard.error.csrf")
        try:
            action(identity(str(user(request))))
        except NotAllowed:
            return refuse(request, "review")
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        return RedirectResponse(f"{PREFIX}/rounds/{round_id}", status_code=303)

    @api.get("/network", response_class=HTMLResponse)
    def network_page(request: Request) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        with Session(engine) as session:
            graph = network(session)
        return page(request, "network.html", graph=graph)

    # --- privacy requests (admins only; see docs/privacy.md) -----------------------------------

    def admin_only(request: Request, csrf: str | None) -> Response | None:
        if (redirect := guard(request)) is not None:
            return redirect
        if csrf is not None and not _valid_csrf(request, csrf):
            return page(request, "message.html", status=400, message="dashboard.error.csrf")
        if privacy is None:
            return page(request, "message.html", status=503, message="privacy.unavailable")
        if not is_admin(request):
            return refuse(request, "privacy")
        return None

    @api.get("/privacy", response_class=HTMLResponse)
    def privacy_page(request: Request) -> Response:
        if (stop := admin_only(request, None)) is not None:
            return stop
        return page(request, "privacy.html", error=None, erased=None)

    @api.post("/privacy/export", response_model=None)
    def privacy_export(
        request: Request,
        csrf: str = Form(max_length=100),
        person: int = Form(ge=1, le=_MAX_ID),
    ) -> Response:
        if (stop := admin_only(request, csrf)) is not None:
            return stop
        assert privacy is not None
        actor = identity(str(user(request)))
        data = privacy.export_bytes(person, actor=actor, origin="dashboard")
        if data is None:
            return page(
                request, "privacy.html", status=404, error="dashboard.privacy.unknown", erased=None
            )
        return Response(
            data,
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="maatjes-person-{person}.json"',
                "cache-control": "no-store",
            },
        )

    @api.post("/privacy/erase", response_class=HTMLResponse)
    def privacy_erase(
        request: Request,
        csrf: str = Form(max_length=100),
        person: int = Form(ge=1, le=_MAX_ID),
        confirm: str = Form(default="", max_length=10),
    ) -> Response:
        if (stop := admin_only(request, csrf)) is not None:
            return stop
        assert privacy is not None
        if confirm != "yes":
            return page(
                request,
                "privacy.html",
                status=422,
                error="dashboard.privacy.unconfirmed",
                erased=None,
            )
        report = privacy.erase(person, actor=identity(str(user(request))), origin="dashboard")
        if report is None:
            return page(
                request, "privacy.html", status=404, error="dashboard.privacy.unknown", erased=None
            )
        return page(request, "privacy.html", error=None, erased=report.pseudonym)

    @api.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, format: str = "html") -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        with Session(engine) as session:
            events = audit.events(session, limit=1000)
        if format == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(
                ["at", "actor", "action", "object_type", "object_id", "result", "origin"]
            )
            for e in events:
                writer.writerow(
                    [
                        e.at.isoformat(),
                        e.actor,
                        e.action,
                        e.object_type,
                        e.object_id,
                        e.result,
                        e.origin,
                    ]
                )
            return Response(
                buffer.getvalue(),
                media_type="text/csv",
                headers={"content-disposition": "attachment; filename=maatjes-audit.csv"},
            )
        return page(request, "audit.html", events=events)

    return api
