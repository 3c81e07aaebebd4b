"""The coordinator dashboard: server-rendered pages on the same app, for coordinators only.

Login with a local account (Argon2 hash) whose ``local:NAME`` identity is a coordinator or admin;
logins are throttled per client address and per account; every form carries a per-session CSRF
token; every request checks the session against the account (logout and a new password end it)
and the role again.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.i18n import normalise_language, translator
from bot.core.vocabulary import GROUPS, PHASES, REGIONS, THEMES
from bot.http import csrf
from bot.services.accounts import Accounts, identity
from bot.services.community import community_stats, network
from bot.services.errors import (
    MatchingUnavailable,
    NotAllowed,
    NotEnoughPeople,
    RoundClosed,
    UnknownRound,
)
from bot.services.privacy import PrivacyService
from bot.services.round_views import alternative_names, round_view
from bot.services.rounds import RoundService
from storage import audit, checkins, outbox, rounds
from storage.db import session_scope

PREFIX = "/dashboard"
AUDIT_PAGE = 100
# A longer field is still a wrong token, answered as one (403), not as malformed input.
CSRF_FIELD = 1000
AUDIT_COLUMNS = [
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "result",
    "origin",
    "count",
    "source",
]
_MAX_ID = 2_147_483_647  # database integers: larger ids are refused (422), never queried
Id = Annotated[int, Path(ge=1, le=_MAX_ID)]
Number = Annotated[int, Path(ge=0, le=_MAX_ID)]
templates = Jinja2Templates(
    directory=str(__import__("pathlib").Path(__file__).parent / "templates")
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


class RefusedLogins:
    """Refused and throttled logins, tallied in the audit trail per account, result and client
    address. Counted in memory and written at most once a second per tally, so a flood of
    guesses costs no database write per request; the audit page writes what is pending first."""

    def __init__(self, engine: Engine, every: float = 1.0) -> None:
        self.engine = engine
        self.every = every
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str, str]] = Counter()
        self._written: dict[tuple[str, str, str], float] = {}

    def add(self, actor: str, result: str, source: str) -> None:
        key = (actor, result, source)
        now = time.monotonic()
        with self._lock:
            self._pending[key] += 1
            due = now - self._written.get(key, -self.every) >= self.every
        if due:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            pending, self._pending = self._pending, Counter()
            for key in pending:
                self._written[key] = now
            # forget tallies that are not repeating, so spraying names does not grow this
            self._written = {k: t for k, t in self._written.items() if now - t < self.every}
        if not pending:
            return
        with session_scope(self.engine) as session:
            for (actor, result, source), count in pending.items():
                audit.tally(
                    session,
                    actor=actor,
                    action="login",
                    object_type="dashboard",
                    result=result,
                    origin="dashboard",
                    source=source,
                    count=count,
                )


def router(
    accounts: Accounts,
    round_service: RoundService,
    privacy: PrivacyService | None = None,
    *,
    session_hours: int,
) -> APIRouter:
    api = APIRouter(prefix=PREFIX)
    engine = round_service.engine

    lifetime = session_hours * 3600

    def user(request: Request) -> str | None:
        """The coordinator this request is from, checked once per request: a live session of an
        existing account at its current session version, with a coordinator role."""
        if hasattr(request.state, "dashboard_user"):
            return request.state.dashboard_user  # type: ignore[no-any-return]
        request.state.dashboard_user = None
        name = request.session.get("dashboard_user")
        if not isinstance(name, str):
            return None
        since = request.session.get("dashboard_since")
        version = request.session.get("dashboard_version")
        if (
            not isinstance(since, int | float)
            or _now() - since > lifetime
            or not accounts.session_open(name, version)
        ):
            request.session.pop("dashboard_user", None)  # expired or revoked: log in again
            return None
        if round_service.access.is_coordinator(identity(name)):
            request.state.dashboard_user = name
        return request.state.dashboard_user  # type: ignore[no-any-return]

    def client_address(request: Request) -> str:
        # The peer's own address: forwarded headers are not trusted (anyone can send them).
        return request.client.host if request.client is not None else "unknown"

    refusals = RefusedLogins(engine)

    def refused_login(request: Request, username: str, result: str) -> None:
        refusals.add(identity(username), result, client_address(request))

    def csrf_failure(request: Request, template: str = "message.html") -> Response:
        if template == "login.html":
            return page(request, template, status=403, error="dashboard.error.csrf")
        return page(request, template, status=403, message="dashboard.error.csrf")

    def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        language = _language(request)
        return templates.TemplateResponse(
            request,
            f"dashboard/{template}",
            {
                "t": translator(language),
                "lang": language,
                "user": user(request),
                "admin": is_admin(request),
                "csrf": _csrf(request),
                "vocab": {"group": GROUPS, "region": REGIONS, "theme": THEMES, "phase": PHASES},
                **context,
            },
            status_code=status,
        )

    def is_admin(request: Request) -> bool:
        if not hasattr(request.state, "dashboard_admin"):
            name = user(request)
            request.state.dashboard_admin = name is not None and round_service.access.is_admin(
                identity(name)
            )
        return bool(request.state.dashboard_admin)

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
        csrf: str = Form(default="", max_length=CSRF_FIELD),
    ) -> Response:
        if not _valid_csrf(request, csrf):
            return csrf_failure(request, "login.html")
        outcome = accounts.login(username, password, address=client_address(request))
        if outcome.status == "throttled":
            refused_login(request, username, "throttled")
            minutes = max(1, -(-outcome.retry_after // 60))
            response = page(
                request,
                "login.html",
                status=429,
                error="dashboard.error.throttled",
                error_args={"minutes": minutes},
            )
            response.headers["retry-after"] = str(outcome.retry_after)
            return response
        refusal = None
        if outcome.status != "ok":
            refusal = (401, "dashboard.error.login")
        elif not round_service.access.is_coordinator(identity(username)):
            refusal = (403, "dashboard.forbidden")
        if refusal is not None:
            refused_login(request, username, "refused")
            status, error = refusal
            return page(request, "login.html", status=status, error=error)
        language = request.session.get("dashboard_lang")
        chat = {k: request.session.get(k) for k in ("account", "display_name", "locale")}
        request.session.clear()  # a fresh session on login: no fixation
        request.session.update({k: v for k, v in chat.items() if v is not None})
        request.session["dashboard_user"] = username
        request.session["dashboard_since"] = int(_now())
        request.session["dashboard_version"] = outcome.session_version
        if language:
            request.session["dashboard_lang"] = language
        return RedirectResponse(PREFIX, status_code=303)

    @api.post("/logout")
    def logout(request: Request, csrf: str = Form(default="", max_length=CSRF_FIELD)) -> Response:
        if not _valid_csrf(request, csrf):
            return csrf_failure(request)
        name = user(request)
        if name is not None:
            accounts.end_sessions(name)  # signs out everywhere: copies of this cookie are dead
        for key in ("dashboard_user", "dashboard_since", "dashboard_version"):
            request.session.pop(key, None)
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
    def propose(request: Request, csrf: str = Form(default="", max_length=CSRF_FIELD)) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        if not _valid_csrf(request, csrf):
            return csrf_failure(request)
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
        csrf: str = Form(default="", max_length=CSRF_FIELD),
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
        csrf: str = Form(default="", max_length=CSRF_FIELD),
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
        group = view.group_at(position)
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
        csrf: str = Form(default="", max_length=CSRF_FIELD),
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
            return csrf_failure(request)
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
            return csrf_failure(request)
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
        csrf: str = Form(default="", max_length=CSRF_FIELD),
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
        csrf: str = Form(default="", max_length=CSRF_FIELD),
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
    def audit_page(
        request: Request,
        format: Annotated[str, Query(max_length=8)] = "html",
        action: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")] = None,
        page_number: Annotated[int, Query(alias="page", ge=1, le=_MAX_ID)] = 1,
    ) -> Response:
        if (redirect := guard(request)) is not None:
            return redirect
        action = action or None
        refusals.flush()  # what this process still holds in memory is shown too
        if format == "csv":
            return StreamingResponse(
                _audit_csv(action),
                media_type="text/csv; charset=utf-8",
                headers={
                    "content-disposition": "attachment; filename=maatjes-audit.csv",
                    "cache-control": "no-store",
                },
            )
        with Session(engine) as session:
            total = audit.count_events(session, action=action)
            events = audit.events(
                session,
                limit=AUDIT_PAGE,
                offset=min((page_number - 1) * AUDIT_PAGE, _MAX_ID),
                action=action,
            )
            known = audit.actions(session)
        pages = max(1, -(-total // AUDIT_PAGE))
        return page(
            request,
            "audit.html",
            events=events,
            actions=known,
            action=action,
            page_number=page_number,
            pages=pages,
            total=total,
        )

    def _audit_csv(action: str | None) -> Iterator[str]:
        """Every event, oldest first. Each page is read in its own short transaction, so a slow
        download never holds the database."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(AUDIT_COLUMNS)
        after = 0
        while True:
            with Session(engine) as session:
                batch = audit.events_after(session, after=after, limit=500, action=action)
                for e in batch:
                    writer.writerow(
                        [
                            e.at.isoformat(),
                            e.actor,
                            e.action,
                            e.object_type,
                            e.object_id,
                            e.result,
                            e.origin,
                            e.count,
                            e.detail.get("source", "") if isinstance(e.detail, dict) else "",
                        ]
                    )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if not batch:
                return
            after = int(batch[-1].id or 0)

    return api
