"""The analysts' copy of the database, and putting it back in place of a damaged file.

A successful run leaves `<name>.snapshot.duckdb` beside the database; `pulse restore`
checks both files block by block and swaps the snapshot in, keeping what it replaced.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb

from pulse.db.connection import DatabaseBusy, connect, run_lock, run_lock_holder
from pulse.db.damage import DatabaseDamaged, damaged_message, is_damage, snapshot_path
from pulse.errors import PulseError


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


def open_for_reading(
    db_path: Path | str, wait: float
) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A read-only connection to the live database when it is free, else to the snapshot.

    Free means no run holds the run lock (a run between two stages has let go of the
    file, but its tables are half done and it must not wait for a reader) and the file
    opens within `wait` seconds. Otherwise the snapshot of the last successful run is
    read; without one, DatabaseBusy says who holds the file. Returns the file read too.
    """
    db_path = Path(db_path)
    snap = snapshot_path(db_path)
    holder = run_lock_holder(db_path)
    if holder is None and db_path.exists():
        try:
            return connect(db_path, read_only=True, timeout=wait), db_path
        except DatabaseBusy:
            if not snap.exists():
                raise
    elif holder is not None and not snap.exists():
        raise DatabaseBusy(
            f"a run (process {holder}) is writing {db_path} and there is no snapshot of an "
            "earlier run to read meanwhile; try again when it has finished (`pulse status`)"
        )
    if not snap.exists():
        connect(db_path, read_only=True)  # raises: there is no database to read
    return connect(snap, read_only=True, timeout=wait), snap


def _aside(db_path: Path) -> Path:
    """`<name>.before-restore-<time>`, with `-2`, `-3` … so no file kept aside is overwritten."""
    path = db_path.with_name(f"{db_path.name}.before-restore-{time.strftime('%Y%m%dT%H%M%S')}")
    candidate, number = path, 1
    while candidate.exists() or Path(f"{candidate}.wal").exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


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
