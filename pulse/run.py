"""A run's bookkeeping: what run this is (week, window, settings), its record in `runs`,
and the checks before it starts. Every stage and the report read a run through `RunContext`.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pulse import __version__
from pulse.config import REPO_ROOT, Settings
from pulse.errors import PulseError
from pulse.weeks import IsoWeek


@dataclass
class RunContext:
    """What every stage of one run needs to know.

    `partial_through` is the last day a partial run of the current week covers (the
    report says "partial week: Mon–Thu"); None for a complete week.
    """

    run_id: str
    week: IsoWeek
    settings: Settings
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    partial_through: date | None = None

    @property
    def window(self) -> list[IsoWeek]:
        """The weeks the run reads for trends, oldest first, ending at the run's week."""
        n = self.settings.history_weeks
        return [self.week.shift(-i) for i in range(n - 1, -1, -1)]

    def bounds(self, first: IsoWeek, last: IsoWeek | None = None):
        """[start, end) in naive UTC; a partial run's own week ends after its last day."""
        start, _ = first.bounds_utc(self.settings.timezone)
        last = last or first
        _, end = last.bounds_utc(self.settings.timezone)
        if self.partial_through is not None and last == self.week:
            days_left = (self.week.sunday - self.partial_through).days
            if days_left > 0:
                end -= timedelta(days=days_left)
        return start, end


class WeekRefused(PulseError):
    """The week asked for cannot be reported truthfully: unfinished, or after the data."""


def check_week_started(week: IsoWeek, today: date, partial: bool) -> None:
    """Refuse a week that has not ended, unless a partial report was asked for.

    Checked before anything runs: it needs no data. A week that has not begun is left
    to `check_week_has_data`, whose message names the newest week with data.
    """
    current = IsoWeek.of(today)
    if week == current and not partial:
        raise WeekRefused(
            f"week {week} is not over yet (it ends on Sunday {week.sunday.isoformat()}): "
            f"report the days so far with --partial, or run the last complete week, "
            f"{current.shift(-1)}"
        )
    if partial and week != current:
        raise WeekRefused(
            f"--partial is for the current week, {current}; week {week} is "
            + ("over, so run it without --partial" if week < current else "not under way yet")
        )


