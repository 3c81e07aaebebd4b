"""Reflection check-ins for introduced groups: plan, send, remind, round up — through the outbox.

``run_due(now)`` is idempotent and safe to run in several processes at once: planning inserts with
ON CONFLICT DO NOTHING, every state change is a conditional UPDATE that only one process wins, and
every message has a dedupe key in the outbox (check-in, kind, recipient). Missed check-ins (the
bot was down) are sent once within the grace period; older ones are marked missed and the next is
planned from now, so a long outage never floods anyone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.core.checkins import (
    AMSTERDAM,
    LIBRARY,
    Prompt,
    checkin_question,
    group_rhythm,
    next_check_in,
    next_prompt,
)
from bot.core.conversation import MATCHING, OpenCheckIn
from bot.core.i18n import join_list, translator
from bot.core.messages import Card, CardField, Text, to_dict
from bot.settings_groups import CheckInSettings
from storage import checkins, outbox, people, rounds
from storage.db import session_scope
from storage.models import (
    CheckIn,
    CheckInAnswer,
    Consent,
    GroupMember,
    MatchGroup,
    OutboxMessage,
    Person,
)
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class CheckInReport:
    planned: int = 0
    sent: int = 0
    missed: int = 0
    reminders: int = 0
    roundups: int = 0
    messages: int = 0
    delivery: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "checkins_sent": self.sent,
            "missed": self.missed,
            "reminders": self.reminders,
            "roundups": self.roundups,
            "enqueued": self.messages,
            "delivered": self.delivery.get("delivered", 0),
            "delivery": self.delivery,
        }


def prompts(session: Session) -> list[Prompt]:
    """The library, then coordinators' own questions (``own:<id>``)."""
    own = [
        Prompt(f"own:{p.id}", text_nl=p.text_nl, text_en=p.text_en)
        for p in checkins.custom_prompts(session)
    ]
    return [*LIBRARY, *own]


def prompt_by_code(
    session: Session, code: str, known: Mapping[str, Prompt] | None = None
) -> Prompt:
    """The prompt a check-in was planned with; ``known`` (code → prompt) saves the lookup."""
    if known is None:
        known = {prompt.code: prompt for prompt in prompts(session)}
    if code in known:
        return known[code]
    if code.startswith("own:"):  # a prompt switched off after it was planned
        from storage.models import CheckInPrompt

        row = session.get(CheckInPrompt, int(code[4:]))
        if row is not None:
            return Prompt(code, text_nl=row.text_nl, text_en=row.text_en)
    return LIBRARY[0]


