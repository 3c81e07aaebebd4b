"""Composition root: settings → database → services → platforms → one ASGI app (web chat, health,
the Slack and Teams endpoints and the coordinator dashboard)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from bot import jobs
from bot.core.conversation import CoreConfig
from bot.core.dialogue import Intake
from bot.http import dashboard
from bot.http import privacy as privacy_routes
from bot.http.dashboard import invitations as invitation_routes
from bot.http.main import create_web_app
from bot.platforms import introduction_links, packages
from bot.platforms.base import Deps, Platform
from bot.services.accounts import Accounts, LoginThrottle
from bot.services.checkins import CheckInService
from bot.services.conversations import ConversationService
from bot.services.delivery import Delivery, PostponedReplies, Sender
from bot.services.follow_ups import FollowUps
from bot.services.group_conversations import GroupConversations
from bot.services.housekeeping import Housekeeping
from bot.services.insights import InsightsService
from bot.services.invitations import Invitations
from bot.services.privacy import PrivacyService
from bot.services.rounds import Proposer, RoundService
from bot.services.threads import GroupThreads
from bot.services.throttle import TurnLimiter
from bot.services.web_identities import WebIdentities
from bot.settings import Settings
from bot.settings_checks import privacy_contact_missing
from storage.db import is_reachable, make_engine, migrate
from storage.files import private_directory

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Every platform's build, in the order their endpoints are mounted; each returns None when its
#: platform is not configured (the web chat is always on).
PLATFORMS = tuple(package.build for package in packages())


@dataclass
class Maatjes:
    """The parts the entry points (server, CLI, tests) share."""

    settings: Settings
    engine: Engine
    conversations: ConversationService
    rounds: RoundService
    delivery: Delivery
    checkins: CheckInService
    platforms: tuple[Platform, ...] = ()
    privacy: PrivacyService | None = None

    @property
    def housekeeping(self) -> Housekeeping:
        return Housekeeping(self.engine)

    @property
    def follow_ups(self) -> FollowUps:
        return FollowUps(self.engine, self.settings.groups.rounds)

    @property
    def invitations(self) -> Invitations | None:
        """Inviting people by e-mail: only when mail is configured."""
        if not self.settings.mail_enabled:
            return None
        return Invitations(self.engine, links=self.settings.links)

    def adapter(self, kind: type[T]) -> T | None:
        """The configured platform whose own object is a ``kind`` (Slack's adapter for Socket
        Mode, Teams' for tests), else None."""
        for platform in self.platforms:
            if isinstance(platform.adapter, kind):
                return platform.adapter
        return None


def build(settings: Settings, *, run_migrations: bool = True) -> Maatjes:
    if settings.data_dir.exists():  # the database and the session key live here: owner only
        private_directory(settings.data_dir)
    engine = make_engine(settings.resolved_database_url)
    if run_migrations:
        migrate(engine)
    intake = Intake(
        CoreConfig(
            policy_version=settings.privacy_policy_version,
            max_answer_length=settings.max_answer_length,
            privacy_contact=settings.privacy_contact,
            retention_days=settings.retention_inactive_days,
            community_name=settings.community_name,
        )
    )
    privacy = PrivacyService(engine, settings.groups.privacy)
    proposer = _proposer(settings)
    rounds = RoundService(
        engine,
        settings.groups.rounds,
        proposer=proposer,
        group_conversations=introduction_links(settings),
    )
    embed = getattr(proposer, "embed_person", None)
    conversations = ConversationService(
        engine,
        intake,
        default_language=settings.default_language,
        rounds=rounds,
        on_profile_committed=(lambda person_id: embed(engine, person_id)) if embed else None,
        privacy=privacy,
        limiter=TurnLimiter(settings.rate_limit) if settings.rate_limit else None,
    )
    deps = Deps(
        engine=engine,
        conversations=conversations,
        intake=intake,
        threads=GroupThreads(engine, link=settings.person_link, limiter=conversations.limiter),
        replies=PostponedReplies(engine),
    )
    platforms = tuple(p for p in (make(settings, deps) for make in PLATFORMS) if p is not None)
    senders: dict[str, Sender] = {}
    group_conversations: dict[str, GroupConversations] = {}
    for platform in platforms:
        for name in platform.names:
            if platform.sender is not None:
                senders[name] = platform.sender
            if platform.conversations is not None:
                group_conversations[name] = platform.conversations
    channels = {name: c for p in platforms for name, c in p.channels.items()}
    copies = {name: c for p in platforms for name, c in p.copies.items()}
    delivery = Delivery(
        engine,
        senders,
        group_conversations=group_conversations,
        channels=channels,
        copies=copies,
    )
    return Maatjes(
        settings=settings,
        engine=engine,
        conversations=conversations,
        rounds=rounds,
        delivery=delivery,
        checkins=CheckInService(engine, settings.groups.checkins),
        platforms=platforms,
        privacy=privacy,
    )


def _insights(maatjes: Maatjes) -> InsightsService | None:
    """The lessons of the community, over the matcher's embedder (one model loaded, not two)."""
    proposer = maatjes.rounds.proposer
    if proposer is None or not hasattr(proposer, "embedder"):
        return None
    return InsightsService(maatjes.engine, lambda: proposer.embedder)


def _proposer(settings: Settings) -> Proposer | None:
    """The matching engine behind rounds; loaded lazily so the chat starts without it."""
    try:
        from bot.services.matchmaking import Matchmaker
    except ImportError:  # pragma: no cover - the matcher ships with Maatjes
        return None
    proposer: Proposer = Matchmaker(settings.groups.matching)
    return proposer


def create_app(settings: Settings | None = None, *, maatjes: Maatjes | None = None) -> FastAPI:
    settings = settings or Settings()
    maatjes = maatjes or build(settings)
    assert settings is not None

    contact_missing = privacy_contact_missing(settings.privacy_contact)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if contact_missing:
            log.warning(
                "MAATJES_PRIVACY_CONTACT is not set: privacy notices name a placeholder "
                "instead of someone people can write to (set it to an address or a name)"
            )
        running = jobs.start(maatjes) if settings.scheduler else None
        try:
            yield
        finally:
            if running is not None:
                running.shutdown(wait=False)

    larger = {path: size for p in maatjes.platforms for path, size in p.body_limits.items()}
    larger[invitation_routes.PATH] = invitation_routes.MAX_UPLOAD + 10_000  # the form around it
    app = create_web_app(
        settings,
        healthy=lambda: is_reachable(maatjes.engine),
        lifespan=lifespan,
        larger_bodies=larger,
    )
    app.state.maatjes = maatjes

    for platform in maatjes.platforms:
        if platform.mount is not None:
            platform.mount(app)
    web = settings.groups.web
    dashboard.mount(
        app,
        Accounts(
            maatjes.engine,
            throttle=LoginThrottle(
                per_address=web.login_rate_limit,
                per_account=web.login_account_rate_limit,
                lockout=web.login_lockout,
            ),
        ),
        maatjes.rounds,
        maatjes.privacy,
        session_hours=web.dashboard_session_hours,
        invitation_service=maatjes.invitations,
        signin=web.email,
        default_language=settings.default_language,
        identities=WebIdentities(maatjes.engine) if web.signin in ("email", "oidc") else None,
        identity_lifetime=web.session_lifetime,
        idle=web.dashboard_idle,
        privacy_contact_missing=contact_missing,
        insights_service=_insights(maatjes),
    )
    if maatjes.privacy is not None:
        app.include_router(privacy_routes.router(maatjes.privacy))
    return app
