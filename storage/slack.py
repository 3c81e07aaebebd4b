"""Slack state: installations (multi-workspace OAuth), members' workspaces and DM channels, and
each introduced group's Slack conversation. Plain functions over a session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, delete, select

from storage.db import insert_for
from storage.models import SlackGroupChannel, SlackInstallation, SlackMember
from storage.types import utcnow


def save_installation(
    session: Session,
    *,
    enterprise_id: str | None,
    team_id: str | None,
    is_enterprise_install: bool,
    user_id: str | None,
    data: dict[str, Any],
    installed_at: datetime | None = None,
) -> None:
    """Keep every installation; the latest one of a workspace is the one in use."""
    session.add(
        SlackInstallation(
            enterprise_id=enterprise_id,
            team_id=None if is_enterprise_install else team_id,
            is_enterprise_install=is_enterprise_install,
            user_id=user_id,
            data=data,
            installed_at=installed_at or utcnow(),
        )
    )
    session.flush()


def latest_installation(
    session: Session,
    *,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, Any] | None:
    """The newest installation of a workspace (or of the organisation, for org-wide installs)."""
    query = select(SlackInstallation).where(
        col(SlackInstallation.enterprise_id).is_(None)
        if enterprise_id is None
        else col(SlackInstallation.enterprise_id) == enterprise_id
    )
    if is_enterprise_install:
        query = query.where(col(SlackInstallation.is_enterprise_install).is_(True))
    else:
        query = query.where(
            col(SlackInstallation.team_id).is_(None)
            if team_id is None
            else col(SlackInstallation.team_id) == team_id
        )
    if user_id is not None:
        query = query.where(col(SlackInstallation.user_id) == user_id)
    found = session.exec(
        query.order_by(col(SlackInstallation.installed_at).desc(), col(SlackInstallation.id).desc())
    ).first()
    return dict(found.data) if found is not None else None


def delete_installations(
    session: Session, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
) -> int:
    statement = delete(SlackInstallation).where(
        col(SlackInstallation.enterprise_id).is_(None)
        if enterprise_id is None
        else col(SlackInstallation.enterprise_id) == enterprise_id,
        col(SlackInstallation.team_id).is_(None)
        if team_id is None
        else col(SlackInstallation.team_id) == team_id,
    )
    if user_id is not None:
        statement = statement.where(col(SlackInstallation.user_id) == user_id)
    result = session.connection().execute(statement)
    return int(result.rowcount or 0)


def forget_user_tokens(
    session: Session, *, enterprise_id: str | None, team_id: str | None, user_id: str
) -> None:
    """A person revoked their own token: drop it, but keep the workspace's bot installation."""
    rows = session.exec(
        select(SlackInstallation).where(
            col(SlackInstallation.user_id) == user_id,
            col(SlackInstallation.enterprise_id).is_(None)
            if enterprise_id is None
            else col(SlackInstallation.enterprise_id) == enterprise_id,
            col(SlackInstallation.team_id).is_(None)
            if team_id is None
            else col(SlackInstallation.team_id) == team_id,
        )
    ).all()
    for row in rows:
        row.data = {
            **row.data,
            "user_token": None,
            "user_refresh_token": None,
            "user_token_expires_at": None,
            "user_scopes": None,
        }
        session.add(row)


def remember_member(
    session: Session,
    *,
    user_id: str,
    team_id: str | None,
    enterprise_id: str | None,
    dm_channel: str | None = None,
) -> None:
    """Insert or update where a member lives; a known DM channel is kept when none is given."""
    now = utcnow()
    values: dict[str, Any] = {
        "user_id": user_id,
        "team_id": team_id,
        "enterprise_id": enterprise_id,
        "updated_at": now,
    }
    changed = {"team_id": team_id, "enterprise_id": enterprise_id, "updated_at": now}
    if dm_channel is not None:
        values["dm_channel"] = dm_channel
        changed["dm_channel"] = dm_channel
    insert = insert_for(session)
    statement = insert(SlackMember).values(**values)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=changed))


def member(session: Session, *, user_id: str) -> SlackMember | None:
    return session.get(SlackMember, user_id)


def group_channel(session: Session, *, group_id: int) -> SlackGroupChannel | None:
    return session.get(SlackGroupChannel, group_id)


def record_group_channel(
    session: Session, *, group_id: int, channel_id: str, kind: str, members: Sequence[str]
) -> str:
    """Store a group's conversation unless one exists; returns the channel in use either way."""
    insert = insert_for(session)
    session.execute(
        insert(SlackGroupChannel)
        .values(
            group_id=group_id,
            channel_id=channel_id,
            kind=kind,
            members=users_key(members),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["group_id"])
    )
    stored = session.get(SlackGroupChannel, group_id)
    assert stored is not None
    session.refresh(stored)
    return stored.channel_id


def grow_group_channel(
    session: Session,
    *,
    group_id: int,
    was: str,
    channel_id: str,
    kind: str,
    members: Sequence[str],
    joined: Sequence[str] | None,
    previous_channel: str | None,
) -> bool:
    """Move a group's conversation on to a larger member set, with its greeting pending again.
    Only from the member set ``was`` (compare and set), so of several instances growing it at
    once exactly one does; the others read what it stored."""
    held = col(SlackGroupChannel.members)
    result = session.execute(
        update(SlackGroupChannel)
        .where(
            col(SlackGroupChannel.group_id) == group_id,
            # none recorded: written by a version that did not keep members (during an upgrade)
            or_(held == was, held.is_(None)) if was == "" else held == was,
        )
        .values(
            channel_id=channel_id,
            kind=kind,
            members=users_key(members),
            joined=users_key(joined) if joined is not None else None,
            previous_channel=previous_channel,
            greeted_at=None,
        )
    )
    return bool(getattr(result, "rowcount", 0))


def users_key(users: Iterable[str]) -> str:
    """A set of Slack user ids as stored (and compared): sorted, comma-separated."""
    return ",".join(sorted(set(users)))


def users_of(key: str | None) -> list[str]:
    return [u for u in (key or "").split(",") if u]


def claim_greeting(
    session: Session,
    *,
    group_id: int,
    members: Sequence[str] | None = None,
    at: datetime | None = None,
) -> bool:
    """True for the one caller that may post the group's greeting (of the conversation for
    these members: one who read it before it grew does not greet the old one)."""
    statement = update(SlackGroupChannel).where(
        col(SlackGroupChannel.group_id) == group_id, col(SlackGroupChannel.greeted_at).is_(None)
    )
    if members is not None:
        statement = statement.where(col(SlackGroupChannel.members) == users_key(members))
    result = session.execute(statement.values(greeted_at=at or utcnow()))
    return bool(getattr(result, "rowcount", 0))


def release_greeting(session: Session, *, group_id: int) -> None:
    """The welcome could not be posted: let the next delivery try again."""
    session.execute(
        update(SlackGroupChannel)
        .where(col(SlackGroupChannel.group_id) == group_id)
        .values(greeted_at=None)
    )
