"""Group threads: the conversation of an introduced pair, trio or club (web chat)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from storage.models import GroupMember, GroupPost, MatchGroup
from storage.rounds import ENDED, RUNNING

#: Groups whose members have been introduced to each other (and that may have ended since:
#: a club that stopped, a pair that has new maatjes; their thread stays theirs).
INTRODUCED = (*RUNNING, *ENDED)


def has_thread(group: MatchGroup) -> bool:
    return group.status in INTRODUCED and group.introduced_at is not None


def groups_of_person(
    session: Session, *, person_id: int, ended: bool = False
) -> Sequence[MatchGroup]:
    """The running groups someone belongs to (with ``ended``: also those that ran and ended,
    whose thread they can still read), newest first."""
    return session.exec(
        select(MatchGroup)
        .join(GroupMember, col(GroupMember.group_id) == col(MatchGroup.id))
        .where(
            GroupMember.person_id == person_id,
            col(MatchGroup.status).in_(INTRODUCED if ended else RUNNING),
            col(MatchGroup.introduced_at).is_not(None),
        )
        .order_by(col(MatchGroup.id).desc())
    ).all()


def is_member(session: Session, *, group_id: int, person_id: int) -> bool:
    return session.get(GroupMember, (group_id, person_id)) is not None


def add_post(session: Session, *, group_id: int, person_id: int, body: str) -> GroupPost:
    post = GroupPost(group_id=group_id, person_id=person_id, body=body)
    session.add(post)
    session.flush()
    return post


def post_counts(session: Session, *, group_ids: Sequence[int]) -> dict[int, int]:
    """How many posts each thread has (one query, nothing loaded)."""
    rows = session.exec(
        select(GroupPost.group_id, func.count())
        .where(col(GroupPost.group_id).in_(list(group_ids)))
        .group_by(col(GroupPost.group_id))
    ).all()
    return {group_id: int(count) for group_id, count in rows}


def posts_of(session: Session, *, group_id: int, limit: int = 500) -> Sequence[GroupPost]:
    """The latest posts of a thread, oldest first."""
    latest = session.exec(
        select(GroupPost)
        .where(GroupPost.group_id == group_id)
        .order_by(col(GroupPost.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(latest))
