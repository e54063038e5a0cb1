"""One window's fit: BERTopic's clusters, cut into leaves, merged at the grain (pure).

`fit_window` is the whole of it: fit, leaves, merge (pulse.topics.merge), outliers placed,
clusters renumbered by size so their numbers never depend on HDBSCAN's internal order,
seeds' texts claimed (pulse.topics.seeds). Nothing here touches DuckDB: the caller passes
the registry's stored grain in and keeps the one a first fit reads off.
"""

from __future__ import annotations

import numpy as np

from pulse.topics.centroids import unit_centroids
from pulse.topics.merge import grain_threshold, merge_isolated_groups, merge_similar
from pulse.topics.model import build_topic_model
from pulse.topics.sampled_hdbscan import leaf_labels
from pulse.topics.seeds import assign_seeds

# An outlier joins the nearest topic when its cosine similarity to that
# topic's centroid is at least this; below it, it stays unassigned and counted.
OUTLIER_THRESHOLD = 0.30
# HDBSCAN's "eom" selection sometimes calls most of a window one cluster, and then no id
# can stay put: when one cluster holds more than this share of the window, the fit takes
# the "leaf" clusters instead. Windows under it keep "eom" (docs/TUNING.md).
GIANT_CLUSTER_SHARE = 0.30


def _fit(
    texts: list[str],
    vectors: np.ndarray,
    seed: int,
    min_topic_size: int,
    seed_centroids: dict[int, np.ndarray] | None = None,
    merge_threshold: float | None = None,
) -> list[int]:
    """`fit_window`'s clusters alone, for the benches that score one fit."""
    return fit_window(texts, vectors, seed, min_topic_size, seed_centroids, merge_threshold)[0]


def fit_window(
    texts: list[str],
    vectors: np.ndarray,
    seed: int,
    min_topic_size: int,
    seed_centroids: dict[int, np.ndarray] | None = None,
    merge_threshold: float | None = None,
) -> tuple[list[int], float | None]:
    """Cluster one window: fit, merge, reassign outliers.

    Clusters are cut into their leaves; with a grain (`merge_threshold`, or one this fit
    shows) the leaves merge back at it, and without one only the groups of leaves that
    stand apart from everything else merge (`merge_isolated_groups`).

    Returns the clusters and the merge threshold read off this fit (`grain_threshold`)
    when none was given, so the caller can keep it for the registry (None: this fit had
    no clear grain, and merged isolated groups).
    """
    model = build_topic_model(len(texts), seed, min_topic_size)
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    topics = np.asarray(topics)
    leaves = _leaf_clusters(model.hdbscan_model)
    if _giant_cluster(topics):
        topics = leaves
    derived = None
    if merge_threshold is None:
        derived = merge_threshold = grain_threshold(topics, vectors)
    if merge_threshold is None:
        # No clear grain for the whole window: the leaves, joined where a group of them
        # stands apart from everything else (`merge_isolated_groups`). Merging nothing split
        # the small demo's (scale 0.3) fading theme into four topics, none of which then
        # counted as improving; one cosine threshold for every pair (0.60) merged banking77's
        # distinct intents (NMI 0.760 against the default's 0.795).
        topics = merge_isolated_groups(split_to_leaves(topics, leaves, vectors), vectors)
    else:
        topics = merge_similar(split_to_leaves(topics, leaves, vectors), vectors, merge_threshold)
    topics = _reduce_outliers(list(topics), vectors)
    # Renumber by size so cluster numbers do not depend on HDBSCAN's internal order.
    sizes = sorted(
        ((sum(1 for t in topics if t == c), c) for c in set(topics) if c >= 0),
        key=lambda item: (-item[0], item[1]),
    )
    renumber = {old: new for new, (_, old) in enumerate(sizes)}
    topics = [renumber.get(t, -1) for t in topics]
    return assign_seeds(topics, vectors, seed_centroids or {}), derived


def split_to_leaves(labels: np.ndarray, leaves: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each cluster cut into the leaf clusters of the same HDBSCAN tree that lie inside it.

    "eom" selection keeps a parent cluster when its leaves are not much more stable,
    so distinct fine issues (banking77's intents: 54 clusters for 77) end up as one;
    the leaves keep them apart, and the merge step joins back the leaves that are
    one issue at the registry's grain. A text the leaves call noise joins the nearest
    leaf of its own cluster (centroid cosine), so outliers stay exactly the same.
    Banking77: NMI 0.802 -> 0.813 with nothing merged (0.811 with isolated groups
    merged); the demo's 0.961 is unchanged at its grain (the leaves merge back).
    """
    out = np.full(len(labels), -1, dtype=np.int64)
    pieces: dict[tuple[int, int], int] = {}
    for doc, (label, leaf) in enumerate(zip(labels.tolist(), leaves.tolist(), strict=True)):
        if label >= 0 and leaf >= 0:
            out[doc] = pieces.setdefault((label, leaf), len(pieces))
    # Pieces lie inside one cluster, so placing one cluster's rest moves no other's centroid.
    centroids = unit_centroids(vectors, out.tolist())
    for label in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == label)
        rest = members[out[members] < 0]
        if not len(rest):
            continue
        own = sorted(set(out[members].tolist()) - {-1})
        if not own:
            out[rest] = pieces.setdefault((label, -1), len(pieces))
            continue
        matrix = np.stack([centroids[p] for p in own])
        out[rest] = np.asarray(own)[np.argmax(vectors[rest] @ matrix.T, axis=1)]
    return out


def _giant_cluster(labels: np.ndarray) -> bool:
    """Whether one cluster holds more than GIANT_CLUSTER_SHARE of the window's texts."""
    assigned = labels[labels >= 0]
    return bool(len(assigned)) and np.bincount(assigned).max() > GIANT_CLUSTER_SHARE * len(labels)


def _leaf_clusters(fitted) -> np.ndarray:
    """The same HDBSCAN on the same reduced vectors, with "leaf" selection.

    Reuses the reduced vectors the first fit clustered, so UMAP runs once: a
    `SampledHDBSCAN` carries its leaves for every row, a plain HDBSCAN has them read off
    the tree it kept (pulse.topics.sampled_hdbscan.leaf_labels).
    """
    if hasattr(fitted, "leaf_labels_"):
        return np.asarray(fitted.leaf_labels_)
    return leaf_labels(fitted)


def _reduce_outliers(topics: list[int], vectors: np.ndarray) -> list[int]:
    """Give each outlier to the nearest topic centroid when it is similar enough.

    Same idea as BERTopic's `reduce_outliers(strategy="embeddings")`, done on the
    cached vectors so no text is embedded twice.
    """
    centroids = unit_centroids(vectors, topics)
    if not centroids:
        return topics
    ids = sorted(centroids)
    matrix = np.stack([centroids[i] for i in ids])
    result = list(topics)
    outliers = [i for i, t in enumerate(topics) if t < 0]
    if not outliers:
        return result
    sims = vectors[outliers] @ matrix.T
    best = sims.argmax(axis=1)
    for row, doc in enumerate(outliers):
        if sims[row, best[row]] >= OUTLIER_THRESHOLD:
            result[doc] = ids[best[row]]
    return result
