"""The benchmarks run and report honestly: small runs of `maatjes bench …` (figures themselves
are never asserted, only that the runs are complete and correct)."""

from __future__ import annotations

from pathlib import Path

from bot.bench import bench_checkins
from tests.test_cli import maatjes


def test_checkin_bench_delivers_everything_once_through_a_rate_limit() -> None:
    lines: list[str] = []
    result = bench_checkins(groups=40, workers=2, rate=40, out=lines.append)
    assert result.messages == 80
    assert result.delivered == 80 and result.duplicates == 0 and result.lost == 0
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
