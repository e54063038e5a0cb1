"""The weekly run's stages: one function per step of `flows/weekly_report.py`.

Each task of the flow calls one function here, and the CLI calls the same ones (`pulse
report` re-renders through `rerender_week`), so the flow is one hop from every stage and
every stage runs without Prefect. A stage is idempotent: a crashed run is recovered by
running it again. The domain packages do the work; a stage opens what it needs, writes its
results under the run's id and says how much it did.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from pulse import undo
from pulse.config import Settings, SourceSpec
from pulse.db import connect, run_query
from pulse.run import (
    RunContext,
    check_week_has_data,
    current_reporter,
    latest_run,
    metric_params,
    new_run_id,
    recover_crashed_runs,
    rerun_context,
    start_run,
    week_has_texts,
)
from pulse.weeks import IsoWeek, today_in

# The marts a run materialises, in the order they are computed (each reads the one before).
MART_TABLES = ("weekly_kpis", "topic_week_metrics", "ranked_issues")
# Texts the sentiment stage scores per chunk: each chunk's vectors are one scan of the
# cache, so fewer, larger chunks (50k: 150 MB of vectors) cost less at a million texts.
SENTIMENT_CHUNK = 50_000


def begin_run(
    settings: Settings,
    week: IsoWeek,
    *,
    specs: list[SourceSpec],
    demo: bool,
    rebuild_topics: bool,
    output_dir: Path,
    partial_through: date | None = None,
) -> RunContext:
    """A new run of `week`, recorded as running after any crashed run is recovered.

    Call under the run lock. The run's parameters include the taxonomy seeds, because
    seeds change which texts a topic claims: a later run reuses this one's assignment
    only under the same seeds (`cluster_topics`).
    """
    from pulse.topics.taxonomy_apply import seeds_fingerprint

    ctx = RunContext(
        run_id=new_run_id(week), week=week, settings=settings, partial_through=partial_through
    )
    parameters = {
        "week": str(week),
        "sources": [asdict(spec) for spec in specs] or None,
        "demo": demo,
        "rebuild_topics": rebuild_topics,
        "output_dir": str(output_dir),
        "partial_through": partial_through.isoformat() if partial_through else None,
    }
    ctx.counts["parameters"] = parameters
    with connect(settings.db_path) as con:
        recover_crashed_runs(con)
        start_run(con, ctx, {**parameters, "taxonomy_seeds": seeds_fingerprint()})
    return ctx


def ingest_sources(
    con: duckdb.DuckDBPyConnection, settings: Settings, specs: list[SourceSpec], demo: bool
) -> dict[str, int]:
    """Load the run's exports, pulse.toml's sources, or the demo; the run's ingest totals."""
    from pulse.demo import demo_fallback
    from pulse.ingest import load_for_run

    reports = load_for_run(con, settings, specs, fallback=demo_fallback(settings, specs, demo))
    current_reporter().loaded(reports)
    loaded = [r for r in reports if not r.skipped]
    return {
        "files": len(reports),
        "rows_in": sum(r.rows_in for r in loaded),
        "rows_duplicate": sum(r.rows_duplicate for r in loaded),
        "rows_loaded": sum(r.rows_loaded for r in loaded),
        "rows_rejected": sum(r.rows_rejected for r in loaded),
        "files_skipped": len(reports) - len(loaded),
    }


