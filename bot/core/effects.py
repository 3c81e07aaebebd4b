"""What a turn asks the caller to store or do, as data: the core decides, the services carry out.

Each dialogue returns these with its messages (see :class:`bot.core.messages.Turn`); the
conversation service applies them in order, in the same transaction as the new step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ConsentDecided:
    given: bool
    purpose: str
    policy_version: str


@dataclass(frozen=True)
class ConsentWithdrawn:
    purpose: str


@dataclass(frozen=True)
class AnswerGiven:
    """A draft answer; the committed profile keeps its old value until ProfileCommitted."""

    field: str
    value: Any


@dataclass(frozen=True)
class ProfileCommitted:
    pass


@dataclass(frozen=True)
class LanguageChosen:
    language: str


@dataclass(frozen=True)
class PauseChanged:
    paused: bool
    until: date | None


@dataclass(frozen=True)
class MailChosen:
    """Whether the person wants their messages by e-mail too (web chat people with an address)."""

    wanted: bool


@dataclass(frozen=True)
class FollowUpAnswered:
    """An answer to "hebben jullie elkaar gesproken?"; ``block`` is someone never to match again."""

    group_id: int
    answer: str
    block: int | None = None


@dataclass(frozen=True)
class FollowUpReasonGiven:
    """Why, in a word or two, with the person's latest follow-up answer for the group (personal
    free text: stored for coordinators, never logged, never quoted by the matcher)."""

    group_id: int
    reason: str


@dataclass(frozen=True)
class ReviewRequested:
    """A coordinator asks to see the open round (the caller checks the role and shows it)."""


@dataclass(frozen=True)
class RoundRequested:
    """A coordinator asks for a new round to be proposed."""


@dataclass(frozen=True)
class ReviewDecided:
    """A coordinator's decision from chat: approve (one group or, without position, all) or
    reject with a reason."""

    action: str
    round_id: int
    position: int | None = None
    reason: str | None = None
    member: int | None = None
    with_person: int | None = None
    to_position: int | None = None


@dataclass(frozen=True)
class CheckInAnswered:
    """A member's answer to a reflection check-in: ``answered`` (with text) or ``skipped``;
    ``shared`` means the group may see it in the round-up."""

    checkin_id: int
    status: str
    text: str | None = None
    shared: bool = False


@dataclass(frozen=True)
class SwapRequested:
    """A coordinator wants to change a group: first pick the member, then see the alternatives."""

    round_id: int
    position: int
    member: int | None = None


@dataclass(frozen=True)
class ExportRequested:
    """The person asks for everything held about them (the caller makes the download)."""


@dataclass(frozen=True)
class ErasureRequested:
    """The person confirmed "vergeet mij": the caller erases them after this turn."""


Effect = (
    ConsentDecided
    | ConsentWithdrawn
    | AnswerGiven
    | ProfileCommitted
    | LanguageChosen
    | PauseChanged
    | MailChosen
    | FollowUpAnswered
    | FollowUpReasonGiven
    | ReviewRequested
    | RoundRequested
    | ReviewDecided
    | SwapRequested
    | CheckInAnswered
    | ExportRequested
    | ErasureRequested
)
