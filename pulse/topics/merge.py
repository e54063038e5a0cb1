"""The merge grain: which of one fit's clusters are pieces of one issue (pure).

HDBSCAN splits one complaint into several clusters by wording ("app crashes" /
"reinstalled twice"). Clusters whose centroids, centred on the window's mean, are similar
enough are one issue, and how similar sets the report's grain. No one threshold serves
every data set, so the grain is read off the data (`grain_threshold`), once per registry:
read off every window, it moved from week to week and so did the topic ids. The caller
stores it (pulse.topics.registry, table topic_meta). A window with no clear grain joins
only the groups of clusters that stand apart from the rest (`merge_isolated_groups`).
docs/TUNING.md ("The merge grain") has the measurements behind every constant here.
"""

from __future__ import annotations

import numpy as np

from pulse.topics.centroids import centred_unit_centroids, cluster_sums, unit_rows, window_mean

# The grain is the middle of the widest step between neighbours in the sorted list of each
# cluster's similarity to its nearest other cluster, taken among steps whose upper end lies
# in [MERGE_GAP_LOW, MERGE_GAP_HIGH] and only when it is at least MERGE_GAP_MIN wide:
# narrower steps, or steps outside the bounds, did not tell the pieces of one issue from
# distinct issues on the measured sets.
MERGE_GAP_LOW = 0.50
MERGE_GAP_HIGH = 0.90
MERGE_GAP_MIN = 0.15
# The grain is read only off a fit with at least this many clusters; a smaller first fit
# merges isolated groups (below) and leaves the choice to a later, richer window.
MERGE_GRAIN_MIN_CLUSTERS = 5
# Without a grain, a group of clusters is one issue when its members joined at
# MERGE_THRESHOLD or above and the group joined everything else at least GROUP_STEP_MIN
# lower: twice MERGE_GAP_MIN, as a step read off one group needs the wider margin.
MERGE_THRESHOLD = 0.60
GROUP_STEP_MIN = 0.30


def grain_threshold(labels: np.ndarray, vectors: np.ndarray) -> float | None:
    """The merge threshold this window's own clusters suggest (see MERGE_GAP_LOW).

    Each cluster's centred cosine to its nearest other cluster, sorted; the middle of
    the widest step between neighbours whose upper end lies in the gap bounds, when it
    is at least MERGE_GAP_MIN wide. None when there is no such step (the small demo's
    widest is 0.078, like banking77's 0.07: no grain tells them apart) or the fit has
    fewer than MERGE_GRAIN_MIN_CLUSTERS clusters: too few to say.
    """
    ids, matrix, _ = centred_unit_centroids(vectors, labels)
    if len(ids) < MERGE_GRAIN_MIN_CLUSTERS:
        return None
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -1.0)
    nearest = np.sort(sims.max(axis=1))
    steps = np.diff(nearest)
    upper = nearest[1:]
    steps[(upper < MERGE_GAP_LOW) | (upper > MERGE_GAP_HIGH)] = 0.0
    widest = int(np.argmax(steps)) if len(steps) else 0
    if not len(steps) or steps[widest] < MERGE_GAP_MIN:
        return None
    # Never below the low bound: a step from far under it (a 100k mix of banking77,
    # Bitext and SpotifyCares: 0.35 | 0.50 -> 0.43) merged 39 clusters into 4 (9 at 0.50).
    middle = float(nearest[widest] + nearest[widest + 1]) / 2
    return round(max(middle, MERGE_GAP_LOW), 4)


