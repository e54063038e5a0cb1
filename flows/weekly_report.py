"""The weekly VoC report as a Prefect flow: the steps of the job, nothing else.

Each task calls one function of `pulse.stages`, the file a reader opens next; the run's
bookkeeping (its row in `runs`, stage timings, crash recovery) is `pulse.run`'s. Run it
with no server (Prefect's ephemeral API): `python flows/weekly_report.py`.

Retries (with back-off) sit on the I/O tasks only: reading source files and
writing the report. The compute stages are deterministic, so a retry would fail
the same way; a crashed run is recovered by running it again (every stage is
idempotent, see `pulse.run.recover_crashed_runs`).
"""

from __future__ import annotations

from pathlib import Path

import pulse  # noqa: F401  (sets offline and cache environment before Prefect loads)
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from pulse import stages
from pulse.config import Settings, SourceSpec, load_settings
from pulse.db import connect, run_lock
from pulse.errors import PulseError
from pulse.run import (
    RunContext,
    check_week_started,
    complete_run,
    failure_recorded,
    flow_run_name,
    in_stage,
)
from pulse.weeks import IsoWeek, today_in


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
    return flow_run_name(flow_run.parameters.get("week") or IsoWeek.last_complete())


@task(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,
)
def ingest(settings: Settings, specs: list[SourceSpec], demo: bool) -> dict:
    """Load the run's exports, pulse.toml's sources, or the demo (I/O: retried)."""
    with connect(settings.db_path) as con:
        return stages.ingest_sources(con, settings, specs, demo)


@task(cache_policy=NO_CACHE)
def embed(settings: Settings) -> int:
    """Embed the texts not in the cache, here or fanned out on Dask (`task_runner`)."""
    return stages.embed_texts(settings)


@task(cache_policy=NO_CACHE)
def score_sentiment(settings: Settings) -> int:
    """Score the texts the active sentiment model has not scored."""
    with connect(settings.db_path) as con:
        return stages.score_sentiment(con)


@task(cache_policy=NO_CACHE)
def cluster_topics(ctx: RunContext, rebuild_topics: bool) -> dict:
    """Cluster the run's window into the topic registry (or reuse an identical earlier run)."""
    with connect(ctx.settings.db_path) as con:
        return stages.cluster_topics(con, ctx, rebuild=rebuild_topics)


@task(cache_policy=NO_CACHE)
def rank_issues(ctx: RunContext) -> int:
    """Materialise the run's marts: weekly KPIs, topic metrics, the ranking."""
    with connect(ctx.settings.db_path) as con:
        return stages.compute_metrics(con, ctx)


@task(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,
)
def render(ctx: RunContext, output_dir: Path) -> dict[str, str]:
    """Write the week's folder atomically (I/O: retried)."""
    with connect(ctx.settings.db_path) as con:
        paths = stages.render_week(con, ctx, output_dir)
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

    The stages run under the run lock; a failure anywhere undoes what the run decided and
    records the stage and the reason in its row of `runs` (`failure_recorded`).

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
    today = today_in(settings.timezone)
    check_week_started(iso_week, today, partial)
    with run_lock(settings.db_path, settings.lock_timeout_seconds):
        ctx = stages.begin_run(
            settings,
            iso_week,
            specs=specs,
            demo=demo,
            rebuild_topics=rebuild_topics,
            output_dir=out,
            partial_through=today if partial else None,
        )
        with failure_recorded(ctx):
            with in_stage(ctx, "ingest"):
                ctx.counts["ingest"] = ingest(settings, specs, demo)
                with connect(settings.db_path) as con:
                    ctx.counts["data_weeks"], has_texts = stages.week_data(con, ctx)
                    ctx.counts["languages_filled"] = stages.fill_languages(con, ctx)
                    ctx.counts["embedder"] = stages.choose_embedder(con, ctx)
            with in_stage(ctx, "embed"):
                ctx.counts["embedded_new"] = embed(settings)
            with in_stage(ctx, "sentiment"):
                ctx.counts["sentiment_new"] = score_sentiment(settings)
            with in_stage(ctx, "topics"):
                # A week with no texts of its own has nothing to group; its report says so
                # and the registry is left as the last run with texts made it.
                ctx.counts["topics"] = (
                    cluster_topics(ctx, rebuild_topics) if has_texts else {"skipped": "no texts"}
                )
            with in_stage(ctx, "rank"):
                ctx.counts["ranked_issues"] = rank_issues(ctx)
            with in_stage(ctx, "render"):
                paths = render(ctx, out)
        complete_run(ctx, Path(paths["pdf"]).parent)
    stages.publish_week(ctx, paths, logger)
    for stage, seconds in ctx.timings.items():
        logger.info("stage %s took %.1f s", stage, seconds)
    return paths["pdf"]


if __name__ == "__main__":
    print(weekly_report())
