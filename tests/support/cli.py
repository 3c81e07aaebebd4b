"""The ``maatjes`` command line as a real process, for the tests that drive it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
