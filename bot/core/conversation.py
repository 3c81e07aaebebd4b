"""One person's conversation as a snapshot, and what a turn leads to.

The caller loads a :class:`Conversation`, the core answers one inbound turn with a :class:`Reply`
(messages, effects, the next snapshot) and the caller stores it. Every dialogue module returns a
:class:`Move`; the router (:mod:`bot.core.dialogue`) turns it into a Reply by asking the open
question of the step the move leads to, so no dialogue needs to know another's questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

from bot.core.effects import Effect
from bot.core.messages import Outbound, Text, Turn

MATCHING: Final = "matching"
#: Consent to show one's reflection answers to the group (asked with the first shared answer).
SHARING: Final = "sharing"
#: Consent that one's ongemak, work and shared answers count, anonymously, in the lessons of
#: the community (the dashboard's "Wat speelt er"); QUOTING: that they may be quoted, nameless.
INSIGHTS: Final = "insights"
QUOTING: Final = "quoting"
PURPOSES: Final = (MATCHING, SHARING, INSIGHTS, QUOTING)

#: Steps that are a detour from where the person was (``context["return_to"]``): answering one,
#: or pressing a button that works at any step, goes back there.
DETOURS: Final = frozenset(
    {
        "edit_menu",
        "pause_menu",
        "language_menu",
        "confirm_stop",
        "review_reason",
        "checkin_answer",
        "checkin_share",
        "checkin_update",
        "confirm_forget",
        "follow_up_reason",
    }
)


@dataclass(frozen=True)
class CoreConfig:
    policy_version: str = "1.0"
    max_answer_length: int = 2000
    privacy_contact: str = "de coördinator van je community"
    retention_days: int = 365
    #: The community or programme Maatjes serves, named in the welcome (None: not named).
    community_name: str | None = None


@dataclass(frozen=True)
class ConsentStatus:
    """The latest decision for one purpose, as the person's privacy overview shows it."""

    given: bool
    policy_version: str
    decided_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.given and self.withdrawn_at is None


@dataclass(frozen=True)
class OpenCheckIn:
    """A reflection question sent to this person's group that they have not answered yet: a
    typed reply at rest answers it, and its buttons are offered again while it is open."""

    checkin_id: int
    #: The question, in the person's language.
    text: str
    #: Profile field the answer may update ("phase", "ongemak"), or None.
    updates: Literal["phase", "ongemak"] | None = None


@dataclass(frozen=True)
class Conversation:
    """Everything the core needs to answer one person; loaded and stored by the caller."""

    step: str = "start"
    language: str = "nl"
    consent: bool = False
    completed: bool = False
    profile: Mapping[str, Any] = field(default_factory=dict)
    draft: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    paused: bool = False
    paused_until: date | None = None
    #: Latest consent decision per purpose (``matching``, ``sharing``), for the privacy overview.
    consents: Mapping[str, ConsentStatus] = field(default_factory=dict)
    #: Whether the person's messages also go out by e-mail; None without a proven address.
    mail: bool | None = None
    #: The open check-in question, if any (the latest one sent and not yet answered).
    checkin: OpenCheckIn | None = None
    #: When the next match round is due (Amsterdam date); None when none is scheduled. The
    #: caller fills it in at the summary, where the person is told what happens next.
    next_round: date | None = None

    @property
    def sharing(self) -> bool:
        status = self.consents.get(SHARING)
        return status is not None and status.live

    def decided(self, purpose: str) -> bool:
        """Whether the person ever answered for ``purpose`` (asked once: then never again)."""
        return purpose in self.consents

    def live(self, purpose: str) -> bool:
        status = self.consents.get(purpose)
        return status is not None and status.live

    def value(self, name: str) -> Any:
        """The answer as the person sees it now: a draft wins over the committed value."""
        if name == "language":  # a language choice takes effect at once, not on commit
            return self.language if self.answered("language") else None
        if name in self.draft:
            return self.draft[name]
        return self.profile.get(name)

    def answered(self, name: str) -> bool:
        return (
            name in self.draft
            or self.profile.get(name) is not None
            or (name == "language" and self.completed)
        )


@dataclass(frozen=True)
class Reply:
    conversation: Conversation
    messages: tuple[Outbound, ...]
    effects: tuple[Effect, ...] = ()
    accepted: bool = True

    @property
    def turn(self) -> Turn:
        return Turn(messages=self.messages, accepted=self.accepted, effects=self.effects)


@dataclass(frozen=True)
class Move:
    """Where a turn leads: the next snapshot, what to say first, and the effects. With ``ask`` the
    router adds the open question of the new step after ``said``."""

    conversation: Conversation
    said: tuple[Outbound, ...] = ()
    effects: tuple[Effect, ...] = ()
    accepted: bool = True
    ask: bool = True


def to(
    conv: Conversation, *, before: Sequence[Outbound] = (), effects: Sequence[Effect] = ()
) -> Move:
    """Go to ``conv.step`` and ask its question (after ``before``)."""
    return Move(conv, tuple(before), tuple(effects))


def reject(conv: Conversation, message: str) -> Move:
    """Refuse the turn politely and ask the same question again."""
    return Move(conv, (Text(message, tone="error"),), accepted=False)


def say(conv: Conversation, *messages: Outbound, effects: Sequence[Effect] = ()) -> Move:
    """Say ``messages`` and nothing more (the caller or a later turn shows what comes next)."""
    return Move(conv, messages, tuple(effects), ask=False)


def return_step(conv: Conversation) -> str:
    """Where a detour goes back to: the step it came from, else the summary or the end."""
    step = conv.context.get("return_to")
    return str(step) if step else ("done" if conv.completed else "summary")


def origin(conv: Conversation) -> str:
    """The step the person is really at: behind a detour, the step it came from."""
    return return_step(conv) if conv.step in DETOURS else conv.step
