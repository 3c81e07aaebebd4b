"""The layout stays findable: no module in bot/ grows past 600 lines (the dependency rules and
the absence of import cycles are import-linter contracts in pyproject.toml)."""

from __future__ import annotations

from tests import ROOT

MOST_LINES = 600


def test_no_module_in_bot_is_over_600_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert len(sizes) > 50, "the package was found"
    too_long = {path: lines for path, lines in sizes.items() if lines > MOST_LINES}
    assert not too_long, f"split these by what they do: {too_long}"
