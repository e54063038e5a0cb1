"""A database file written by a newer DuckDB than the one installed, named in one line.

Pulse pins DuckDB (and its command-line client, `duckdb-cli`) to one version, so that
the analysts' `duckdb` command opens the files Pulse writes. A file written before the
pin by DuckDB 2.0 (storage version 69) cannot be read by 1.5 (versions 64 to 68); DuckDB
says only "version number 69", so the file's header is read for the release that wrote
it (DuckDB keeps it there, e.g. `v2.0.1`).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pulse.errors import PulseError

_TOO_NEW_RE = re.compile(r"database file with version number (?P<storage>\d+)", re.IGNORECASE)
# The main header: checksum (8 bytes), "DUCK", version number (8), flags (4 × 8), then the
# writing library's version string (32 bytes, NUL-padded) at byte 52.
_MAGIC_OFFSET = 8
_LIBRARY_OFFSET = 52
_LIBRARY_LENGTH = 32
_LIBRARY_RE = re.compile(rb"v?(\d+\.\d+(?:\.\d+)?)")


class DatabaseTooNew(PulseError):
    """The file was written by a newer DuckDB than the one installed: bad input (exit 2)."""


def written_by(db_path: Path | str) -> str | None:
    """The DuckDB release that wrote the file (`2.0.1`), from its header; None if unknown."""
    try:
        with Path(db_path).open("rb") as handle:
            head = handle.read(_LIBRARY_OFFSET + _LIBRARY_LENGTH)
    except OSError:
        return None
    if head[_MAGIC_OFFSET : _MAGIC_OFFSET + 4] != b"DUCK":
        return None
    field = head[_LIBRARY_OFFSET : _LIBRARY_OFFSET + _LIBRARY_LENGTH].split(b"\0", 1)[0]
    match = _LIBRARY_RE.match(field)
    return match[1].decode() if match else None


def too_new(db_path: Path | str, message: str) -> DatabaseTooNew | None:
    """The one-line error for a DuckDB message refusing a file as too new, else None."""
    match = _TOO_NEW_RE.search(message)
    if not match:
        return None
    db_path = Path(db_path)
    release = written_by(db_path)
    writer = f"DuckDB {release}" if release else "a newer DuckDB"
    major_minor = ".".join(release.split(".")[:2]) if release else "that version"
    return DatabaseTooNew(
        f"{db_path} was written by {writer} (storage version {match['storage']}), which "
        f"DuckDB {duckdb.__version__} cannot read; move it aside and re-create it with "
        f"`pulse run` (your sources are reloaded), or keep its history: export it with DuckDB "
        f"{major_minor} (`EXPORT DATABASE 'pulse_export'`), move it aside, and import that with "
        f"`.venv/bin/duckdb {db_path.name} -c \"IMPORT DATABASE 'pulse_export'\"`"
    )
