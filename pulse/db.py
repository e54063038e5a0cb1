"""DuckDB access: one file, the schema, and the SQL files in `queries/`.

SQL lives in `queries/` (one file per result set) and is always run with
DuckDB's `$name` parameters, never string-formatted: ticket text is untrusted.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pulse.config import QUERIES_DIR
from pulse.errors import PulseError

_PARAM_RE = re.compile(r"(?<![:$\w])\$([A-Za-z_]\w*)")
_COMMENT_RE = re.compile(r"--[^\n]*")


class DatabaseBusy(PulseError):
    """Another process held the database (or the run lock) for longer than we may wait.

    Not bad input but a failed attempt: the CLI exits 1, and cron may simply retry.
    """


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


# DuckDB's buffer pool may grow to 80% of the machine's memory by default, and it keeps
# every page a query touched: with a million texts of history, reading one 100k-text
# window's vectors scans the whole embeddings table and left 2.1 GB resident, against
# 1.4 GB under this limit, which was faster too (1.1 s against 6.6 s; a 109k-hash
# `load_vectors` on bench/pipeline.py's 1M-history database). A weekly run's peak with that
# history was 4.07 GB before the limit. Ingest raises it for the length of a load
# (pulse.ingest.load.INGEST_MEMORY_LIMIT), where big sorts and hash tables would spill.
MEMORY_LIMIT = "1GB"

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
    return con


def _open_error(db_path: Path, exc: duckdb.Error) -> PulseError:
    """A failure to open the file, as one line naming it and what to do."""
    if is_damage(exc):
        return DatabaseDamaged(damaged_message(db_path, str(exc)))
    reason = " ".join(str(exc).split())
    return PulseError(
        f"cannot open {db_path}: {reason}; check the path (db_path, PULSE_DB_PATH) and "
        "its permissions"
    )


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


def snapshot(con: duckdb.DuckDBPyConnection, db_path: Path | str) -> Path:
    """Copy the database to `<name>.snapshot.duckdb` for analysts, atomically.

    Called with the run's own connection open, after a checkpoint, so nothing can
    write in between; the copy replaces the old snapshot by rename, so an analyst
    who has the old one open keeps reading a whole file.
    """
    db_path = Path(db_path)
    target = snapshot_path(db_path)
    partial = target.with_name(f".{target.name}.partial")
    con.execute("checkpoint")
    shutil.copyfile(db_path, partial)
    os.replace(partial, target)
    return target


def _aside(db_path: Path) -> Path:
    """`<name>.before-restore-<time>`, with `-2`, `-3` … so no file kept aside is overwritten."""
    path = db_path.with_name(f"{db_path.name}.before-restore-{time.strftime('%Y%m%dT%H%M%S')}")
    candidate, number = path, 1
    while candidate.exists() or Path(f"{candidate}.wal").exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def snapshot_path(db_path: Path | str) -> Path:
    """Where `snapshot` copies the database: `<name>.snapshot.duckdb` beside it."""
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}.snapshot{db_path.suffix or '.duckdb'}")


def check_whole(db_path: Path) -> None:
    """Read every row of every table, so DuckDB checks each block: DatabaseDamaged if one fails.

    Opening is not enough: a file overwritten in the middle opens, and fails at a query.
    """
    con = connect(db_path, read_only=True, timeout=0)
    try:
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'main' and table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            con.execute(f"select count(*), sum(hash(columns(*))) from {quoted}").fetchall()
    except duckdb.Error as exc:
        if is_damage(exc):
            raise DatabaseDamaged(damaged_message(db_path, str(exc))) from None
        raise
    finally:
        con.close()


def restore_snapshot(db_path: Path | str, timeout: float, force: bool = False) -> Path | None:
    """Put the last snapshot back in place of a damaged database; returns where the old went.

    Under the run lock. Refuses a database that reads whole (what was loaded since would
    go) unless `force`, and a damaged snapshot. The replaced file and its log are kept.
    """
    db_path = Path(db_path)
    snap = snapshot_path(db_path)
    if not snap.exists():
        raise PulseError(
            f"there is no snapshot to restore: {snap} does not exist (a successful run "
            "writes one while the snapshot setting is on); rebuild with `pulse run`"
        )
    with run_lock(db_path, timeout):
        if db_path.exists() and not force:
            try:
                check_whole(db_path)
            except DatabaseDamaged:
                pass
            else:
                raise PulseError(
                    f"{db_path} reads whole, so there is nothing to restore; "
                    f"`pulse restore --force` puts {snap} back anyway, dropping what was "
                    "loaded or run since it was written"
                )
        try:
            check_whole(snap)
        except DatabaseDamaged:
            raise DatabaseDamaged(
                f"the snapshot {snap} is damaged as well, so it cannot be restored; move it "
                f"and {db_path.name} aside and rebuild with `pulse run`"
            ) from None
        partial = db_path.with_name(f".{db_path.name}.restoring")
        try:
            shutil.copyfile(snap, partial)  # first, so a full disk leaves everything as it was
            kept = None
            if db_path.exists():
                kept = _aside(db_path)
                os.replace(db_path, kept)
            wal = Path(f"{db_path}.wal")
            if wal.exists():  # the damaged file's log must not be replayed onto the snapshot
                os.replace(wal, Path(f"{kept}.wal") if kept else wal.with_name(f"{wal.name}.old"))
            os.replace(partial, db_path)
        finally:
            partial.unlink(missing_ok=True)
    return kept


@cache
def _query_index() -> dict[str, Path]:
    """Every `queries/<layer>/<name>.sql` by name: names are unique across the layers."""
    index: dict[str, Path] = {}
    for path in sorted(QUERIES_DIR.rglob("*.sql")):
        if path.stem in index:
            raise PulseError(f"two queries named {path.stem!r}: {index[path.stem]} and {path}")
        index[path.stem] = path
    return index


def schema_files() -> list[str]:
    """The DDL files of `queries/schema/`, by name in sorted order: each is idempotent and
    run at every connect, so a table's definition lives in exactly one of them."""
    return sorted(name for name, path in _query_index().items() if path.parent.name == "schema")


def query_path(name: str) -> Path | None:
    """The file of the query `name` (in whichever layer folder of `queries/`), or None."""
    return _query_index().get(name)


@cache
def _read_sql(name: str) -> str:
    path = query_path(name)
    if path is None:
        raise PulseError(f"no query named {name!r} under {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


def sql_text(name: str) -> str:
    """The text of the query file `name` (`queries/<layer>/<name>.sql`)."""
    return _read_sql(name)


def query_params(name: str) -> set[str]:
    """The `$names` a query file expects (comments ignored)."""
    return set(_PARAM_RE.findall(_COMMENT_RE.sub("", _read_sql(name))))


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute the query file `name` (`queries/<layer>/<name>.sql`) with named parameters.

    The parameters given and the `$names` in the file must agree exactly, so a
    renamed parameter fails here with both lists rather than deep in DuckDB.
    """
    params = params or {}
    expected = query_params(name)
    if expected != set(params):
        missing = sorted(expected - set(params))
        extra = sorted(set(params) - expected)
        raise PulseError(
            f"{query_path(name)}: parameters do not match (missing: {missing}, unexpected: {extra})"
        )
    return con.execute(_read_sql(name), params) if params else con.execute(_read_sql(name))


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
) -> list[dict]:
    """Run a query file and return its rows as dicts keyed by column name."""
    cursor = run_query(con, name, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
