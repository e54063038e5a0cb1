"""The weekly run's stages as plain functions over a DuckDB connection.

`flows/weekly_report.py` wires these into a Prefect flow; tests and the CLI can
call them without Prefect. Each stage is idempotent, so a crashed run is
recovered by running it again.
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
from pulse.db import run_query
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
    from pulse.taxonomy import seeds_fingerprint

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


def stage_embed(con: duckdb.DuckDBPyConnection, progress: bool = False) -> int:
    """Embed texts never seen before; everything else comes from the cache."""
    from pulse.embed import embed_missing

    return embed_missing(con, progress=progress)


SENTIMENT_CHUNK = 20_000


def stage_sentiment(con: duckdb.DuckDBPyConnection, chunk_size: int = SENTIMENT_CHUNK) -> int:
    """Score every text that has no sentiment from the active model yet.

    Rows stream `chunk_size` at a time (texts, their vectors, their scores), so a
    first run over a million texts of history holds one chunk, not 1.5 GB of vectors.
    The worker process starts on the next chunk's lexicon features while this process
    scores and writes the current one (`start_lexicon_features`), so neither core
    waits on the other's share between chunks.
    """
    import pyarrow as pa

    from pulse.embed import load_vectors
    from pulse.sentiment import (
        active_model_name,
        reads_lexicon,
        score_texts,
        start_lexicon_features,
    )

    model = active_model_name()
    early = reads_lexicon()
    reader = con.cursor()  # streams while `con` writes each chunk's scores
    done = 0
    try:
        reader.execute(
            """
            select f.feedback_id, f.text, f.text_hash
            from feedback as f
            left join sentiment as s on s.feedback_id = f.feedback_id and s.model = $model
            where s.feedback_id is null
            order by f.feedback_id
            """,
            {"model": model},
        )
        rows = reader.fetchmany(chunk_size)
        features = start_lexicon_features([r[1] for r in rows]) if early and rows else None
        while rows:
            vectors = load_vectors(con, [r[2] for r in rows])
            lexicon = features() if features else None
            following = reader.fetchmany(chunk_size)
            if early and following:
                features = start_lexicon_features([r[1] for r in following])
            scored = score_texts([r[1] for r in rows], vectors, lexicon)
            table = pa.table(
                {
                    "feedback_id": [r[0] for r in rows],
                    "label": [label for label, _ in scored],
                    "score": [float(score) for _, score in scored],
                    "model": [model] * len(rows),
                }
            )
            con.register("new_sentiment", table)
            try:
                con.execute("insert or replace into sentiment select * from new_sentiment")
            finally:
                con.unregister("new_sentiment")
            done += len(rows)
            rows = following
    finally:
        reader.close()
    return done


def stage_topics(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, rebuild: bool = False
) -> dict[str, int]:
    """Cluster the run's window and match clusters to the registry, in one transaction.

    When an earlier successful run of the same week clustered exactly the same
    texts, its assignment is reused instead of refitted: a rerun is then both
    fast and identical. `rebuild` forces a fresh fit.
    """
    from pulse import undo
    from pulse.taxonomy import apply_taxonomy
    from pulse.topics import cluster_window

    start, end = ctx.bounds(ctx.window[0], ctx.week)
    last_topic_id = undo.last_topic_id(con)
    con.execute("begin transaction")
    try:
        undo.save(con, ctx.run_id)
        reused = None if rebuild else _reusable_run(con, ctx, start, end)
        if reused:
            for copy in (
                "insert into doc_topics select $run_id, feedback_id, topic_id, probability "
                "from doc_topics where run_id = $reused",
                "insert or replace into run_topic_parents select $run_id, topic_id, parent_id "
                "from run_topic_parents where run_id = $reused",
            ):
                con.execute(copy, {"run_id": ctx.run_id, "reused": reused})
            counts = {"reused_run": reused}
        else:
            result = cluster_window(
                con,
                ctx.week,
                ctx.run_id,
                start,
                end,
                seed=ctx.settings.random_seed,
                min_topic_size=ctx.settings.min_topic_size,
                brand_handles=ctx.settings.brand_handles,
            )
            counts = {
                "window_texts": len(result.feedback_ids),
                "clusters": result.n_clusters,
                "new_topics": len(result.new_topics),
                "unassigned_window": result.unassigned,
            }
        apply_taxonomy(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        undo.reset_sequence(con, last_topic_id)
        raise
    return counts


def _reusable_run(con: duckdb.DuckDBPyConnection, ctx: RunContext, start, end) -> str | None:
    """The newest ok run of this week whose clustered texts and seeds equal today's."""
    from pulse.taxonomy import seeds_fingerprint

    row = con.execute(
        """
        with candidate as (
            select run_id from runs
            where week = $week and outcome = 'ok' and run_id <> $run_id
              and json_extract_string(parameters, '$.taxonomy_seeds') = $seeds
            order by finished_at desc
            limit 1
        ),
        before as (
            select d.feedback_id, f.text_hash
            from doc_topics as d
            inner join feedback as f using (feedback_id)
            where d.run_id = (select run_id from candidate)
        ),
        now as (
            select feedback_id, text_hash from feedback
            where created_at >= $start and created_at < $end
        )
        select
            (select run_id from candidate),
            (select count(*) from before),
            (select count(*) from now),
            (select count(*) from before inner join now using (feedback_id, text_hash))
        """,
        {
            "week": str(ctx.week),
            "run_id": ctx.run_id,
            "start": start,
            "end": end,
            "seeds": seeds_fingerprint(),
        },
    ).fetchone()
    run_id, before, now, same = row
    if run_id and before == now == same:
        return run_id
    return None


