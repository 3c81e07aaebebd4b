"""Files that hold personal data or keys: readable by the owner only, written whole or not at all.

The data directory is 0700, its files 0600: on a shared machine nobody else may read the SQLite
database (profiles, free texts) or the session key. Files made before this rule are tightened at
start, with a log line saying so.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_directory(path: Path, *, tighten: bool = True) -> Path:
    """Make ``path`` (and missing parents) 0700; an existing directory that others may read is
    tightened when ``tighten`` (ours, like the data directory), left alone otherwise."""
    if not path.exists():
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is masked by the umask; be exact
    elif tighten:
        _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> None:
    """Make ``path`` exist as an owner-only file (an empty one when missing), tightening an
    existing file that others may read."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        _tighten(path, PRIVATE_FILE)
    else:
        os.close(descriptor)


def tighten_if_present(path: Path) -> None:
    """An owner-only file, if it exists at all (SQLite's -wal and -shm come and go)."""
    if path.exists():
        _tighten(path, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & 0o077:
        os.chmod(path, mode)
        log.warning(
            "tightened permissions of %s from %s to %s (only the owner may read it)",
            path,
            oct(current),
            oct(mode),
        )


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` as a 0600 file: a reader sees the old file or the whole new
    one, never a half-written or briefly world-readable one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp makes it 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create_private_once(path: Path, data: bytes) -> bytes:
    """Write ``data`` to ``path`` as a 0600 file unless it exists; return what the file holds.

    Many processes may call this at once: each writes a complete temporary file and links it to
    the final name, which only one link can win. The others read the winner's file, which is
    whole the moment its name appears."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes()
        return data
    finally:
        Path(temporary).unlink(missing_ok=True)
