"""The weekly VoC report as a Prefect flow: the steps of the job, nothing else.

Each task is a plain function from the `pulse` package; this file only wires
them, names the run after its week and publishes artifacts. Run it with no
server (Prefect's ephemeral API): `python flows/weekly_report.py`.

Retries (with back-off) sit on the I/O tasks only: reading source files and
writing the report. The compute stages are deterministic, so a retry would fail
the same way; a crashed run is recovered by running it again (every stage is
idempotent, see `_recover_crashed_runs`).
"""

from __future__ import annotations

import json
import shutil
import traceback
from dataclasses import asdict
from datetime import date
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pulse  # noqa: F401  (sets offline and cache environment before Prefect loads)
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from pulse import pipeline, undo, weeks
from pulse.config import Settings, SourceSpec, load_settings
from pulse.db import connect, run_lock, snapshot
from pulse.errors import PulseError
from pulse.run import (
    RunContext,
    check_week_has_data,
    check_week_started,
    finish_run,
    new_run_id,
    start_run,
    timed,
    week_has_texts,
)
from pulse.weeks import IsoWeek


class StageReporter:
    """Where a run tells its caller which stage it is in; silent by default.

    The CLI swaps in one that prints stage names and an embedding progress bar.
    """

    def stage(self, name: str) -> None:
        """A stage is starting."""

    def embed_batch(self, done: int, total: int) -> None:
        """`done` of `total` new texts are embedded (committed)."""

    embed_progress_bar: bool = False


reporter: StageReporter = StageReporter()


def _worth_retrying(task, task_run, state) -> bool:
    """Retry I/O hiccups, not bad input: a missing file is still missing 10 s later."""
    try:
        state.result()
    except PulseError:
        return False
    except Exception:  # noqa: BLE001 - any other failure may be transient I/O
        return True
    return True


def _run_name() -> str:
    week = flow_run.parameters.get("week") or str(IsoWeek.last_complete())
    return f"voc-{week}"


@task(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,
)
def ingest(settings: Settings, specs: list[SourceSpec], demo: bool) -> dict:
    """Load the run's exports, pulse.toml's sources, or the demo (I/O: retried)."""
    from pulse.demo import demo_fallback
    from pulse.ingest import load_for_run

    with connect(settings.db_path) as con:
        reports = load_for_run(con, settings, specs, fallback=demo_fallback(settings, specs, demo))
    loaded = [r for r in reports if not r.skipped]
    return {
        "files": len(reports),
        "rows_in": sum(r.rows_in for r in loaded),
        "rows_duplicate": sum(r.rows_duplicate for r in loaded),
        "rows_loaded": sum(r.rows_loaded for r in loaded),
        "rows_rejected": sum(r.rows_rejected for r in loaded),
        "files_skipped": len(reports) - len(loaded),
    }


@task(cache_policy=NO_CACHE)
def embed(settings: Settings) -> int:
    from pulse.embed import embed_missing

    if settings.task_runner == "dask":
        # The same stage fanned out: shards on a Dask cluster, one subflow of Prefect
        # tasks; only this process opens the database (pulse/embed/dask.py).
        from pulse.embed.dask import embed_on_dask

        return embed_on_dask(settings, on_batch=reporter.embed_batch)
    with connect(settings.db_path) as con:
        return embed_missing(
            con, progress=reporter.embed_progress_bar, on_batch=reporter.embed_batch
        )


@task(cache_policy=NO_CACHE)
def score_sentiment(settings: Settings) -> int:
    with connect(settings.db_path) as con:
        return pipeline.stage_sentiment(con)


@task(cache_policy=NO_CACHE)
def cluster_topics(ctx: RunContext, rebuild_topics: bool) -> dict:
    with connect(ctx.settings.db_path) as con:
        return pipeline.stage_topics(con, ctx, rebuild=rebuild_topics)


@task(cache_policy=NO_CACHE)
def rank_issues(ctx: RunContext) -> int:
    with connect(ctx.settings.db_path) as con:
        return pipeline.stage_metrics(con, ctx)


