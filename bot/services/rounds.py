"""Match rounds: propose, review (approve, reject), introduce, tell who is left out, follow up.

Nothing reaches a person while their group is not approved: every message goes through the outbox,
and the outbox only gets an introduction when a coordinator approved that group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.core.conversation import MATCHING
from bot.core.i18n import format_day, translator
from bot.core.messages import Text, to_dict
from bot.services import learning, schedule
from bot.services.access import Access
from bot.services.accounts import Accounts
from bot.services.alternatives import Alternative, Assessment
from bot.services.errors import (
    MatchingUnavailable,
    NotAllowed,
    NotEnoughPeople,
    RoundClosed,
    UnknownRound,
)
from bot.services.group_conversations import GroupConversations, Introduced
from bot.services.introductions import club_joined, follow_up, introduction
from bot.services.rearranging import ReviewOptions, apply_alternative, review_options
from bot.settings_groups import RoundSettings
from storage import audit, checkins, consents, outbox, rounds
from storage.db import session_scope
from storage.models import Consent, MatchGroup, MatchRound, Person
from storage.types import utcnow

log = logging.getLogger(__name__)


class Proposer(Protocol):
    """Builds the groups of a new round (the matching engine, behind a service)."""

    @property
    def embedder_name(self) -> str: ...

    def propose(
        self, session: Session, *, kind: str
    ) -> tuple[list[rounds.NewGroup], dict[str, Any]]: ...

    def assess(self, session: Session, person_ids: Sequence[int]) -> Assessment: ...

    def unplaced(self, session: Session, placed: set[int], *, kind: str) -> list[int]: ...


class RoundService:
    def __init__(
        self,
        engine: Engine,
        settings: RoundSettings,
        *,
        proposer: Proposer | None = None,
        group_conversations: Mapping[str, GroupConversations] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.access = Access.from_settings(settings, granted=Accounts(engine).granted_role)
        self.proposer = proposer
        # by person.platform: what each platform adds to an introduction
        self.group_conversations = group_conversations if group_conversations is not None else {}
        self.clock = clock

    # --- permissions ---------------------------------------------------------------------------

    def _require_coordinator(
        self, session: Session, *, actor: str, action: str, origin: str, object_id: Any
    ) -> None:
        if self.access.is_coordinator(actor):
            return
        # one row per actor, action and hour with a count: anyone can ask in a chat, and a flood
        # of refusals must not bury the decisions in the audit trail
        audit.tally(
            session,
            actor=actor,
            action=action,
            object_type="round",
            result="refused",
            origin=origin,
            source=origin,
        )
        raise NotAllowed(actor)

    def refuse_if_not_coordinator(
        self, *, actor: str, action: str, origin: str, object_id: Any
    ) -> None:
        """Check a role in its own transaction, so the refusal's audit entry is kept."""
        with session_scope(self.engine) as session:
            try:
                self._require_coordinator(
                    session, actor=actor, action=action, origin=origin, object_id=object_id
                )
            except NotAllowed:
                session.commit()
                raise

    # --- proposing -----------------------------------------------------------------------------

    def schedule_slot(self, now: datetime | None = None) -> str:
        """The scheduling period ``now`` falls in: one round per period, whatever runs it."""
        return schedule.slot(now or self.clock(), self.settings.round_interval_days)

    def propose_scheduled(self) -> int | None:
        """Propose this period's round, unless one exists or another round still awaits review."""
        with Session(self.engine) as session:
            if rounds.open_rounds(session):
                return None
        try:
            return self.propose(
                actor="maatjes", origin="schedule", schedule_slot=self.schedule_slot()
            )
        except IntegrityError:  # another instance proposed this period's round first
            return None
        except NotEnoughPeople:  # everyone has a club (or nobody is there yet): next time
            log.info("scheduled round: nobody to place", extra={"slot": self.schedule_slot()})
            return None

    def propose(
        self,
        *,
        actor: str,
        origin: str,
        kind: str | None = None,
        schedule_slot: str | None = None,
    ) -> int:
        if self.proposer is None:
            raise MatchingUnavailable("no matching engine configured")
        if origin != "schedule":
            self.refuse_if_not_coordinator(
                actor=actor, action="propose", origin=origin, object_id=None
            )
        kind = kind or self.settings.round_kind
        with session_scope(self.engine) as session:
            groups, weights = self.proposer.propose(session, kind=kind)
            if not groups:
                raise NotEnoughPeople(kind)
            match_round = rounds.create_round(
                session,
                kind=kind,
                origin=origin,
                proposed_by=actor,
                embedder=self.proposer.embedder_name,
                weights=weights,
                groups=groups,
                schedule_slot=schedule_slot,
            )
            audit.record(
                session,
                actor=actor,
                action="propose",
                object_type="round",
                object_id=match_round.id,
                result="ok",
                origin=origin,
                detail={"groups": len(groups), "kind": kind},
            )
            assert match_round.id is not None
            return match_round.id

    # --- reviewing -----------------------------------------------------------------------------

    def _open_round(self, session: Session, round_id: int) -> MatchRound:
        match_round = rounds.get_round(session, round_id=round_id)
        if match_round is None:
            raise UnknownRound(round_id)
        if match_round.status not in rounds.OPEN_STATUSES:
            raise RoundClosed(match_round.status)
        return match_round

    def _targets(self, session: Session, round_id: int, position: int | None) -> list[MatchGroup]:
        groups = rounds.groups_of(session, round_id=round_id)
        if position is None:
            return [g for g in groups if g.status == "proposed"]
        chosen = [g for g in groups if g.position == position]
        if not chosen:
            raise UnknownRound(f"{round_id}/{position}")
        return [g for g in chosen if g.status == "proposed"]

    def approve(
        self, round_id: int, *, position: int | None = None, actor: str, origin: str
    ) -> list[int]:
        """Approve one group (or all remaining) and introduce it. Returns the approved positions."""
        self.refuse_if_not_coordinator(
            actor=actor, action="approve", origin=origin, object_id=round_id
        )
        now = self.clock()
        with session_scope(self.engine) as session:
            match_round = self._open_round(session, round_id)
            approved = []
            clubs = []
            for group in self._targets(session, round_id, position):
                group.status = "approved"
                group.decided_at = now
                session.add(group)
                _record_decision(
                    session,
                    group,
                    actor=actor,
                    origin=origin,
                    action="approve" if position is not None else "approve_all",
                    audited_as="approve",
                    at=now,
                )
                club = self._club_grown_by(session, group)
                if club is None:
                    self._introduce(session, group, now=now)
                else:
                    self._grow(session, club, group, now=now)
                clubs.append(club or group)
                approved.append(group.position)
            self._one_group_each(session, clubs, now=now)
            self._after_decision(session, match_round, now=now)
            return approved

    def reject(self, round_id: int, *, position: int, reason: str, actor: str, origin: str) -> None:
        self.refuse_if_not_coordinator(
            actor=actor, action="reject", origin=origin, object_id=round_id
        )
        now = self.clock()
        with session_scope(self.engine) as session:
            match_round = self._open_round(session, round_id)
            for group in self._targets(session, round_id, position):
                group.status = "rejected"
                group.reject_reason = reason[:1000]
                group.decided_at = now
                session.add(group)
                _record_decision(
                    session,
                    group,
                    actor=actor,
                    origin=origin,
                    action="reject",
                    reason=reason[:1000],
                    at=now,
                )
            self._after_decision(session, match_round, now=now)

    def _after_decision(self, session: Session, match_round: MatchRound, *, now: datetime) -> None:
        if match_round.reviewed_at is None:
            match_round.reviewed_at = now
        match_round.status = "under_review"
        assert match_round.id is not None
        groups = rounds.groups_of(session, round_id=match_round.id)
        if all(g.status != "proposed" for g in groups):
            self._close(session, match_round, groups, now=now)
        session.add(match_round)

    def _close(
        self,
        session: Session,
        match_round: MatchRound,
        groups: Sequence[MatchGroup],
        *,
        now: datetime,
    ) -> None:
        """Every group is decided: the round is done; whoever is in no approved group hears why."""
        match_round.status = "introduced"
        match_round.introduced_at = now
        members = rounds.members_of(session, group_ids=[g.id for g in groups if g.id is not None])
        placed = {
            p
            for g in groups
            if g.status in (*rounds.RUNNING, rounds.MERGED)
            for p in members[g.id or 0]
        }
        proposed = {p for g in groups for p in members[g.id or 0]}
        assert match_round.id is not None
        proposed |= {  # taken out of a group during review: they hear it too
            int(d.detail["member"])
            for d in rounds.decisions_of(session, round_id=match_round.id)
            if d.action == "replace" and d.detail.get("member") is not None
        }
        next_round = (now + timedelta(days=self.settings.round_interval_days)).date()
        for person_id in sorted(proposed - placed):
            person = session.get(Person, person_id)
            if person is None:
                continue
            t = translator(person.language)
            text = t("left_out.text", date=format_day(next_round, person.language))
            outbox.enqueue(
                session,
                dedupe_key=f"left_out:{match_round.id}:{person_id}",
                recipient_id=person_id,
                kind="left_out",
                payload={"messages": [to_dict(Text(text))]},
            )

    # --- swapping and moving ------------------------------------------------------------------

    def _sizes(self, kind: str) -> tuple[int, int]:
        if kind == "pairs":
            return 2, 3
        return self.settings.club_min_size, self.settings.club_max_size

    def _options(
        self, session: Session, round_id: int, *, position: int, member: int
    ) -> ReviewOptions:
        """The open round as it stands, and every valid change of ``member``, best first."""
        if self.proposer is None:
            raise MatchingUnavailable("no matching engine configured")
        match_round = self._open_round(session, round_id)
        return review_options(
            session,
            match_round,
            self.proposer,
            position=position,
            member=member,
            sizes=self._sizes(match_round.kind),
        )

    def alternatives(
        self, round_id: int, *, position: int, member: int, limit: int | None = 3
    ) -> list[Alternative]:
        """The best ways to swap or move one member of a proposed group, best first (every
        one with ``limit`` None: whoever the coordinator may pick, as ``--with`` takes)."""
        with Session(self.engine) as session:
            options = self._options(session, round_id, position=position, member=member).options
            return options[:limit]

    def rearrange(
        self,
        round_id: int,
        *,
        position: int,
        member: int,
        with_person: int | None = None,
        to_position: int | None = None,
        actor: str,
        origin: str,
    ) -> Alternative:
        """Apply one alternative (it must be one the review would offer). Returns what was done."""
        self.refuse_if_not_coordinator(
            actor=actor, action="rearrange", origin=origin, object_id=round_id
        )
        now = self.clock()
        with session_scope(self.engine) as session:
            found = self._options(session, round_id, position=position, member=member)
            chosen, detail = apply_alternative(
                session,
                found,
                position=position,
                member=member,
                with_person=with_person,
                to_position=to_position,
            )
            _record_decision(
                session,
                found.groups[position],
                actor=actor,
                origin=origin,
                action=chosen.kind,
                detail=detail,
                at=now,
            )
            match_round = found.match_round
            match_round.total_score = float(
                sum(g.score for g in rounds.groups_of(session, round_id=round_id))
            )
            if match_round.reviewed_at is None:
                match_round.reviewed_at = now
            match_round.status = "under_review"
            session.add(match_round)
            return chosen

    # --- introductions and follow-up -----------------------------------------------------------

    def _club_grown_by(self, session: Session, group: MatchGroup) -> MatchGroup | None:
        """The running club an approved proposal grows, if it still runs."""
        club_id = rounds.extended_club(group)
        club = session.get(MatchGroup, club_id) if club_id is not None else None
        if club is None or club.id == group.id or club.status not in rounds.RUNNING:
            return None  # the club ended meanwhile: the proposal becomes a club of its own
        return club

    def _grow(
        self, session: Session, club: MatchGroup, group: MatchGroup, *, now: datetime
    ) -> None:
        """An approved proposal that grows a running club: its newcomers join that club (one
        club, with its thread, check-ins and history), only they are introduced, and the
        members hear who joined. The proposal is kept, ``merged``, as the record of the review."""
        assert club.id is not None and group.id is not None
        proposed = rounds.members_of(session, group_ids=[group.id])[group.id]
        joined = rounds.join_club(session, club_id=club.id, person_ids=proposed, at=now)
        group.status = rounds.MERGED
        group.introduced_at = None
        session.add(group)
        if not joined:  # the newcomers left the proposal meanwhile: the club stays as it is
            return
        members = rounds.members_of(session, group_ids=[club.id])[club.id]
        consenting = set(  # who withdrew is not shown to newcomers and hears nothing more
            session.exec(
                consents.consenting_people(purpose=MATCHING).where(
                    col(Consent.person_id).in_(members)
                )
            ).all()
        )
        people = [
            p
            for p in (session.get(Person, pid) for pid in members)
            if p is not None and (p.id in consenting or p.id in joined)
        ]
        names = {p.id: p.name or "?" for p in people if p.id is not None}
        newcomers = [p for p in people if p.id in joined]
        for person in people:
            assert person.id is not None
            if person.id not in joined:
                outbox.enqueue(
                    session,
                    dedupe_key=f"club_joined:{club.id}:{group.id}:{person.id}",
                    recipient_id=person.id,
                    kind="club_joined",
                    payload={
                        "messages": [to_dict(m) for m in club_joined(person, newcomers)],
                        "group_id": club.id,
                    },
                )
                continue
            self._welcome(
                session, club, person, people, names, now=now, explanation=group.explanation
            )
        audit.record(
            session,
            actor="maatjes",
            action="grow_club",
            object_type="group",
            object_id=club.id,
            result="ok",
            origin="service",
            detail={"proposal": group.id, "joined": len(joined), "members": len(members)},
            at=now,
        )

    def _one_group_each(
        self, session: Session, approved: Sequence[MatchGroup], *, now: datetime
    ) -> None:
        """Whoever is in a group just approved is in no other running group of its sort: a
        club that went quiet and whose members were matched anew is dissolved, and a new
        maatje takes over from last round's (that pair is superseded). History stays."""
        ids = {g.id for g in approved if g.id is not None}
        if not ids:
            return
        members = rounds.members_of(session, group_ids=list(ids))
        in_club = {p for g in approved if g.kind == "club" for p in members[g.id or 0]}
        in_pair = {p for g in approved if g.kind != "club" for p in members[g.id or 0]}
        clubs = {g.id or 0: members[g.id or 0] for g in approved if g.kind == "club"}
        quiet = learning.released(session, placed=clubs) if in_club else set()
        for other in rounds.live_groups(session):
            if other.id in ids or other.status not in rounds.RUNNING:
                continue
            if other.kind == "club":
                if not in_club.intersection(other.members):
                    continue
                if other.id not in quiet:  # only data written before clubs grew in place
                    log.warning("members in two running clubs", extra={"club": other.id})
                    continue
                self._end(session, other.id, rounds.DISSOLVED, now=now)
            elif in_pair.intersection(other.members):
                self._end(session, other.id, rounds.SUPERSEDED, now=now)

    def _end(self, session: Session, group_id: int, status: str, *, now: datetime) -> None:
        ended = session.get(MatchGroup, group_id)
        assert ended is not None
        ended.status = status
        ended.decided_at = now
        session.add(ended)
        checkins.cancel_scheduled(session, group_id=group_id, at=now)
        audit.record(
            session,
            actor="maatjes",
            action="dissolve" if status == rounds.DISSOLVED else "supersede",
            object_type="group",
            object_id=group_id,
            result="ok",
            origin="service",
            at=now,
        )

    def _welcome(
        self,
        session: Session,
        group: MatchGroup,
        person: Person,
        people: Sequence[Person],
        names: dict[int, str],
        *,
        now: datetime,
        explanation: dict[str, Any] | None = None,
    ) -> None:
        """One member's introduction to ``group`` and, ``follow_up_days`` later, the question
        whether they met (the same for a new group and for a newcomer to a running club)."""
        assert person.id is not None
        platform = self.group_conversations.get(person.platform)
        extras = (
            platform.introduction_extras(
                session, Introduced(group, person, people, translator(person.language))
            )
            if platform is not None
            else []
        )
        messages = introduction(
            group, person, people, names, explanation=explanation, extras=extras
        )
        outbox.enqueue(
            session,
            dedupe_key=f"introduction:{group.id}:{person.id}",
            recipient_id=person.id,
            kind="introduction",
            payload={"messages": [to_dict(m) for m in messages], "group_id": group.id},
        )
        outbox.enqueue(
            session,
            dedupe_key=f"follow_up:{group.id}:{person.id}",
            recipient_id=person.id,
            kind="follow_up",
            payload={
                "messages": [to_dict(m) for m in follow_up(group, person, people)],
                "group_id": group.id,
            },
            not_before=now + timedelta(days=self.settings.follow_up_days),
        )

    def _introduce(self, session: Session, group: MatchGroup, *, now: datetime) -> None:
        assert group.id is not None
        member_ids = rounds.members_of(session, group_ids=[group.id])[group.id]
        people = [p for p in (session.get(Person, pid) for pid in member_ids) if p is not None]
        names = {p.id: p.name or "?" for p in people if p.id is not None}
        for person in people:
            self._welcome(session, group, person, people, names, now=now)
        group.status = "introduced"
        group.introduced_at = now
        session.add(group)
        audit.record(
            session,
            actor="maatjes",
            action="introduce",
            object_type="group",
            object_id=group.id,
            result="ok",
            origin="service",
            detail={"members": len(people)},
            at=now,
        )


def _record_decision(
    session: Session,
    group: MatchGroup,
    *,
    actor: str,
    origin: str,
    action: str,
    at: datetime,
    audited_as: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """A coordinator's decision on one group, in the round's review history and in the audit
    log. The audit log gets the detail but never the reason: that is free text."""
    rounds.record_decision(
        session,
        round_id=group.round_id,
        group_id=group.id,
        actor=actor,
        action=action,
        reason=reason,
        detail=detail,
        at=at,
    )
    audit.record(
        session,
        actor=actor,
        action=audited_as or action,
        object_type="group",
        object_id=group.id,
        result="ok",
        origin=origin,
        at=at,
        detail=detail,
    )
