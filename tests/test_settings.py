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