@task(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,
)
def render(ctx: RunContext, output_dir: Path) -> dict[str, str]:
    """Write the week's folder atomically (I/O: retried)."""
    # Staging folders of a killed render are the only thing a crash can leave in
    # outputs/; the run lock says no other render is using them.
    for leftover in output_dir.glob(f".{ctx.week}.rendering-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    with connect(ctx.settings.db_path) as con:
        paths = pipeline.stage_report(con, ctx, output_dir)
    return {name: str(path) for name, path in paths.items()}


@flow(name="weekly-voc-report", flow_run_name=_run_name, log_prints=False)
def weekly_report(
    week: str | None = None,
    sources: list[str] | None = None,
    mappings: str | None = None,
    mapping: str | None = None,
    demo: bool = False,
    rebuild_topics: bool = False,
    output_dir: str | None = None,
    partial: bool = False,
) -> str:
    """Ingest, embed, score, cluster, rank and render one ISO week; returns the PDF's path.

    Args:
        week: ISO week like 2026-W46; default the last complete week.
        sources: files, folders or globs to ingest; default the `[[pulse.sources]]` of
            pulse.toml, else (into a database with no user data) the demo data.
        mappings: a TOML file of your own mappings for `sources`.
        mapping: the mapping that reads `sources`; default the one whose columns fit.
        demo: load the demo data even though the database holds other sources.
        rebuild_topics: re-cluster even when this week's texts were clustered before.
        output_dir: where `<week>/report.pdf` goes; default from pulse.toml (outputs/).
        partial: report the current, unfinished week on the days so far.
    """
    from pulse.ingest import specs_from_arguments

    logger = get_run_logger()
    settings = load_settings()
    iso_week = IsoWeek.parse(week) if week else IsoWeek.last_complete()
    out = Path(output_dir) if output_dir else settings.output_dir
    specs = specs_from_arguments(sources, mapping, mappings)
    today = weeks.today_in(settings.timezone)
    check_week_started(iso_week, today, partial)
    with run_lock(settings.db_path, settings.lock_timeout_seconds):
        ctx, paths = _run_week(
            settings, iso_week, specs, demo, rebuild_topics, out, today if partial else None
        )
    _publish(ctx, paths)
    _deliver(settings, ctx, paths, logger)
    for stage, seconds in ctx.timings.items():
        logger.info("stage %s took %.1f s", stage, seconds)
    return paths["pdf"]


def _run_week(
    settings: Settings,
    iso_week: IsoWeek,
    specs: list[SourceSpec],
    demo: bool,
    rebuild_topics: bool,
    out: Path,
    partial_through: date | None = None,
) -> tuple[RunContext, dict[str, str]]:
    """The stages in order, under the run lock; the run's row says how it ended.

    A failure anywhere undoes what the run decided (`finish_run`) and records
    the stage and the reason in its row of `runs`.
    """
    ctx = RunContext(
        run_id=new_run_id(iso_week),
        week=iso_week,
        settings=settings,
        partial_through=partial_through,
    )
    parameters = {
        "week": str(iso_week),
        "sources": [asdict(spec) for spec in specs] or None,
        "demo": demo,
        "rebuild_topics": rebuild_topics,
        "output_dir": str(out),
        "partial_through": partial_through.isoformat() if partial_through else None,
    }
    ctx.counts["parameters"] = parameters
    with connect(settings.db_path) as con:
        _recover_crashed_runs(con)
        start_run(con, ctx, parameters)
    stage = "start"
    try:
        stage = "ingest"
        with _stage(ctx, stage):
            ctx.counts["ingest"] = ingest(settings, specs, demo)
            with connect(settings.db_path) as con:
                oldest, newest = check_week_has_data(
                    con, iso_week, settings.timezone, weeks.today_in(settings.timezone)
                )
                has_texts = week_has_texts(con, ctx)
            ctx.counts["data_weeks"] = [str(oldest), str(newest)]
        stage = "embed"
        with _stage(ctx, stage):
            ctx.counts["embedded_new"] = embed(settings)
        stage = "sentiment"
        with _stage(ctx, stage):
            ctx.counts["sentiment_new"] = score_sentiment(settings)
        stage = "topics"
        with _stage(ctx, stage):
            # A week with no texts of its own has nothing to group; its report says so
            # and the registry is left as the last run with texts made it.
            ctx.counts["topics"] = (
                cluster_topics(ctx, rebuild_topics) if has_texts else {"skipped": "no texts"}
            )
        stage = "rank"
        with _stage(ctx, stage):
            ctx.counts["ranked_issues"] = rank_issues(ctx)
        stage = "render"
        with _stage(ctx, stage):
            paths = render(ctx, out)
    except BaseException as exc:
        release_frames(exc)
        reason = f"{stage}: {type(exc).__name__}: {exc}".strip()
        with connect(settings.db_path) as con:
            finish_run(con, ctx, "failed", None, error=reason[:2000])
        raise
    with connect(settings.db_path) as con:
        finish_run(con, ctx, "ok", Path(paths["pdf"]).parent)
        if settings.snapshot:
            snapshot(con, settings.db_path)
    return ctx, paths


@contextmanager
def _stage(ctx: RunContext, name: str) -> Iterator[None]:
    """Announce a stage to the reporter and record its wall time in the run."""
    reporter.stage(name)
    with timed(ctx, name):
        yield


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


def _recover_crashed_runs(con) -> None:
    """Mark runs a killed process left 'running' as crashed and undo what they decided.

    Called under the run lock, so no run that says 'running' can still be alive. The
    registry comes back from the copy the crashed run took before its topic stage and
    its run-keyed rows go (`pulse.undo`); embeddings, sentiment and loaded rows are
    shared caches keyed by content and are kept (whatever was committed is whole and is
    reused by the rerun).
    """
    crashed = [
        row[0]
        for row in con.execute("select run_id from runs where outcome = 'running'").fetchall()
    ]
    if not crashed:
        return
    con.execute("begin transaction")
    try:
        undo.restore(con, crashed)
        con.execute(
            "update runs set outcome = 'crashed', finished_at = coalesce(finished_at, now()), "
            "error = coalesce(error, 'the process ended before the run finished') "
            "where run_id in $ids",
            {"ids": crashed},
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _deliver(settings: Settings, ctx: RunContext, paths: dict[str, str], logger) -> None:
    """E-mail the PDF if configured; a failure is logged and recorded, never raised."""
    from pulse.delivery import record_delivery, send_report

    if not settings.smtp.enabled:
        return
    outcome = send_report(settings.smtp, str(ctx.week), Path(paths["pdf"]))
    record_delivery(Path(paths["run"]), outcome)
    if outcome["status"] == "sent":
        logger.info("report e-mailed to %s", ", ".join(outcome["recipients"]))
    else:
        logger.warning(
            "report for %s was not e-mailed (%s); the run itself succeeded, resend with "
            "`pulse deliver --week %s`",
            ctx.week,
            outcome.get("error") or outcome["status"],
            ctx.week,
        )


def _publish(ctx: RunContext, paths: dict[str, str]) -> None:
    """Prefect artifacts: the top issues and KPIs in markdown, the ranking table, the PDF path."""
    summary = json.loads(Path(paths["summary"]).read_text(encoding="utf-8"))
    issues = summary.get("issues", [])
    lines = [f"# Pulse — {ctx.week}", ""]
    for kpi in summary.get("kpis", []):
        change = kpi.get("delta_display") or ""
        lines.append(f"- **{kpi['label']}**: {kpi.get('display') or '–'} {change}".rstrip())
    lines += ["", "## Top issues", ""]
    for issue in issues[:5]:
        owner = f"owner: {issue['owner']}" if issue.get("owner") else "**no owner**"
        lines.append(f"{issue['rank']}. **{issue['label']}** ({owner}) — {issue.get('why') or ''}")
    key = f"voc-{str(ctx.week).lower()}"
    create_markdown_artifact("\n".join(lines), key=f"{key}-summary", description="Top issues")
    create_table_artifact(
        [
            {
                "rank": i["rank"],
                "label": i["label"],
                "owner": i.get("owner") or "no owner",
                "volume": i["volume"],
                "negative_share": i.get("negative_share"),
                "priority": i["priority"],
            }
            for i in issues
        ],
        key=f"{key}-ranking",
        description="Ranked issues",
    )
    create_link_artifact(
        Path(paths["pdf"]).resolve().as_uri(), link_text="report.pdf", key=f"{key}-pdf"
    )


if __name__ == "__main__":
    print(weekly_report())
