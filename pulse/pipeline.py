"""The weekly run's stages as plain functions over a DuckDB connection.

`flows/weekly_report.py` wires these into a Prefect flow; tests and the CLI can
call them without Prefect. Each stage is idempotent, so a crashed run is
recovered by running it again.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pulse.db import run_query
from pulse.run import RunContext, metric_params


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
    from pulse.topics.taxonomy_apply import apply_taxonomy
    from pulse.topics.window import cluster_window

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
    from pulse.topics.taxonomy_apply import seeds_fingerprint

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