def fill_languages(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """Give the window's texts loaded before ingest detected languages theirs; how many got one."""
    from pulse.ingest import fill_missing_languages

    return fill_missing_languages(con, *ctx.bounds(ctx.window[0], ctx.week))


def week_data(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> tuple[list[str], bool]:
    """The oldest and newest weeks with data, and whether the run's own week has texts.

    Refuses (`WeekRefused`) a week after the newest data, once the run's sources are in.
    """
    settings = ctx.settings
    oldest, newest = check_week_has_data(
        con, ctx.week, settings.timezone, today_in(settings.timezone)
    )
    return [str(oldest), str(newest)], week_has_texts(con, ctx)


def embed_texts(settings: Settings) -> int:
    """Embed texts never seen before (everything else comes from the cache); how many.

    With `task_runner = "dask"` the same work fans out: shards on a Dask cluster, one
    subflow of Prefect tasks, and only this process opens the database
    (`pulse.embed.dask`); so this stage opens the database itself, not its caller.
    """
    from pulse.embed import active_model_name, embed_missing

    reporter = current_reporter()
    window = active_model_name()
    if settings.task_runner == "dask":
        from pulse.embed.dask import embed_on_dask

        done = embed_on_dask(settings, on_batch=reporter.embed_batch)
    else:
        with connect(settings.db_path) as con:
            done = embed_missing(
                con, progress=reporter.embed_progress_bar, on_batch=reporter.embed_batch
            )
    with connect(settings.db_path) as con:
        done += embed_sentiment_vectors(con, window)
    return done


def embed_sentiment_vectors(con: duckdb.DuckDBPyConnection, window: str | None = None) -> int:
    """Embed what the sentiment models read where it is not the window's own vectors.

    MiniLM for English texts in a USE window, USE for the other languages in a MiniLM
    window (`pulse.embed.choice.sentiment_embedders`); how many texts were embedded.
    Benchmarks that run the stages without the flow call it after `embed_missing`.
    """
    from pulse.embed import active_model_name, embed_missing
    from pulse.embed.choice import sentiment_embedders

    window = window or active_model_name()
    english, other = sentiment_embedders(window)
    done = 0
    for model, scope in ((english, "english"), (other, "other")):
        if model != window:
            done += embed_missing(con, model_name=model, scope=scope)
    return done


def choose_embedder(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> str:
    """Choose the window's embedder from its languages and keep it with the run
    (`pulse.embed.choice`); the name of the chosen one."""
    from pulse.embed.choice import choose_embedder as choose
    from pulse.embed.choice import record_embedder
    from pulse.embed.models import configured_model_name

    start, end = ctx.bounds(ctx.window[0], ctx.week)
    choice = choose(con, configured_model_name(), start, end)
    record_embedder(con, ctx.run_id, str(ctx.week), choice)
    return choice.model


def score_sentiment(con: duckdb.DuckDBPyConnection, chunk_size: int = SENTIMENT_CHUNK) -> int:
    """Score every text with no sentiment from the model its language calls for; how many.

    English texts and texts of unknown language are read by the English model on MiniLM
    vectors, every other language by the multilingual model on USE vectors; rows stream
    `chunk_size` at a time (`pulse.sentiment.scoring`).
    """
    from pulse.sentiment.scoring import score_missing

    return score_missing(con, chunk_size)


def cluster_topics(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, rebuild: bool = False
) -> dict[str, Any]:
    """Cluster the run's window and match clusters to the registry, in one transaction.

    When an earlier successful run of the same week clustered exactly the same
    texts, its assignment is reused instead of refitted: a rerun is then both
    fast and identical. When only the taxonomy's seeds changed, the seeds claim their
    texts on top of that assignment, so every other topic keeps its id and name.
    `rebuild` forces a fresh fit.
    """
    from pulse.topics.seeding import claim_seeded_texts
    from pulse.topics.taxonomy_apply import apply_taxonomy
    from pulse.topics.window import cluster_window

    start, end = ctx.bounds(ctx.window[0], ctx.week)
    last_topic_id = undo.last_topic_id(con)
    con.execute("begin transaction")
    try:
        undo.save(con, ctx.run_id)
        reusable = None if rebuild else _reusable_run(con, ctx, start, end)
        if reusable:
            reused, same_seeds = reusable
            for copy in ("doc_topics_copy_run", "run_topic_parents_copy_run"):
                run_query(con, copy, {"run_id": ctx.run_id, "reused": reused})
            current_reporter().phase("reuse")  # an earlier run's fit of the same texts
            counts: dict[str, Any] = {"reused_run": reused}
            if not same_seeds:
                counts["seeded_texts"] = claim_seeded_texts(con, ctx.run_id, ctx.week)
        else:
            placement = contextlib.nullcontext()
            if ctx.settings.task_runner == "dask":
                # A sampled window's placement batches go where embedding's shards went.
                from pulse.topics.dask_placement import placing_on_dask

                placement = placing_on_dask(ctx.settings)
            with placement:
                result = cluster_window(
                    con,
                    ctx.week,
                    ctx.run_id,
                    start,
                    end,
                    seed=ctx.settings.random_seed,
                    min_topic_size=ctx.settings.min_topic_size,
                    brand_handles=ctx.settings.brand_handles,
                    on_phase=current_reporter().phase,
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


def _reusable_run(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, start, end
) -> tuple[str, bool] | None:
    """The newest ok run of this week whose clustered texts equal today's (one made under
    today's seeds if there is one), and whether its seeds are today's."""
    from pulse.topics.taxonomy_apply import seeds_fingerprint

    params = {
        "week": str(ctx.week),
        "run_id": ctx.run_id,
        "start": start,
        "end": end,
        "seeds": seeds_fingerprint(),
    }
    row = run_query(con, "reusable_topic_run", params).fetchone()
    run_id, same_seeds, before, now, same = row
    if run_id and before == now == same:
        return run_id, bool(same_seeds)
    return None


def compute_metrics(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """Materialise the run's weekly KPIs, per-topic weekly metrics and ranking; issues ranked.

    The report reads them, and analysts can query them in the DuckDB file by run_id
    (their DDL: queries/schema/schema_marts.sql). Computing them again replaces the run's
    rows, so a re-render after a taxonomy edit ranks by the edited registry.
    """
    weights = ctx.settings.weights
    con.execute("begin transaction")
    try:
        for table in MART_TABLES:
            run_query(con, f"{table}_delete_run", {"run_id": ctx.run_id})
        kpis = run_query(con, "weekly_kpis", metric_params(ctx)).to_arrow_table()
        append_run_rows(con, "weekly_kpis", kpis, ctx.run_id)
        metrics = run_query(
            con, "topic_week_metrics", {**metric_params(ctx), "run_id": ctx.run_id}
        ).to_arrow_table()
        append_run_rows(con, "topic_week_metrics", metrics, ctx.run_id)
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
        append_run_rows(con, "ranked_issues", ranked, ctx.run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return ranked.num_rows


def append_run_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Any, run_id: str) -> None:
    """Insert a mart query's result (an Arrow table) into its mart under `run_id`."""
    if table not in MART_TABLES:
        raise ValueError(f"{table!r} is not a mart; the marts are {', '.join(MART_TABLES)}")
    con.register("result_rows", rows)
    try:
        run_query(con, f"{table}_insert_run", {"run_id": run_id})
    finally:
        con.unregister("result_rows")


def render_week(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, output_dir: Path
) -> dict[str, Path]:
    """Build the report from the run's marts and write the week's folder whole; its files.

    Staging folders of a killed render are the only thing a crash can leave in the
    output folder; the run lock, which every caller holds, says no render is using them.
    """
    from pulse.report import build_context, render_report

    for leftover in output_dir.glob(f".{ctx.week}.rendering-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    context = build_context(con, ctx)
    return render_report(
        context, output_dir / str(ctx.week), detail_issues=ctx.settings.detail_issues
    )


def rerender_week(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    week: IsoWeek,
    output_dir: Path,
    taxonomy: Path | None = None,
) -> dict[str, Path]:
    """Render `week` again from its newest run, with today's taxonomy; nothing is re-clustered.

    Call under the run lock. Edits to topics/taxonomy.yaml (names, merges, owners) apply,
    the marts are computed again for that run, and a partial run stays partial.
    """
    from pulse.topics.taxonomy_apply import apply_taxonomy

    run_id = latest_run(con, week)
    apply_taxonomy(con, taxonomy)
    ctx = rerun_context(con, run_id, week, settings)
    compute_metrics(con, ctx)
    return render_week(con, ctx, output_dir)


def publish_week(
    ctx: RunContext, paths: dict[str, str], logger: logging.Logger | logging.LoggerAdapter
) -> None:
    """After a run: Prefect artifacts for it, then the e-mail if configured (never raises)."""
    from pulse.publish.artifacts import publish_artifacts
    from pulse.publish.delivery import deliver_report

    publish_artifacts(
        ctx.week,
        paths,
        output_dir=ctx.settings.output_dir,
        reports_url=ctx.settings.reports_url,
        run_seconds=sum(ctx.timings.values()),
    )
    deliver_report(ctx.settings, ctx.week, paths, logger)
