"""What the editor reads: the run's snapshot, with the taxonomy file as it stands applied.

A weekly run holds the database for writing for minutes; the editor must neither wait for
it nor make it wait. So every request opens the read-only copy that each successful run
leaves (`pulse.db.snapshot_path`), attached to a private in-memory database, and closes
it when the request ends. The live file is read only when there is no snapshot yet and
no run holds the run lock, and then only for the length of one request.

The snapshot's registry carries the edits as they were at the run. Edits made since then
are applied to a copy of its `topics` table in the in-memory database by the very
function the run and `pulse report` use (`pulse.topics.taxonomy_apply.apply_taxonomy`), and every
query names `topics` unqualified, so each page shows the file as it is now, counted by
the same rules (the `topic_rollup_of` macro) as the next report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pulse.db import (
    MEMORY_LIMIT,
    fetch_dicts,
    lock_holder,
    remember_database_embedder,
    run_lock_holder,
    snapshot_path,
)
from pulse.errors import PulseError
from pulse.run import RunContext, metric_params
from pulse.weeks import IsoWeek


@dataclass
class RegistryView:
    """One request's reading of the registry: a connection and the run it reads."""

    con: duckdb.DuckDBPyConnection
    source: Path  # the file read: the snapshot, or the live database
    run_id: str
    week: IsoWeek
    ctx: RunContext
    taxonomy_error: str | None  # the file could not be applied (the pages still show)

    @property
    def window_params(self) -> dict:
        """$tz, $window_start and $window_end for the run's 12 weeks, as the report uses."""
        return metric_params(self.ctx)


def database_to_read(db_path: Path) -> Path:
    """The snapshot if there is one, else the live file if no run is writing it."""
    snap = snapshot_path(db_path)
    if snap.exists():
        return snap
    if not db_path.exists():
        raise PulseError(
            f"there is no database at {db_path.absolute()}; make one with `pulse run`, or "
            "start the editor from the folder that has it (or set PULSE_DB_PATH)"
        )
    if _run_in_progress(db_path):
        raise PulseError(
            f"a run is writing {db_path} and there is no snapshot of an earlier run to show "
            "meanwhile; reload this page when the run has finished (`pulse status`)"
        )
    return db_path


def _run_in_progress(db_path: Path) -> bool:
    """Whether a run holds the run lock right now (the lock is free when no file exists)."""
    return run_lock_holder(db_path) is not None


@contextmanager
def registry_view(settings, taxonomy: Path) -> Iterator[RegistryView]:
    """The registry with the taxonomy file applied, read from the snapshot; closed on exit."""
    source = database_to_read(settings.db_path)
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = $limit", {"limit": MEMORY_LIMIT})
        quoted = str(source).replace("'", "''")
        try:
            con.execute(f"attach '{quoted}' as snap (read_only)")
        except duckdb.Error as exc:
            if lock_holder(str(exc)) is not None:
                raise PulseError(
                    f"a run is writing {source}; reload this page when it has finished"
                ) from None
            raise PulseError(f"cannot read {source}: {' '.join(str(exc).split())}") from None
        con.execute("create table topics as select * from snap.main.topics")
        con.execute("create table topic_seeds as select * from snap.main.topic_seeds")
        con.execute("set search_path = 'memory.main,snap.main'")
        # the vectors to read are the registry's embedder's (a multilingual one's are USE's)
        remember_database_embedder(con)
        newest = fetch_dicts(con, "editor_newest_run", {})
        if not newest:
            raise PulseError(
                f"{source} has no finished run yet; the editor lists the topics of the newest "
                "run, so run `pulse run` first"
            )
        run_id, week = newest[0]["run_id"], IsoWeek.parse(newest[0]["week"])
        error = _apply(con, taxonomy)
        ctx = RunContext(run_id=run_id, week=week, settings=settings)
        yield RegistryView(con, source, run_id, week, ctx, error)
    finally:
        con.close()


def _apply(con: duckdb.DuckDBPyConnection, taxonomy: Path) -> str | None:
    """Apply the file to the in-memory registry; the refusal, when the run would refuse it."""
    from pulse.topics.taxonomy_apply import apply_taxonomy

    try:
        apply_taxonomy(con, taxonomy)
    except PulseError as exc:
        return str(exc)
    return None
