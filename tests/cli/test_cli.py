"""The ``maatjes`` command line, run as a real process against a real database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import MAATJES, maatjes


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
    assert "Welkom terug" not in opening, "back within the hour: no welcome, just the question"
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
    assert "Leuk je te spreken, Anna" in resumed.stdout, "real people are untouched by --remove"


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


# The SDKs, the platforms' adapters and the server (a platform's own store may be read).
PLATFORM_MODULES = (
    "slack_bolt",
    "slack_sdk",
    "microsoft_agents",
    "bot.platforms.slack.adapter",
    "bot.platforms.slack.setup",
    "bot.platforms.teams.adapter",
    "bot.app",
    "fastapi",
)

PROPOSE_AND_APPROVE = f"""
import json, sys
from bot.cli import main

codes = []
for args in (["round", "propose", "--json", "--kind", "pairs"], ["round", "approve", "1"]):
    sys.argv = ["maatjes", *args]
    try:
        main()
    except SystemExit as done:
        codes.append(done.code)
    else:
        codes.append(0)
loaded = sorted(m for m in sys.modules if m.startswith({PLATFORM_MODULES!r}))
print(json.dumps({{"codes": codes, "loaded": loaded}}), file=sys.stderr)
"""


def test_reviewing_a_round_builds_no_platform(tmp_path: Path) -> None:
    """Slack and Teams are set up, at a host nobody answers: proposing and approving a round from
    the command line loads neither of them (nor the server), so it cannot wait on them."""
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0
    env = {
        **os.environ,
        "MAATJES_DATA_DIR": str(data),
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "MAATJES_TEAMS_APP_ID": "6d1f7c2a-5b1e-4c3d-9f00-0000000b0701",
        "MAATJES_TEAMS_APP_SECRET": "test-only-secret",
        "MAATJES_TEAMS_TENANT_ID": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROPOSE_AND_APPROVE],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["codes"] == [0, 0], result.stderr
    assert json.loads(result.stdout.split("approved groups")[0])["status"] == "proposed"
    assert "approved groups: 1" in result.stdout
    assert report["loaded"] == []


# The JSON the command line prints is read by scripts: its keys (and their order) stay as they are.
ROUND_KEYS = [
    "id", "kind", "status", "origin", "created_at", "embedder", "total_score", "mean_score",
    "groups", "weak_groups", "weak_summary",
]  # fmt: skip
GROUP_KEYS = [
    "id", "position", "kind", "status", "score", "score_vs_round", "members", "people",
    "explanation", "reject_reason", "score_parts", "weak", "follow_up",
]  # fmt: skip
PROPOSAL_KEYS = [
    "id", "kind", "status", "embedder", "weights", "people", "unplaced", "mean_score",
    "total_score", "groups", "weak_groups", "weak_summary",
]  # fmt: skip
PROPOSED_GROUP_KEYS = [
    "position", "kind", "status", "score", "score_vs_round", "members", "extends", "people",
    "explanation", "explanation_data", "score_parts", "weak",
]  # fmt: skip
MEMBER_KEYS = ["id", "name", "organisation", "group", "region", "themes", "phase"]
PERSON_ROW_KEYS = [
    "id", "name", "group", "language", "organisation", "organisation_kind", "region", "themes",
    "phase", "platform", "demo",
]  # fmt: skip


def test_round_match_and_people_json_keep_their_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0

    dry = maatjes("match", "--dry-run", "--kind", "clubs", "--json", data_dir=data)
    assert dry.returncode == 0, dry.stderr
    proposal = json.loads(dry.stdout)
    assert list(proposal) == PROPOSAL_KEYS
    assert proposal["id"] is None and proposal["status"] == "dry-run"
    assert proposal["people"] == 76 and isinstance(proposal["weights"], dict)
    assert proposal["groups"], "the demo community makes clubs"
    for group in proposal["groups"]:
        assert list(group) == PROPOSED_GROUP_KEYS
        assert group["members"] == [p["id"] for p in group["people"]]
        assert isinstance(group["explanation_data"], dict)
        assert all(list(person) == MEMBER_KEYS for person in group["people"])

    proposed = maatjes("round", "propose", "--json", "--kind", "clubs", data_dir=data)
    assert proposed.returncode == 0, proposed.stderr
    stored = json.loads(proposed.stdout)
    shown = maatjes("round", "show", str(stored["id"]), "--json", data_dir=data)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == proposed.stdout
    view = json.loads(shown.stdout)
    assert list(view) == ROUND_KEYS
    assert isinstance(view["id"], int) and view["status"] == "proposed"
    for group in view["groups"]:
        assert list(group) == GROUP_KEYS
        assert group["status"] == "proposed" and group["reject_reason"] is None
        assert group["follow_up"] == {
            "met": 0, "not_yet": 0, "not_a_fit": 0, "no_answer": len(group["people"])
        }  # fmt: skip
        assert all(list(person) == MEMBER_KEYS for person in group["people"])

    listed = maatjes("people", "--json", data_dir=data)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 76 and all(list(row) == PERSON_ROW_KEYS for row in rows)
    everyone = json.loads(maatjes("people", "--json", "--all", data_dir=data).stdout)
    assert all(list(row) == [*PERSON_ROW_KEYS, "account"] for row in everyone)
    assert everyone[0]["account"].startswith("demo:")


#: Dutch codes a reader of English must not see (in labels; people's own texts are quoted as is).
DUTCH_CODES = re.compile(
    r"\((regionaal|rijk|anders), |, (verkennen|experimenteren|opschalen|verankeren)\)"
)


def _weak_first(text: str) -> None:
    """Weak groups are listed before all others, and the summary counts them."""
    headers = re.findall(r"^\[(\d+)\] .*$", text, flags=re.MULTILINE)
    marks = [" · WEAK · " in line for line in re.findall(r"^\[\d+\] .*$", text, re.MULTILINE)]
    assert headers and marks == sorted(marks, reverse=True), "weak groups first"
    summary = re.search(r"^(\d+) of the (\d+) groups? (?:is|are) weak: ", text, re.MULTILINE)
    if any(marks):
        assert summary, text[:600]
        assert int(summary.group(1)) == sum(marks) and int(summary.group(2)) == len(marks)
    else:
        assert summary is None


def test_match_and_round_show_in_english_show_labels_score_parts_and_weak_groups_first(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0

    shown = maatjes("match", "--lang", "en", data_dir=data)
    assert shown.returncode == 0, shown.stderr
    assert DUTCH_CODES.search(shown.stdout) is None, DUTCH_CODES.search(shown.stdout)
    assert "(Regional civil servant, Overijssel, " in shown.stdout
    assert "How the score adds up: seek ↔ offer " in shown.stdout
    _weak_first(shown.stdout)

    dry = json.loads(maatjes("match", "--json", "--lang", "en", data_dir=data).stdout)
    assert dry["weak_groups"] == sum(1 for g in dry["groups"] if g["weak"]) > 0
    for group in dry["groups"]:
        parts = group["score_parts"]
        assert list(parts) == ["cross", "work", "themes", "mix", "phase", "history"]
        assert sum(parts.values()) == pytest.approx(group["score"], abs=1e-6)
        assert 0 <= group["score"] <= 100
        named = [p["name"] for p in group["people"]]
        assert all(name in group["explanation"] for name in named)

    proposed = maatjes("round", "propose", "--json", "--kind", "pairs", data_dir=data)
    assert proposed.returncode == 0, proposed.stderr
    round_id = json.loads(proposed.stdout)["id"]
    english = maatjes("round", "show", str(round_id), "--lang", "en", data_dir=data)
    assert english.returncode == 0, english.stderr
    assert DUTCH_CODES.search(english.stdout) is None
    assert "groups are weak" in english.stdout or "group is weak" in english.stdout
    _weak_first(english.stdout)
    dutch = maatjes("round", "show", str(round_id), data_dir=data)
    assert re.search(r"^\d+ van de \d+ groepen (is|zijn) zwak: ", dutch.stdout, re.MULTILINE)
