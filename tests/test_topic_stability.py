"""Topic stability: hysteresis, the registry's merge grain, leaf splits, isolated groups.

Synthetic unit vectors (no model, no fit): what matters is how similarities decide,
not what MiniLM thinks. Each test runs in milliseconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from pulse.db import connect
from pulse.topics.cluster import split_to_leaves
from pulse.topics.matching import HYSTERESIS_MARGIN, keep_remembered
from pulse.topics.merge import (
    GROUP_STEP_MIN,
    MERGE_GAP_HIGH,
    MERGE_THRESHOLD,
    grain_threshold,
    merge_isolated_groups,
    merge_similar,
)
from pulse.topics.registry import store_merge_threshold, stored_merge_threshold
from pulse.topics.seeds import SEED_CLUSTER_BASE


def unit(*values: float, dims: int = 16) -> np.ndarray:
    vector = np.zeros(dims, dtype=np.float32)
    vector[: len(values)] = values
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def between(a: np.ndarray, b: np.ndarray, weight_b: float) -> np.ndarray:
    mixed = (1 - weight_b) * a + weight_b * b
    return (mixed / np.linalg.norm(mixed)).astype(np.float32)


A, B, C = unit(1), unit(0, 1), unit(0, 0, 1)


# --- hysteresis -----------------------------------------------------------------------------


def test_a_text_stays_in_its_remembered_topic_unless_clearly_closer_to_its_new_cluster():
    # Text 0 sits halfway between clusters 0 and 1; it was topic 11's (cluster 1) last week.
    vectors = np.stack([between(A, B, 0.5), A, B])
    centroids = {0: A, 1: B}
    clusters = keep_remembered(
        [0, 0, 1], vectors, centroids, {0: 10, 1: 11}, [11, None, None], margin=0.1
    )
    assert clusters == [1, 0, 1]


def test_a_text_much_closer_to_its_new_cluster_moves_so_real_splits_still_happen():
    # Cosine 0.98 to its new cluster, 0.20 to the remembered one: well past the margin.
    vectors = np.stack([between(A, B, 0.1)])
    sims = (float(vectors[0] @ A), float(vectors[0] @ B))
    assert sims[0] - sims[1] > HYSTERESIS_MARGIN
    assert keep_remembered([0], vectors, {0: A, 1: B}, {0: 10, 1: 11}, [11]) == [0]


def test_a_remembered_topic_not_matched_in_this_run_holds_nobody():
    vectors = np.stack([between(A, B, 0.5)])
    assert keep_remembered([0], vectors, {0: A, 1: B}, {0: 10, 1: 11}, [99]) == [0]


def test_a_text_no_longer_similar_to_its_remembered_topic_is_let_go():
    vectors = np.stack([A])  # cosine 0 to cluster 1's centroid, below OUTLIER_THRESHOLD
    assert keep_remembered([0], vectors, {0: A, 1: B}, {0: 10, 1: 11}, [11], margin=9.0) == [0]


def test_seeded_topics_are_neither_taken_from_nor_given_to_by_hysteresis():
    seed = SEED_CLUSTER_BASE
    vectors = np.stack([between(A, C, 0.5), between(A, C, 0.5)])
    centroids = {0: A, seed: C}
    mapping = {0: 10, seed: 20}
    # Text 0 is in the seed now though it was topic 10's; text 1 was the seed's topic.
    assert keep_remembered([seed, 0], vectors, centroids, mapping, [10, 20], margin=9.0) == [
        seed,
        0,
    ]


def test_an_unassigned_text_returns_to_its_remembered_topic_when_still_close():
    vectors = np.stack([between(A, B, 0.3)])
    assert keep_remembered([-1], vectors, {0: A, 1: B}, {0: 10, 1: 11}, [10]) == [0]


# --- the registry's merge grain -------------------------------------------------------------


def pieces_of(axes: list[np.ndarray], per: int = 6, spread: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(0)
    rows = []
    for axis in axes:
        noise = rng.normal(0, spread, size=(per, axis.shape[0])).astype(np.float32)
        block = axis + noise
        rows.append(block / np.linalg.norm(block, axis=1, keepdims=True))
    return np.vstack(rows).astype(np.float32)


def test_a_window_whose_pieces_pair_off_far_from_the_rest_gets_a_threshold_inside_the_gap():
    # Four themes split into two pieces each (about 0.8 apart), four themes whole.
    axes = []
    for theme in range(4):
        base = unit(*([0.0] * (2 * theme) + [1.0]))
        side = unit(*([0.0] * (2 * theme + 1) + [1.0]))
        axes += [between(base, side, 0.35), between(base, side, 0.65)]
    axes += [unit(*([0.0] * k + [1.0])) for k in range(8, 12)]
    vectors = pieces_of(axes)
    labels = np.repeat(np.arange(len(axes)), 6)
    threshold = grain_threshold(labels, vectors)
    merged = merge_similar(labels, vectors, threshold)
    assert threshold is not None and threshold < 0.7
    assert len(set(merged.tolist())) == 8
    assert all(merged[i] == merged[i + 6] for i in range(0, 48, 12))


def test_a_window_without_a_clear_step_sets_no_grain():
    # Twelve distinct, evenly spread clusters: no cluster pairs off with another.
    vectors = pieces_of([unit(*([0.0] * k + [1.0])) for k in range(12)])
    labels = np.repeat(np.arange(12), 6)
    assert grain_threshold(labels, vectors) is None


def test_a_fit_with_too_few_clusters_does_not_set_the_grain():
    vectors = pieces_of([A, B])
    assert grain_threshold(np.repeat([0, 1], 6), vectors) is None


def test_the_grain_is_stored_once_and_read_back(tmp_path):
    with connect(tmp_path / "pulse.duckdb") as con:
        assert stored_merge_threshold(con) is None
        store_merge_threshold(con, 0.5351)
        assert stored_merge_threshold(con) == pytest.approx(0.5351)
    with connect(tmp_path / "pulse.duckdb") as con:
        assert stored_merge_threshold(con) == pytest.approx(0.5351)
    assert MERGE_GAP_HIGH <= 1.0


# --- isolated groups (no grain) ------------------------------------------------------------


def axis(*weights: tuple[int, float]) -> np.ndarray:
    """A unit vector from (dimension, weight) pairs."""
    vector = np.zeros(16, dtype=np.float32)
    for dim, weight in weights:
        vector[dim] = weight
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def centred_similarity(vectors: np.ndarray, labels: np.ndarray, a: int, b: int) -> float:
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    ca, cb = centred[labels == a].mean(axis=0), centred[labels == b].mean(axis=0)
    return float(ca @ cb / np.linalg.norm(ca) / np.linalg.norm(cb))


def test_a_pair_standing_apart_merges_while_a_closer_pair_with_a_near_third_stays_apart():
    # Clusters 0 and 1 are closer than 3 and 4, but cluster 2 sits not far below them:
    # a family of distinct issues (banking77's virtual-card intents). 3 and 4 are two
    # pieces of one issue with nothing else near (the small demo's "app crashes").
    axes = [
        axis((0, 1.0), (1, 0.4)),
        axis((0, 1.0), (2, 0.4)),
        axis((0, 1.0), (3, 0.9)),
        axis((4, 1.0), (5, 0.55)),
        axis((4, 1.0), (6, 0.55)),
    ] + [axis((k, 1.0)) for k in range(7, 11)]
    vectors = pieces_of(axes, spread=0.02)
    labels = np.repeat(np.arange(len(axes)), 6)
    close = centred_similarity(vectors, labels, 0, 1)
    apart = centred_similarity(vectors, labels, 3, 4)
    assert close > apart >= MERGE_THRESHOLD  # a single cosine threshold would merge both
    merged = merge_isolated_groups(labels, vectors)
    assert merged[18] == merged[24]  # 3 and 4: one issue
    assert len({merged[0], merged[6], merged[12]}) == 3  # 0, 1, 2: three issues
    assert len(set(merged.tolist())) == len(axes) - 1


def test_a_family_far_from_everything_merges_but_not_when_a_wider_step_is_required():
    # Cluster 2 moves away (0.9 -> 1.1): the family 0, 1 now stands apart by more.
    axes = [
        axis((0, 1.0), (1, 0.4)),
        axis((0, 1.0), (2, 0.4)),
        axis((0, 1.0), (3, 1.1)),
    ] + [axis((k, 1.0)) for k in range(7, 11)]
    vectors = pieces_of(axes, spread=0.02)
    labels = np.repeat(np.arange(len(axes)), 6)
    assert merge_isolated_groups(labels, vectors)[0] == merge_isolated_groups(labels, vectors)[6]
    stricter = merge_isolated_groups(labels, vectors, step=GROUP_STEP_MIN + 0.2)
    assert stricter[0] != stricter[6]


def test_pieces_standing_apart_but_less_similar_than_the_floor_stay_apart():
    axes = [axis((4, 1.0), (5, 1.0)), axis((4, 1.0), (6, 1.0))] + [
        axis((k, 1.0)) for k in range(7, 11)
    ]
    vectors = pieces_of(axes, spread=0.02)
    labels = np.repeat(np.arange(len(axes)), 6)
    assert centred_similarity(vectors, labels, 0, 1) < MERGE_THRESHOLD
    assert len(set(merge_isolated_groups(labels, vectors).tolist())) == len(axes)


def test_isolated_groups_leave_outliers_alone_and_a_single_cluster_as_it_is():
    vectors = pieces_of([axis((0, 1.0)), axis((1, 1.0))], per=3)
    labels = np.array([0, 0, 0, -1, -1, -1])
    assert merge_isolated_groups(labels, vectors).tolist() == labels.tolist()
    labels = np.array([0, 0, 0, 1, -1, 1])
    assert merge_isolated_groups(labels, vectors)[4] == -1


# --- leaf splits ----------------------------------------------------------------------------


def test_a_cluster_is_cut_into_its_leaves_and_leaf_noise_joins_the_nearest_leaf_inside_it():
    vectors = np.stack([A, A, B, B, between(A, B, 0.2), C, C])
    labels = np.array([0, 0, 0, 0, 0, 1, -1])
    leaves = np.array([3, 3, 4, 4, -1, 5, 5])
    pieces = split_to_leaves(labels, leaves, vectors)
    assert pieces[0] == pieces[1] != pieces[2] == pieces[3]
    assert pieces[4] == pieces[0]  # closer to A's leaf
    assert pieces[5] >= 0 and pieces[5] not in {pieces[0], pieces[2]}
    assert pieces[6] == -1  # an outlier of the fit stays one


def test_a_cluster_with_no_leaf_inside_stays_whole():
    vectors = np.stack([A, A, B])
    pieces = split_to_leaves(np.array([0, 0, 1]), np.array([-1, -1, 2]), vectors)
    assert pieces[0] == pieces[1] >= 0 and pieces[2] >= 0 and pieces[2] != pieces[0]


def test_leaves_read_off_the_fitted_tree_equal_a_leaf_refit():
    from hdbscan import HDBSCAN

    from pulse.topics.cluster import _leaf_clusters

    rng = np.random.default_rng(0)
    # Pairs of nearby blobs: "eom" may keep a pair whole, "leaf" splits it.
    centres = [c + d for c in rng.normal(0, 6, size=(5, 5)) for d in ([0.0] * 5, [1.2] * 5)]
    points = np.vstack([rng.normal(c, 0.3, size=(60, 5)) for c in centres])
    fitted = HDBSCAN(min_cluster_size=20, min_samples=5).fit(points)
    params = fitted.get_params()
    params["cluster_selection_method"] = "leaf"
    refit = HDBSCAN(**params).fit(points).labels_
    assert np.array_equal(_leaf_clusters(fitted), refit)
    assert len(set(refit.tolist()) - {-1}) >= len(set(fitted.labels_.tolist()) - {-1})