def data_weeks(con: duckdb.DuckDBPyConnection, timezone: str) -> tuple[IsoWeek, IsoWeek] | None:
    """The oldest and newest weeks (in `timezone`) with texts, or None when there are none."""
    from zoneinfo import ZoneInfo

    row = con.execute("select min(created_at), max(created_at) from feedback").fetchone()
    if row is None or row[0] is None:
        return None
    zone = ZoneInfo(timezone)

    def local(moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(zone).date()

    return IsoWeek.of(local(row[0])), IsoWeek.of(local(row[1]))


def check_week_has_data(
    con: duckdb.DuckDBPyConnection, week: IsoWeek, timezone: str, today: date
) -> tuple[IsoWeek, IsoWeek]:
    """Refuse a week after the newest data (or any week of an empty database).

    A week inside the data's range with no texts of its own is allowed: its report says
    so. Returns the oldest and newest weeks with data.
    """
    weeks = data_weeks(con, timezone)
    if weeks is None:
        raise WeekRefused(
            f"there are no texts to report on for {week}: load your exports with "
            "`pulse ingest PATH` or `pulse run --source PATH`"
        )
    newest = weeks[1]
    if week > newest:
        started = "has not started yet" if week.monday > today else "is after the newest data"
        raise WeekRefused(
            f"week {week} {started}: the newest week with data is {newest} "
            f"(run `pulse run --week {newest}`, or load newer exports first)"
        )
    return weeks


def week_has_texts(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> bool:
    """Whether the run's own week has any texts (an empty week skips clustering)."""
    start, end = ctx.bounds(ctx.week)
    return bool(
        con.execute(
            "select count(*) from feedback where created_at >= $start and created_at < $end",
            {"start": start, "end": end},
        ).fetchone()[0]
    )


def new_run_id(week: IsoWeek) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{week}-{stamp}-{uuid.uuid4().hex[:6]}"


def code_version() -> str:
    """The git commit of the code that ran, or the package version outside a checkout."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        return f"{__version__}+{sha}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def start_run(con: duckdb.DuckDBPyConnection, ctx: RunContext, parameters: dict) -> None:
    from pulse.topics.taxonomy_apply import seeds_fingerprint

    # Seeds change which texts a topic claims: a run may only reuse an earlier
    # assignment made under the same seeds (see _reusable_run).
    parameters = {**parameters, "taxonomy_seeds": seeds_fingerprint()}
    con.execute(
        """
        insert or replace into runs (run_id, week, parameters, code_version, outcome, started_at)
        values ($run_id, $week, $parameters, $code_version, 'running', now())
        """,
        {
            "run_id": ctx.run_id,
            "week": str(ctx.week),
            "parameters": json.dumps(parameters, default=str),
            "code_version": code_version(),
        },
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    ctx: RunContext,
    outcome: str,
    output_dir: Path | None,
    error: str | None = None,
) -> None:
    """Record how the run ended, and keep or undo what it decided, in one transaction.

    An ok run drops the registry copy taken before its topic stage; any other outcome
    restores it and deletes the run's rows (`pulse.undo`), so a failed run leaves every
    table as it was apart from the content-keyed caches and its own row in `runs`.
    """
    from pulse import undo

    fingerprints = [
        {"file": f, "fingerprint": fp, "source": s}
        for f, fp, s in con.execute(
            "select file, fingerprint, source from loaded_files order by file"
        ).fetchall()
    ]
    con.execute("begin transaction")
    try:
        if outcome == "ok":
            undo.discard(con)
        else:
            undo.restore(con, [ctx.run_id])
        con.execute(
            """
            update runs set outcome = $outcome, finished_at = now(), timings = $timings,
                row_counts = $counts, input_fingerprints = $fingerprints,
                output_dir = $output_dir, error = $error
            where run_id = $run_id
            """,
            {
                "outcome": outcome,
                "timings": json.dumps(ctx.timings),
                "counts": json.dumps(ctx.counts, default=str),
                "fingerprints": json.dumps(fingerprints),
                "output_dir": str(output_dir) if output_dir else None,
                "error": error,
                "run_id": ctx.run_id,
            },
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


class timed:
    """Records a stage's wall time into the run's timings."""

    def __init__(self, ctx: RunContext, stage: str):
        self.ctx, self.stage = ctx, stage

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.ctx.timings[self.stage] = round(time.perf_counter() - self.started, 3)
        return False


def metric_params(ctx: RunContext) -> dict[str, Any]:
    start, end = ctx.bounds(ctx.window[0], ctx.week)
    return {"tz": ctx.settings.timezone, "window_start": start, "window_end": end}


def rerun_context(
    con: duckdb.DuckDBPyConnection, run_id: str, week: IsoWeek, settings: Settings
) -> RunContext:
    """The context of an earlier run, for re-rendering it: a partial run stays partial."""
    row = con.execute(
        "select json_extract_string(parameters, '$.partial_through') from runs "
        "where run_id = $run_id",
        {"run_id": run_id},
    ).fetchone()
    through = date.fromisoformat(row[0]) if row and row[0] else None
    return RunContext(run_id=run_id, week=week, settings=settings, partial_through=through)


def latest_run(con: duckdb.DuckDBPyConnection, week: IsoWeek) -> str:
    """The newest successful run of a week: what `pulse report` re-renders."""
    row = con.execute(
        """
        select run_id from runs
        where week = $week and outcome = 'ok'
        order by finished_at desc
        limit 1
        """,
        {"week": str(week)},
    ).fetchone()
    if not row:
        raise PulseError(
            f"week {week} has no finished run yet; run `pulse run --week {week}` first"
        )
    return row[0]
