"""The conversation use case: load a person's state, let the core answer, store the effects.

Each turn is one database transaction, so an answer and the step it moves to are stored together
or not at all: a crash never loses what a person entered, nor skips a question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.actions import CheckInAnswer, CheckInSkip, decode
from bot.core.conversation import MATCHING, PURPOSES, SHARING, ConsentStatus, Conversation
from bot.core.dialogue import Intake
from bot.core.effects import (
    AnswerGiven,
    CheckInAnswered,
    ConsentDecided,
    ConsentWithdrawn,
    Effect,
    ErasureRequested,
    ExportRequested,
    FollowUpAnswered,
    FollowUpReasonGiven,
    LanguageChosen,
    MailChosen,
    PauseChanged,
    ProfileCommitted,
    ReviewDecided,
    ReviewRequested,
    RoundRequested,
    SwapRequested,
)
from bot.core.i18n import Translate, normalise_language, translator
from bot.core.messages import Account, Inbound, Outbound, Question, Text, Turn, from_dict
from bot.core.review import alternatives_card, review_messages, swap_member_card
from bot.services import checkins as checkin_service
from bot.services import schedule
from bot.services.delivery import REPLY
from bot.services.errors import MatchingUnavailable, NotAllowed, RoundClosed, UnknownRound
from bot.services.privacy import LinkInvalid, PrivacyService
from bot.services.round_views import alternative_names, round_view
from bot.services.rounds import RoundService
from bot.services.throttle import TurnLimiter
from storage import consents, follow_ups, inbox, outbox, people, rounds
from storage import privacy as privacy_store
from storage.db import session_scope
from storage.models import Person
from storage.types import utcnow

log = logging.getLogger(__name__)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Who opens the chat again after this long without a turn is welcomed back (not on a reload).
AWAY = timedelta(hours=1)


def language_of(engine: Engine, account: Account, *, default: str) -> str:
    """The person's chosen language; before they chose, the platform's locale; else ``default``."""
    with Session(engine) as session:
        person = people.get_person(
            session, platform=account.platform, platform_user_id=account.user_id
        )
        if person is not None:
            return person.language
    return normalise_language(account.locale) or default


class ConversationService:
    def __init__(
        self,
        engine: Engine,
        intake: Intake,
        *,
        default_language: str = "nl",
        clock: Callable[[], datetime] = utcnow,
        rounds: RoundService | None = None,
        on_profile_committed: Callable[[int], None] | None = None,
        privacy: PrivacyService | None = None,
        limiter: TurnLimiter | None = None,
    ) -> None:
        self.engine = engine
        self.intake = intake
        self.default_language = default_language
        self.clock = clock
        self.rounds = rounds
        self.on_profile_committed = on_profile_committed
        self.privacy = privacy
        self.limiter = limiter

    def today(self) -> date:
        return self.clock().astimezone(AMSTERDAM).date()

    def handle(self, account: Account, inbound: Inbound) -> Turn:
        try:
            if self.limiter is not None and not self.limiter.allow(account):
                log.warning("turn rate-limited", extra={"platform": account.platform})
                t = translator(self.language_of(account))
                return Turn(messages=(Text(t("error.rate_limited"), tone="error"),), accepted=False)
            with session_scope(self.engine) as session:
                person = self._person(session, account)
                conv = self._snapshot(session, person)
                if not self._may_answer(session, person, inbound):
                    t = translator(person.language)
                    return Turn(
                        messages=(Text(t("checkin.not_taken"), tone="error"),), accepted=False
                    )
                reply = self.intake.respond(conv, inbound, today=self.today())
                if self.privacy is None and any(
                    isinstance(e, ErasureRequested) for e in reply.effects
                ):
                    # Nothing can be erased here: say so, and keep everything as it was.
                    kept = self.intake.respond(conv, Inbound(choice="no"), today=self.today())
                    unavailable = Text(translator(person.language)("privacy.unavailable"), "error")
                    reply = replace(kept, messages=(unavailable, *kept.messages), accepted=False)
                news = self._unseen(session, person)
                if not self._apply(session, person, reply.effects):
                    # a check-in answer not taken (not theirs, or gone meanwhile): never thank
                    back = replace(
                        reply.conversation,
                        step=str(conv.context.get("return_to") or reply.conversation.step),
                        context={},
                    )
                    refusal = Text(translator(person.language)("checkin.not_taken"), tone="error")
                    reply = replace(reply, conversation=back, messages=(refusal,), accepted=False)
                assert person.id is not None
                privacy_store.touch(session, person=person, at=self.clock())
                people.save_conversation(
                    session,
                    person_id=person.id,
                    step=reply.conversation.step,
                    context=reply.conversation.context,
                )
                log.info(
                    "turn",
                    extra={
                        "platform": account.platform,
                        "person_id": person.id,
                        "step": reply.conversation.step,
                        "accepted": reply.accepted,
                        "effects": [type(e).__name__ for e in reply.effects],
                    },
                )
                turn = reply.turn
                language = person.language
                person_id = person.id
            if self.on_profile_committed and any(
                isinstance(e, ProfileCommitted) for e in reply.effects
            ):
                self._profile_committed(person_id)
            # Review actions run in transactions of their own, after this turn is stored.
            review = self._review(account, language, reply.effects)
            rights = self._privacy_rights(person_id, language, reply.effects)
            if rights is not None and any(isinstance(e, ErasureRequested) for e in reply.effects):
                return replace(turn, messages=(*turn.messages, *rights))  # no old news after
            # A download link comes before the question that stays open.
            messages = (*news, *(rights or ()), *turn.messages, *review)
            return replace(turn, messages=_once(messages))
        except Exception:
            # The transaction is rolled back, so nothing half-done is stored; the person keeps
            # their text (adapters restore it when accepted is False) and gets a calm message.
            log.exception("turn failed", extra={"platform": account.platform})
            return self._failure(account)

    def _privacy_rights(
        self, person_id: int, language: str, effects: tuple[Effect, ...]
    ) -> tuple[Outbound, ...] | None:
        """Carry out "mijn gegevens" (a download link) and "vergeet mij" (erasure), after the
        turn is stored. None when neither was asked."""
        wanted = [e for e in effects if isinstance(e, ExportRequested | ErasureRequested)]
        if not wanted:
            return None
        t = translator(language)
        if self.privacy is None:
            return (Text(t("privacy.unavailable"), tone="error"),)
        if any(isinstance(e, ErasureRequested) for e in wanted):
            self.privacy.erase(person_id, origin="chat")
            return ()
        try:
            link = self.privacy.export_link(person_id)
        except LinkInvalid:  # pragma: no cover - the person was just stored
            return (Text(t("error.internal"), tone="error"),)
        minutes = self.privacy.settings.export_link_minutes
        return (Text(t("privacy.export_once", url=link, minutes=minutes), tone="notice"),)

    def _profile_committed(self, person_id: int) -> None:
        """Embed the new profile now; if that fails the next round embeds it, so only log."""
        assert self.on_profile_committed is not None
        try:
            self.on_profile_committed(person_id)
        except Exception:
            log.exception("embedding a profile failed", extra={"person_id": person_id})

    def resume(self, account: Account) -> tuple[Outbound, ...]:
        """What a person sees when they open the chat again: the question they were at."""
        try:
            with session_scope(self.engine) as session:
                person = self._person(session, account)
                news = self._unseen(session, person)
                last = person.last_active_at
                away = last is None or self.clock() - last >= AWAY
                resumed = self.intake.resume(self._snapshot(session, person), welcome=away)
                return _once((*news, *resumed))
        except Exception:
            log.exception("resume failed", extra={"platform": account.platform})
            return self._failure(account).messages

    def language_of(self, account: Account) -> str:
        return language_of(self.engine, account, default=self.default_language)

    def _failure(self, account: Account) -> Turn:
        language = normalise_language(account.locale) or self.default_language
        try:
            language = self.language_of(account)
        except Exception:  # noqa: BLE001 - the database itself may be what failed
            log.warning("language lookup failed", extra={"platform": account.platform})
        t = translator(language)
        return Turn(messages=(Text(t("error.internal"), tone="error"),), accepted=False)

    def _person(self, session: Session, account: Account) -> Person:
        person = people.get_or_create_person(
            session,
            platform=account.platform,
            platform_user_id=account.user_id,
            language=normalise_language(account.locale) or self.default_language,
        )
        hinted = normalise_language(account.locale)
        if hinted and not person.language_chosen and person.language != hinted:
            people.set_language(session, person=person, language=hinted, chosen=False)
        return person

    def _review(
        self, account: Account, language: str, effects: tuple[Effect, ...]
    ) -> tuple[Outbound, ...]:
        """Carry out a coordinator's chat commands (show, propose, approve, reject)."""
        wanted = [
            e
            for e in effects
            if isinstance(e, ReviewRequested | RoundRequested | ReviewDecided | SwapRequested)
        ]
        if not wanted:
            return ()
        t = translator(language)
        if self.rounds is None:
            return (Text(t("review.no_matcher"), tone="error"),)
        actor = f"{account.platform}:{account.user_id}"
        if not account.verified:  # a self-chosen name: refused (and audited) as unverified
            actor = f"unverified:{actor}"[:255]
        origin = "web" if account.platform == "local" else account.platform
        messages: list[Outbound] = []
        round_id: int | None = None
        try:
            for effect in wanted:
                match effect:
                    case RoundRequested():
                        round_id = self.rounds.propose(actor=actor, origin=origin)
                        messages.append(Text(t("review.proposed", id=round_id)))
                    case ReviewRequested():
                        self.rounds.refuse_if_not_coordinator(
                            actor=actor, action="review", origin=origin, object_id=None
                        )
                    case SwapRequested(round_id=rid, position=position, member=member):
                        return self._swap(t, language, actor, origin, rid, position, member)
                    case ReviewDecided(
                        action="rearrange",
                        round_id=rid,
                        position=position,
                        member=member,
                        with_person=with_person,
                        to_position=to_position,
                    ):
                        self.rounds.rearrange(
                            rid,
                            position=position or 0,
                            member=member or 0,
                            with_person=with_person,
                            to_position=to_position,
                            actor=actor,
                            origin=origin,
                        )
                        messages.append(Text(t("review.rearranged", position=position)))
                        round_id = rid
                    case ReviewDecided(action="approve", round_id=rid, position=position):
                        approved = self.rounds.approve(
                            rid, position=position, actor=actor, origin=origin
                        )
                        positions = ", ".join(map(str, approved)) or "—"
                        messages.append(Text(t("review.approved", positions=positions)))
                        round_id = rid
                    case ReviewDecided(round_id=rid, position=position, reason=reason):
                        self.rounds.reject(
                            rid,
                            position=position or 0,
                            reason=reason or "",
                            actor=actor,
                            origin=origin,
                        )
                        messages.append(Text(t("review.rejected", position=position)))
                        round_id = rid
        except NotAllowed:
            return (Text(t("review.refused"), tone="error"),)
        except MatchingUnavailable:
            return (Text(t("review.no_matcher"), tone="error"),)
        except UnknownRound:
            return (Text(t("review.unknown"), tone="error"),)
        except RoundClosed:
            messages.append(Text(t("review.closed"), tone="error"))
        return (*messages, *self._open_round_cards(t, language, round_id))

    def _swap(
        self,
        t: Translate,
        language: str,
        actor: str,
        origin: str,
        round_id: int,
        position: int,
        member: int | None,
    ) -> tuple[Outbound, ...]:
        """First which member, then that member's best alternatives as buttons."""
        assert self.rounds is not None
        self.rounds.refuse_if_not_coordinator(
            actor=actor, action="review", origin=origin, object_id=round_id
        )
        if member is None:
            with Session(self.engine) as session:
                view = round_view(session, round_id=round_id, language=language)
            group = view.group_at(position)
            if group is None:
                raise UnknownRound(f"{round_id}/{position}")
            return (swap_member_card(round_id, group.as_dict(), t),)
        options = self.rounds.alternatives(round_id, position=position, member=member)
        with Session(self.engine) as session:
            names = alternative_names(session, member, options)
        return (alternatives_card(round_id, position, member, options, names, t),)

    def _open_round_cards(
        self, t: Translate, language: str, round_id: int | None
    ) -> tuple[Outbound, ...]:
        with Session(self.engine) as session:
            if round_id is None:
                open_ = rounds.open_rounds(session)
                if not open_:
                    return (Text(t("review.none")),)
                round_id = open_[-1].id
            assert round_id is not None
            view = round_view(session, round_id=round_id, language=language)
        if not any(g.status == "proposed" for g in view.groups):
            return ()
        return tuple(review_messages(view.as_dict(), t))

    def _unseen(self, session: Session, person: Person) -> tuple[Outbound, ...]:
        """Messages delivered to this person's inbox (introductions, check-ins) not shown yet.
        Only a platform whose sender is the inbox (the web chat) ever fills one."""
        if person.id is None:
            return ()
        return tuple(from_dict(m) for m in inbox.take_unseen(session, person_id=person.id))

    def _stop_processing(self, session: Session, person_id: int, purpose: str) -> None:
        """A withdrawal takes effect at once: no matching consent means out of every proposal
        still under review and no pending messages (introductions, check-ins, follow-ups); no
        sharing consent means none of their reflection answers is shown to the group. Replies
        to their own conversation that still wait for the platform are kept."""
        if purpose == MATCHING:
            left = privacy_store.leave_proposed_groups(session, person_id=person_id)
            cancelled = outbox.cancel_for(session, recipient_id=person_id, keep=(REPLY,))
            log.info(
                "matching consent withdrawn",
                extra={"person_id": person_id, "proposals_left": left, "cancelled": cancelled},
            )
        elif purpose == SHARING:
            private = privacy_store.make_answers_private(session, person_id=person_id)
            log.info(
                "sharing consent withdrawn", extra={"person_id": person_id, "private": private}
            )

    def _snapshot(self, session: Session, person: Person) -> Conversation:
        assert person.id is not None
        state = people.load_conversation(session, person_id=person.id)
        completed = person.profile_completed_at is not None
        latest: dict[str, ConsentStatus] = {}
        for record in consents.consents_of(session, person_id=person.id):
            if record.purpose in PURPOSES:  # in id order: the last one per purpose wins
                latest[record.purpose] = ConsentStatus(
                    given=record.given,
                    policy_version=record.policy_version,
                    decided_at=record.decided_at,
                    withdrawn_at=record.withdrawn_at,
                )
        return Conversation(
            step=state.step,
            language=person.language,
            consent=consents.has_consent(session, person_id=person.id, purpose=MATCHING),
            completed=completed,
            profile=people.committed_profile(person) if completed else {},
            draft=people.draft_answers(session, person_id=person.id),
            context=state.context,
            paused=people.is_paused(person, today=self.today()),
            paused_until=person.paused_until,
            consents=latest,
            mail=person.email_notifications if person.email else None,
            checkin=checkin_service.open_for(session, person=person) if completed else None,
            next_round=self._next_round(session) if state.step == "summary" else None,
        )

    def _next_round(self, session: Session) -> date | None:
        if self.rounds is None:
            return None
        return schedule.next_round_on(session, self.rounds.settings, self.clock())

    @staticmethod
    def _may_answer(session: Session, person: Person, inbound: Inbound) -> bool:
        """A check-in button (``checkin:<id>:answer|skip``) works only for a check-in sent to
        this person's group: a made-up or stale one is refused before anything is typed."""
        action = decode(inbound.choice) if inbound.choice else None
        if not isinstance(action, CheckInAnswer | CheckInSkip):
            return True
        return checkin_service.answerable(session, person=person, checkin_id=action.checkin_id)

    def _apply(self, session: Session, person: Person, effects: tuple[Effect, ...]) -> bool:
        """Carry out a turn's effects; False when a check-in answer in them was not taken."""
        assert person.id is not None
        taken = True
        now = self.clock()
        for effect in effects:
            match effect:
                case ConsentDecided(given=given, purpose=purpose, policy_version=version):
                    consents.record_consent(
                        session,
                        person_id=person.id,
                        purpose=purpose,
                        policy_version=version,
                        given=given,
                        at=now,
                    )
                case ConsentWithdrawn(purpose=purpose):
                    consents.withdraw_consent(session, person_id=person.id, purpose=purpose, at=now)
                    self._stop_processing(session, person.id, purpose)
                case AnswerGiven(field=name, value=value):
                    people.save_draft_answer(
                        session, person_id=person.id, field=name, value=value, at=now
                    )
                case ProfileCommitted():
                    people.commit_profile(session, person=person, at=now)
                case LanguageChosen(language=language):
                    people.set_language(session, person=person, language=language)
                case PauseChanged(paused=paused, until=until):
                    people.set_pause(session, person=person, paused=paused, until=until)
                case MailChosen(wanted=wanted):
                    person.email_notifications = wanted
                    session.add(person)
                case CheckInAnswered(
                    checkin_id=checkin_id, status=status, text=text, shared=shared
                ):
                    if not checkin_service.record_answer(
                        session,
                        person=person,
                        checkin_id=checkin_id,
                        status=status,
                        text=text,
                        shared=shared,
                    ):
                        log.warning("check-in answer refused", extra={"checkin_id": checkin_id})
                        taken = False
                case FollowUpAnswered(group_id=group_id, answer=answer, block=block):
                    members = rounds.members_of(session, group_ids=[group_id])[group_id]
                    if person.id not in members:  # a stale or forged button: nothing to record
                        log.warning("follow-up for a foreign group", extra={"group_id": group_id})
                        continue
                    rounds.record_follow_up(
                        session, group_id=group_id, person_id=person.id, answer=answer
                    )
                    if block is not None and block in members and block != person.id:
                        rounds.block_pair(session, a=person.id, b=block, reason="never_again")
                case FollowUpReasonGiven(group_id=group_id, reason=reason):
                    # kept only with this person's own answer for that group (none: nothing);
                    # the reason is free text, so it never goes into a log line
                    follow_ups.record_reason(
                        session, group_id=group_id, person_id=person.id, reason=reason
                    )
        return taken


def _once(messages: tuple[Outbound, ...]) -> tuple[Outbound, ...]:
    """Each question with buttons once: a check-in question both just delivered and offered
    again as the open question is shown last, where its buttons are live."""

    def key(message: Outbound) -> tuple[str, ...] | None:
        if isinstance(message, Question) and message.choices:
            return (message.text, *(c.value for c in message.choices))
        return None

    later = [key(m) for m in messages]
    return tuple(
        m for i, m in enumerate(messages) if later[i] is None or later[i] not in later[i + 1 :]
    )
