"""A database file that is not whole, and the one line that tells its owner the way back.

DuckDB says a file is damaged in several ways (a foreign file, a truncated one, a block
whose checksum fails); a user should read the file's name and `pulse restore` instead.
`explain` finds such a failure, or a full disk, anywhere in an exception's chain.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from pulse.errors import DiskFull, PulseError, chain, disk_full_message, is_no_space


class DatabaseDamaged(PulseError):
    """Not a whole DuckDB database (truncated, overwritten, never one): retrying cannot help.

    So the message names the file and the way back, the last run's snapshot (`pulse restore`).
    """



# DuckDB on a file that is not a whole database: a foreign or empty file, a truncated one
# (a block past the end), a block whose checksum fails (bytes overwritten).
_DAMAGE_RE = re.compile(
    r"not a valid DuckDB database file|Could not read enough bytes from file|"
    r"Corrupt database file|checksum \d+ does not match|Failed to load metadata",
    re.IGNORECASE,
)
_QUOTED_FILE_RE = re.compile(r'file "(?P<path>[^"]+)"')


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error says the file itself is damaged, not the query or a lock."""
    return isinstance(exc, duckdb.Error) and bool(_DAMAGE_RE.search(str(exc)))


def damaged_file(exc: BaseException, db_path: Path | str) -> Path | None:
    """The database a DuckDB error says is damaged: the file it names, else `db_path`.

    None when it names a file that is no database (a truncated Parquet export).
    """
    if not is_damage(exc):
        return None
    named = _QUOTED_FILE_RE.search(str(exc))
    if not named:
        return Path(db_path)
    path = Path(named["path"])
    if path.suffix == ".wal":  # a damaged write-ahead log: its database is what to restore
        path = path.with_suffix("")
    return path if path.suffix in {".duckdb", ".db"} else None


def damaged_message(db_path: Path | str, reason: str) -> str:
    """One line: the damaged file, why DuckDB refused it, and the way back."""
    db_path = Path(db_path).absolute()
    reason = " ".join(_QUOTED_FILE_RE.sub("file", reason).split()).rstrip("!.")
    snap = snapshot_path(db_path)
    head = f"{db_path} is damaged, not a whole DuckDB database ({reason})"
    if db_path.name.endswith(".snapshot.duckdb"):
        return f"{head}; the next successful run writes a new one, or delete it"
    if snap.exists():
        taken = time.strftime("%Y-%m-%d %H:%M", time.localtime(snap.stat().st_mtime))
        return (
            f"{head}; put back the copy the last successful run left ({snap}, {taken}) with "
            "`pulse restore`, which keeps the damaged file beside it, then rerun the weeks since"
        )
    return (
        f"{head}; there is no snapshot to restore ({snap.name}), so move it aside "
        f"(`mv {db_path} {db_path}.damaged`) and rebuild it: `pulse run` reloads your sources"
    )


def snapshot_path(db_path: Path | str) -> Path:
    """Where `snapshot` copies the database: `<name>.snapshot.duckdb` beside it."""
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}.snapshot{db_path.suffix or '.duckdb'}")



def explain(exc: BaseException, db_path: Path | None, output_dir: Path | None) -> PulseError | None:
    """The PulseError a user can act on behind `exc`, or None when there is none to give.

    Some failures start deep in a library as something else (DuckDB's "No space left on
    device", a write's ENOSPC, a damaged database block); the CLI prints this instead,
    so the user reads the path and the fix rather than a library's words.

    Args:
        exc: What a command raised.
        db_path: The database in use, named when DuckDB's message names no file.
        output_dir: The reports folder, one of the places a full disk may be.
    """
    if isinstance(exc, DiskFull | DatabaseDamaged):
        return None  # explained where it was raised, with more to say than the chain has
    for link in chain(exc):
        if is_no_space(link):
            return DiskFull(disk_full_message(link, db_path, output_dir))
        damaged = damaged_file(link, db_path) if db_path is not None else None
        if damaged is not None:
            return DatabaseDamaged(damaged_message(damaged, str(link)))
    return None
