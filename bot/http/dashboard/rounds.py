"""Match rounds in the dashboard: the list, making one, a round under review, and the review
decisions (approve one group, approve all remaining after a confirmation, reject); changing a
member is in ``swapping``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.core.i18n import translator
from bot.http.dashboard.pages import MAX_ID, PREFIX, Id, message, page, redirect_to, tell
from bot.http.deps import Coordinator, Csrf, DashboardLanguage, Refused
from bot.services.coordinator_views import CoordinatorViews
from bot.services.errors import (
    MatchingUnavailable,
    NotAllowed,
    NotEnoughPeople,
    RoundClosed,
    UnknownRound,
)
from bot.services.rounds import RoundService
from bot.services.views import GroupView, RoundView

ORIGIN = "dashboard"


def review_failure(request: Request, problem: Exception) -> Response:
    """A review action that cannot be done: a polite page with the right status."""
    if isinstance(problem, RoundClosed):
        return message(request, "dashboard.error.closed", 409)
    if isinstance(problem, MatchingUnavailable):
        return message(request, "review.no_matcher", 503)
    return message(request, "dashboard.error.no_round", 404)


def waiting(view: RoundView) -> list[GroupView]:
    """The groups still awaiting a decision."""
    return [g for g in view.groups if g.status == "proposed"]


def router(round_service: RoundService, views: CoordinatorViews) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/rounds")

    def decide(
        request: Request, round_id: int, action: Callable[[], object], anchor: str = ""
    ) -> Response:
        try:
            action()
        except NotAllowed:
            raise Refused("review") from None
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        return redirect_to(f"{PREFIX}/rounds/{round_id}{anchor}")

    def confirm_all(
        request: Request, view: RoundView, status: int = 200, **more: object
    ) -> Response:
        groups = waiting(view)
        if not groups:
            return message(request, "dashboard.approve_all.none", 409)
        people = sum(len(g.people) for g in groups)
        return page(
            request,
            "approve_all.html",
            status=status,
            round=view,
            waiting=groups,
            people=people,
            **{"changed": False, **more},
        )

    def shown(round_id: int, language: str) -> RoundView | None:
        try:
            return views.round(round_id, language=language)
        except UnknownRound:
            return None

    @api.get("", response_class=HTMLResponse)
    def round_list(request: Request, _: Coordinator) -> Response:
        return page(
            request, "rounds.html", rounds=views.recent_rounds(), rates=views.meeting_rates()
        )

    @api.post("")
    def propose(request: Request, who: Coordinator, _: Csrf) -> Response:
        try:
            round_id = round_service.propose(actor=who.actor, origin=ORIGIN)
        except NotAllowed:
            raise Refused("propose") from None
        except NotEnoughPeople:  # everyone is in a club or a proposal: nothing to do, not an error
            return message(request, "review.nobody_to_place", 409)
        except MatchingUnavailable:
            return message(request, "review.no_matcher", 503)
        return redirect_to(f"{PREFIX}/rounds/{round_id}")

    @api.get("/{round_id}", response_class=HTMLResponse)
    def show_round(
        request: Request, round_id: Id, _: Coordinator, language: DashboardLanguage
    ) -> Response:
        try:
            view = views.round(round_id, language=language)
        except UnknownRound:
            return message(request, "dashboard.error.no_round", 404)
        return page(request, "round.html", round=view)

    @api.get("/{round_id}/approve-all", response_class=HTMLResponse)
    def approve_all_page(
        request: Request, round_id: Id, _: Coordinator, language: DashboardLanguage
    ) -> Response:
        """How many groups and people approving all remaining means, before it is done."""
        view = shown(round_id, language)
        if view is None:
            return message(request, "dashboard.error.no_round", 404)
        if view.status not in ("proposed", "under_review"):
            return message(request, "dashboard.error.closed", 409)
        return confirm_all(request, view)

    @api.post("/{round_id}/approve")
    def approve(
        request: Request,
        round_id: Id,
        who: Coordinator,
        _: Csrf,
        language: DashboardLanguage,
        group: int | None = Form(default=None, ge=0, le=MAX_ID),
        confirm: str = Form(default="", max_length=10),
        groups: int | None = Form(default=None, ge=0, le=MAX_ID),
    ) -> Response:
        """One group; or, confirmed for the number of groups still waiting, all of them."""
        view = shown(round_id, language)
        if view is None:
            return message(request, "dashboard.error.no_round", 404)
        before = {g.position: g for g in waiting(view)}
        open_round = view.status in ("proposed", "under_review")
        # all remaining: only when confirmed for as many groups as still wait (none changed)
        if group is None and open_round and (confirm != "yes" or groups != len(before)):
            changed = confirm == "yes"
            return confirm_all(request, view, 409 if changed else 200, changed=changed)
        approved: list[int] = []
        answer = decide(
            request,
            round_id,
            lambda: approved.extend(
                round_service.approve(round_id, position=group, actor=who.actor, origin=ORIGIN)
            ),
            f"#group-{group}" if group is not None else "",
        )
        people = sum(len(before[p].people) for p in approved if p in before)
        if group is not None and approved:
            t = translator(language)
            kind = t(f"dashboard.kind.{before[group].kind}")
            tell(
                request,
                "dashboard.round.approved_one",
                at=f"group-{group}",
                group=f"{kind} {group}",
                people=people,
            )
        elif approved:
            tell(request, "dashboard.round.approved_all", groups=len(approved), people=people)
        return answer

    @api.post("/{round_id}/reject")
    def reject(
        request: Request,
        round_id: Id,
        who: Coordinator,
        _: Csrf,
        group: int = Form(ge=0, le=MAX_ID),
        reason: str = Form(min_length=1, max_length=1000),
    ) -> Response:
        answer = decide(
            request,
            round_id,
            lambda: round_service.reject(
                round_id, position=group, reason=reason, actor=who.actor, origin=ORIGIN
            ),
            f"#group-{group}",
        )
        if answer.status_code == 303:
            tell(request, "dashboard.round.rejected_one", at=f"group-{group}", position=group)
        return answer

    return api
