"""What the coordinator dashboard shows, read in one short session each: the community at a
glance, the rounds, a round under review and who is introduced to whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.services.alternatives import Alternative
from bot.services.community import community_stats
from bot.services.follow_ups import meeting_rates
from bot.services.network import Network, NetworkFilter, network
from bot.services.round_views import alternative_names, round_view
from bot.services.views import CommunityStats, MeetingRate, MemberView, RoundView
from storage import checkins, outbox, rounds
from storage.models import MatchRound, Person


@dataclass(frozen=True)
class Overview:
    """The dashboard's first page."""

    stats: CommunityStats
    latest: MatchRound | None
    failed: int  # messages the outbox gave up on
    participation: dict[str, int]
    quiet: list[int]  # groups that have not answered their last check-ins


@dataclass(frozen=True)
class AlternativesView:
    """A round with the names of a member and of everyone the alternatives bring in."""

    round: RoundView
    names: dict[int, str]
    people: dict[int, MemberView]  # the member and everyone the alternatives bring in


class CoordinatorViews:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def overview(self) -> Overview:
        with Session(self.engine) as session:
            return Overview(
                stats=community_stats(session),
                latest=rounds.latest_round(session),
                failed=len(outbox.entries(session, status="failed")),
                participation=checkins.participation(session),
                quiet=checkins.quiet_groups(session),
            )

    def recent_rounds(self) -> Sequence[MatchRound]:
        with Session(self.engine) as session:
            return rounds.rounds(session)

    def meeting_rates(self) -> list[MeetingRate]:
        """Per round, oldest first: the share of introduced members who said they met."""
        with Session(self.engine) as session:
            return meeting_rates(session)

    def network(self, shown: NetworkFilter | None = None) -> Network:
        with Session(self.engine) as session:
            return network(session, shown)

    def round(self, round_id: int, *, language: str) -> RoundView:
        """Raises UnknownRound."""
        with Session(self.engine) as session:
            return round_view(session, round_id=round_id, language=language)

    def alternatives(
        self, round_id: int, *, member: int, options: Sequence[Alternative], language: str
    ) -> AlternativesView:
        with Session(self.engine) as session:
            view = round_view(session, round_id=round_id, language=language)
            names = alternative_names(session, member, options)
            found = (session.get(Person, pid) for pid in names)
            people = {p.id: MemberView.of(p) for p in found if p is not None and p.id is not None}
            return AlternativesView(round=view, names=names, people=people)
