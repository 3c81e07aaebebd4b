"""A person's own page (Slack's App Home): profile, club or maatje, next check-in, pause.

Described as platform-neutral messages; every button's value is a chat command (``pauze``,
``hervat``, ``wijzig``, ``taal``, ``start``) so pressing it is the same as typing it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.conversation import MATCHING, Conversation
from bot.core.dialogue import Intake
from bot.core.i18n import format_day, normalise_language, translator
from bot.core.messages import Account, Card, CardField, Choice, Outbound, Text
from bot.services.conversations import language_of
from storage import checkins, consents, people, rounds, threads
from storage.models import Person
from storage.types import utcnow

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_GROUPS = 3


class Overview:
    def __init__(
        self,
        engine: Engine,
        intake: Intake,
        *,
        default_language: str = "nl",
        clock: Callable[[], datetime] = utcnow,
        is_coordinator: Callable[[str], bool] = lambda actor: False,
    ) -> None:
        self.engine = engine
        self.intake = intake
        self.default_language = default_language
        self.clock = clock
        self.is_coordinator = is_coordinator

    def is_new(self, account: Account) -> bool:
        """Someone who never talked to the bot (nothing is stored about them yet)."""
        with Session(self.engine) as session:
            return (
                people.get_person(
                    session, platform=account.platform, platform_user_id=account.user_id
                )
                is None
            )

    def home(self, account: Account) -> tuple[Outbound, ...]:
        items = self._own(account)
        if not self.is_coordinator(f"{account.platform}:{account.user_id}"):
            return items
        t = translator(self._language(account))
        review = Card(
            title=t("home.coordinator"),
            choices=(Choice("ronde", t("home.review")), Choice("nieuwe ronde", t("home.propose"))),
        )
        return (*items, review)

    def _language(self, account: Account) -> str:
        return language_of(self.engine, account, default=self.default_language)

    def _own(self, account: Account) -> tuple[Outbound, ...]:
        with Session(self.engine) as session:
            person = people.get_person(
                session, platform=account.platform, platform_user_id=account.user_id
            )
            language = (
                person.language
                if person is not None
                else normalise_language(account.locale) or self.default_language
            )
            t = translator(language)
            consent = person is not None and consents.has_consent(
                session, person_id=person.id or 0, purpose=MATCHING
            )
            if person is None or not consent or person.profile_completed_at is None:
                return (
                    Text(t("home.title")),
                    Card(
                        title=t("home.no_profile"),
                        choices=(
                            Choice("start", t("home.start")),
                            Choice("taal", t("home.language")),
                        ),
                    ),
                )
            conv = Conversation(
                language=language,
                consent=True,
                completed=True,
                profile=people.committed_profile(person),
            )
            items: list[Outbound] = [
                Text(t("home.title")),
                self.intake.profile_card(conv),
                Card(
                    title=t("home.profile_actions"),
                    choices=(
                        Choice("wijzig", t("home.edit")),
                        Choice("taal", t("home.language")),
                    ),
                ),
            ]
            items += self._groups(session, person, t)
            items.append(self._pause(person, t))
            return tuple(items)

    def _groups(self, session: Session, person: Person, t: Callable[..., str]) -> list[Outbound]:
        assert person.id is not None
        found = list(threads.groups_of_person(session, person_id=person.id))[:MAX_GROUPS]
        if not found:
            return [Text(t("home.no_group"))]
        members = rounds.members_of(session, group_ids=[g.id for g in found if g.id])
        items: list[Outbound] = []
        for group in found:
            assert group.id is not None
            others = [
                p
                for p in (session.get(Person, pid) for pid in members.get(group.id, []))
                if p is not None and p.id != person.id
            ]
            upcoming = [
                c.due_at
                for c in checkins.history(session, group_id=group.id)
                if c.status == checkins.SCHEDULED
            ]
            next_at = min(upcoming) if upcoming else None
            footer = (
                t(
                    "home.next_checkin",
                    date=format_day(next_at.astimezone(AMSTERDAM).date(), person.language),
                )
                if next_at is not None
                else t("home.no_checkin")
            )
            items.append(
                Card(
                    title=t(f"home.group.{group.kind}"),
                    fields=tuple(
                        CardField(label=p.name or "?", value=p.organisation or "—") for p in others
                    ),
                    footer=footer,
                )
            )
        return items

    def _pause(self, person: Person, t: Callable[..., str]) -> Card:
        today = self.clock().astimezone(AMSTERDAM).date()
        if people.is_paused(person, today=today):
            until = person.paused_until
            status = (
                t("home.paused_until", date=format_day(until, person.language))
                if until
                else t("home.paused")
            )
            return Card(
                title=t("home.pause_title"),
                fields=(CardField(label=t("home.status"), value=status),),
                choices=(Choice("hervat", t("home.resume")),),
            )
        return Card(
            title=t("home.pause_title"),
            fields=(CardField(label=t("home.status"), value=t("home.active")),),
            choices=(Choice("pauze", t("home.pause")),),
        )
