"""A round as its reviewers see it (CLI, dashboard and chat), built from storage."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.core.explain import render_explanation
from bot.core.i18n import translator
from bot.services.alternatives import Alternative
from bot.services.errors import UnknownRound
from bot.services.follow_ups import follow_up_counts
from bot.services.group_scores import WeakRule, shown_score, weak_summary
from bot.services.views import GroupView, MemberView, RoundView, mean_of
from storage import rounds
from storage.models import Person


def round_view(session: Session, *, round_id: int, language: str = "nl") -> RoundView:
    """Everything a reviewer needs about a round (CLI, dashboard and chat)."""
    match_round = rounds.get_round(session, round_id=round_id)
    if match_round is None:
        raise UnknownRound(round_id)
    t = translator(language)
    groups = rounds.groups_of(session, round_id=round_id)
    members = rounds.members_of(session, group_ids=[g.id for g in groups if g.id is not None])
    rule = WeakRule.stored(match_round.weights or {})
    follow_ups = follow_up_counts(session, groups)
    built = []
    for group in groups:
        people = [p for p in (session.get(Person, pid) for pid in members[group.id or 0]) if p]
        names = {p.id: p.name or "?" for p in people if p.id is not None}
        score = shown_score(
            group.explanation or {},
            summed=group.score,
            size=len(people),
            weights=match_round.weights or {},
            rule=rule,
            names=names,
            t=t,
        )
        built.append((group, people, names, score))
    mean = mean_of([score.value for *_, score in built])
    view_groups = [
        GroupView(
            id=group.id,
            position=group.position,
            kind=group.kind,
            status=group.status,
            score=score.value,
            score_vs_round=round(score.value - mean, 1),
            people=tuple(MemberView.of(p) for p in people),
            explanation=render_explanation(group.explanation or {}, names, t),
            reject_reason=group.reject_reason,
            score_parts=score.parts,
            weak=score.weak,
            kept=_kept(group.explanation),
            follow_up=follow_ups.get(group.id or 0),
        )
        for group, people, names, score in built
    ]
    weak = [g.position for g in view_groups if g.weak]
    return RoundView(
        id=match_round.id,
        kind=match_round.kind,
        status=match_round.status,
        origin=match_round.origin,
        created_at=match_round.created_at.isoformat(),
        embedder=match_round.embedder,
        total_score=round(match_round.total_score, 4),
        mean_score=round(mean, 1),
        groups=tuple(view_groups),
        weak_summary=weak_summary(weak, len(view_groups), t),
        kept_apart=int((match_round.weights or {}).get("kept_apart") or 0),
    )


def _kept(explanation: dict[str, object] | None) -> str | None:
    kept = (explanation or {}).get("kept")
    return kept if isinstance(kept, str) else None


def alternative_names(
    session: Session, member: int, options: Sequence[Alternative]
) -> dict[int, str]:
    """Names of the member and of everyone the alternatives bring in, for showing them."""
    ids = {member} | {o.with_person for o in options if o.with_person is not None}
    return {pid: getattr(session.get(Person, pid), "name", None) or "?" for pid in ids}
