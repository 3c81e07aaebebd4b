"""Teams, on the storage side: conversation references, seen activities, proactive delivery,
and the group-chat link in introductions.

The adapter (``bot.platforms.teams.adapter``) talks to Teams; this module keeps what it needs
between requests, plugs its proactive sends into the outbox (bot.services.delivery), and
implements the group conversations port (bot.services.group_conversations). It loads no SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.messages import Card, Choice, Outbound
from bot.core.ports import DeliveryRefused, RetryLater
from bot.services.group_conversations import GroupLink, Introduced
from storage import events, teams
from storage.db import session_scope
from storage.models import Person
from storage.types import utcnow

PLATFORM = "teams"
LOOKUP_AGAIN = timedelta(days=1)
DEEP_LINK = "https://teams.microsoft.com/l/chat/0/0"


class PushResult(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def retry(self) -> bool: ...

    @property
    def after(self) -> float | None: ...

    @property
    def reason(self) -> str: ...


Push = Callable[[dict[str, Any], Sequence[dict[str, Any]], str], PushResult]


class TeamsDirectory:
    """Where each Teams user can be reached, and which activities were already handled."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def remember(
        self,
        *,
        user_id: str,
        tenant_id: str | None,
        conversation_id: str,
        service_url: str,
        reference: dict[str, Any],
        principal_name: str | None,
    ) -> None:
        with session_scope(self.engine) as session:
            teams.remember(
                session,
                user_id=user_id,
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                service_url=service_url,
                reference=reference,
                principal_name=principal_name,
            )

    def needs_principal_name(self, user_id: str) -> bool:
        """On first contact, and after a day of silence while still unknown (a lookup costs a
        request to the Bot Connector)."""
        with Session(self.engine) as session:
            row = teams.reference_of(session, user_id=user_id)
            if row is None:
                return True
            return not row.principal_name and row.updated_at < utcnow() - LOOKUP_AGAIN

    def reference_of(self, user_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = teams.reference_of(session, user_id=user_id)
            return dict(row.reference) if row is not None else None

    def first_time(self, key: str) -> bool:
        with session_scope(self.engine) as session:
            return events.first_time(session, platform=PLATFORM, event_id=key)


class TeamsSender:
    """The outbox's sender for Teams people: a proactive message to their personal chat."""

    def __init__(self, directory: TeamsDirectory, push: Push) -> None:
        self.directory = directory
        self.push = push

    def send(
        self, person: Person, messages: Sequence[dict[str, Any]], *, link: GroupLink | None = None
    ) -> None:
        reference = self.directory.reference_of(person.platform_user_id)
        if reference is None:
            # Teams allows a bot to write only where the person has talked to it (or installed it).
            raise DeliveryRefused("no Teams conversation with this person yet")
        result = self.push(reference, messages, person.language)
        if result.ok:
            return
        if result.retry:
            after = timedelta(seconds=result.after) if result.after is not None else None
            raise RetryLater(result.reason, after=after)
        raise DeliveryRefused(result.reason)


def group_chat_link(principal_names: Iterable[str], topic: str) -> str | None:
    """A deep link that opens a new group chat with these people (the one who clicks is added
    by Teams). Needs no Graph permission; None when there is nobody to chat with."""
    users = sorted({name for name in principal_names if name})
    if not users:
        return None
    return f"{DEEP_LINK}?" + urlencode(
        {"users": ",".join(users), "topicName": topic}, quote_via=quote, safe=",@"
    )


def principal_names(session: Session, people: Sequence[Person]) -> dict[int, str]:
    """Person id → UPN, for the Teams members among ``people``."""
    on_teams = {p.platform_user_id: p.id for p in people if p.platform == PLATFORM and p.id}
    found = teams.principal_names(session, user_ids=on_teams)
    return {on_teams[user]: name for user, name in found.items()}


class GroupChatLinks:
    """Teams has no group conversation the bot may open without Graph permissions: a Teams
    member's introduction ends with a link that opens a group chat with the others on Teams."""

    def introduction_extras(self, session: Session, intro: Introduced) -> list[Outbound]:
        t, others = intro.t, intro.others
        names = principal_names(session, others)
        link = group_chat_link((names.get(m.id or 0, "") for m in others), t("intro.teams.topic"))
        if link is None:
            return []
        return [
            Card(
                title=t("intro.teams.chat_title"),
                choices=(Choice(link, t("intro.teams.open_chat")),),
            )
        ]

    def open(self, person: Person, group_id: int) -> str | None:
        return None  # the introduction's link opens the chat
