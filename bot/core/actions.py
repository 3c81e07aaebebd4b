"""Button actions: typed values, with the only codec between them and the wire.

A button's value travels as a short string (Slack's ``value``, a Teams card's data, the web chat's
``choice``) and comes back when it is pressed, sometimes weeks later: messages already sent, and
outboxes already stored, carry these strings. So the format below never changes; new actions get
a new prefix or shape, and :func:`decode` keeps reading the old ones.

Wire format (ids are decimal, at most 18 digits, so they fit a 64-bit column)::

    review:approve:<round>:<position>
    review:approve_all:<round>
    review:reject:<round>:<position>                    asks for a reason first
    review:swap:<round>:<position>[:<member>]           pick a member, then see alternatives
    review:rearrange:<round>:<position>:<member>:<with or 0>:<to or 0>
    followup:<group>:met|not_yet|not_a_fit
    followup:<group>:block:<person>
    checkin:<id>:answer[:phase|ongemak]                 the profile field the answer may update
    checkin:<id>:skip
    privacy:matching:off | privacy:sharing:on | privacy:sharing:off
    privacy:export | privacy:forget
    privacy:insights:on|off | privacy:quoting:on|off    the lessons of the community
    privacy:lessons:quote|count|no                      the first answer about the lessons

Answers that only mean something at one step ("yes", "cancel", a field name, a vocabulary code)
are not actions: actions are the buttons that work at any step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, assert_never, get_args

FollowUpAnswer = Literal["met", "not_yet", "not_a_fit"]
FOLLOW_UP_ANSWERS: Final[tuple[FollowUpAnswer, ...]] = get_args(FollowUpAnswer)
#: A profile field a check-in answer may update, with the person's agreement.
ProfileUpdate = Literal["phase", "ongemak"]
PROFILE_UPDATES: Final[tuple[ProfileUpdate, ...]] = get_args(ProfileUpdate)
#: The first part of every action's value: a value with one of these that does not decode is a
#: damaged or outdated button of that family, and is answered as such.
FAMILIES: Final = ("review", "followup", "checkin", "privacy")

_ID: Final = re.compile(r"[0-9]{1,18}")


# --- review: a coordinator decides on a proposed round --------------------------------------------


@dataclass(frozen=True)
class ReviewApprove:
    round_id: int
    position: int


@dataclass(frozen=True)
class ReviewApproveAll:
    round_id: int


@dataclass(frozen=True)
class ReviewReject:
    """Asks for a reason before anything is decided (Slack writes it in a modal)."""

    round_id: int
    position: int


@dataclass(frozen=True)
class ReviewSwap:
    """Without ``member``: which member to change; with one: that member's alternatives."""

    round_id: int
    position: int
    member: int | None = None


@dataclass(frozen=True)
class ReviewRearrange:
    """Swap ``member`` with ``with_person``, or move them to group ``to_position``.

    On the wire "none" is 0, so neither is ever 0 here."""

    round_id: int
    position: int
    member: int
    with_person: int | None = None
    to_position: int | None = None


# --- after an introduction ------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """The answer to "hebben jullie elkaar gesproken?"."""

    group_id: int
    answer: FollowUpAnswer


@dataclass(frozen=True)
class FollowUpBlock:
    """Not a fit, and never match me with ``person_id`` again."""

    group_id: int
    person_id: int


@dataclass(frozen=True)
class CheckInAnswer:
    """Starts writing an answer to a check-in (Slack writes it in a modal)."""

    checkin_id: int
    updates: ProfileUpdate | None = None


@dataclass(frozen=True)
class CheckInSkip:
    checkin_id: int


# --- the privacy overview -------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyStopMatching:
    """Withdraw consent for matching (after a confirmation)."""


@dataclass(frozen=True)
class PrivacySharing:
    """Give (``given``) or withdraw consent to show one's check-in answers to the group."""

    given: bool


@dataclass(frozen=True)
class PrivacyInsights:
    """Give or withdraw consent that one's texts count in the lessons of the community
    (``quoting``: that they may also be quoted there, without name)."""

    given: bool
    quoting: bool = False


LessonsChoice = Literal["quote", "count", "no"]
LESSONS_CHOICES: Final[tuple[LessonsChoice, ...]] = get_args(LessonsChoice)


@dataclass(frozen=True)
class PrivacyLessons:
    """The answer to the question asked once after the profile is saved: count and quote,
    count only, or neither."""

    choice: LessonsChoice


@dataclass(frozen=True)
class PrivacyExport:
    pass


@dataclass(frozen=True)
class PrivacyForget:
    """Be forgotten (after a confirmation)."""


ReviewAction = ReviewApprove | ReviewApproveAll | ReviewReject | ReviewSwap | ReviewRearrange
FollowUpAction = FollowUp | FollowUpBlock
CheckInAction = CheckInAnswer | CheckInSkip
PrivacyAction = (
    PrivacyStopMatching
    | PrivacySharing
    | PrivacyExport
    | PrivacyForget
    | PrivacyInsights
    | PrivacyLessons
)
Action = ReviewAction | FollowUpAction | CheckInAction | PrivacyAction


