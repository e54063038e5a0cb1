"""A run's bookkeeping: what run this is (week, window, settings), its record in `runs`, the
checks before it starts, crashed runs recovered, and how its stages are timed and reported.

Every stage and the report read a run through `RunContext`. The flow says which stage it is
in with `in_stage`; the caller of a run (the CLI) hears about it through the reporter it
installs with `use_reporter`, and counts the stages from `STAGES`.
"""

from __future__ import annotations

import json
import subprocess
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pulse import __version__, undo
from pulse.config import REPO_ROOT, Settings
from pulse.db import connect, run_query, snapshot
from pulse.errors import PulseError
from pulse.weeks import IsoWeek


@dataclass
class RunContext:
    """What every stage of one run needs to know.

    `partial_through` is the last day a partial run of the current week covers (the
    report says "partial week: Mon–Thu"); None for a complete week. `stage` is the stage
    the run is in (`in_stage`), named in the run's error when it fails.
    """

    run_id: str
    week: IsoWeek
    settings: Settings
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    partial_through: date | None = None
    stage: str = "start"

    @property
    def window(self) -> list[IsoWeek]:
        """The weeks the run reads for trends, oldest first, ending at the run's week."""
        n = self.settings.history_weeks
        return [self.week.shift(-i) for i in range(n - 1, -1, -1)]

    def bounds(self, first: IsoWeek, last: IsoWeek | None = None) -> tuple[datetime, datetime]:
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

    row = run_query(con, "feedback_time_range").fetchone()
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
    return bool(run_query(con, "week_text_count", {"start": start, "end": end}).fetchone()[0])


def flow_run_name(week: IsoWeek | str) -> str:
    """The name a week's flow run carries in Prefect (`voc-2026-W46`), whoever starts it."""
    return f"voc-{week}"


