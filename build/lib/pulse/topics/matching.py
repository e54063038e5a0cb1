"""Which registry topic each fitted cluster is, and which texts stay where they were (pure).

Three rules, in the order `cluster_window` applies them: a cluster holding most of an
earlier topic's texts is that topic (`match_by_documents`); the other clusters match by
centroid (`match_clusters`); a text of an earlier week stays in its remembered topic unless
it moved clearly (`keep_remembered`). Each is one-to-one and deterministic. Reading the
earlier assignment from DuckDB is pulse.topics.assignments' job, writing the outcome
pulse.topics.registry's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pulse.topics.cluster import OUTLIER_THRESHOLD
from pulse.topics.seeds import SEED_CLUSTER_BASE

# Two clusters are "the same topic" when their centroids are at least this
# similar; measured on the demo weeks, the same theme across overlapping
# windows sits above 0.93 and the closest distinct themes below 0.75.
MATCH_THRESHOLD = 0.80
# A fitted cluster inherits the topic id of a previous run's topic when they share
# documents (the same texts clustered again): at least this share of the cluster's
# previously assigned texts, or of the topic's texts in this window, must be shared.
OVERLAP_SHARE = 0.5
# A text of an earlier week moves from its remembered topic to its new cluster only when
# it is closer to the new centroid by more than this: the smallest margin that kept id
# stability well above 0.90, while a real split still moves (docs/TUNING.md).
HYSTERESIS_MARGIN = 0.10


def match_clusters(
    centroids: dict[int, np.ndarray],
    registry: list[tuple[int, np.ndarray]],
    threshold: float = MATCH_THRESHOLD,
) -> dict[int, int]:
    """One-to-one matching of fitted clusters to registry topics (Hungarian on cosine).

    One-to-one, because two of this week's clusters claiming one topic id would
    merge two issues behind CX ops' back; a pair below `threshold` is no match.
    Ties resolve by order (clusters by number, topics by id), so the result is
    deterministic.
    """
    from scipy.optimize import linear_sum_assignment

    cluster_ids = sorted(centroids)
    if not registry or not cluster_ids:
        return {}
    reg_matrix = np.asarray([np.asarray(v, dtype=np.float32) for _, v in registry])
    clu_matrix = np.stack([centroids[c] for c in cluster_ids])
    sims = clu_matrix @ reg_matrix.T
    rows, cols = linear_sum_assignment(-sims)
    return {
        cluster_ids[r]: int(registry[c][0])
        for r, c in zip(rows, cols, strict=True)
        if sims[r, c] >= threshold
    }


def match_by_documents(
    shared: dict[int, dict[int, int]], exclude: set[int] | None = None
) -> dict[int, int]:
    """One-to-one matching of fitted clusters to earlier topics by the texts they share.

    The texts of earlier weeks are clustered again every run; a cluster that
    holds most of an earlier topic's texts (or whose earlier texts were mostly
    that topic's) is that topic, even when its centroid moved. Hungarian on the
    shared counts keeps the most texts under their old id. `shared[-1]` holds
    the window's texts outside any fitted cluster, counted in each topic's size;
    topic -1 the texts no earlier fit assigned, counted in each cluster's size.
    """
    exclude = exclude or set()
    cluster_ids = sorted(c for c in shared if c >= 0)
    topic_ids = sorted({t for row in shared.values() for t in row if t >= 0} - exclude)
    if not cluster_ids or not topic_ids:
        return {}
    counts = np.zeros((len(cluster_ids), len(topic_ids)))
    for r, cluster in enumerate(cluster_ids):
        for c, topic_id in enumerate(topic_ids):
            counts[r, c] = shared[cluster].get(topic_id, 0)
    cluster_size = {c: sum(shared[c].values()) for c in cluster_ids}
    topic_size = {t: sum(row.get(t, 0) for row in shared.values()) for t in topic_ids}
    return {
        cluster_ids[r]: topic_ids[c]
        for r, c in overlap_assignment(
            counts,
            [cluster_size[c] for c in cluster_ids],
            [topic_size[t] for t in topic_ids],
            OVERLAP_SHARE,
        )
    }


def overlap_assignment(
    shared: np.ndarray, row_size: Sequence[float], col_size: Sequence[float], share: float
) -> list[tuple[int, int]]:
    """One-to-one pairs (row, column) keeping the most shared texts (Hungarian), each pair
    kept only when the shared texts are at least `share` of the row's or the column's size:
    a new grouping is an old one when it holds most of the old one's texts, or the reverse.
    """
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-shared)
    return [
        (int(r), int(c))
        for r, c in zip(rows, cols, strict=True)
        if shared[r, c] > 0
        and (shared[r, c] >= share * row_size[r] or shared[r, c] >= share * col_size[c])
    ]


def keep_remembered(
    clusters: list[int],
    vectors: np.ndarray,
    centroids: dict[int, np.ndarray],
    topic_of_cluster: dict[int, int],
    remembered: list[int | None],
    margin: float | None = None,
) -> list[int]:
    """Hysteresis: a text of an earlier week stays in its remembered topic while that topic lives.

    Every run re-clusters its whole window, and a large diffuse cluster of generic
    texts splits a little differently each time; without this, last week's counts
    would be restated by noise. A text whose remembered topic matched a fitted
    cluster in this run keeps that topic unless it is closer to its new cluster's
    centroid by more than `margin` (a real split still happens), and only while it
    is at least OUTLIER_THRESHOLD similar to the remembered one. Seeded topics claim
    their texts first-hand and are neither taken from nor given to here.
    """
    margin = HYSTERESIS_MARGIN if margin is None else margin
    cluster_of_topic = {
        t: c for c, t in topic_of_cluster.items() if 0 <= c < SEED_CLUSTER_BASE and c in centroids
    }
    result = list(clusters)
    for doc, (cluster, topic_id) in enumerate(zip(clusters, remembered, strict=True)):
        if topic_id is None or cluster >= SEED_CLUSTER_BASE:
            continue
        home = cluster_of_topic.get(topic_id)
        if home is None or home == cluster:
            continue
        home_sim = float(vectors[doc] @ centroids[home])
        if home_sim < OUTLIER_THRESHOLD:
            continue
        if cluster >= 0 and float(vectors[doc] @ centroids[cluster]) - home_sim > margin:
            continue
        result[doc] = home
    return result
