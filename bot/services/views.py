"""The views services return for pages, chats and the command line, as frozen dataclasses.

A stored round (``round_views.round_view``) and a dry-run proposal (``matchmaking.plan_view``) are
made of the same ``GroupView`` and ``MemberView``, and the list of the community of the same
``MemberView``, so they cannot drift apart. Pages and templates read the attributes; the command
line prints ``as_dict()`` (or ``as_row()``), whose keys and values are the JSON of ``--json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import Person


@dataclass(frozen=True)
class MemberView:
    """A person as a reviewer or an operator sees them: in a group of a round (``as_dict``, the
    card) or in the list of the community (``as_row``, with language, platform and demo mark)."""

    id: int | None
    name: str | None
    organisation: str | None
    organisation_kind: str | None
    group: str | None
    region: str | None
    themes: tuple[str, ...]
    phase: str | None
    language: str
    platform: str
    account: str  # platform:user, for privacy requests
    demo: bool

    @classmethod
    def of(cls, person: Person) -> MemberView:
        return cls(
            id=person.id,
            name=person.name,
            organisation=person.organisation,
            organisation_kind=person.organisation_kind,
            group=person.group,
            region=person.region,
            themes=tuple(person.themes or ()),
            phase=person.phase,
            language=person.language,
            platform=person.platform,
            account=f"{person.platform}:{person.platform_user_id}",
            demo=person.is_demo,
        )

    def as_dict(self) -> dict[str, Any]:
        """What a reviewer sees of a member."""
        return {
            "id": self.id,
            "name": self.name,
            "organisation": self.organisation,
            "group": self.group,
            "region": self.region,
            "themes": list(self.themes),
            "phase": self.phase,
        }

    def as_row(self, *, with_account: bool = False) -> dict[str, Any]:
        """A line of ``maatjes people --json``; ``with_account`` for ``--all``."""
        row: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "language": self.language,
            "organisation": self.organisation,
            "organisation_kind": self.organisation_kind,
            "region": self.region,
            "themes": list(self.themes),
            "phase": self.phase,
            "platform": self.platform,
            "demo": self.demo,
        }
        if with_account:
            row["account"] = self.account
        return row


@dataclass(frozen=True)
class FollowUpReason:
    """Why, in a word or two, with the answer it came with (not who said it)."""

    answer: str
    reason: str


@dataclass(frozen=True)
class FollowUpCounts:
    """A group's answers: each member counted once, by their latest answer."""

    met: int = 0
    not_yet: int = 0
    not_a_fit: int = 0
    no_answer: int = 0
    #: Whether the group was asked a second (and last) time.
    asked_again: bool = False
    #: For coordinators only (the dashboard's round page); not in ``as_dict``.
    reasons: tuple[FollowUpReason, ...] = ()

    @property
    def size(self) -> int:
        return self.met + self.not_yet + self.not_a_fit + self.no_answer

    def as_dict(self) -> dict[str, Any]:
        """The ``follow_up`` object of ``maatjes round show --json``."""
        return {
            "met": self.met,
            "not_yet": self.not_yet,
            "not_a_fit": self.not_a_fit,
            "no_answer": self.no_answer,
        }


@dataclass(frozen=True)
class MeetingRate:
    """One round: of the members of its introduced groups, how many said they met."""

    round_id: int
    created_at: datetime
    members: int
    met: int
    answered: int

    @property
    def percent(self) -> int | None:
        """The share who met, in whole percents (None for a round nobody was introduced in)."""
        return round(100 * self.met / self.members) if self.members else None


