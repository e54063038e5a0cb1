"""HDBSCAN whose cost stops outgrowing the window: cluster a seeded sample, extend to the rest.

HDBSCAN's spanning tree grows faster than the window on the 5-d layout UMAP gives it: on
the pool of `bench/topics.py --only cost` (quiet machine) it took about 13 s of a 300k
window's topics stage and about 200 s of a million-text window's. The clusters a window
holds are settled long before that: with `min_cluster_size` a fixed share of the window
(pulse.topics.model), a topic is thousands of points at 300k. `SampledHDBSCAN` fits the
wrapped HDBSCAN on at most `max_fit` rows drawn with a fixed seed, then gives every other
row the cluster (and the leaf cluster, see pulse.topics.cluster.split_to_leaves) of its
nearest sampled row in the same layout: exact neighbours from a KD-tree, so the result is
deterministic. Windows up to `max_fit` rows get exactly the wrapped HDBSCAN.

BERTopic reads `labels_` and `probabilities_` after `fit`; Pulse's fit reads `leaf_labels_`
(`leaf_labels` for a plain HDBSCAN). A sampled window's `min_cluster_size` is scaled to the
sample, so a cluster is the same share of the window either way.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone

#: Rows HDBSCAN clusters itself; the others take their nearest sampled row's cluster
#: (pulse.topics.model.HDBSCAN_MAX_FIT is what the topics stage uses).
DEFAULT_MAX_FIT = 300_000


def leaf_labels(fitted) -> np.ndarray:
    """A fitted HDBSCAN's clusters with "leaf" selection, read off the tree it kept.

    "leaf" only selects other nodes of the same condensed tree, so no spanning tree is
    built twice; without a kept tree the same HDBSCAN is refitted with "leaf".
    """
    from hdbscan import HDBSCAN

    params = fitted.get_params()
    tree = getattr(fitted, "_condensed_tree", None)
    if tree is not None:
        from hdbscan._hdbscan_tree import compute_stability, get_clusters

        labels, _, _ = get_clusters(
            tree,
            compute_stability(tree),
            "leaf",
            params["allow_single_cluster"],
            params["match_reference_implementation"],
            params["cluster_selection_epsilon"],
            params["max_cluster_size"],
            params.get("cluster_selection_epsilon_max", float("inf")),
        )
        return np.asarray(labels)
    params["cluster_selection_method"] = "leaf"
    return HDBSCAN(**params).fit(fitted._raw_data).labels_


class SampledHDBSCAN(BaseEstimator):
    """The wrapped HDBSCAN on at most `max_fit` seeded rows; the rest by nearest sampled row.

    After `fit`: `labels_`, `probabilities_` and `leaf_labels_`, one per input row, and
    `sampled_` (the sampled row numbers, sorted; None when every row was clustered).
    """

    def __init__(self, hdbscan, max_fit: int = DEFAULT_MAX_FIT, random_state: int = 42):
        self.hdbscan = hdbscan
        self.max_fit = max_fit
        self.random_state = random_state

    def fit(self, X, y=None) -> SampledHDBSCAN:  # noqa: N803  (scikit-learn's name)
        del y
        points = np.asarray(X)
        count = len(points)
        model = clone(self.hdbscan)
        if count <= self.max_fit:
            model.fit(points)
            self.sampled_ = None
            self.labels_ = np.asarray(model.labels_)
            self.probabilities_ = np.asarray(model.probabilities_)
            self.leaf_labels_ = leaf_labels(model)
            self.hdbscan_ = model
            return self
        rng = np.random.default_rng(self.random_state)
        sampled = np.sort(rng.choice(count, size=self.max_fit, replace=False))
        share = self.max_fit / count
        params = model.get_params()
        model.set_params(
            min_cluster_size=max(2, round(params["min_cluster_size"] * share)),
        )
        model.fit(points[sampled])
        nearest = _nearest_sampled(points, sampled)
        self.sampled_ = sampled
        self.labels_ = np.asarray(model.labels_)[nearest]
        self.probabilities_ = np.asarray(model.probabilities_)[nearest]
        self.leaf_labels_ = leaf_labels(model)[nearest]
        self.hdbscan_ = model
        return self


def _nearest_sampled(points: np.ndarray, sampled: np.ndarray) -> np.ndarray:
    """For every row, the position in `sampled` of its nearest sampled row (itself if sampled).

    Exact Euclidean neighbours from a KD-tree (the layout is low-dimensional); a tie goes
    to the tree's first answer, which is fixed for the same input.
    """
    from sklearn.neighbors import KDTree

    nearest = np.empty(len(points), dtype=np.int64)
    nearest[sampled] = np.arange(len(sampled))
    rest = np.setdiff1d(np.arange(len(points)), sampled, assume_unique=True)
    if len(rest):
        tree = KDTree(points[sampled])
        nearest[rest] = tree.query(points[rest], k=1, return_distance=False)[:, 0]
    return nearest
