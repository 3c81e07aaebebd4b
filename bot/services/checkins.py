"""Reflection check-ins for introduced groups: plan, send, remind, round up — through the outbox.

``run_due(now)`` is idempotent and safe to run in several processes at once: planning inserts with
ON CONFLICT DO NOTHING, every state change is a conditional UPDATE that only one process wins, and
every message has a dedupe key in the outbox (check-in, kind, recipient). Missed check-ins (the
bot was down) are sent once within the grace period; older ones are marked missed and the next is
planned from now, so a long outage never floods anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.checkins import (
    AMSTERDAM,
    LIBRARY,
    Prompt,
    group_rhythm,
    next_check_in,
    next_prompt,
)
from bot.core.i18n import translator
from bot.core.intake import MATCHING
from bot.core.messages import Card, CardField, Choice, Question, Text, to_dict
from bot.settings import Settings
from storage import checkins, consents, outbox, people, rounds
from storage.db import session_scope
from storage.models import CheckIn, MatchGroup, Person
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


def prompt_by_code(session: Session, code: str) -> Prompt:
    for prompt in prompts(session):
        if prompt.code == code:
            return prompt
    if code.startswith("own:"):  # a prompt switched off after it was planned
        from storage.models import CheckInPrompt

        row = session.get(CheckInPrompt, int(code[4:]))
        if row is not None:
            return Prompt(code, text_nl=row.text_nl, text_en=row.text_en)
    return LIBRARY[0]


class CheckInService:
    def __init__(
        self, engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.settings.checkin_grace_hours)

    def run_due(self, now: datetime | None = None) -> CheckInReport:
        """Plan, send, remind and round up everything due at ``now`` (into the outbox)."""
        now = now or self.clock()
        report = CheckInReport()
        with session_scope(self.engine) as session:
            report.planned = self._plan(session, now)
        with session_scope(self.engine) as session:
            self._send(session, now, report)
        with session_scope(self.engine) as session:
            self._remind_and_round_up(session, now, report)
        return report

    # --- planning ------------------------------------------------------------------------------

    def _plan(self, session: Session, now: datetime) -> int:
        planned = 0
        available = prompts(session)
        for group in checkins.groups_without_plan(session):
            assert group.id is not None and group.introduced_at is not None
            past = checkins.history(session, group_id=group.id)
            members = self._members(session, group.id)
            rhythm = group_rhythm(p.rhythm for p in members)
            after = max(
                [group.introduced_at, *(c.sent_at or c.due_at for c in past)],
            )
            if past and past[-1].status == checkins.MISSED:
                after = max(after, now - self.grace)
            due = next_check_in(after, rhythm)
            asked = [c.prompt_code for c in past if c.status != checkins.MISSED]
            prompt = next_prompt(available, asked)
            if checkins.schedule(
                session,
                group_id=group.id,
                sequence=len(past) + 1,
                prompt_code=prompt.code,
                due_at=due,
            ):
                planned += 1
        return planned

    # --- sending -------------------------------------------------------------------------------

    def _members(self, session: Session, group_id: int) -> list[Person]:
        ids = rounds.members_of(session, group_ids=[group_id])[group_id]
        return [p for p in (session.get(Person, pid) for pid in ids) if p is not None]

    def _reachable(self, session: Session, person: Person, now: datetime) -> bool:
        """Consent for matching, and no pause on this (Amsterdam) day."""
        assert person.id is not None
        today = now.astimezone(AMSTERDAM).date()
        return consents.has_consent(
            session, person_id=person.id, purpose=MATCHING
        ) and not people.is_paused(person, today=today)

    def _send(self, session: Session, now: datetime, report: CheckInReport) -> None:
        for checkin in checkins.due(session, now=now):
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
            group = session.get(MatchGroup, checkin.group_id)
            members = self._members(session, checkin.group_id)
            prompt = prompt_by_code(session, checkin.prompt_code)
            for person in members:
                if not self._reachable(session, person, now):
                    continue
                assert person.id is not None
                messages = checkin_messages(checkin, prompt, person, members, group)
                if outbox.enqueue(
                    session,
                    dedupe_key=f"checkin:{checkin.id}:{person.id}",
                    recipient_id=person.id,
                    kind="checkin",
                    payload={"messages": messages},
                    not_before=now,
                ):
                    report.messages += 1

    def _remind_and_round_up(self, session: Session, now: datetime, report: CheckInReport) -> None:
        remind_after = timedelta(days=self.settings.checkin_reminder_days)
        close_after = timedelta(days=self.settings.checkin_answer_days)
        for checkin in checkins.open_checkins(session):
            assert checkin.id is not None and checkin.sent_at is not None
            members = self._members(session, checkin.group_id)
            asked = [p for p in members if outbox_has(session, f"checkin:{checkin.id}:{p.id}")]
            answers = {a.person_id: a for a in checkins.answers(session, checkin_id=checkin.id)}
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
                    prompt = prompt_by_code(session, checkin.prompt_code)
                    for person in asked:
                        if not self._reachable(session, person, now):
                            continue
                        assert person.id is not None
                        messages = roundup_messages(prompt, person, members, answers, len(asked))
                        if outbox.enqueue(
                            session,
                            dedupe_key=f"checkin-roundup:{checkin.id}:{person.id}",
                            recipient_id=person.id,
                            kind="checkin_roundup",
                            payload={"messages": messages},
                            not_before=now,
                        ):
                            report.messages += 1
                continue
            if now >= checkin.sent_at + remind_after:
                for person in asked:
                    if person.id in answers or not self._reachable(session, person, now):
                        continue
                    assert person.id is not None
                    t = translator(person.language)
                    if outbox.enqueue(
                        session,
                        dedupe_key=f"checkin-reminder:{checkin.id}:{person.id}",
                        recipient_id=person.id,
                        kind="checkin_reminder",
                        payload={
                            "messages": [
                                to_dict(Text(t("checkin.reminder"))),
                                *checkin_messages(
                                    checkin,
                                    prompt_by_code(session, checkin.prompt_code),
                                    person,
                                    members,
                                    None,
                                ),
                            ]
                        },
                        not_before=now,
                    ):
                        report.reminders += 1
                        report.messages += 1


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
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or person.id is None:
        return False
    if checkin.status not in (checkins.SENT, checkins.CLOSED):
        return False
    members = rounds.members_of(session, group_ids=[checkin.group_id])[checkin.group_id]
    if person.id not in members:
        return False
    checkins.record_answer(
        session,
        checkin_id=checkin_id,
        person_id=person.id,
        status=status,
        text=text,
        shared=shared and status == "answered",
    )
    return True


def outbox_has(session: Session, dedupe_key: str) -> bool:
    from sqlmodel import select

    from storage.models import OutboxMessage

    return (
        session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)).first()
        is not None
    )


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
        t("checkin.intro", kind=kind, names=", ".join(others))
        if group is not None and others
        else t("checkin.intro_alone")
    )
    answer = f"checkin:{checkin.id}:answer" + (f":{prompt.updates}" if prompt.updates else "")
    question = Question(
        text=prompt.text(person.language, t),
        step="checkin",
        choices=(
            Choice(answer, t("checkin.answer")),
            Choice(f"checkin:{checkin.id}:skip", t("checkin.skip")),
        ),
        free_text=False,
        hint=t("checkin.privacy"),
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