def metric_params(ctx: RunContext) -> dict[str, Any]:
    start, end = ctx.bounds(ctx.window[0], ctx.week)
    return {"tz": ctx.settings.timezone, "window_start": start, "window_end": end}


def stage_metrics(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """Materialise the run's weekly KPIs, per-topic weekly metrics and ranking.

    The report reads them, and analysts can query them in the DuckDB file by run_id.
    """
    weights = ctx.settings.weights
    con.execute("begin transaction")
    try:
        for table in ("weekly_kpis", "topic_week_metrics", "ranked_issues"):
            exists = con.execute(
                "select count(*) from information_schema.tables where table_name = $t",
                {"t": table},
            ).fetchone()[0]
            if exists:
                con.execute(f"delete from {table} where run_id = $run_id", {"run_id": ctx.run_id})
        kpis = run_query(con, "weekly_kpis", metric_params(ctx)).to_arrow_table()
        _append(con, "weekly_kpis", kpis, ctx.run_id)
        metrics = run_query(
            con, "topic_week_metrics", {**metric_params(ctx), "run_id": ctx.run_id}
        ).to_arrow_table()
        _append(con, "topic_week_metrics", metrics, ctx.run_id)
        ranked = run_query(
            con,
            "ranked_issues",
            {
                "run_id": ctx.run_id,
                "weeks": [str(w) for w in ctx.window],
                "week": str(ctx.week),
                "prev_week": str(ctx.week.shift(-1)),
                "top_n": ctx.settings.detail_issues,
                "w_volume": weights.volume,
                "w_negativity": weights.negativity,
                "w_growth": weights.growth,
                "w_severity": weights.severity,
                "w_reach": weights.reach,
            },
        ).to_arrow_table()
        _append(con, "ranked_issues", ranked, ctx.run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ranked.num_rows


def _append(con: duckdb.DuckDBPyConnection, table: str, rows, run_id: str) -> None:
    """Insert a result set under its run id, creating the table from its first result."""
    con.register("result_rows", rows)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_name = $t", {"t": table}
        ).fetchone()[0]
        if not exists:
            con.execute(
                f"create table {table} as select $run_id as run_id, * from result_rows limit 0",
                {"run_id": run_id},
            )
        else:
            # A database made by an older version lacks columns a query has gained since:
            # add them (earlier runs read null there) rather than fail on the insert.
            have = {
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_name = $t",
                    {"t": table},
                ).fetchall()
            }
            described = con.execute("describe select * from result_rows").fetchall()
            for name, column_type, *_ in described:
                if name not in have:
                    con.execute(f'alter table {table} add column "{name}" {column_type}')
        con.execute(
            f"insert into {table} by name select $run_id as run_id, * from result_rows",
            {"run_id": run_id},
        )
    finally:
        con.unregister("result_rows")


def stage_report(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, output_dir: Path
) -> dict[str, Path]:
    """Build the report's context from the database and render every output file."""
    from pulse.context import build_context
    from pulse.report import render_report

    context = build_context(con, ctx)
    return render_report(
        context, output_dir / str(ctx.week), detail_issues=ctx.settings.detail_issues
    )


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