def merge_similar(
    labels: np.ndarray, vectors: np.ndarray, threshold: float = MERGE_THRESHOLD
) -> np.ndarray:
    """Join clusters whose centred centroids are at least `threshold` similar, closest first.

    Vectors are centred on the window's mean first: what every text shares (a
    brand handle opening every tweet, the product's vocabulary) says nothing
    about which issue a text is about, and left in, it makes every pair of
    clusters look alike (SpotifyCares tweets merged into one topic).
    """
    labels = labels.copy()
    ids, sums, sizes = cluster_sums(vectors, labels)
    mean = window_mean(vectors)
    while len(ids) >= 2:
        matrix = unit_rows(sums / sizes[:, None] - mean)
        sims = matrix @ matrix.T
        np.fill_diagonal(sims, -1.0)
        i, j = np.unravel_index(int(sims.argmax()), sims.shape)
        if sims[i, j] < threshold:
            break
        keep, drop = (i, j) if ids[i] < ids[j] else (j, i)
        labels[labels == ids[drop]] = ids[keep]
        # A joined cluster's centroid is its members' sums over its size: no pass over the rows.
        sums[keep] += sums[drop]
        sizes[keep] += sizes[drop]
        sums, sizes = np.delete(sums, drop, axis=0), np.delete(sizes, drop)
        del ids[drop]
    return labels


def merge_isolated_groups(
    labels: np.ndarray,
    vectors: np.ndarray,
    floor: float = MERGE_THRESHOLD,
    step: float = GROUP_STEP_MIN,
) -> np.ndarray:
    """Join each group of clusters that is far closer inside than to anything outside it.

    A window without a grain (no step in its nearest-cluster similarities) still holds
    issues cut into pieces by wording: the small demo's "app crashes" in four leaves at
    0.72-0.83 of each other, with no other theme above 0.21 of them. What marks such
    pieces is not how close two of them are (banking77's distinct "virtual card"
    intents are closer, 0.81) but that the group they form stands apart: the grain rule
    read locally, per group, instead of once per window. Distinct issues that share a
    subject (banking77's virtual-card, cash-withdrawal and exchange-rate families) sit
    among neighbours: the family joins the next one soon after it forms, so no step.

    The clusters' centred centroids (as in `merge_similar`: what every text shares says
    nothing) are joined closest first, down to one, and a group is one issue when its
    members joined at `floor` or above and the group joined the rest at least `step`
    lower. Groups are taken from the top, so the largest such group wins over its parts
    and a group is never cut across; a window whose clusters all joined at `floor` or
    above is one group (nothing outside it). Ties go to the lower cluster number, so the
    result is deterministic.
    """
    labels = np.asarray(labels).copy()
    ids = sorted(set(labels.tolist()) - {-1})
    if len(ids) < 2:
        return labels
    _, sums, sizes = cluster_sums(vectors, labels)
    sums = sums - sizes[:, None] * window_mean(vectors)  # the sums of the centred vectors
    units = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    sims = units @ units.T
    np.fill_diagonal(sims, -np.inf)
    alive = np.ones(len(ids), dtype=bool)
    node_of_row = list(range(len(ids)))  # the dendrogram node each row stands for
    height: dict[int, float] = {}
    parent: dict[int, int] = {}
    children: dict[int, tuple[int, int]] = {}
    node_members: dict[int, list[int]] = {row: [i] for row, i in enumerate(ids)}
    next_node = len(ids)
    for _ in range(len(ids) - 1):
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        a, b = int(min(a, b)), int(max(a, b))
        node = next_node
        next_node += 1
        height[node] = float(sims[a, b])
        left, right = node_of_row[a], node_of_row[b]
        parent[left] = parent[right] = node
        children[node] = (left, right)
        node_members[node] = node_members[left] + node_members[right]
        # Row a becomes the joined group; row b leaves.
        sums[a] += sums[b]
        units[a] = sums[a] / max(float(np.linalg.norm(sums[a])), 1e-12)
        node_of_row[a] = node
        alive[b] = False
        row = np.where(alive, units @ units[a], -np.inf)
        row[a] = -np.inf
        sims[a, :] = row
        sims[:, a] = row
        sims[b, :] = -np.inf
        sims[:, b] = -np.inf
    out = labels.copy()
    pending = [next_node - 1]
    while pending:
        node = pending.pop()
        if node not in children:
            continue
        joined_rest = height[parent[node]] if node in parent else -1.0
        if height[node] >= floor and height[node] - joined_rest >= step:
            keep = min(node_members[node])
            for cluster in node_members[node]:
                out[labels == cluster] = keep
            continue
        pending.extend(children[node])
    return out
