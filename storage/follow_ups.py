"""Answers to "hebben jullie elkaar gesproken?" and what they say about a group.

One row per member and group (:class:`FollowUpAnswer`): a member who answers again replaces
their answer, so the latest one counts. A group that had no ``met`` after the first question is
asked once more (``MatchGroup.follow_up_again_at``, set by one conditional UPDATE, so two
processes never ask twice); if still nobody says ``met``, it did not meet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import FollowUpAnswer, MatchGroup
from storage.rounds import RUNNING, members_of

MET, NOT_YET, NOT_A_FIT = "met", "not_yet", "not_a_fit"
#: The longest reason kept with an answer ("in a word or two"; a longer one is refused).
REASON_LIMIT = 200


def answers_of(
    session: Session, *, members: Mapping[int, Sequence[int]]
) -> dict[int, dict[int, FollowUpAnswer]]:
    """For each group, its members' answers by person (members without one are absent).
    Answers of people no longer in the group do not count."""
    found: dict[int, dict[int, FollowUpAnswer]] = {gid: {} for gid in members}
    if not members:
        return found
    rows = session.exec(
        select(FollowUpAnswer).where(col(FollowUpAnswer.group_id).in_(list(members)))
    ).all()
    for row in rows:
        if row.person_id in members[row.group_id]:
            found[row.group_id][row.person_id] = row
    return found


def record_reason(session: Session, *, group_id: int, person_id: int, reason: str) -> bool:
    """Keep why (with the member's latest answer); False when there is no answer to keep it with."""
    row = session.get(FollowUpAnswer, (group_id, person_id))
    if row is None or row.answer == MET:
        return False
    row.reason = reason[:REASON_LIMIT]
    session.add(row)
    session.flush()
    return True


def met(answers: Mapping[int, FollowUpAnswer]) -> bool:
    return any(a.answer == MET for a in answers.values())


def worth_asking_again(answers: Mapping[int, FollowUpAnswer]) -> bool:
    """No one said they met, and someone is still hoping to (``not yet``) or nobody answered."""
    if met(answers):
        return False
    return not answers or any(a.answer == NOT_YET for a in answers.values())


def due_again(
    session: Session, *, introduced_before: datetime, introduced_after: datetime
) -> list[MatchGroup]:
    """Running groups introduced in that window, not asked twice yet, that did not meet and
    are worth asking again."""
    groups = session.exec(
        select(MatchGroup)
        .where(
            col(MatchGroup.status).in_(RUNNING),
            col(MatchGroup.follow_up_again_at).is_(None),
            col(MatchGroup.introduced_at) <= introduced_before,
            col(MatchGroup.introduced_at) > introduced_after,
        )
        .order_by(col(MatchGroup.id))
    ).all()
    members = members_of(session, group_ids=[g.id for g in groups if g.id is not None])
    answers = answers_of(session, members=members)
    return [g for g in groups if worth_asking_again(answers[g.id or 0])]


def mark_asked_again(session: Session, *, group_id: int, at: datetime) -> bool:
    """Record the second ask, unless another process already did: True for the one that did."""
    result = session.execute(
        update(MatchGroup)
        .where(col(MatchGroup.id) == group_id, col(MatchGroup.follow_up_again_at).is_(None))
        .values(follow_up_again_at=at)
    )
    return bool(getattr(result, "rowcount", 0))


def did_not_meet(session: Session, *, running_only: bool = False) -> set[int]:
    """Groups asked the follow-up twice without anyone saying ``met``: they did not meet (a
    club's members are free for the next round). A later ``met`` takes a group out again."""
    query = select(MatchGroup.id, MatchGroup.status).where(
        col(MatchGroup.follow_up_again_at).is_not(None)
    )
    rows = [(gid, status) for gid, status in session.exec(query).all() if gid is not None]
    if running_only:
        rows = [(gid, status) for gid, status in rows if status in RUNNING]
    members = members_of(session, group_ids=[gid for gid, _ in rows])
    answers = answers_of(session, members=members)
    return {gid for gid, _ in rows if not met(answers[gid])}
