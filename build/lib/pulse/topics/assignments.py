"""Which topic each text is in: doc_topics for each run, topic_doc_memory across runs, and
each run's issue of each sub-theme (reads and writes DuckDB).

Every run re-clusters its whole window; the memory is what lets a cluster that holds
mostly an earlier topic's texts keep that topic's id (pulse.topics.matching). The SQL is
in queries/topics/; the window's arrays reach it as registered Arrow tables.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from pulse.db import run_query
from pulse.topics.seeds import SEED_CLUSTER_BASE


def shared_documents(
    con: duckdb.DuckDBPyConnection, feedback_ids: list[str], clusters: list[int]
) -> dict[int, dict[int, int]]:
    """Per fitted cluster, how many of its texts each earlier topic held.

    Texts no earlier fit assigned count under topic -1 (so a cluster of mostly new
    texts is not an old topic); texts outside the fitted clusters under cluster -1.
    """
    table = pa.table(
        {"feedback_id": pa.array(feedback_ids, pa.string()), "cluster": pa.array(clusters)}
    )
    con.register("window_clusters", table)
    try:
        rows = run_query(
            con, "topics_shared_documents", {"seed_cluster_base": SEED_CLUSTER_BASE}
        ).fetchall()
    finally:
        con.unregister("window_clusters")
    shared: dict[int, dict[int, int]] = {}
    for cluster, topic_id, count in rows:
        shared.setdefault(int(cluster), {})[int(topic_id)] = int(count)
    return shared


def remembered_topics(con: duckdb.DuckDBPyConnection, feedback_ids: list[str]) -> list[int | None]:
    """The registry topic each text had after the last fit that clustered it (None: none)."""
    table = pa.table(
        {
            "feedback_id": pa.array(feedback_ids, pa.string()),
            "position": pa.array(np.arange(len(feedback_ids), dtype=np.int64)),
        }
    )
    con.register("window_ids", table)
    try:
        rows = run_query(con, "topics_remembered").fetchall()
    finally:
        con.unregister("window_ids")
    result: list[int | None] = [None] * len(feedback_ids)
    for position, topic_id in rows:
        result[int(position)] = None if topic_id is None else int(topic_id)
    return result


def remember_topics(
    con: duckdb.DuckDBPyConnection,
    feedback_ids: list[str],
    clusters: list[int],
    topic_of_cluster: dict[int, int],
) -> None:
    """Remember each text's registry topic after this fit (None: unassigned), for the next."""
    table = pa.table(
        {
            "feedback_id": pa.array(feedback_ids, pa.string()),
            "topic_id": pa.array([topic_of_cluster.get(c) for c in clusters], pa.int32()),
        }
    )
    con.register("new_memory", table)
    try:
        run_query(con, "topics_remember")
    finally:
        con.unregister("new_memory")


def write_doc_topics(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    feedback_ids: list[str],
    clusters: list[int],
    topic_of_cluster: dict[int, int],
    vectors: np.ndarray,
    centroids: dict[int, np.ndarray],
) -> None:
    """The run's topic of each text, with its cosine to its cluster's centre, in doc_topics."""
    topic_ids, probabilities = [], []
    for i, cluster in enumerate(clusters):
        if cluster < 0:
            topic_ids.append(None)
            probabilities.append(None)
        else:
            topic_ids.append(topic_of_cluster[cluster])
            probabilities.append(float(vectors[i] @ centroids[cluster]))
    table = pa.table(
        {
            "run_id": pa.array([run_id] * len(feedback_ids), pa.string()),
            "feedback_id": pa.array(feedback_ids, pa.string()),
            "topic_id": pa.array(topic_ids, pa.int32()),
            "probability": pa.array(probabilities, pa.float64()),
        }
    )
    con.register("new_doc_topics", table)
    try:
        run_query(con, "topics_doc_topics_clear", {"run_id": run_id})
        run_query(con, "topics_doc_topics_insert")
    finally:
        con.unregister("new_doc_topics")


def write_run_parents(
    con: duckdb.DuckDBPyConnection, run_id: str, issue_of_theme: dict[int, int]
) -> None:
    """Record the run's issue of each sub-theme, so a re-render counts under that run's issues."""
    run_query(con, "topics_run_parents_clear", {"run_id": run_id})
    for theme, issue in sorted(issue_of_theme.items()):
        params = {"run_id": run_id, "topic_id": theme, "parent_id": issue}
        run_query(con, "topics_run_parents_insert", params)
