"""``maatjes insights`` as a real process on the demo community: the JSON shape, both languages,
what changed since a day, and `maatjes forget` taking a person's words out of the next run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.services.community import demo_people
from storage import people
from storage.db import make_engine
from tests.support.cli import maatjes
from tests.support.insights import community_that_moved


def test_insights_json_on_the_demo_community_and_after_forget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAATJES_EMBEDDER", "tfidf")
    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0
    done = maatjes("insights", "--json", data_dir=data)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["people"] == 76 and view["min_people"] == 3
    themes = view["themes"]
    assert len(themes) >= 3
    texts = {p[f] for p in demo_people() for f in ("ongemak", "works_on") if p[f]}
    for theme in themes:
        assert set(theme) >= {"label", "people", "quotes", "group", "phase", "agenda", "month"}
        assert isinstance(theme["label"], str) and theme["label"]
        assert isinstance(theme["people"], int) and theme["people"] >= 3
        assert theme["quotes"] and set(theme["quotes"]) <= texts
        assert sum(theme["group"].values()) == theme["people"]

    english = maatjes("insights", "--json", "--lang", "en", "--since", "2000-01-01", data_dir=data)
    shown = json.loads(english.stdout)
    assert shown["language"] == "en" and shown["since"] == "2000-01-01"
    assert all(t["new"] and t["new_people"] == t["people"] for t in shown["themes"])
    table = maatjes("insights", "--lang", "en", data_dir=data)
    assert "people count;" in table.stdout and "„" in table.stdout

    quoted = themes[0]["quotes"][0]
    person = next(p for p in demo_people() if quoted in (p["ongemak"], p["works_on"]))
    engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
    with Session(engine) as session:
        found = people.get_person(session, platform="demo", platform_user_id=person["key"])
        assert found is not None
        pid = found.id
    engine.dispose()
    assert maatjes("forget", str(pid), "--yes", data_dir=data).returncode == 0
    after = json.loads(maatjes("insights", "--json", data_dir=data).stdout)
    assert after["people"] == 75
    everything = json.dumps(after, ensure_ascii=False)
    assert person["ongemak"] not in everything and person["works_on"] not in everything


def test_bad_options_are_refused_with_exit_2(tmp_path: Path) -> None:
    for args in (("--since", "31-12-2026"), ("--lang", "de")):
        done = maatjes("insights", *args, data_dir=tmp_path / "data")
        assert done.returncode == 2 and "Invalid value" in done.stderr


def test_insights_json_since_tells_which_theme_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAATJES_EMBEDDER", "tfidf")
    data = tmp_path / "data"
    assert maatjes("db", "upgrade", data_dir=data).returncode == 0
    engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
    since = community_that_moved(engine).isoformat()
    engine.dispose()
    done = maatjes("insights", "--json", "--lang", "en", "--since", since, data_dir=data)
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    assert view["gone"] == [
        {
            "label": "clothing, collection, and sorting",
            "words": view["gone"][0]["words"],
            "people": 5,
        }
    ]
    assert "textile" in view["gone"][0]["words"]
    assert [t["new"] for t in view["themes"]].count(True) == 1
    table = maatjes("insights", "--since", since, data_dir=data)
    assert "Geen thema meer sinds 01-11-2026" in table.stdout
    assert "Geen thema meer: clothing, collection en sorting (was 5 personen)" in table.stdout
    assert "gone" not in json.loads(maatjes("insights", "--json", data_dir=data).stdout)