class CheckInService:
    def __init__(
        self, engine: Engine, settings: CheckInSettings, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.batch = 200

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.settings.grace_hours)

    def run_due(self, now: datetime | None = None) -> CheckInReport:
        """Plan, send, remind and round up everything due at ``now`` (into the outbox).

        Work goes in batches, each its own short transaction, so another process (or the chat)
        never waits long for the database."""
        now = now or self.clock()
        report = CheckInReport()
        while True:
            with session_scope(self.engine) as session:
                planned, more = self._plan(session, now)
            report.planned += planned
            if not more or not planned:
                break
            self._yield()
        while True:
            with session_scope(self.engine) as session:
                if not self._send(session, now, report):
                    break
            self._yield()
        after = 0
        while True:
            with session_scope(self.engine) as session:
                after = self._remind_and_round_up(session, now, report, after=after)
            if not after:
                break
            self._yield()
        return report

    def _yield(self) -> None:
        """Between batches on SQLite, let a waiting writer (another process) in: its busy
        handler polls, and a process that starts its next transaction at once could starve it."""
        if self.engine.dialect.name == "sqlite":
            time.sleep(0.03)

    # --- bulk loading --------------------------------------------------------------------------

    def _load(
        self, session: Session, group_ids: Sequence[int], now: datetime
    ) -> tuple[dict[int, list[Person]], set[int]]:
        """Members of these groups, and which of them can be written to now (consent for
        matching, no pause on this Amsterdam day)."""
        members = rounds.members_of(session, group_ids=list(group_ids))
        ids = sorted({pid for ids in members.values() for pid in ids})
        persons = {
            p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids))).all()
        }
        consenting = set(
            session.exec(
                select(Consent.person_id).where(
                    col(Consent.person_id).in_(ids),
                    Consent.purpose == MATCHING,
                    col(Consent.given).is_(True),
                    col(Consent.withdrawn_at).is_(None),
                )
            ).all()
        )
        today = now.astimezone(AMSTERDAM).date()
        reachable = {
            pid
            for pid, person in persons.items()
            if pid is not None and pid in consenting and not people.is_paused(person, today=today)
        }
        by_group = {
            gid: [persons[pid] for pid in pids if pid in persons] for gid, pids in members.items()
        }
        return by_group, reachable

    # --- planning ------------------------------------------------------------------------------

    def _plan(self, session: Session, now: datetime) -> tuple[int, bool]:
        """Plan the next check-in of a batch of groups; returns (planned, maybe more)."""
        groups = checkins.groups_without_plan(session, limit=self.batch)
        if not groups:
            return 0, False
        available = prompts(session)
        ids = [g.id for g in groups if g.id is not None]
        members, _ = self._load(session, ids, now)
        histories = checkins.histories(session, group_ids=ids)
        planned = 0
        for group in groups:
            assert group.id is not None and group.introduced_at is not None
            past = histories.get(group.id, [])
            rhythm = group_rhythm(p.rhythm for p in members.get(group.id, []))
            after = max([group.introduced_at, *(c.sent_at or c.due_at for c in past)])
            if past and past[-1].status == checkins.MISSED:
                after = max(after, now - self.grace)
            asked = [c.prompt_code for c in past if c.status != checkins.MISSED]
            if checkins.schedule(
                session,
                group_id=group.id,
                sequence=len(past) + 1,
                prompt_code=next_prompt(available, asked).code,
                due_at=next_check_in(after, rhythm),
            ):
                planned += 1
        return planned, len(groups) == self.batch

    # --- sending -------------------------------------------------------------------------------

    def _send(self, session: Session, now: datetime, report: CheckInReport) -> bool:
        """Send one batch of due check-ins; False when nothing was due any more."""
        batch = checkins.due(session, now=now, limit=self.batch)
        if not batch:
            return False
        members, reachable = self._load(session, [c.group_id for c in batch], now)
        groups = {
            g.id: g
            for g in session.exec(
                select(MatchGroup).where(col(MatchGroup.id).in_([c.group_id for c in batch]))
            ).all()
        }
        known = {prompt.code: prompt for prompt in prompts(session)}
        for checkin in batch:
            assert checkin.id is not None
            if checkin.due_at < now - self.grace:
                if checkins.transition(
                    session,
                    checkin_id=checkin.id,
                    from_status=checkins.SCHEDULED,
                    to_status=checkins.MISSED,
                    at=now,
                ):
                    report.missed += 1
                continue
            if not checkins.transition(
                session,
                checkin_id=checkin.id,
                from_status=checkins.SCHEDULED,
                to_status=checkins.SENT,
                at=now,
            ):
                continue  # another process sent it
            report.sent += 1
            group_members = members.get(checkin.group_id, [])
            prompt = prompt_by_code(session, checkin.prompt_code, known)
            for person in group_members:
                if person.id not in reachable:
                    continue
                messages = checkin_messages(
                    checkin, prompt, person, group_members, groups.get(checkin.group_id)
                )
                if _enqueue(session, "checkin", checkin, person, messages, now):
                    report.messages += 1
        return True

    def _remind_and_round_up(
        self, session: Session, now: datetime, report: CheckInReport, *, after: int
    ) -> int:
        """One batch of sent check-ins (ids above ``after``): round up what is over, remind who
        has not answered. Returns the last id handled, or 0 when there was nothing left."""
        remind_after = timedelta(days=self.settings.reminder_days)
        close_after = timedelta(days=self.settings.answer_days)
        batch = checkins.open_checkins(session, after_id=after, limit=self.batch)
        if not batch:
            return 0
        members, reachable = self._load(session, [c.group_id for c in batch], now)
        keys = [
            _key("checkin", c.id or 0, p.id or 0)
            for c in batch
            for p in members.get(c.group_id, [])
        ]
        asked_keys = set(
            session.exec(
                select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(keys))
            ).all()
        )
        all_answers = checkins.answers_of(session, checkin_ids=[c.id or 0 for c in batch])
        known = {prompt.code: prompt for prompt in prompts(session)}
        for checkin in batch:
            assert checkin.id is not None and checkin.sent_at is not None
            group_members = members.get(checkin.group_id, [])
            asked = [
                p for p in group_members if _key("checkin", checkin.id, p.id or 0) in asked_keys
            ]
            answers = all_answers.get(checkin.id, {})
            everyone_answered = bool(asked) and all(p.id in answers for p in asked)
            if now >= checkin.sent_at + close_after or everyone_answered:
                if checkins.transition(
                    session,
                    checkin_id=checkin.id,
                    from_status=checkins.SENT,
                    to_status=checkins.CLOSED,
                    at=now,
                ):
                    report.roundups += 1
                    prompt = prompt_by_code(session, checkin.prompt_code, known)
                    for person in asked:
                        if person.id not in reachable:
                            continue
                        messages = roundup_messages(
                            prompt, person, group_members, answers, len(asked)
                        )
                        if _enqueue(session, "checkin_roundup", checkin, person, messages, now):
                            report.messages += 1
                continue
            if now < checkin.sent_at + remind_after:
                continue
            prompt = prompt_by_code(session, checkin.prompt_code, known)
            for person in asked:
                if person.id in answers or person.id not in reachable:
                    continue
                t = translator(person.language)
                reminder = [
                    to_dict(Text(t("checkin.reminder"))),
                    *checkin_messages(checkin, prompt, person, group_members, None),
                ]
                if _enqueue(session, "checkin_reminder", checkin, person, reminder, now):
                    report.reminders += 1
                    report.messages += 1
        return batch[-1].id or 0


