"""What the answers to "hebben jullie elkaar gesproken?" come to: the counts per group (the
command line's ``round show`` and the dashboard's round page read the same ones), the meeting
rate per round, and the second and last ask to a group that did not meet.

A member's latest answer counts, once; a member who did not answer is ``no_answer``, so the
counts add up to the group's size. The reasons people gave are for coordinators only: they are
never logged, and the matcher never sees or quotes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.core.conversation import MATCHING
from bot.core.messages import to_dict
from bot.services.introductions import follow_up
from bot.services.views import FollowUpCounts, FollowUpReason, MeetingRate
from bot.settings_groups import RoundSettings
from storage import audit, consents, follow_ups, outbox, rounds
from storage.db import session_scope
from storage.models import Consent, FollowUpAnswer, MatchGroup, MatchRound, Person
from storage.types import utcnow

#: Groups whose members were introduced: their follow-up counts in the meeting rate.
INTRODUCED = (*rounds.RUNNING, *rounds.ENDED, rounds.MERGED)


def _answer_group(group: MatchGroup) -> int:
    """Where a group's members answer: a proposal that grew a club was introduced as that club."""
    assert group.id is not None
    if group.status == rounds.MERGED:
        return rounds.extended_club(group) or group.id
    return group.id


def follow_up_counts(session: Session, groups: Sequence[MatchGroup]) -> dict[int, FollowUpCounts]:
    """The counts of each group (by id), over its members as they are now."""
    ids = [g.id for g in groups if g.id is not None]
    members = rounds.members_of(session, group_ids=ids)
    answered_in = {_answer_group(g) for g in groups if g.id is not None}
    rows = session.exec(
        select(FollowUpAnswer).where(col(FollowUpAnswer.group_id).in_(list(answered_in)))
    ).all()
    by_group: dict[int, dict[int, FollowUpAnswer]] = {}
    for row in rows:
        by_group.setdefault(row.group_id, {})[row.person_id] = row
    found: dict[int, FollowUpCounts] = {}
    for group in groups:
        if group.id is None:
            continue
        answers = by_group.get(_answer_group(group), {})
        given = [answers[p] for p in members[group.id] if p in answers]
        tally = {a: sum(1 for g in given if g.answer == a) for a in ("met", "not_yet", "not_a_fit")}
        found[group.id] = FollowUpCounts(
            **tally,
            no_answer=len(members[group.id]) - sum(tally.values()),
            asked_again=group.follow_up_again_at is not None,
            reasons=tuple(
                FollowUpReason(g.answer, g.reason)
                for g in sorted(given, key=lambda g: g.at)
                if g.reason
            ),
        )
    return found


def meeting_rates(session: Session, *, limit: int = 12) -> list[MeetingRate]:
    """The meeting rate of the latest ``limit`` rounds that introduced anyone, oldest first."""
    recent = session.exec(
        select(MatchRound)
        .where(col(MatchRound.introduced_at).is_not(None))
        .order_by(col(MatchRound.id).desc())
        .limit(limit)
    ).all()
    found = []
    for match_round in reversed(recent):
        assert match_round.id is not None
        groups = [
            g for g in rounds.groups_of(session, round_id=match_round.id) if g.status in INTRODUCED
        ]
        counts = follow_up_counts(session, groups).values()
        found.append(
            MeetingRate(
                round_id=match_round.id,
                created_at=match_round.created_at,
                members=sum(c.size for c in counts),
                met=sum(c.met for c in counts),
                answered=sum(c.size - c.no_answer for c in counts),
            )
        )
    return found


class FollowUps:
    """The second and last "hebben jullie elkaar gesproken?" for a group that did not meet."""

    def __init__(
        self, engine: Engine, settings: RoundSettings, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    def ask_again(self, now: datetime | None = None) -> int:
        """Ask the groups whose follow-up is ``follow_up_again_days`` old without a ``met`` (and
        with a ``not yet``, or no answer at all) once more. A group is asked at most twice: the
        mark and the messages are one transaction, and the mark is a conditional UPDATE, so two
        processes never both ask. A group more than one interval late (introduced before this
        existed, or the bot was down) is left alone. Returns how many groups were asked."""
        now = now or self.clock()
        first = timedelta(days=self.settings.follow_up_days)
        again = timedelta(days=self.settings.follow_up_again_days)
        with Session(self.engine) as session:
            due = follow_ups.due_again(
                session,
                introduced_before=now - first - again,
                introduced_after=now - first - 2 * again,
            )
            due_ids = [g.id for g in due if g.id is not None]
        return sum(1 for group_id in due_ids if self._ask_again(group_id, now=now))

    def _ask_again(self, group_id: int, *, now: datetime) -> bool:
        with session_scope(self.engine) as session:
            group = session.get(MatchGroup, group_id)
            if group is None:
                return False
            members = rounds.members_of(session, group_ids=[group_id])
            answers = follow_ups.answers_of(session, members=members)[group_id]
            if not follow_ups.worth_asking_again(answers):  # answered meanwhile
                return False
            if not follow_ups.mark_asked_again(session, group_id=group_id, at=now):
                return False  # another process asked
            consenting = set(
                session.exec(
                    consents.consenting_people(purpose=MATCHING).where(
                        col(Consent.person_id).in_(members[group_id])
                    )
                ).all()
            )
            people = [p for p in (session.get(Person, pid) for pid in members[group_id]) if p]
            asked = 0
            for person in people:
                assert person.id is not None
                answer = answers.get(person.id)
                if person.id not in consenting or (answer and answer.answer != "not_yet"):
                    continue  # withdrew, or said it did not fit: not asked again
                outbox.enqueue(
                    session,
                    dedupe_key=f"follow_up_again:{group_id}:{person.id}",
                    recipient_id=person.id,
                    kind="follow_up",
                    payload={
                        "messages": [
                            to_dict(m) for m in follow_up(group, person, people, again=True)
                        ],
                        "group_id": group_id,
                    },
                )
                asked += 1
            audit.record(
                session,
                actor="maatjes",
                action="ask_follow_up_again",
                object_type="group",
                object_id=group_id,
                result="ok",
                origin="schedule",
                detail={"asked": asked},
                at=now,
            )
            return True
