"""The coordinator dashboard: server-rendered pages on the same app, for coordinators only.

Login with a local account (Argon2 hash) whose ``local:NAME`` identity is a coordinator or admin;
logins are throttled per client address and per account; every form carries a per-session CSRF
token; every request checks the session against the account (logout and a new password end it)
and the role again (bot.http.deps: Coordinator, Admin, Csrf). One module per resource: login,
community (overview, network), rounds (and swapping), people, privacy, audit, insights.
"""

from __future__ import annotations

from fastapi import FastAPI

from bot.http.dashboard import (
    audit,
    community,
    insights,
    invitations,
    login,
    people,
    privacy,
    rounds,
    swapping,
)
from bot.http.dashboard.pages import PREFIX, install_refusals
from bot.http.deps import DashboardSessions
from bot.services.accounts import Accounts
from bot.services.audit_trail import AuditTrail, RefusedLogins
from bot.services.coordinator_views import CoordinatorViews
from bot.services.insights import InsightsService
from bot.services.invitations import Invitations
from bot.services.people_directory import PeopleDirectory
from bot.services.privacy import PrivacyService
from bot.services.rounds import RoundService
from bot.services.web_identities import WebIdentities
from bot.settings_groups import EmailSignIn

__all__ = ["PREFIX", "mount"]


def mount(
    app: FastAPI,
    accounts: Accounts,
    round_service: RoundService,
    privacy_service: PrivacyService | None = None,
    *,
    session_hours: int,
    signin: EmailSignIn,
    invitation_service: Invitations | None = None,
    default_language: str = "nl",
    identities: WebIdentities | None = None,
    identity_lifetime: float = 0,
    idle: float = 0,
    privacy_contact_missing: bool = False,
    insights_service: InsightsService | None = None,
) -> None:
    """The dashboard's routes under /dashboard, the session check its dependencies use, and the
    answers for requests they stop."""
    engine = round_service.engine
    lifetime = session_hours * 3600
    app.state.dashboard_sessions = DashboardSessions(
        accounts,
        round_service.access,
        lifetime=lifetime,
        identities=identities,
        identity_lifetime=identity_lifetime,
        idle=idle,
    )
    trail = AuditTrail(engine)
    refusals = RefusedLogins(engine)
    views = CoordinatorViews(engine)
    directory = PeopleDirectory(engine)
    # admins see a notice on every page until MAATJES_PRIVACY_CONTACT names a real contact
    app.state.privacy_contact_missing = privacy_contact_missing
    install_refusals(app, trail)
    app.add_exception_handler(privacy.Unavailable, privacy.unavailable)
    app.include_router(login.router(accounts, round_service.access, refusals))
    app.include_router(community.router(views))
    app.include_router(rounds.router(round_service, views))
    app.include_router(swapping.router(round_service, views))
    app.include_router(people.router(directory))
    app.include_router(privacy.router(privacy_service, directory))
    app.include_router(audit.router(trail, refusals))
    app.include_router(insights.router(insights_service))
    app.include_router(
        invitations.router(
            invitation_service,
            signin=signin,
            default_language=default_language,
        )
    )
