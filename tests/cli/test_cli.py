"""The ``maatjes`` command line, run as a real process against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MAATJES = [sys.executable, "-c", "from bot.cli import main; main()"]


def maatjes(
    *args: str, stdin: str | None = None, data_dir: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MAATJES_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [*MAATJES, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    result = maatjes("db", "upgrade", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"revision {head}" in result.stdout
    assert (tmp_path / "data" / "maatjes.db").exists()


def test_terminal_chat_resumes_after_a_restart(tmp_path: Path) -> None:
    """A new process on the same database continues at the same question."""
    data = tmp_path / "data"
    first = maatjes(
        "chat", "--as", "Anna", stdin="hallo\nja\nAnna de Vries\nGemeente Zwolle\n", data_dir=data
    )
    assert first.returncode == 0, first.stderr
    assert "Wat voor organisatie is dat?" in first.stdout
    second = maatjes("chat", "--as", "anna", stdin="1\n", data_dir=data)
    assert second.returncode == 0, second.stderr
    opening = second.stdout.split("> ", 1)[0]
    assert "Welkom terug, Anna de Vries" in opening
    assert "Wat voor organisatie is dat?" in opening
    assert "Tot welke groep reken je jezelf?" in second.stdout


def test_people_json_lists_finished_profiles(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = "\n".join(
        [
            "hallo",
            "ja",
            "Anna de Vries",
            "Gemeente Zwolle",
            "gemeente",
            "regionaal",
            "overijssel",
            "bouw",
            "verkennen",
            "Een circulair viaduct.",
            "Een maatje bij het rijk.",
            "Kennis van aanbesteden.",
            "sla over",
            "maandelijks",
            "English",
            "looks good",
            "",
        ]
    )
    chat = maatjes("chat", "--as", "anna", stdin=script, data_dir=data)
    assert "Your profile is saved" in chat.stdout, chat.stdout[-2000:]
    maatjes("chat", "--as", "bram", stdin="hallo\nja\nBram\n", data_dir=data)  # not finished
    result = maatjes("people", "--json", data_dir=data)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["name"], r["group"], r["language"]) for r in rows] == [
        ("Anna de Vries", "regionaal", "en")
    ]
    assert isinstance(rows[0]["id"], int)


@pytest.mark.slow
def test_demo_community_loads_and_is_removed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    loaded = maatjes("demo", data_dir=data)
    assert loaded.returncode == 0, loaded.stderr
    rows = json.loads(maatjes("people", "--json", data_dir=data).stdout)
    assert len(rows) >= 60 and all(r["demo"] for r in rows)
    assert {r["group"] for r in rows} >= {"regionaal", "rijk"}
    assert {r["language"] for r in rows} == {"nl", "en"}
    assert {t for r in rows for t in r["themes"]} >= {
        "biomassa-voedsel",
        "kunststoffen",
        "maakindustrie",
        "bouw",
        "consumptiegoederen",
    }
    assert {r["phase"] for r in rows} == {"verkennen", "experimenteren", "opschalen", "verankeren"}
    again = maatjes("demo", data_dir=data)
    assert "loaded 0 demo people" in again.stdout, "loading twice adds nobody"
    maatjes("chat", "--as", "anna", stdin="hallo\nja\nAnna\n", data_dir=data)
    removed = maatjes("demo", "--remove", data_dir=data)
    assert f"removed {len(rows)} demo people" in removed.stdout
    assert json.loads(maatjes("people", "--json", data_dir=data).stdout) == []
    resumed = maatjes("chat", "--as", "anna", stdin="", data_dir=data)
    assert "Welkom terug, Anna" in resumed.stdout, "real people are untouched by --remove"


def test_bad_settings_and_unreachable_databases_get_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "MAATJES_PORT": "not-a-port"}
    result = subprocess.run(
        [*MAATJES, "people"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "maatjes: invalid setting: MAATJES_PORT: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
    env = {**os.environ, "MAATJES_DATABASE_URL": "postgresql+psycopg://u:secret@127.0.0.1:1/none"}
    result = subprocess.run(
        [*MAATJES, "people"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 2
    assert "database cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr and "secret" not in result.stderr
