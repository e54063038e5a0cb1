"""HDBSCAN on a seeded sample of a large window (pulse.topics.sampled_hdbscan), real hdbscan."""

from __future__ import annotations

import numpy as np
from hdbscan import HDBSCAN
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pulse.topics.sampled_hdbscan import SampledHDBSCAN, leaf_labels


def blobs(seed: int = 0, per_blob: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of nearby blobs in 5-d (so "eom" and "leaf" differ), and each row's blob."""
    rng = np.random.default_rng(seed)
    centres = [c + d for c in rng.normal(0, 8, size=(4, 5)) for d in ([0.0] * 5, [1.5] * 5)]
    points = np.vstack([rng.normal(c, 0.3, size=(per_blob, 5)) for c in centres])
    return points, np.repeat(np.arange(len(centres)), per_blob)


def plain() -> HDBSCAN:
    return HDBSCAN(min_cluster_size=60, min_samples=5, core_dist_n_jobs=1)


def test_a_window_up_to_max_fit_gets_exactly_the_wrapped_hdbscan():
    points, _ = blobs()
    fitted = SampledHDBSCAN(plain(), max_fit=len(points)).fit(points)
    whole = plain().fit(points)
    assert fitted.sampled_ is None
    assert np.array_equal(fitted.labels_, whole.labels_)
    assert np.array_equal(fitted.probabilities_, whole.probabilities_)
    assert np.array_equal(fitted.leaf_labels_, leaf_labels(whole))


def test_a_larger_window_is_clustered_on_a_sample_and_every_row_labelled_like_the_whole_fit():
    points, blob = blobs()
    whole = plain().fit(points)
    fitted = SampledHDBSCAN(plain(), max_fit=1000, random_state=7).fit(points)
    assert fitted.sampled_ is not None and len(fitted.sampled_) == 1000
    # The sample's min_cluster_size is the same share of the rows as the window's.
    assert fitted.hdbscan_.min_cluster_size == round(60 * 1000 / len(points))
    assert len(fitted.labels_) == len(points) == len(fitted.leaf_labels_)
    # A sampled row keeps the label the sample's own fit gave it.
    assert np.array_equal(fitted.labels_[fitted.sampled_], fitted.hdbscan_.labels_)
    # The same partition as HDBSCAN on every row: the pairs merged, then split at the leaves.
    assert adjusted_rand_score(whole.labels_, fitted.labels_) > 0.98
    assert normalized_mutual_info_score(blob, fitted.leaf_labels_) > 0.95
    assert len(set(fitted.leaf_labels_.tolist()) - {-1}) == 8


def test_the_sample_is_fixed_by_the_seed():
    points, _ = blobs(seed=3)
    first = SampledHDBSCAN(plain(), max_fit=900, random_state=1).fit(points)
    again = SampledHDBSCAN(plain(), max_fit=900, random_state=1).fit(points)
    other = SampledHDBSCAN(plain(), max_fit=900, random_state=2).fit(points)
    assert np.array_equal(first.sampled_, again.sampled_)
    assert np.array_equal(first.labels_, again.labels_)
    assert np.array_equal(first.leaf_labels_, again.leaf_labels_)
    assert not np.array_equal(first.sampled_, other.sampled_)


def test_the_topics_stage_fit_runs_through_the_sampled_path(monkeypatch):
    """BERTopic with the wrapper, Pulse's UMAP, leaves and merge: a window past the limit
    still finds its planted groups."""
    from pulse.topics import model
    from pulse.topics.cluster import fit_window

    rng = np.random.default_rng(11)
    directions = rng.normal(size=(3, 384))
    vectors = np.vstack([d + rng.normal(0, 0.35, size=(500, 384)) for d in directions])
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    truth = np.repeat(np.arange(3), 500)
    texts = [f"text {i}" for i in range(len(vectors))]
    monkeypatch.setattr(model, "HDBSCAN_MAX_FIT", 600)
    sampled, _ = fit_window(texts, vectors, 42, 10)
    monkeypatch.setattr(model, "HDBSCAN_MAX_FIT", 10**9)
    whole, _ = fit_window(texts, vectors, 42, 10)
    assert normalized_mutual_info_score(truth, sampled) > 0.95
    assert adjusted_rand_score(whole, sampled) > 0.95