def new_run_id(week: IsoWeek) -> str:
    """A run's id: its week, its start (UTC) and a random tail; a week's ids sort by start."""
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
    """Record the run as running, with its parameters as given.

    What decides whether a later run may reuse this one's work (the taxonomy seeds) is
    the stages' to add: `pulse.stages.begin_run` does, for the weekly flow.
    """
    run_query(
        con,
        "run_record_start",
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
    fingerprints = [
        {"file": f, "fingerprint": fp, "source": s}
        for f, fp, s in run_query(con, "loaded_file_fingerprints").fetchall()
    ]
    con.execute("begin transaction")
    try:
        if outcome == "ok":
            undo.discard(con)
        else:
            undo.restore(con, [ctx.run_id])
        run_query(
            con,
            "run_record_finish",
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


def recover_crashed_runs(con: duckdb.DuckDBPyConnection) -> None:
    """Mark runs a killed process left 'running' as crashed and undo what they decided.

    Call under the run lock, so no run that says 'running' can still be alive. The
    registry comes back from the copy the crashed run took before its topic stage and
    its run-keyed rows go (`pulse.undo`); embeddings, sentiment and loaded rows are
    shared caches keyed by content and are kept (whatever was committed is whole and is
    reused by the rerun).
    """
    crashed = [row[0] for row in run_query(con, "crashed_runs").fetchall()]
    if not crashed:
        return
    con.execute("begin transaction")
    try:
        undo.restore(con, crashed)
        run_query(con, "run_mark_crashed", {"ids": crashed})
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


@contextmanager
def failure_recorded(ctx: RunContext) -> Iterator[None]:
    """Around a run's stages: a failure undoes what the run decided and says where and why.

    The run's row gets outcome 'failed' and an error naming the stage it was in (`ctx.stage`),
    the exception's type and message (`finish_run`); the exception goes on up.
    """
    try:
        yield
    except BaseException as exc:
        release_frames(exc)
        reason = f"{ctx.stage}: {type(exc).__name__}: {exc}".strip()
        with connect(ctx.settings.db_path) as con:
            finish_run(con, ctx, "failed", None, error=reason[:2000])
        raise


def complete_run(ctx: RunContext, output_dir: Path) -> None:
    """Record the run as ok (what it decided stays), then snapshot the database if configured."""
    with connect(ctx.settings.db_path) as con:
        finish_run(con, ctx, "ok", output_dir)
        if ctx.settings.snapshot:
            snapshot(con, ctx.settings.db_path)


def release_frames(exc: BaseException | None) -> None:
    """Let go of the locals a failed stage's traceback holds, DuckDB connections among them.

    Prefect keeps a failed task's exception in its state until the process ends;
    through the traceback that pins every stage's closed DuckDB connection, which
    nanobind then reports as "leaked" at interpreter exit. The traceback's lines
    stay printable; only the frames' local variables go.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


# --- stages: their names, their timings, who hears about them ------------------------------

# The weekly run's stages in order: the names its timings, its error and its reporter use.
STAGES: tuple[str, ...] = ("ingest", "embed", "sentiment", "topics", "rank", "render")


class StageReporter:
    """Where a run tells its caller which stage it is in; silent by default.

    The CLI installs one (`use_reporter`) that prints stage names and an embedding
    progress bar. The domain code never sees it: a stage hands it the callback a pure
    module takes (`on_batch`, `on_phase`).
    """

    embed_progress_bar: bool = False

    def stage(self, name: str) -> None:
        """A stage is starting."""

    def embed_batch(self, done: int, total: int) -> None:
        """`done` of `total` new texts are embedded (committed); (0, total) before the first."""

    def phase(self, name: str) -> None:
        """A step of the current stage is starting (the topic stage's `TOPIC_PHASES`)."""

    def loaded(self, reports: Sequence[Any]) -> None:
        """The run's files are loaded: one `pulse.ingest.FileReport` each."""


_reporter: StageReporter = StageReporter()


def current_reporter() -> StageReporter:
    """The reporter runs in this process tell their progress to."""
    return _reporter


@contextmanager
def use_reporter(reporter: StageReporter) -> Iterator[StageReporter]:
    """Let `reporter` hear about the runs made inside the block; the previous one after it.

    A process-wide setting, like logging's: the flow's tasks may run on other threads.
    """
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield reporter
    finally:
        _reporter = previous


@contextmanager
def in_stage(ctx: RunContext, name: str) -> Iterator[None]:
    """Announce a stage to the reporter, remember it as the run's, and record its wall time."""
    ctx.stage = name
    _reporter.stage(name)
    with timed(ctx, name):
        yield


class timed:
    """Records a stage's wall time into the run's timings."""

    def __init__(self, ctx: RunContext, stage: str) -> None:
        self.ctx, self.stage = ctx, stage

    def __enter__(self) -> timed:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> bool:
        self.ctx.timings[self.stage] = round(time.perf_counter() - self.started, 3)
        return False


def metric_params(ctx: RunContext) -> dict[str, Any]:
    """The parameters every mart query over the run's window takes."""
    start, end = ctx.bounds(ctx.window[0], ctx.week)
    return {"tz": ctx.settings.timezone, "window_start": start, "window_end": end}


def rerun_context(
    con: duckdb.DuckDBPyConnection, run_id: str, week: IsoWeek, settings: Settings
) -> RunContext:
    """The context of an earlier run, for re-rendering it: a partial run stays partial."""
    row = run_query(con, "run_partial_through", {"run_id": run_id}).fetchone()
    through = date.fromisoformat(row[0]) if row and row[0] else None
    return RunContext(run_id=run_id, week=week, settings=settings, partial_through=through)


def latest_run(con: duckdb.DuckDBPyConnection, week: IsoWeek) -> str:
    """The newest successful run of a week: what `pulse report` re-renders."""
    row = run_query(con, "latest_ok_run", {"week": str(week)}).fetchone()
    if not row:
        raise PulseError(
            f"week {week} has no finished run yet; run `pulse run --week {week}` first"
        )
    return row[0]
