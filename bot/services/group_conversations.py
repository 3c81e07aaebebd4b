"""Where a group talks on each platform: the port that introductions go through.

The use cases know no platform. Rounds write a member's introduction when a coordinator approves
their group, and the outbox delivers it later; a platform that has something to add implements
:class:`GroupConversations` in its own folder: the web chat links the group's thread, Teams adds a
link that opens a group chat, Slack opens (or brings up to date) the group's DM or private channel
when an introduction or a club's "who joined" notice is delivered, and its sender links it.

The port lives here rather than in ``bot.core.ports`` because it speaks of what is stored (a
session, people, groups): the core stays free of storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from sqlmodel import Session

from bot.core.i18n import Translate
from bot.core.messages import Outbound
from storage.models import MatchGroup, Person

#: Outbox kinds that tell a person about their group: delivering one brings the group's
#: conversation on the recipient's platform up to date and links it.
GROUP_NOTICES: Final = frozenset({"introduction", "club_joined"})


@dataclass(frozen=True)
class Introduced:
    """One member's introduction to an approved group, as a platform sees it."""

    group: MatchGroup
    person: Person  # who is introduced (on this platform)
    members: Sequence[Person]  # everyone in the group, ``person`` included
    t: Translate  # in ``person``'s language

    @property
    def others(self) -> list[Person]:
        return [m for m in self.members if m.id != self.person.id]


@dataclass(frozen=True)
class GroupLink:
    """The group's conversation on the recipient's platform, for the sender to link in a notice."""

    notice: str  # the outbox kind that links it: one of GROUP_NOTICES
    conversation: str  # the platform's id of the conversation


class GroupConversations(Protocol):
    def introduction_extras(self, session: Session, intro: Introduced) -> list[Outbound]:
        """What this platform adds at the end of the introduction. Written when the group is
        approved, in that transaction."""
        ...

    def open(self, person: Person, group_id: int) -> str | None:
        """Delivering a group notice to ``person``: the group's conversation on this platform,
        made or brought up to date, when it holds them; None when there is none. Safe to
        repeat (retries and other instances make nothing twice); raises RetryLater or
        DeliveryRefused like a sender."""
        ...