def _key(kind: str, checkin_id: int, person_id: int) -> str:
    """The outbox dedupe key of a check-in message: (kind, check-in, person)."""
    return f"{kind.replace('_', '-')}:{checkin_id}:{person_id}"


def _enqueue(
    session: Session,
    kind: str,
    checkin: CheckIn,
    person: Person,
    messages: list[dict[str, Any]],
    now: datetime,
) -> bool:
    """One message about a check-in to one member, once: the key is (kind, check-in, person)."""
    assert person.id is not None
    return outbox.enqueue(
        session,
        dedupe_key=_key(kind, checkin.id or 0, person.id),
        recipient_id=person.id,
        kind=kind,
        payload={"messages": messages},
        not_before=now,
    )


def answerable(session: Session, *, person: Person, checkin_id: int) -> bool:
    """Whether this person may answer this check-in: it was sent to their group."""
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or person.id is None:
        return False
    if checkin.status not in (checkins.SENT, checkins.CLOSED):
        return False
    members = rounds.members_of(session, group_ids=[checkin.group_id]).get(checkin.group_id, [])
    return person.id in members


def open_for(session: Session, *, person: Person) -> OpenCheckIn | None:
    """The latest check-in question sent to this person that is still open and that they have
    neither answered nor skipped: a typed reply answers it, and its buttons are offered again."""
    if person.id is None:
        return None
    answered = select(CheckInAnswer.checkin_id).where(CheckInAnswer.person_id == person.id)
    rows = session.exec(
        select(CheckIn)
        .join(GroupMember, col(GroupMember.group_id) == col(CheckIn.group_id))
        .where(
            GroupMember.person_id == person.id,
            CheckIn.status == checkins.SENT,
            col(CheckIn.id).not_in(answered),
        )
        .order_by(col(CheckIn.sent_at).desc(), col(CheckIn.id).desc())
    ).all()
    for checkin in rows:
        assert checkin.id is not None
        sent = session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.dedupe_key == _key("checkin", checkin.id, person.id)
            )
        ).first()
        if sent is None:  # not asked of this person (paused, or no consent, at the time)
            continue
        prompt = prompt_by_code(session, checkin.prompt_code)
        t = translator(person.language)
        return OpenCheckIn(checkin.id, prompt.text(person.language, t), prompt.updates)
    return None


def record_answer(
    session: Session,
    *,
    person: Person,
    checkin_id: int,
    status: str,
    text: str | None,
    shared: bool,
) -> bool:
    """Store a member's answer (late answers too: nothing typed is lost; the round-up that was
    already sent stays as it was). False if the check-in is unknown or not theirs."""
    if not answerable(session, person=person, checkin_id=checkin_id):
        return False
    assert person.id is not None
    checkins.record_answer(
        session,
        checkin_id=checkin_id,
        person_id=person.id,
        status=status,
        text=text,
        shared=shared and status == "answered",
    )
    return True


def checkin_messages(
    checkin: CheckIn,
    prompt: Prompt,
    person: Person,
    members: Sequence[Person],
    group: MatchGroup | None,
) -> list[dict[str, Any]]:
    t = translator(person.language)
    others = [m.name or "?" for m in members if m.id != person.id]
    kind = t(f"dashboard.kind.{group.kind}").lower() if group is not None else ""
    intro = (
        t("checkin.intro", kind=kind, names=join_list(others, person.language))
        if group is not None and others
        else t("checkin.intro_alone")
    )
    assert checkin.id is not None
    question = checkin_question(
        t, OpenCheckIn(checkin.id, prompt.text(person.language, t), prompt.updates)
    )
    return [to_dict(Text(intro)), to_dict(question)] if group is not None else [to_dict(question)]


def roundup_messages(
    prompt: Prompt,
    person: Person,
    members: Sequence[Person],
    answers: dict[int, Any],
    asked: int,
) -> list[dict[str, Any]]:
    t = translator(person.language)
    names = {m.id: m.name or "?" for m in members}
    answered = [a for a in answers.values() if a.status == "answered"]
    shared = [a for a in answered if a.shared and a.text]
    messages: list[Any] = [
        Text(t("checkin.roundup.count", answered=len(answered), members=asked, shared=len(shared)))
    ]
    if shared:
        messages.insert(
            0,
            Card(
                title=t("checkin.roundup.title", prompt=prompt.text(person.language, t)),
                fields=tuple(
                    CardField(label=names.get(a.person_id, "?"), value=a.text) for a in shared
                ),
            ),
        )
    else:
        messages.append(Text(t("checkin.roundup.none")))
    return [to_dict(m) for m in messages]
