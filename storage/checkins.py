"""Check-ins of introduced groups, their answers, and coordinators' own prompts.

Every state change is a conditional UPDATE (``… WHERE status = 'scheduled'``) or an INSERT that
does nothing on conflict, so several processes may run the scheduler at once: each check-in is
sent, reminded and rounded up once, and its messages go through the outbox's dedupe keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from storage import follow_ups
from storage.db import insert_for
from storage.models import CheckIn, CheckInAnswer, CheckInPrompt, MatchGroup
from storage.rounds import RUNNING
from storage.types import utcnow

SCHEDULED, SENT, CLOSED, MISSED = "scheduled", "sent", "closed", "missed"
INTRODUCED = RUNNING


def schedule(
    session: Session, *, group_id: int, sequence: int, prompt_code: str, due_at: datetime
) -> bool:
    """Plan check-in number ``sequence`` of a group, unless another process already did."""
    insert = insert_for(session)
    statement = (
        insert(CheckIn)
        .values(
            group_id=group_id,
            sequence=sequence,
            prompt_code=prompt_code,
            due_at=due_at,
            status=SCHEDULED,
        )
        .on_conflict_do_nothing(index_elements=["group_id", "sequence"])
        .returning(col(CheckIn.id))
    )
    return session.execute(statement).first() is not None


def groups_without_plan(session: Session, *, limit: int = 500) -> Sequence[MatchGroup]:
    """Introduced groups with no check-in waiting to be sent."""
    planned = select(CheckIn.group_id).where(CheckIn.status == SCHEDULED)
    return session.exec(
        select(MatchGroup)
        .where(
            col(MatchGroup.status).in_(INTRODUCED),
            col(MatchGroup.introduced_at).is_not(None),
            col(MatchGroup.id).not_in(planned),
        )
        .order_by(col(MatchGroup.id))
        .limit(limit)
    ).all()


def histories(session: Session, *, group_ids: Sequence[int]) -> dict[int, list[CheckIn]]:
    found: dict[int, list[CheckIn]] = {gid: [] for gid in group_ids}
    rows = session.exec(
        select(CheckIn)
        .where(col(CheckIn.group_id).in_(list(group_ids)))
        .order_by(col(CheckIn.group_id), col(CheckIn.sequence))
    ).all()
    for row in rows:
        found[row.group_id].append(row)
    return found


def history(session: Session, *, group_id: int) -> Sequence[CheckIn]:
    return session.exec(
        select(CheckIn).where(CheckIn.group_id == group_id).order_by(col(CheckIn.sequence))
    ).all()


def due(session: Session, *, now: datetime, limit: int = 500) -> Sequence[CheckIn]:
    return session.exec(
        select(CheckIn)
        .where(CheckIn.status == SCHEDULED, CheckIn.due_at <= now)
        .order_by(col(CheckIn.due_at), col(CheckIn.id))
        .limit(limit)
    ).all()


def transition(
    session: Session, *, checkin_id: int, from_status: str, to_status: str, at: datetime
) -> bool:
    """Move a check-in on, if it is still where we think: True for the one process that did."""
    values: dict[str, object] = {"status": to_status}
    if to_status == SENT:
        values["sent_at"] = at
    if to_status in (CLOSED, MISSED):
        values["closed_at"] = at
    result = session.execute(
        update(CheckIn)
        .where(col(CheckIn.id) == checkin_id, col(CheckIn.status) == from_status)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def cancel_scheduled(session: Session, *, group_id: int, at: datetime) -> int:
    """A group that ended asks nothing more: its planned check-ins are never sent."""
    result = session.execute(
        update(CheckIn)
        .where(col(CheckIn.group_id) == group_id, col(CheckIn.status) == SCHEDULED)
        .values(status=MISSED, closed_at=at)
    )
    return int(getattr(result, "rowcount", 0))


def open_checkins(session: Session, *, after_id: int = 0, limit: int = 500) -> Sequence[CheckIn]:
    """Sent check-ins not yet rounded up, in id order after ``after_id``."""
    return session.exec(
        select(CheckIn)
        .where(CheckIn.status == SENT, col(CheckIn.id) > after_id)
        .order_by(col(CheckIn.id))
        .limit(limit)
    ).all()


def answers_of(
    session: Session, *, checkin_ids: Sequence[int]
) -> dict[int, dict[int, CheckInAnswer]]:
    """Answers by check-in, then by person."""
    found: dict[int, dict[int, CheckInAnswer]] = {cid: {} for cid in checkin_ids}
    for row in session.exec(
        select(CheckInAnswer).where(col(CheckInAnswer.checkin_id).in_(list(checkin_ids)))
    ).all():
        found.setdefault(row.checkin_id, {})[row.person_id] = row
    return found


def answers(session: Session, *, checkin_id: int) -> Sequence[CheckInAnswer]:
    return session.exec(
        select(CheckInAnswer)
        .where(CheckInAnswer.checkin_id == checkin_id)
        .order_by(col(CheckInAnswer.answered_at))
    ).all()


def record_answer(
    session: Session,
    *,
    checkin_id: int,
    person_id: int,
    status: str,
    text: str | None,
    shared: bool,
) -> CheckInAnswer:
    """Store (or replace) a member's answer."""
    row = session.get(CheckInAnswer, (checkin_id, person_id))
    if row is None:
        row = CheckInAnswer(checkin_id=checkin_id, person_id=person_id)
    row.status = status
    row.text = text
    row.shared = shared
    row.answered_at = utcnow()
    session.add(row)
    session.flush()
    return row