@dataclass(frozen=True)
class GroupView:
    """A pair or club of a round or of a proposal, with its score against the round's mean."""

    position: int
    kind: str
    status: str
    score: float
    score_vs_round: float
    people: tuple[MemberView, ...]
    explanation: str
    id: int | None = None  # a stored group
    reject_reason: str | None = None
    extends: int | None = None  # a proposal: the running club this group grows
    explanation_data: Mapping[str, Any] | None = None  # a proposal: the explanation as data
    #: The score's parts on its 0–100 scale (seek↔offer, work, themes, mix, phase, history),
    #: adding up to it; None for a group stored before scores had parts.
    score_parts: Mapping[str, float] | None = None
    weak: tuple[str, ...] = ()  # why the group is weak, in the reader's language; () if it is not
    follow_up: FollowUpCounts | None = None  # a stored group: "hebben jullie elkaar gesproken?"
    kept: str | None = None  # why the club it grows goes on ("met": they said they met)

    @property
    def members(self) -> list[int | None]:
        return [p.id for p in self.people]

    def as_dict(self) -> dict[str, Any]:
        """A group of a stored round."""
        return {
            "id": self.id,
            "position": self.position,
            "kind": self.kind,
            "status": self.status,
            "score": self.score,
            "score_vs_round": self.score_vs_round,
            "members": self.members,
            "people": [p.as_dict() for p in self.people],
            "explanation": self.explanation,
            "reject_reason": self.reject_reason,
            "score_parts": dict(self.score_parts) if self.score_parts is not None else None,
            "weak": list(self.weak),
            "follow_up": (self.follow_up or FollowUpCounts(no_answer=len(self.people))).as_dict(),
        }

    def as_proposal_dict(self) -> dict[str, Any]:
        """A group of a dry-run proposal: what it extends and its explanation as data."""
        return {
            "position": self.position,
            "kind": self.kind,
            "status": self.status,
            "score": self.score,
            "score_vs_round": self.score_vs_round,
            "members": self.members,
            "extends": self.extends,
            "people": [p.as_dict() for p in self.people],
            "explanation": self.explanation,
            "explanation_data": dict(self.explanation_data or {}),
            "score_parts": dict(self.score_parts) if self.score_parts is not None else None,
            "weak": list(self.weak),
        }


@dataclass(frozen=True)
class RoundView:
    """Everything a reviewer needs about a stored round."""

    id: int | None
    kind: str
    status: str
    origin: str
    created_at: str  # ISO 8601
    embedder: str
    total_score: float
    mean_score: float
    groups: tuple[GroupView, ...]
    weak_summary: str = ""  # "3 van de 12 groepen zijn zwak: 4, 9 en 12", or empty

    @property
    def for_review(self) -> list[GroupView]:
        """The groups in the order a reviewer reads them: weak ones first."""
        return weak_first(self.groups)

    kept_apart: int = 0  # pairs the matcher kept apart after a "not a fit" follow-up

    def group_at(self, position: int) -> GroupView | None:
        return next((g for g in self.groups if g.position == position), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "origin": self.origin,
            "created_at": self.created_at,
            "embedder": self.embedder,
            "total_score": self.total_score,
            "mean_score": self.mean_score,
            "groups": [g.as_dict() for g in self.groups],
            "weak_groups": sum(1 for g in self.groups if g.weak),
            "weak_summary": self.weak_summary,
        }


@dataclass(frozen=True)
class ProposalView:
    """A dry-run proposal (``maatjes match``): nothing stored, shaped like a round."""

    kind: str
    embedder: str
    weights: Mapping[str, Any]
    people: int  # how many people it considered
    unplaced: tuple[int | None, ...]
    mean_score: float
    total_score: float
    groups: tuple[GroupView, ...]
    id: None = None  # never stored
    status: str = "dry-run"
    weak_summary: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "embedder": self.embedder,
            "weights": dict(self.weights),
            "people": self.people,
            "unplaced": list(self.unplaced),
            "mean_score": self.mean_score,
            "total_score": self.total_score,
            "groups": [g.as_proposal_dict() for g in self.groups],
            "weak_groups": sum(1 for g in self.groups if g.weak),
            "weak_summary": self.weak_summary,
        }


@dataclass(frozen=True)
class CommunityStats:
    """Active people (finished profile, live consent), counted by each answer (the overview)."""

    total: int
    paused: int
    demo: int
    group: Mapping[str, int]
    region: Mapping[str, int]
    theme: Mapping[str, int]
    phase: Mapping[str, int]


def mean_of(scores: Sequence[float]) -> float:
    """The mean score of a round's groups (0 for none), which each group is shown against."""
    return sum(scores) / len(scores) if scores else 0.0


def weak_first(groups: Sequence[GroupView]) -> list[GroupView]:
    """Weak groups first (lowest score first among them), then the others in their order."""
    weak = sorted((g for g in groups if g.weak), key=lambda g: (g.score, g.position))
    return weak + [g for g in groups if not g.weak]