def encode(action: Action) -> str:
    """The value a button carries for ``action``."""
    match action:
        case ReviewApprove(round_id, position):
            return f"review:approve:{round_id}:{position}"
        case ReviewApproveAll(round_id):
            return f"review:approve_all:{round_id}"
        case ReviewReject(round_id, position):
            return f"review:reject:{round_id}:{position}"
        case ReviewSwap(round_id, position, None):
            return f"review:swap:{round_id}:{position}"
        case ReviewSwap(round_id, position, member):
            return f"review:swap:{round_id}:{position}:{member}"
        case ReviewRearrange(round_id, position, member, with_person, to_position):
            return (
                f"review:rearrange:{round_id}:{position}:{member}"
                f":{with_person or 0}:{to_position or 0}"
            )
        case FollowUp(group_id, answer):
            return f"followup:{group_id}:{answer}"
        case FollowUpBlock(group_id, person_id):
            return f"followup:{group_id}:block:{person_id}"
        case CheckInAnswer(checkin_id, None):
            return f"checkin:{checkin_id}:answer"
        case CheckInAnswer(checkin_id, updates):
            return f"checkin:{checkin_id}:answer:{updates}"
        case CheckInSkip(checkin_id):
            return f"checkin:{checkin_id}:skip"
        case PrivacyStopMatching():
            return "privacy:matching:off"
        case PrivacySharing(given):
            return f"privacy:sharing:{'on' if given else 'off'}"
        case PrivacyInsights(given, quoting):
            return f"privacy:{'quoting' if quoting else 'insights'}:{'on' if given else 'off'}"
        case PrivacyLessons(choice):
            return f"privacy:lessons:{choice}"
        case PrivacyExport():
            return "privacy:export"
        case PrivacyForget():
            return "privacy:forget"
        case _:
            assert_never(action)


def decode(value: str) -> Action | None:
    """The action a button value means; None for anything else (never raises)."""
    family, _, rest = value.partition(":")
    parts = rest.split(":")
    if family == "review":
        return _review(parts)
    if family == "followup":
        return _follow_up(parts)
    if family == "checkin":
        return _checkin(parts)
    if family == "privacy":
        return _privacy(parts)
    return None


def family(value: str) -> str | None:
    """Which family of actions a value claims to be of (one of :data:`FAMILIES`), if any."""
    head, colon, _ = value.partition(":")
    return head if colon and head in FAMILIES else None


def _ids(parts: list[str]) -> list[int] | None:
    if not all(_ID.fullmatch(part) for part in parts):
        return None
    return [int(part) for part in parts]


def _review(parts: list[str]) -> ReviewAction | None:
    kind, numbers = parts[0], _ids(parts[1:])
    if not numbers:
        return None
    match kind, numbers:
        case "approve", [round_id, position]:
            return ReviewApprove(round_id, position)
        case "approve_all", [round_id]:
            return ReviewApproveAll(round_id)
        case "reject", [round_id, position]:
            return ReviewReject(round_id, position)
        case "swap", [round_id, position]:
            return ReviewSwap(round_id, position)
        case "swap", [round_id, position, member]:
            return ReviewSwap(round_id, position, member)
        case "rearrange", [round_id, position, member, with_person, to_position]:
            return ReviewRearrange(
                round_id, position, member, with_person or None, to_position or None
            )
    return None


def _follow_up(parts: list[str]) -> FollowUpAction | None:
    match parts:
        case [group, answer] if _ID.fullmatch(group):
            for known in FOLLOW_UP_ANSWERS:
                if answer == known:
                    return FollowUp(int(group), known)
        case [group, "block", person] if _ID.fullmatch(group) and _ID.fullmatch(person):
            return FollowUpBlock(int(group), int(person))
    return None


def _checkin(parts: list[str]) -> CheckInAction | None:
    match parts:
        case [checkin, "answer"] if _ID.fullmatch(checkin):
            return CheckInAnswer(int(checkin))
        case [checkin, "answer", updates] if _ID.fullmatch(checkin):
            for known in PROFILE_UPDATES:
                if updates == known:
                    return CheckInAnswer(int(checkin), known)
        case [checkin, "skip"] if _ID.fullmatch(checkin):
            return CheckInSkip(int(checkin))
    return None


def _privacy(parts: list[str]) -> PrivacyAction | None:
    match parts:
        case ["matching", "off"]:
            return PrivacyStopMatching()
        case ["sharing", "on" | "off" as switch]:
            return PrivacySharing(switch == "on")
        case ["insights" | "quoting" as purpose, "on" | "off" as switch]:
            return PrivacyInsights(switch == "on", quoting=purpose == "quoting")
        case ["lessons", answer]:
            for known in LESSONS_CHOICES:
                if answer == known:
                    return PrivacyLessons(known)
        case ["export"]:
            return PrivacyExport()
        case ["forget"]:
            return PrivacyForget()
    return None
