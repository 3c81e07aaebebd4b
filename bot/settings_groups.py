"""What each part of Maatjes reads of the settings, as small frozen groups.

The environment stays flat (``MAATJES_FOLLOW_UP_DAYS``, not ``MAATJES_ROUNDS__FOLLOW_UP_DAYS``), so
every operator's .env keeps working; ``Settings.groups`` makes these from the flat fields. A
service takes only its group, so what it depends on shows in its constructor, and a test builds
just that. No defaults here: a group is always made from ``Settings``, the one place defaults live.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

from pydantic import SecretStr

#: How people sign in to the web chat: ``email`` (a single-use link mailed to their work
#: address), ``oidc`` (their organisation's OpenID Connect provider), ``name`` (a name of their
#: choice: a local trial on this machine only) or ``off``.
WebSignIn = Literal["email", "oidc", "name", "off"]


@dataclass(frozen=True)
class PublicLinks:
    """Absolute links to pages of this app, for messages people click outside it."""

    base_url: str

    def person_link(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


@dataclass(frozen=True)
class MatchingSettings:
    """The matching engine: which embedder, how to weigh a match, how big a club is."""

    embedder: str
    embedder_threads: int
    allow_model_download: bool
    weight_cross: float
    weight_work: float
    weight_themes: float
    weight_mix: float
    weight_phase: float
    weight_history: float
    history_half_life_days: float
    club_min_size: int
    club_max_size: int
    #: A group under this score (0–100), or with a member whose best pair in it is under
    #: ``weak_pair``, is marked weak for review.
    weak_score: float
    weak_pair: float
    not_a_fit_weight: float
    not_a_fit_half_life_days: float

    @classmethod
    def named_like(cls, settings: object) -> MatchingSettings:
        """From the flat settings, whose fields have the same names as these."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class RoundSettings:
    """Match rounds: their kind and rhythm, who reviews them, the follow-up after introductions."""

    links: PublicLinks
    round_kind: Literal["clubs", "pairs"]
    round_interval_days: int
    follow_up_days: int
    #: Days after the follow-up when a group that did not meet is asked once more (then freed).
    follow_up_again_days: int
    club_min_size: int
    club_max_size: int
    coordinators: frozenset[str]
    admins: frozenset[str]
    #: Whether the scheduler proposes rounds by itself (so a person can be told when).
    scheduled_rounds: bool = True


@dataclass(frozen=True)
class CheckInSettings:
    """Reflection check-ins: when one is late enough to send, to remind about, to close."""

    grace_hours: int
    reminder_days: int
    answer_days: int


@dataclass(frozen=True)
class PrivacySettings:
    """Privacy requests and retention: the policy, download links, when inactive data goes."""

    links: PublicLinks
    signing_key: str = field(repr=False)  # signs export links (the session key)
    policy_version: str
    contact: str
    default_language: Literal["nl", "en"]
    export_link_minutes: int
    retention_inactive_days: int
    retention_grace_days: int


@dataclass(frozen=True)
class WebSettings:
    """The web server: address, sign-in, request limits, dashboard sessions and logins."""

    host: str
    port: int
    links: PublicLinks
    secure_cookies: bool
    signin: WebSignIn
    name_signin_exposed: bool
    rate_limit: str
    max_request_bytes: int
    dashboard_session_hours: int
    login_rate_limit: str
    login_account_rate_limit: str
    login_lockout: str
    #: sign-in sessions of the chat (e-mail link, OIDC): absolute and idle lifetimes, seconds
    session_lifetime: int
    session_idle: int
    #: a dashboard session's idle lifetime, seconds (its absolute one: dashboard_session_hours)
    dashboard_idle: int
    email: EmailSignIn
    oidc: OidcSignIn | None


@dataclass(frozen=True)
class EmailSignIn:
    """Sign-in by a link mailed to a work address."""

    #: allowed address domains (``gemeente.nl``, ``*.nl``); empty: any domain
    domains: tuple[str, ...]
    link_minutes: int
    #: sign-in links asked per address and per client (``limits`` strings)
    address_rate_limit: str
    client_rate_limit: str

    def allows(self, address: str) -> bool:
        """Whether ``address`` (lower case) is in an allowed domain: ``*.nl`` allows every
        domain under ``nl``; ``gemeente.nl`` exactly that one."""
        if not self.domains:
            return True
        domain = address.rpartition("@")[2]
        for allowed in self.domains:
            if allowed.startswith("*."):
                if domain.endswith(allowed[1:]) and domain != allowed[2:]:
                    return True
            elif domain == allowed:
                return True
        return False


@dataclass(frozen=True)
class OidcSignIn:
    """Single sign-on with an OpenID Connect provider (authorization code flow with PKCE)."""

    issuer: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    scopes: str


@dataclass(frozen=True)
class MailSettings:
    """E-mail as a channel: the SMTP relay, the sender, and how links in mails are signed."""

    enabled: bool
    smtp_url: SecretStr | None = field(repr=False)
    mail_from: str
    reply_to: str | None
    links: PublicLinks
    signing_key: str = field(repr=False)  # signs unsubscribe and open links (the session key)
    default_language: Literal["nl", "en"]
    timeout_seconds: float


@dataclass(frozen=True)
class SlackSettings:
    """Slack: one workspace with a bot token, or several through OAuth (``mode``)."""

    mode: Literal["token", "oauth"] | None
    api_url: str
    bot_token: SecretStr | None
    signing_secret: SecretStr | None
    app_token: SecretStr | None
    client_id: str | None
    client_secret: SecretStr | None
    state_secret: SecretStr | None


@dataclass(frozen=True)
class TeamsSettings:
    """Microsoft Teams: served when ``enabled`` (an app id and secret are both set)."""

    enabled: bool
    app_id: str | None
    app_secret: SecretStr | None
    tenant_id: str | None
    allowed_tenants: frozenset[str]
    authority: str | None
    app_name: str
    website_url: str


def qualify_oidc(entries: frozenset[str], issuer: str) -> frozenset[str]:
    """``oidc:SUB`` (a subject alone) as ``oidc:ISSUER|SUB``, the web identity an OIDC sign-in at
    ``issuer`` makes; entries that name their issuer, and other platforms, stay as they are."""
    issuer = issuer.rstrip("/")

    def full(entry: str) -> str:
        user = entry.removeprefix("oidc:")
        return f"oidc:{issuer}|{user}" if entry.startswith("oidc:") and "|" not in user else entry

    return frozenset(full(entry) for entry in entries)
