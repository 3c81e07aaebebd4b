""".env.example documents every setting with its default, and settings read the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings
from tests import ROOT

EXAMPLE = ROOT / ".env.example"


UNSET_LINE = re.compile(r"^# (MAATJES_[A-Z_]+)=$")


def _documented() -> dict[str, str | None]:
    """Each setting's line: its value, or None for a setting shown commented out (not set)."""
    values: dict[str, str | None] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        unset = UNSET_LINE.match(line)
        if unset:
            values[unset.group(1)] = None
        elif line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def test_every_setting_is_documented_with_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAATJES_DATA_DIR")
    documented = _documented()
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for name, _ in Settings.model_fields.items():
        key = f"MAATJES_{name.upper()}"
        assert key in documented, f"{key} is missing from .env.example"
        default = getattr(defaults, name)
        shown = documented[key]
        if default is None or default == frozenset():
            assert shown is None, f"{key} is not set by default: show it as '# {key}='"
            continue
        assert shown is not None and shown.strip(), f"{key}: a copied .env sets nothing empty"
        if isinstance(default, Path):
            assert Path(shown) == default, key
        elif isinstance(default, bool):
            assert shown.lower() == str(default).lower(), key
        elif isinstance(default, float):
            assert float(shown) == default, key
        else:
            assert shown == str(default), key


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAATJES_PORT", "8123")
    monkeypatch.setenv("MAATJES_DATA_DIR", str(tmp_path / "elsewhere"))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.port == 8123
    assert settings.resolved_database_url.endswith("elsewhere/maatjes.db")


def test_the_session_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    key = settings.session_secret()
    assert len(key) > 40 and settings.session_secret() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0, "only the owner may read it"


def test_coordinators_are_platform_identities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAATJES_COORDINATORS", " Tessa , slack:U0123,local:Anna,, teams:29:abc")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.coordinators == {"local:tessa", "local:anna", "slack:U0123", "teams:29:abc"}
    assert settings.admins == frozenset()


def test_each_group_reads_the_flat_environment_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Operators' .env files keep their names: the groups are views over the flat settings."""
    env = {
        "MAATJES_EMBEDDER": "tfidf",
        "MAATJES_EMBEDDER_THREADS": "2",
        "MAATJES_ALLOW_MODEL_DOWNLOAD": "true",
        "MAATJES_WEIGHT_CROSS": "0.5",
        "MAATJES_WEIGHT_HISTORY": "2",
        "MAATJES_HISTORY_HALF_LIFE_DAYS": "60",
        "MAATJES_CLUB_MIN_SIZE": "4",
        "MAATJES_CLUB_MAX_SIZE": "6",
        "MAATJES_ROUND_KIND": "pairs",
        "MAATJES_ROUND_INTERVAL_DAYS": "21",
        "MAATJES_FOLLOW_UP_DAYS": "9",
        "MAATJES_COORDINATORS": "Tessa,slack:U0123",
        "MAATJES_ADMINS": "local:anna",
        "MAATJES_PUBLIC_URL": "https://maatjes.example.nl/",
        "MAATJES_CHECKIN_GRACE_HOURS": "12",
        "MAATJES_CHECKIN_REMINDER_DAYS": "2",
        "MAATJES_CHECKIN_ANSWER_DAYS": "5",
        "MAATJES_SECRET_KEY": "k" * 40,
        "MAATJES_PRIVACY_POLICY_VERSION": "2027-01",
        "MAATJES_PRIVACY_CONTACT": "privacy@example.nl",
        "MAATJES_DEFAULT_LANGUAGE": "en",
        "MAATJES_EXPORT_LINK_MINUTES": "5",
        "MAATJES_RETENTION_INACTIVE_DAYS": "400",
        "MAATJES_RETENTION_GRACE_DAYS": "10",
        "MAATJES_DASHBOARD_SESSION_HOURS": "3",
        "MAATJES_WEB_SIGNIN": "off",
        "MAATJES_RATE_LIMIT": "5/minute",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "MAATJES_SLACK_SIGNING_SECRET": "s" * 32,
        "MAATJES_TEAMS_APP_ID": "app",
        "MAATJES_TEAMS_APP_SECRET": "secret",
        "MAATJES_TEAMS_TENANT_ID": "tenant",
        "MAATJES_TEAMS_ALLOWED_TENANTS": "A,b",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    groups = Settings(_env_file=None).groups  # type: ignore[call-arg]

    matching = groups.matching
    assert (matching.embedder, matching.embedder_threads, matching.allow_model_download) == (
        "tfidf",
        2,
        True,
    )
    assert (matching.weight_cross, matching.weight_work, matching.weight_history) == (0.5, 0.2, 2)
    assert matching.history_half_life_days == 60
    assert (matching.club_min_size, matching.club_max_size) == (4, 6)

    rounds = groups.rounds
    assert (rounds.round_kind, rounds.round_interval_days, rounds.follow_up_days) == (
        "pairs",
        21,
        9,
    )
    assert (rounds.club_min_size, rounds.club_max_size) == (4, 6)
    assert rounds.coordinators == {"local:tessa", "slack:U0123"}
    assert rounds.admins == {"local:anna"}
    assert rounds.links.person_link("/groups/7") == "https://maatjes.example.nl/groups/7"

    checkins = groups.checkins
    assert (checkins.grace_hours, checkins.reminder_days, checkins.answer_days) == (12, 2, 5)

    privacy = groups.privacy
    assert privacy.signing_key == "k" * 40 and "k" * 40 not in repr(privacy)
    assert (privacy.policy_version, privacy.contact) == ("2027-01", "privacy@example.nl")
    assert (privacy.default_language, privacy.export_link_minutes) == ("en", 5)
    assert (privacy.retention_inactive_days, privacy.retention_grace_days) == (400, 10)
    assert privacy.links.person_link("x") == "https://maatjes.example.nl/x"

    web = groups.web
    assert (web.dashboard_session_hours, web.signin, web.rate_limit) == (3, "off", "5/minute")
    assert web.links.base_url == "https://maatjes.example.nl"

    slack = groups.slack
    assert slack.mode == "token" and slack.bot_token is not None
    assert slack.bot_token.get_secret_value() == "xoxb-test"

    teams = groups.teams
    assert teams.enabled and (teams.app_id, teams.tenant_id) == ("app", "tenant")
    assert teams.allowed_tenants == {"a", "b"}


def test_groups_follow_the_defaults_of_the_settings(tmp_path: Path) -> None:
    """Groups carry no defaults of their own: unset, they are the settings' defaults."""
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.groups.rounds.follow_up_days == settings.follow_up_days == 14
    assert settings.groups.checkins.grace_hours == settings.checkin_grace_hours
    assert settings.groups.matching.club_max_size == settings.club_max_size
    assert settings.groups.privacy.signing_key == settings.session_secret()
    assert settings.groups.rounds.links.person_link("/a") == settings.person_link("/a")
