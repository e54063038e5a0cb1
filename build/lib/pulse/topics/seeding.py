"""Seeds added to a week that is already clustered: claim their texts, move nothing else.

When CX ops seed a known issue (or split one off) and the week runs again on the same
texts, a refit would change the input of every cluster, and so other topics' ids and
names. Instead the earlier run's assignment is kept and the seeds claim their texts on
top of it, by the same rule as in a fit (`pulse.topics.seeds.assign_seeds`): every
other text keeps its topic, every other topic its id and label. Writes DuckDB.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pulse.db import run_query
from pulse.embed import load_vectors
from pulse.topics.registry import register_seeds, touch_seeded
from pulse.topics.seeds import SEED_CLUSTER_BASE, assign_seeds, seed_centroid
from pulse.topics.taxonomy import read_taxonomy
from pulse.weeks import IsoWeek


def claim_seeded_texts(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    week: IsoWeek,
    taxonomy_path: Path | None = None,
) -> int:
    """Move the texts of run `run_id` that the taxonomy's seeds claim; how many moved.

    The run's doc_topics must already hold its assignment (copied from the earlier run).
    A seed seen for the first time is registered with the next topic id; texts it claims
    carry their cosine to the seed's centre as their probability.
    """
    seeds = read_taxonomy(taxonomy_path).seeds
    if not seeds:
        return 0
    seed_topics = register_seeds(con, seeds, week)
    rows = run_query(con, "topics_run_assignment", {"run_id": run_id}).fetchall()
    if not rows:
        return 0
    feedback_ids = [r[0] for r in rows]
    current = [r[1] for r in rows]
    vectors = load_vectors(con, [r[2] for r in rows])
    centroids = {SEED_CLUSTER_BASE + i: seed_centroid(s.examples) for i, s in enumerate(seeds)}
    topic_of = {c: seed_topics[seeds[c - SEED_CLUSTER_BASE].key] for c in centroids}
    claimed = assign_seeds([-1 if t is None else t for t in current], vectors, centroids)
    moved = [
        (i, topic_of[c])
        for i, c in enumerate(claimed)
        if c >= SEED_CLUSTER_BASE and topic_of[c] != current[i]
    ]
    if not moved:
        return 0
    table = pa.table(
        {
            "feedback_id": pa.array([feedback_ids[i] for i, _ in moved], pa.string()),
            "topic_id": pa.array([t for _, t in moved], pa.int32()),
            "probability": pa.array(
                [float(vectors[i] @ centroids[claimed[i]]) for i, _ in moved], pa.float64()
            ),
        }
    )
    con.register("seed_claims", table)
    try:
        run_query(con, "topics_move_to_seeds", {"run_id": run_id})
    finally:
        con.unregister("seed_claims")
    for topic_id in sorted({t for _, t in moved}):
        touch_seeded(con, topic_id, None, week, str(week))
    return len(moved)
