"""Settings, read from the environment and ``.env`` (every one is documented in .env.example)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.settings_checks import (
    MAKE_A_KEY,
    MIN_KEY_BYTES,
    PRIVACY_CONTACT_PLACEHOLDER,
    check_mail_address,
    check_smtp_url,
    is_loopback,
    is_wildcard,
    parse_domains,
    parse_tenants,
    require_strong,
    url_host,
)
from bot.settings_groups import (
    CheckInSettings,
    EmailSignIn,
    MailSettings,
    MatchingSettings,
    OidcSignIn,
    PrivacySettings,
    PublicLinks,
    RoundSettings,
    SlackSettings,
    TeamsSettings,
    WebSettings,
    qualify_oidc,
)
from bot.settings_groups import WebSignIn as WebSignIn  # read from here by the web chat

Identities = Annotated[frozenset[str], NoDecode]


class SettingsRefused(RuntimeError):
    """The settings are unsafe to start with; the message tells the operator what to change."""


def _slack(name: str) -> AliasChoices:
    """Slack's own variable names (``SLACK_BOT_TOKEN``) work as well as ``MAATJES_SLACK_…``."""
    return AliasChoices(f"MAATJES_{name}", name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MAATJES_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,  # Settings(slack_bot_token=...) as well as the environment names
        hide_input_in_errors=True,  # a refused secret never appears in an error or a log
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr | None = None
    default_language: Literal["nl", "en"] = "nl"
    privacy_policy_version: str = "2026-12"
    privacy_contact: str = PRIVACY_CONTACT_PLACEHOLDER
    community_name: str | None = Field(default=None, max_length=120)
    max_answer_length: int = Field(default=2000, ge=100, le=20_000)
    max_request_bytes: int = Field(default=64_000, ge=1_000)
    log_level: str = "INFO"
    embedder: str = "default"
    embedder_threads: int = Field(default=1, ge=1, le=64)
    allow_model_download: bool = False
    weight_cross: float = Field(default=0.45, ge=0)
    weight_work: float = Field(default=0.20, ge=0)
    weight_themes: float = Field(default=0.15, ge=0)
    weight_mix: float = Field(default=0.12, ge=0)
    weight_phase: float = Field(default=0.08, ge=0)
    weight_history: float = Field(default=1.0, ge=0)
    history_half_life_days: float = Field(default=120.0, gt=0)
    not_a_fit_weight: float = Field(default=3.0, ge=0)
    not_a_fit_half_life_days: float = Field(default=365.0, gt=0)
    club_min_size: int = Field(default=3, ge=2, le=10)
    club_max_size: int = Field(default=5, ge=2, le=12)
    weak_score: float = Field(default=25.0, ge=0, le=100)  # a group scoring under it is weak
    weak_pair: float = Field(default=30.0, ge=0, le=100)  # a member whose best pair is under it
    coordinators: Identities = frozenset()
    admins: Identities = frozenset()
    round_kind: Literal["clubs", "pairs"] = "clubs"
    follow_up_days: int = Field(default=14, ge=1, le=365)
    follow_up_again_days: int = Field(default=14, ge=1, le=365)  # a group that did not meet
    round_interval_days: int = Field(default=30, ge=1, le=365)
    secure_cookies: bool = False
    scheduler: bool = True
    scheduled_rounds: bool = True
    delivery_interval_seconds: int = Field(default=30, ge=1, le=3600)
    checkins: bool = True
    checkin_grace_hours: int = Field(default=48, ge=0, le=24 * 30)
    checkin_reminder_days: int = Field(default=3, ge=1, le=30)
    checkin_answer_days: int = Field(default=7, ge=1, le=60)
    # Microsoft Teams (Microsoft 365 Agents SDK): /api/messages is served with app id and secret.
    teams_app_id: str | None = None
    teams_app_secret: SecretStr | None = None
    teams_tenant_id: str | None = None
    teams_allowed_tenants: Annotated[frozenset[str], NoDecode] = frozenset()
    teams_authority: str | None = None
    teams_app_name: str = Field(default="Maatjes", min_length=1, max_length=30)
    teams_website_url: str = "https://github.com/maatjes/maatjes"

    @model_validator(mode="after")
    def _teams_tenant(self) -> Settings:
        if self.teams_enabled and not self.teams_tenant_id:
            raise ValueError(
                "MAATJES_TEAMS_TENANT_ID is required when MAATJES_TEAMS_APP_ID and "
                "MAATJES_TEAMS_APP_SECRET are set (the Entra tenant of the app registration)"
            )
        return self

    # Slack (see README, "Install Maatjes in your Slack workspace")
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_slack("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_slack("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_slack("SLACK_APP_TOKEN")
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=_slack("SLACK_API_URL")
    )
    slack_client_id: str | None = Field(default=None, validation_alias=_slack("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_slack("SLACK_CLIENT_SECRET")
    )
    slack_state_secret: SecretStr | None = Field(
        default=None, validation_alias=_slack("SLACK_STATE_SECRET")
    )

    public_url: str | None = None
    export_link_minutes: int = Field(default=15, ge=1, le=24 * 60)
    retention: bool = True
    retention_inactive_days: int = Field(default=365, ge=30, le=3650)
    retention_grace_days: int = Field(default=30, ge=1, le=365)
    rate_limit: str = "30/minute;300/hour"
    dashboard_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: unset: ``email`` when mail is configured (MAATJES_SMTP_URL), else ``name``
    web_signin: WebSignIn | None = None
    # Sessions of the web chat signed in by e-mail link or OIDC: absolute and idle lifetimes.
    session_days: int = Field(default=30, ge=1, le=365)
    session_idle_hours: int = Field(default=72, ge=1, le=24 * 365)
    dashboard_idle_minutes: int = Field(default=60, ge=5, le=24 * 60)
    # Sign-in by e-mail link
    email_domains: Annotated[frozenset[str], NoDecode] = frozenset()
    signin_link_minutes: int = Field(default=15, ge=5, le=24 * 60)
    signin_address_rate_limit: str = "3/15 minutes;10/day"
    signin_client_rate_limit: str = "10/15 minutes;50/day"
    # Single sign-on (OpenID Connect)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    # E-mail (see README, "Run a pilot"): smtp://user:password@host:587 (STARTTLS when the
    # server offers it; required with a password) or smtps://…:465 (TLS from the start).
    smtp_url: SecretStr | None = None
    mail_from: str | None = None
    mail_reply_to: str | None = None
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # Dashboard logins: attempts per client address, attempts per account, and failures per
    # account after which the account is locked until they leave the window.
    login_rate_limit: str = "10/minute;100/hour"
    login_account_rate_limit: str = "10/minute;50/hour"
    login_lockout: str = "10/15 minutes"

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty or blank value of an optional setting means "not set", never an empty secret,
        token, id or URL (``MAATJES_SECRET_KEY=`` in a copied .env, or ``"  "``)."""
        field = cls.model_fields.get(info.field_name or "")
        if field is None or field.default is not None or field.is_required():
            return value
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            value = value.strip()  # a pasted secret's stray space or newline is no part of it
            return value or None
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            require_strong("MAATJES_SECRET_KEY", value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _strong_state_secret(self) -> Settings:
        # The OAuth state secret signs the state of every Slack installation (oauth mode only).
        if self.slack_mode == "oauth" and self.slack_state_secret is not None:
            require_strong("MAATJES_SLACK_STATE_SECRET", self.slack_state_secret.get_secret_value())
        return self

    @model_validator(mode="after")
    def _links_have_an_address(self) -> Settings:
        if self.public_url is None and is_wildcard(self.host):
            raise ValueError(
                f"MAATJES_HOST={self.host} listens on every address, so it is no address to link "
                "to: set MAATJES_PUBLIC_URL to the address people reach Maatjes at "
                "(for example https://maatjes.example.nl)"
            )
        if self.public_url is not None and is_wildcard(urlsplit(self.public_url).hostname or ""):
            raise ValueError(
                "MAATJES_PUBLIC_URL must name the address people reach Maatjes at, "
                "not 0.0.0.0 or ::"
            )
        return self

    @model_validator(mode="after")
    def _oidc_staff(self) -> Settings:
        """``oidc:SUB`` among the coordinators/admins: that subject at MAATJES_OIDC_ISSUER."""
        if self.oidc_issuer:
            self.coordinators = qualify_oidc(self.coordinators, self.oidc_issuer)
            self.admins = qualify_oidc(self.admins, self.oidc_issuer)
        return self

    @model_validator(mode="after")
    def _club_sizes(self) -> Settings:
        if self.club_min_size > self.club_max_size:
            raise ValueError("MAATJES_CLUB_MIN_SIZE must not exceed MAATJES_CLUB_MAX_SIZE")
        return self

    @field_validator("coordinators", "admins", mode="before")
    @classmethod
    def _identities(cls, value: object) -> frozenset[str]:
        """``platform:user`` entries, comma separated (``local:tessa,slack:U0123``); a bare name
        means a local (web chat / dashboard) account."""
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",")]
        elif isinstance(value, (set, frozenset, list, tuple)):
            items = [str(item).strip() for item in value]
        else:
            raise ValueError("expected a comma-separated list of platform:user entries")
        found = set()
        for item in filter(None, items):
            platform, _, user = item.partition(":") if ":" in item else ("local", "", item)
            user = user.strip()
            folds = {"local": str.casefold, "email": str.lower}  # e-mail: as sign-in stores it
            user = folds.get(platform.strip(), str.strip)(user)
            found.add(f"{platform.strip()}:{user}")
        return frozenset(found)

    @field_validator("teams_allowed_tenants", mode="before")
    @classmethod
    def _tenants(cls, value: object) -> frozenset[str]:
        return parse_tenants(value)

    @property
    def teams_enabled(self) -> bool:
        secret = self.teams_app_secret.get_secret_value() if self.teams_app_secret else ""
        return bool(self.teams_app_id and secret)

    @property
    def mail_enabled(self) -> bool:
        return self.smtp_url is not None and self.mail_from is not None

    @property
    def cookies_secure(self) -> bool:
        """Cookies only over TLS: when asked, and whenever people reach Maatjes by https."""
        return self.secure_cookies or (self.public_url or "").startswith("https://")

    @property
    def slack_mode(self) -> Literal["token", "oauth"] | None:
        """How Slack is set up: one workspace with a bot token, several through OAuth, or not."""
        if self.slack_signing_secret is None:
            return None
        if self.slack_client_id and self.slack_client_secret is not None:
            return "oauth"
        if self.slack_bot_token is not None:
            return "token"
        return None

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        """``N/second|minute|hour|day`` items, ``;``-separated; empty switches limiting off."""
        if value.strip():
            from limits import parse_many

            try:
                parse_many(value)
            except ValueError as problem:
                raise ValueError(f"MAATJES_RATE_LIMIT: {problem}") from problem
        return value.strip()

    @field_validator("email_domains", mode="before")
    @classmethod
    def _domains(cls, value: object) -> frozenset[str]:
        return parse_domains(value)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_smtp_url(value.get_secret_value())
        return value

    @field_validator("mail_from", "mail_reply_to")
    @classmethod
    def _mail_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            check_mail_address(value, f"MAATJES_{str(info.field_name).upper()}")
        return value

    @model_validator(mode="after")
    def _signin_method(self) -> Settings:
        """The sign-in method, and what it needs; name-only sign-in on this machine only."""
        if self.smtp_url is not None and self.mail_from is None:
            raise ValueError("MAATJES_MAIL_FROM is required when MAATJES_SMTP_URL is set")
        signin = self.signin
        if signin == "email" and not self.mail_enabled:
            raise ValueError(
                "MAATJES_WEB_SIGNIN=email mails sign-in links: set MAATJES_SMTP_URL and "
                "MAATJES_MAIL_FROM (see README, Run a pilot)"
            )
        if signin == "oidc":
            missing = [
                f"MAATJES_{name.upper()}"
                for name in ("oidc_issuer", "oidc_client_id", "oidc_client_secret")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"MAATJES_WEB_SIGNIN=oidc needs {', '.join(missing)}")
            if not self.oidc_issuer or not self.oidc_issuer.startswith(("https://", "http://")):
                raise ValueError("MAATJES_OIDC_ISSUER must be the provider's https:// address")
        if signin in ("email", "oidc") and self.public_url is None:
            raise ValueError(
                f"MAATJES_WEB_SIGNIN={signin} sends people links: set "
                "MAATJES_PUBLIC_URL to the address they reach Maatjes at"
            )
        if self.name_signin_exposed:
            raise ValueError(
                "MAATJES_WEB_SIGNIN=name lets anyone who reaches the page sign in as anyone: "
                "it is a trial on this machine only (MAATJES_HOST=127.0.0.1 and no public "
                "MAATJES_PUBLIC_URL). For people elsewhere set MAATJES_SMTP_URL and "
                "MAATJES_MAIL_FROM (sign-in by e-mail link), or MAATJES_WEB_SIGNIN=oidc or off"
            )
        return self

    @field_validator(
        "login_rate_limit",
        "login_account_rate_limit",
        "login_lockout",
        "signin_address_rate_limit",
        "signin_client_rate_limit",
    )
    @classmethod
    def _login_limit(cls, value: str, info: ValidationInfo) -> str:
        """Like MAATJES_RATE_LIMIT, but never empty: logins are always throttled."""
        from limits import parse_many

        name = f"MAATJES_{str(info.field_name).upper()}"
        if not value.strip():
            raise ValueError(f"{name} must not be empty (e.g. 10/minute;100/hour)")
        try:
            parse_many(value)
        except ValueError as problem:
            raise ValueError(f"{name}: {problem}") from problem
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("MAATJES_PUBLIC_URL must start with http:// or https://")
        return value.strip().rstrip("/")

    @property
    def resolved_public_url(self) -> str:
        """Where people reach this app (links in chat messages point here). Never a wildcard
        address: settings that bind one without MAATJES_PUBLIC_URL are refused."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if is_wildcard(self.host) else url_host(self.host.strip())
        return f"http://{host}:{self.port}"

    def person_link(self, path: str) -> str:
        """The absolute link a person receives (in any chat platform or message) to a page of
        this app, e.g. ``/groups/17``: people click it outside the app, so never a relative one."""
        return self.links.person_link(path)

    @property
    def links(self) -> PublicLinks:
        return PublicLinks(self.resolved_public_url)

    @property
    def groups(self) -> SettingsGroups:
        """The settings each part needs, as small frozen views over these flat fields (see
        ``SettingsGroups``)."""
        return SettingsGroups(self)

    @property
    def name_signin_exposed(self) -> bool:
        """Name-only web sign-in on an address others may reach: anyone there could sign in as
        anyone (so such settings are refused)."""
        if self.signin != "name":
            return False
        public_host = urlsplit(self.public_url).hostname if self.public_url else None
        return not is_loopback(self.host) or (
            public_host is not None and not is_loopback(public_host)
        )

    @property
    def signin(self) -> WebSignIn:
        """MAATJES_WEB_SIGNIN as resolved (``email`` when mail is configured, else ``name``)."""
        return self.web_signin or ("email" if self.mail_enabled else "name")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'maatjes.db').resolve()}"

    def session_secret(self) -> str:
        """The cookie-signing key: from settings, or made once and kept in the data directory
        (0600). Processes starting at once all get the same key; a short one is refused."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        from storage.files import create_private_once, private_directory, tighten_if_present

        private_directory(self.data_dir)
        path = self.data_dir / "secret_key"
        tighten_if_present(path)
        key = create_private_once(path, secrets.token_urlsafe(48).encode("ascii"))
        text = key.decode("utf-8", errors="replace").strip()
        if len(text.encode("utf-8")) < MIN_KEY_BYTES:
            raise SettingsRefused(
                f"the generated session key {path} is empty or too short (an earlier version "
                "could leave it so): delete that file and start again to make a new one, or set "
                f"MAATJES_SECRET_KEY ({MAKE_A_KEY})"
            )
        return text


@dataclass(frozen=True)
class SettingsGroups:
    """``settings.groups.rounds`` and so on. A namespace rather than properties on ``Settings``
    itself, because some group names are flat switches already (``MAATJES_CHECKINS``,
    ``MAATJES_RETENTION``); each group is made when asked for, from the settings as they are."""

    settings: Settings

    @property
    def matching(self) -> MatchingSettings:
        return MatchingSettings.named_like(self.settings)

    @property
    def rounds(self) -> RoundSettings:
        s = self.settings
        return RoundSettings(
            links=s.links,
            round_kind=s.round_kind,
            round_interval_days=s.round_interval_days,
            follow_up_days=s.follow_up_days,
            follow_up_again_days=s.follow_up_again_days,
            club_min_size=s.club_min_size,
            club_max_size=s.club_max_size,
            coordinators=s.coordinators,
            admins=s.admins,
            scheduled_rounds=s.scheduler and s.scheduled_rounds,
        )

    @property
    def checkins(self) -> CheckInSettings:
        s = self.settings
        return CheckInSettings(
            grace_hours=s.checkin_grace_hours,
            reminder_days=s.checkin_reminder_days,
            answer_days=s.checkin_answer_days,
        )

    @property
    def privacy(self) -> PrivacySettings:
        """Reads the session key, making it once in the data directory if it is not set."""
        s = self.settings
        return PrivacySettings(
            links=s.links,
            signing_key=s.session_secret(),
            policy_version=s.privacy_policy_version,
            contact=s.privacy_contact,
            default_language=s.default_language,
            export_link_minutes=s.export_link_minutes,
            retention_inactive_days=s.retention_inactive_days,
            retention_grace_days=s.retention_grace_days,
        )

    @property
    def web(self) -> WebSettings:
        s = self.settings
        return WebSettings(
            host=s.host,
            port=s.port,
            links=s.links,
            secure_cookies=s.cookies_secure,
            signin=s.signin,
            name_signin_exposed=s.name_signin_exposed,
            rate_limit=s.rate_limit,
            max_request_bytes=s.max_request_bytes,
            dashboard_session_hours=s.dashboard_session_hours,
            login_rate_limit=s.login_rate_limit,
            login_account_rate_limit=s.login_account_rate_limit,
            login_lockout=s.login_lockout,
            session_lifetime=s.session_days * 24 * 3600,
            session_idle=s.session_idle_hours * 3600,
            dashboard_idle=s.dashboard_idle_minutes * 60,
            email=EmailSignIn(
                domains=tuple(sorted(s.email_domains)),
                link_minutes=s.signin_link_minutes,
                address_rate_limit=s.signin_address_rate_limit,
                client_rate_limit=s.signin_client_rate_limit,
            ),
            oidc=(
                OidcSignIn(
                    issuer=s.oidc_issuer.rstrip("/"),
                    client_id=s.oidc_client_id,
                    client_secret=s.oidc_client_secret,
                    scopes=s.oidc_scopes,
                )
                if s.oidc_issuer and s.oidc_client_id and s.oidc_client_secret is not None
                else None
            ),
        )

    @property
    def mail(self) -> MailSettings:
        """Reads the session key (it signs the links in mails), as ``privacy`` does."""
        s = self.settings
        return MailSettings(
            enabled=s.mail_enabled,
            smtp_url=s.smtp_url,
            mail_from=s.mail_from or "",
            reply_to=s.mail_reply_to,
            links=s.links,
            signing_key=s.session_secret(),
            default_language=s.default_language,
            timeout_seconds=s.smtp_timeout_seconds,
        )

    @property
    def slack(self) -> SlackSettings:
        s = self.settings
        return SlackSettings(
            mode=s.slack_mode,
            api_url=s.slack_api_url,
            bot_token=s.slack_bot_token,
            signing_secret=s.slack_signing_secret,
            app_token=s.slack_app_token,
            client_id=s.slack_client_id,
            client_secret=s.slack_client_secret,
            state_secret=s.slack_state_secret,
        )

    @property
    def teams(self) -> TeamsSettings:
        s = self.settings
        return TeamsSettings(
            enabled=s.teams_enabled,
            app_id=s.teams_app_id,
            app_secret=s.teams_app_secret,
            tenant_id=s.teams_tenant_id,
            allowed_tenants=s.teams_allowed_tenants,
            authority=s.teams_authority,
            app_name=s.teams_app_name,
            website_url=s.teams_website_url,
        )