def add_prompt(
    session: Session, *, text_nl: str, text_en: str | None, created_by: str
) -> CheckInPrompt:
    prompt = CheckInPrompt(text_nl=text_nl, text_en=text_en, created_by=created_by)
    session.add(prompt)
    session.flush()
    return prompt


def custom_prompts(session: Session, *, active_only: bool = True) -> Sequence[CheckInPrompt]:
    query = select(CheckInPrompt).order_by(col(CheckInPrompt.id))
    if active_only:
        query = query.where(col(CheckInPrompt.active).is_(True))
    return session.exec(query).all()


def participation(session: Session) -> dict[str, int]:
    """Counts for the dashboard: check-ins sent, answers, skips and shared answers."""
    sent = session.exec(
        select(func.count()).select_from(CheckIn).where(col(CheckIn.status).in_((SENT, CLOSED)))
    ).one()
    rows = session.exec(select(CheckInAnswer.status, CheckInAnswer.shared)).all()
    return {
        "checkins": int(sent),
        "answered": sum(1 for status, _ in rows if status == "answered"),
        "skipped": sum(1 for status, _ in rows if status == "skipped"),
        "shared": sum(1 for status, shared in rows if status == "answered" and shared),
    }


def quiet_groups(session: Session, *, after: int = 2) -> list[int]:
    """Introduced groups whose last ``after`` closed check-ins got no answer from anyone, and
    running groups asked twice whether they met without a ``met`` (:func:`follow_ups.did_not_meet`):
    they seem to have stopped meeting (shown to coordinators; their members may be matched anew)."""
    closed = session.exec(
        select(CheckIn)
        .where(col(CheckIn.status) == CLOSED)
        .order_by(col(CheckIn.group_id), col(CheckIn.sequence).desc())
    ).all()
    answered = {
        checkin_id
        for checkin_id, status in session.exec(
            select(CheckInAnswer.checkin_id, CheckInAnswer.status)
        ).all()
        if status == "answered"
    }
    latest: dict[int, list[int]] = {}
    for checkin in closed:
        ids = latest.setdefault(checkin.group_id, [])
        if len(ids) < after and checkin.id is not None:
            ids.append(checkin.id)
    silent = {
        group_id
        for group_id, ids in latest.items()
        if len(ids) == after and not any(i in answered for i in ids)
    }
    return sorted(silent | follow_ups.did_not_meet(session, running_only=True))
