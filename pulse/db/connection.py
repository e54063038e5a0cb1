"""Opening the database file: the schema at every connect, and waiting out other holders.

DuckDB lets one process hold a file for writing; a run also holds `<db>.run.lock` for
its whole length, so two runs never interleave between the stages' connections.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pulse.db.damage import DatabaseDamaged, damaged_message, is_damage
from pulse.db.queries import schema_files, sql_text
from pulse.db.versions import too_new
from pulse.errors import PulseError


class DatabaseBusy(PulseError):
    """Another process held the database (or the run lock) for longer than we may wait.

    Not bad input but a failed attempt: the CLI exits 1, and cron may simply retry.
    """



# DuckDB's buffer pool may grow to 80% of the machine's memory by default and keeps every
# page a query touched; under this limit a run with a million texts of history stays far
# smaller and is no slower (docs/TUNING.md, "The database's memory limit"). Ingest raises it
# for the length of a load (pulse.ingest.load.INGEST_MEMORY_LIMIT), where big sorts and hash
# tables would spill.
MEMORY_LIMIT = "1GB"

# The embedder the last opened database's registry was built with (its newest
# `embedder_choices` row), or None: what `pulse.embed.active_model_name` uses when
# embedding_model is "auto". One database per process is the rule for a run, the CLI
# and the editor, so the last connect's value is the one that applies.
_database_embedder: str | None = None

_HOLDER_RE = re.compile(r"lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def connect(
    db_path: Path | str, read_only: bool = False, timeout: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the database file and make sure the schema exists.

    DuckDB lets one process hold a file for writing. When another process holds
    it, this waits up to `timeout` seconds (default: the `lock_timeout_seconds`
    setting) for it to let go, then fails naming that process, because a weekly
    run that dies of a brief `pulse status` elsewhere would be worse than a wait.
    """
    db_path = Path(db_path)
    if read_only:
        require_database(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if timeout is None:
        timeout = _default_lock_timeout()
    deadline = time.monotonic() + timeout
    delay = 0.1
    announced = False
    while True:
        try:
            con = duckdb.connect(str(db_path), read_only=read_only)
            break
        except duckdb.Error as exc:
            message = str(exc)
            holder = lock_holder(message)
            if holder is None:
                raise _open_error(db_path, exc) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pid, program = holder
                raise DatabaseBusy(
                    f"{db_path} is in use by process {pid} ({program}) and stayed so for "
                    f"{timeout:.0f} s; wait for that run to finish (`pulse status`), stop "
                    f"process {pid}, or raise lock_timeout_seconds"
                ) from None
            if not announced and timeout >= 2:
                print(
                    f"pulse: {db_path} is in use by process {holder[0]}; "
                    f"waiting up to {timeout:.0f} s …",
                    file=sys.stderr,
                    flush=True,
                )
                announced = True
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)
    try:
        con.execute("set memory_limit = $limit", {"limit": MEMORY_LIMIT})
        if not read_only:
            for name in schema_files():
                con.execute(sql_text(name))
    except duckdb.Error as exc:
        con.close()
        raise _open_error(db_path, exc) from None
    remember_database_embedder(con)
    return con


def remember_database_embedder(con: duckdb.DuckDBPyConnection) -> None:
    """Remember the registry's embedder of the database `con` reads (at every `connect`; the
    editor, which attaches a snapshot, calls it itself). A copy older than the table has none."""
    global _database_embedder
    try:
        row = con.execute(sql_text("embedder_current")).fetchone()
    except duckdb.CatalogException:
        row = None
    _database_embedder = row[0] if row else None


def database_embedder() -> str | None:
    """The embedder of the last opened database's registry (None: it has chosen none)."""
    return _database_embedder


def set_database_embedder(model: str | None) -> None:
    """Use `model` as the registry's embedder in this process (a run that just chose it)."""
    global _database_embedder
    _database_embedder = model


def _open_error(db_path: Path, exc: duckdb.Error) -> PulseError:
    """A failure to open the file, as one line naming it and what to do."""
    if is_damage(exc):
        return DatabaseDamaged(damaged_message(db_path, str(exc)))
    newer = too_new(db_path, str(exc))
    if newer is not None:
        return newer
    reason = " ".join(str(exc).split())
    return PulseError(
        f"cannot open {db_path}: {reason}; check the path (db_path, PULSE_DB_PATH) and "
        "its permissions"
    )


def require_database(db_path: Path | str) -> Path:
    """The database path, or a refusal: commands that only read never create a database."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise PulseError(
            f"there is no database at {db_path.absolute()}; make one with `pulse run` (or "
            "`pulse ingest FILE`), or run Pulse from the folder that has it (or set PULSE_DB_PATH)"
        )
    return db_path


def finish_pending(con: duckdb.DuckDBPyConnection) -> None:
    """Close the last execute() result: DuckDB 2 refuses relation work while one is open."""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def lock_holder(message: str) -> tuple[int, str] | None:
    """The PID and program named by a DuckDB lock error, or None for any other error."""
    match = _HOLDER_RE.search(message)
    if match:
        return int(match["pid"]), match["program"]
    if "could not set lock" in message.lower():
        return 0, "unknown process"
    return None


def run_lock_holder(db_path: Path | str) -> str | None:
    """The PID a running run wrote into `<db>.run.lock` while it holds the lock, else None.

    A shared, non-blocking probe: it never waits and never keeps the lock, so `pulse status`
    and the editor can ask while a run writes.
    """
    import fcntl

    path = Path(f"{db_path}.run.lock")
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
    return None


def _default_lock_timeout() -> float:
    from pulse.config import load_settings

    return load_settings().lock_timeout_seconds


@contextmanager
def run_lock(db_path: Path | str, timeout: float) -> Iterator[None]:
    """Hold `<db>.run.lock` for the whole of a run, so runs never interleave.

    A run opens and closes the database once per stage so analysts can read in
    between; this lock is what keeps a second run (cron, an analyst's ad hoc run,
    `pulse serve`) from slipping into those gaps. The holder's PID is written to
    the file so the waiting run can say who it waits for. The OS drops the lock
    when its holder dies, so a killed run never leaves a stale lock behind.
    """
    path = Path(f"{db_path}.run.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"another Pulse run (process {holder}) is using {db_path} and did not "
                        f"finish within {timeout:.0f} s; check it with `pulse status`, wait, "
                        "or raise lock_timeout_seconds"
                    ) from None
                if not announced and timeout >= 2:
                    print(
                        f"pulse: another run (process {holder}) is using {db_path}; "
                        f"waiting up to {timeout:.0f} s …",
                        file=sys.stderr,
                        flush=True,
                    )
                    announced = True
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
