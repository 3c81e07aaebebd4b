"""Match rounds in the dashboard: the list, proposing one, a round under review, and the review
decisions (approve, reject, swap or move a member after seeing the alternatives)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.http.dashboard.pages import MAX_ID, PREFIX, Id, Number, message, page, redirect_to
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

ORIGIN = "dashboard"


def review_failure(request: Request, problem: Exception) -> Response:
    """A review action that cannot be done: a polite page with the right status."""
    if isinstance(problem, RoundClosed):
        return message(request, "dashboard.error.closed", 409)
    if isinstance(problem, MatchingUnavailable):
        return message(request, "review.no_matcher", 503)
    return message(request, "dashboard.error.no_round", 404)


def router(round_service: RoundService, views: CoordinatorViews) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/rounds")

    def decide(request: Request, round_id: int, action: Callable[[], object]) -> Response:
        try:
            action()
        except NotAllowed:
            raise Refused("review") from None
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        return redirect_to(f"{PREFIX}/rounds/{round_id}")

    @api.get("", response_class=HTMLResponse)
    def round_list(request: Request, _: Coordinator) -> Response:
        return page(request, "rounds.html", rounds=views.recent_rounds())

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

    @api.post("/{round_id}/approve")
    def approve(
        request: Request,
        round_id: Id,
        who: Coordinator,
        _: Csrf,
        group: int | None = Form(default=None, ge=0, le=MAX_ID),
    ) -> Response:
        return decide(
            request,
            round_id,
            lambda: round_service.approve(round_id, position=group, actor=who.actor, origin=ORIGIN),
        )

    @api.post("/{round_id}/reject")
    def reject(
        request: Request,
        round_id: Id,
        who: Coordinator,
        _: Csrf,
        group: int = Form(ge=0, le=MAX_ID),
        reason: str = Form(min_length=1, max_length=1000),
    ) -> Response:
        return decide(
            request,
            round_id,
            lambda: round_service.reject(
                round_id, position=group, reason=reason, actor=who.actor, origin=ORIGIN
            ),
        )

    @api.get("/{round_id}/groups/{position}/members/{member}", response_class=HTMLResponse)
    def alternatives(
        request: Request,
        round_id: Id,
        position: Number,
        member: Id,
        _: Coordinator,
        language: DashboardLanguage,
    ) -> Response:
        """The three best swaps or moves for one member, with their effect on the score."""
        try:
            options = round_service.alternatives(round_id, position=position, member=member)
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        shown = views.alternatives(round_id, member=member, options=options, language=language)
        group = shown.round.group_at(position)
        if group is None:
            return review_failure(request, UnknownRound(f"{round_id}/{position}"))
        return page(
            request,
            "alternatives.html",
            round=shown.round,
            group=group,
            member=member,
            names=shown.names,
            options=options,
        )

    @api.post("/{round_id}/rearrange")
    def rearrange(
        request: Request,
        round_id: Id,
        who: Coordinator,
        _: Csrf,
        group: int = Form(ge=0, le=MAX_ID),
        member: int = Form(ge=0, le=MAX_ID),
        with_person: int | None = Form(default=None, ge=0, le=MAX_ID),
        to: int | None = Form(default=None, ge=0, le=MAX_ID),
    ) -> Response:
        return decide(
            request,
            round_id,
            lambda: round_service.rearrange(
                round_id,
                position=group,
                member=member,
                with_person=with_person,
                to_position=to,
                actor=who.actor,
                origin=ORIGIN,
            ),
        )

    return api
