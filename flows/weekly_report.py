"""The weekly VoC report as a Prefect flow: the steps of the job, nothing else.

Each task is a plain function from the `pulse` package; this file only wires
them, names the run after its week and publishes artifacts. Run it with no
server (Prefect's ephemeral API): `python flows/weekly_report.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulse  # noqa: F401  (sets offline and cache environment before Prefect loads)
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from pulse import pipeline
from pulse.config import Settings, load_settings
from pulse.db import connect
from pulse.weeks import IsoWeek


def _run_name() -> str:
    week = flow_run.parameters.get("week") or str(IsoWeek.last_complete())
    return f"voc-{week}"


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def ingest(settings: Settings, sources: list[str] | None) -> dict:
    """Load new source files (I/O: retried)."""
    from pulse.ingest import ingest_demo, ingest_paths

    with connect(settings.db_path) as con:
        if sources:
            reports = ingest_paths(con, sources, brand_handles=settings.brand_handles)
        else:
            from pulse.demo import ensure_demo

            anchor = IsoWeek.parse(settings.demo_anchor) if settings.demo_anchor else None
            demo_dir = ensure_demo(settings.demo_dir, anchor=anchor, scale=settings.demo_scale)
            reports = ingest_demo(con, demo_dir)
    return {
        "files": len(reports),
        "rows_in": sum(r.rows_in for r in reports),
        "rows_duplicate": sum(r.rows_duplicate for r in reports),
        "rows_loaded": sum(r.rows_loaded for r in reports),
        "rows_rejected": sum(r.rows_rejected for r in reports),
        "files_skipped": sum(1 for r in reports if r.skipped),
    }


@task(cache_policy=NO_CACHE)
def embed(settings: Settings) -> int:
    with connect(settings.db_path) as con:
        return pipeline.stage_embed(con)


@task(cache_policy=NO_CACHE)
def score_sentiment(settings: Settings) -> int:
    with connect(settings.db_path) as con:
        return pipeline.stage_sentiment(con)


@task(cache_policy=NO_CACHE)
def cluster_topics(ctx: pipeline.RunContext, rebuild_topics: bool) -> dict:
    with connect(ctx.settings.db_path) as con:
        return pipeline.stage_topics(con, ctx, rebuild=rebuild_topics)


@task(cache_policy=NO_CACHE)
def rank_issues(ctx: pipeline.RunContext) -> int:
    with connect(ctx.settings.db_path) as con:
        return pipeline.stage_metrics(con, ctx)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def render(ctx: pipeline.RunContext, output_dir: Path) -> dict[str, str]:
    """Write the week's folder atomically (I/O: retried)."""
    with connect(ctx.settings.db_path) as con:
        paths = pipeline.stage_report(con, ctx, output_dir)
    return {name: str(path) for name, path in paths.items()}


@flow(name="weekly-voc-report", flow_run_name=_run_name, log_prints=False)
def weekly_report(
    week: str | None = None,
    sources: list[str] | None = None,
    rebuild_topics: bool = False,
    output_dir: str | None = None,
) -> str:
    """Ingest, embed, score, cluster, rank and render one ISO week; returns the PDF's path.

    Args:
        week: ISO week like 2026-W46; default the last complete week.
        sources: files, folders or globs to ingest; default the bundled demo data.
        rebuild_topics: re-cluster even when this week's texts were clustered before.
        output_dir: where `<week>/report.pdf` goes; default from pulse.toml (outputs/).
    """
    logger = get_run_logger()
    settings = load_settings()
    iso_week = IsoWeek.parse(week) if week else IsoWeek.last_complete()
    out = Path(output_dir) if output_dir else settings.output_dir
    ctx = pipeline.RunContext(
        run_id=pipeline.new_run_id(iso_week), week=iso_week, settings=settings
    )
    parameters = {
        "week": str(iso_week),
        "sources": sources,
        "rebuild_topics": rebuild_topics,
        "output_dir": str(out),
    }
    ctx.counts["parameters"] = parameters
    with connect(settings.db_path) as con:
        pipeline.start_run(con, ctx, parameters)
    try:
        with pipeline.timed(ctx, "ingest"):
            ctx.counts["ingest"] = ingest(settings, sources)
        with pipeline.timed(ctx, "embed"):
            ctx.counts["embedded_new"] = embed(settings)
        with pipeline.timed(ctx, "sentiment"):
            ctx.counts["sentiment_new"] = score_sentiment(settings)
        with pipeline.timed(ctx, "topics"):
            ctx.counts["topics"] = cluster_topics(ctx, rebuild_topics)
        with pipeline.timed(ctx, "rank"):
            ctx.counts["ranked_issues"] = rank_issues(ctx)
        with pipeline.timed(ctx, "render"):
            paths = render(ctx, out)
    except BaseException:
        with connect(settings.db_path) as con:
            pipeline.finish_run(con, ctx, "failed", None)
        raise
    with connect(settings.db_path) as con:
        pipeline.finish_run(con, ctx, "ok", Path(paths["pdf"]).parent)
    _publish(ctx, paths)
    for stage, seconds in ctx.timings.items():
        logger.info("stage %s took %.1f s", stage, seconds)
    return paths["pdf"]


def _publish(ctx: pipeline.RunContext, paths: dict[str, str]) -> None:
    """Prefect artifacts: the top issues and KPIs in markdown, the ranking table, the PDF path."""
    summary = json.loads(Path(paths["summary"]).read_text(encoding="utf-8"))
    issues = summary.get("issues", [])
    lines = [f"# Pulse — {ctx.week}", ""]
    for kpi in summary.get("kpis", []):
        change = kpi.get("delta_display") or ""
        lines.append(f"- **{kpi['label']}**: {kpi.get('display') or '–'} {change}".rstrip())
    lines += ["", "## Top issues", ""]
    for issue in issues[:5]:
        lines.append(f"{issue['rank']}. **{issue['label']}** — {issue.get('why') or ''}")
    key = f"voc-{str(ctx.week).lower()}"
    create_markdown_artifact("\n".join(lines), key=f"{key}-summary", description="Top issues")
    create_table_artifact(
        [
            {
                "rank": i["rank"],
                "label": i["label"],
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
