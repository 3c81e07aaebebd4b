"""Changing one member of a proposed group: pick anyone the review allows (as the command line's
``round swap --with``), see what it does to both groups in plain words, confirm, and read what
changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.core.i18n import Translate, translator
from bot.http.dashboard.pages import MAX_ID, PREFIX, Id, Number, page, redirect_to, tell
from bot.http.dashboard.rounds import review_failure
from bot.http.deps import Coordinator, Csrf, DashboardLanguage, Refused
from bot.services.alternatives import Alternative
from bot.services.coordinator_views import AlternativesView, CoordinatorViews
from bot.services.errors import MatchingUnavailable, NotAllowed, RoundClosed, UnknownRound
from bot.services.rounds import RoundService
from bot.services.views import GroupView

ORIGIN = "dashboard"
OPTION = re.compile(r"^(swap|replace|move)-(\d{1,10})$")
#: a change of the score smaller than this is "about the same"
SAME = 0.005


def key(option: Alternative) -> str:
    """How a form names an option: ``swap-PERSON``, ``replace-PERSON`` or ``move-GROUP``."""
    target = option.other_position if option.kind == "move" else option.with_person
    return f"{option.kind}-{target}"


def verdict(before: float, after: float) -> str:
    if after > before + SAME:
        return "better"
    if after < before - SAME:
        return "worse"
    return "same"


@dataclass(frozen=True)
class GroupEffect:
    """One group before and after a change, for the preview."""

    label: str
    before: float
    after: float
    names_after: list[str]

    @property
    def verdict(self) -> str:
        return verdict(self.before, self.after)


def label(t: Translate, group: GroupView | None, position: int | None) -> str:
    kind = t(f"dashboard.kind.{group.kind}") if group is not None else t("dashboard.kind.club")
    return f"{kind} {position}"


def effects(
    shown: AlternativesView, position: int, option: Alternative, t: Translate
) -> list[GroupEffect]:
    """The member's group and the other group (none for a replacement), after the change."""
    view = shown.round
    mine = view.group_at(position)
    assert mine is not None
    names = {p.id: p.name or "?" for g in view.groups for p in g.people} | shown.names
    member, other_person = option.member, option.with_person
    mine_after = [p for p in mine.members if p != member]
    if option.kind in ("swap", "replace"):
        mine_after.append(other_person)
    result = [
        GroupEffect(
            label(t, mine, position),
            option.score_before,
            option.score_after,
            [names.get(p or 0, "?") for p in mine_after],
        )
    ]
    if option.other_position is not None and option.other_after is not None:
        other = view.group_at(option.other_position)
        theirs = [p for p in (other.members if other else []) if p != other_person] + [member]
        result.append(
            GroupEffect(
                label(t, other, option.other_position),
                option.other_before or 0.0,
                option.other_after,
                [names.get(p or 0, "?") for p in theirs],
            )
        )
    return result


def router(round_service: RoundService, views: CoordinatorViews) -> APIRouter:
    api = APIRouter(prefix=f"{PREFIX}/rounds")

    @api.get("/{round_id}/groups/{position}/members/{member}", response_class=HTMLResponse)
    def alternatives(
        request: Request,
        round_id: Id,
        position: Number,
        member: Id,
        _: Coordinator,
        language: DashboardLanguage,
        option: Annotated[str | None, Query(max_length=24)] = None,
    ) -> Response:
        """Every valid swap, replacement or move of one member, best first; with ``option``
        the effect of that one on both groups, and a button that does it."""
        if option is not None and not OPTION.match(option):
            return review_failure(request, UnknownRound(option))
        try:
            options = round_service.alternatives(
                round_id, position=position, member=member, limit=None
            )
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        shown = views.alternatives(round_id, member=member, options=options, language=language)
        group = shown.round.group_at(position)
        if group is None:
            return review_failure(request, UnknownRound(f"{round_id}/{position}"))
        chosen = next((o for o in options if key(o) == option), None)
        if option is not None and chosen is None:  # gone meanwhile, or never offered
            return review_failure(request, UnknownRound(option))
        t = translator(language)
        return page(
            request,
            "alternatives.html",
            round=shown.round,
            group=group,
            member=member,
            names=shown.names,
            people=shown.people,
            options=options,
            choices=sorted(  # to pick from: by name, then by group
                options,
                key=lambda o: (
                    shown.names.get(o.with_person or 0, "").casefold(),
                    o.other_position or 0,
                ),
            ),
            suggestions=[o for o in options if o.delta > SAME][:3],
            key=key,
            verdict=verdict,
            labels={g.position: label(t, g, g.position) for g in shown.round.groups},
            chosen=chosen,
            effects=effects(shown, position, chosen, t) if chosen is not None else [],
        )

    @api.post("/{round_id}/rearrange")
    def rearrange(
        request: Request,
        round_id: Id,
        who: Coordinator,
        _: Csrf,
        language: DashboardLanguage,
        group: int = Form(ge=0, le=MAX_ID),
        member: int = Form(ge=0, le=MAX_ID),
        with_person: int | None = Form(default=None, ge=0, le=MAX_ID),
        to: int | None = Form(default=None, ge=0, le=MAX_ID),
    ) -> Response:
        try:
            done = round_service.rearrange(
                round_id,
                position=group,
                member=member,
                with_person=with_person,
                to_position=to,
                actor=who.actor,
                origin=ORIGIN,
            )
        except NotAllowed:
            raise Refused("review") from None
        except (UnknownRound, RoundClosed, MatchingUnavailable) as problem:
            return review_failure(request, problem)
        after = views.alternatives(round_id, member=member, options=[done], language=language)
        t = translator(language)
        names = after.names
        params = {
            "member": names.get(member, "?"),
            "other": names.get(done.with_person or 0, "?"),
            "mine": label(t, after.round.group_at(group), group),
            "theirs": label(t, after.round.group_at(done.other_position or 0), done.other_position),
        }
        tell(request, f"dashboard.alt.done.{done.kind}", at=f"group-{group}", **params)
        return redirect_to(f"{PREFIX}/rounds/{round_id}#group-{group}")

    return api
