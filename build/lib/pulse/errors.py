"""The one exception type a user can meet, and the failures that become one.

The CLI prints a PulseError as one line without a traceback, so every message
must say what happened and what to do about it. Some failures start deep in a
library as something else (DuckDB's "No space left on device", a write's
ENOSPC); `chain` and `is_no_space` find them in an exception's chain, and
`pulse.db.explain` (which also knows a damaged database) turns them into one.
"""

from __future__ import annotations

import errno
import re
import shutil
from collections.abc import Iterator
from pathlib import Path


class PulseError(Exception):
    """A problem the user can fix: bad input, bad config, locked database, unknown week."""


class DiskFull(PulseError):
    """A write failed for want of space: a failed attempt (exit 1) that freeing space fixes."""


_NO_SPACE_RE = re.compile(r"No space left on device|Disk quota exceeded", re.IGNORECASE)
_QUOTED_FILE_RE = re.compile(r'file "(?P<path>[^"]+)"')
_WEEK_FOLDER_RE = re.compile(r"\d{4}-W\d{2}")


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every one it was raised from or while handling, suppressed or not.

    `raise … from None` hides a cause from tracebacks but keeps it as `__context__`,
    which is where an ingest's "cannot rollback" keeps the full disk that caused it.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def is_no_space(exc: BaseException) -> bool:
    """Whether `exc` is a write that failed for want of space (an OSError or DuckDB's words)."""
    if isinstance(exc, OSError) and exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        return True
    return type(exc).__module__.startswith(("duckdb", "_duckdb")) and bool(
        _NO_SPACE_RE.search(str(exc))
    )


def disk_full_message(exc: BaseException, db_path: Path | None, output_dir: Path | None) -> str:
    """One line: the disk that is full, how full, what of Pulse's is on it, what to do."""
    quoted = _QUOTED_FILE_RE.search(str(exc))
    named = getattr(exc, "filename", None) or (quoted["path"] if quoted else None)
    # A write() that fails names no file; the fullest of the disks Pulse writes to is the one.
    candidates = [Path(named)] if named else [p for p in (output_dir, db_path) if p is not None]
    usage = [(path, _usage(path)) for path in candidates]
    usage = [(path, used) for path, used in usage if used is not None]
    if not usage:
        return (
            "no space left on the disk Pulse writes to; free some space there and run the "
            "command again (earlier reports are left as they were)"
        )
    path, (free, total, device) = min(usage, key=lambda item: item[1][0])
    kept = _pulse_files_on(device, db_path, output_dir)
    return (
        f"no space left on the disk holding {path} ({_size(free)} free of {_size(total)}); "
        f"free space on it{kept} or point db_path or output_dir at a bigger one, then run "
        "the command again; earlier reports are left as they were"
    )


def _usage(path: Path) -> tuple[int, int, int] | None:
    """Free bytes, total bytes and device of the disk holding `path` (or its nearest parent)."""
    for folder in (path, *path.absolute().parents):
        if folder.exists():
            try:
                usage = shutil.disk_usage(folder)
                return usage.free, usage.total, folder.stat().st_dev
            except OSError:
                return None
    return None


def _pulse_files_on(device: int, db_path: Path | None, output_dir: Path | None) -> str:
    """What Pulse itself keeps on that disk that may go: old reports, a damaged copy."""
    parts = []
    if output_dir is not None and output_dir.is_dir() and output_dir.stat().st_dev == device:
        weeks = [w for w in output_dir.iterdir() if _WEEK_FOLDER_RE.fullmatch(w.name)]
        if weeks:
            size = sum(f.stat().st_size for week in weeks for f in week.rglob("*") if f.is_file())
            parts.append(
                f"{len(weeks)} week folder(s) in {output_dir} ({_size(size)}; delete the weeks "
                "you no longer need)"
            )
    if db_path is not None and db_path.parent.is_dir() and db_path.parent.stat().st_dev == device:
        for old in sorted(db_path.parent.glob(f"{db_path.name}.before-restore-*")):
            parts.append(f"{old} ({_size(old.stat().st_size)}, kept by `pulse restore`)")
    return f" (Pulse's own files there: {', '.join(parts)})" if parts else ""


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
