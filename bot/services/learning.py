"""The follow-up's effect on the next round: the answers come out of storage here and go
through the rules of ``matching.learning`` (the same rules the benchmark's simulation uses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import Session

from bot.settings_groups import MatchingSettings
from matching.learning import Answer, Kept, Outcome, Rules, apart, keep_clubs
from storage import checkins, rounds


def rules_from(settings: MatchingSettings) -> Rules:
    return Rules(
        not_a_fit_weight=settings.not_a_fit_weight,
        not_a_fit_half_life_days=settings.not_a_fit_half_life_days,
    )


def outcomes(session: Session) -> dict[int, Outcome]:
    """Every group's follow-up so far: the members asked or answering, and what they said."""
    answers: dict[int, dict[int, Answer]] = {}
    for row in rounds.follow_ups(session):
        answers.setdefault(row.group_id, {})[row.person_id] = Answer(row.answer, row.at)
    asked: dict[int, set[int]] = {}
    for group_id, person_id in rounds.follow_ups_sent(session):
        asked.setdefault(group_id, set()).add(person_id)
    # a group that has not met is asked once more before it counts as not meeting
    twice = {group_id for group_id, _ in rounds.follow_ups_sent(session, again=True)}
    found = {}
    for group_id in sorted(set(answers) | set(asked)):
        said = answers.get(group_id, {})
        members = tuple(sorted(asked.get(group_id, set()) | set(said)))
        found[group_id] = Outcome(group_id, members, said, asked=group_id in twice)
    return found


def apart_pairs(session: Session) -> list[tuple[int, int, datetime]]:
    """Everyone kept apart after a "not a fit", as (person, person, when)."""
    return apart(outcomes(session).values())


def kept_clubs(session: Session, clubs: Mapping[int, Sequence[int]]) -> Kept:
    """Which running clubs the next round keeps (with whom), after their follow-ups."""
    return keep_clubs(clubs, outcomes(session))


def released(session: Session, *, placed: Mapping[int, Sequence[int]]) -> set[int]:
    """Running clubs that end when their members join a club just approved (``placed``: each
    approved club with its members): clubs that went quiet, and clubs that did not meet.
    Members who said their club was not a fit and are placed in another club leave it here
    (the rest of that club goes on)."""
    running = {
        g.id: list(g.members)
        for g in rounds.live_groups(session)
        if g.status in rounds.RUNNING and g.kind == "club"
    }  # as stored: a leaver may have just joined the new club as well
    kept = kept_clubs(session, running)
    for club, going in sorted(kept.left.items()):
        elsewhere = {p for other, members in placed.items() if other != club for p in members}
        moving = sorted(going & elsewhere)
        if club in kept.clubs and moving:
            rounds.leave_club(session, club_id=club, person_ids=moving)
    return set(checkins.quiet_groups(session)) | kept.freed
