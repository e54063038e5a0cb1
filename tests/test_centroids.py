"""Centroids from one blockwise pass of cluster sums equal the ones read off masked copies."""

from __future__ import annotations

import numpy as np
import pytest

from pulse.topics import centroids as centroids_module
from pulse.topics.centroids import centred_unit_centroids, cluster_sums, unit_centroids
from pulse.topics.merge import merge_isolated_groups, merge_similar


@pytest.fixture
def window(monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    """Six planted groups and some noise, summed 700 rows at a time (blocks that cut groups)."""
    monkeypatch.setattr(centroids_module, "_BLOCK_ROWS", 700)
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 32))
    labels = rng.integers(-1, 6, size=5_000)
    vectors = centres[np.maximum(labels, 0)] + rng.normal(scale=0.8, size=(5_000, 32))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), labels


def test_cluster_sums_and_sizes_match_the_masked_rows(window) -> None:
    vectors, labels = window
    ids, sums, sizes = cluster_sums(vectors, labels)
    assert ids == list(range(6))
    for row, cluster in enumerate(ids):
        members = vectors[labels == cluster].astype(np.float64)
        np.testing.assert_allclose(sums[row], members.sum(axis=0), rtol=1e-9, atol=1e-9)
        assert sizes[row] == len(members)
    assert cluster_sums(vectors, np.full(len(labels), -1))[0] == []


def test_unit_and_centred_centroids_match_the_direct_ones(window) -> None:
    vectors, labels = window
    plain = unit_centroids(vectors, labels.tolist())
    ids, centred, _ = centred_unit_centroids(vectors, labels)
    mean = vectors.astype(np.float64).mean(axis=0)
    for row, cluster in enumerate(ids):
        members = vectors[labels == cluster].astype(np.float64)
        direct = members.mean(axis=0)
        np.testing.assert_allclose(plain[cluster], direct / np.linalg.norm(direct), atol=1e-6)
        shifted = direct - mean
        np.testing.assert_allclose(centred[row], shifted / np.linalg.norm(shifted), atol=1e-6)
        assert plain[cluster].dtype == np.float32 and centred.dtype == np.float32


def _merge_by_masks(labels: np.ndarray, vectors: np.ndarray, threshold: float) -> np.ndarray:
    """merge_similar as it was: every centroid read again off the centred rows after each join."""
    labels = labels.copy()
    centred = vectors.astype(np.float64) - vectors.astype(np.float64).mean(axis=0)
    while True:
        ids = sorted(set(labels.tolist()) - {-1})
        if len(ids) < 2:
            return labels
        matrix = np.stack([centred[labels == i].mean(axis=0) for i in ids])
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        sims = matrix @ matrix.T
        np.fill_diagonal(sims, -1.0)
        i, j = np.unravel_index(int(sims.argmax()), sims.shape)
        if sims[i, j] < threshold:
            return labels
        labels[labels == max(ids[i], ids[j])] = min(ids[i], ids[j])


def test_merging_on_running_sums_joins_what_recomputing_every_centroid_joins(window) -> None:
    vectors, planted = window
    # Each planted group cut in two by a coin: the pieces should join back, the groups not.
    rng = np.random.default_rng(4)
    pieces = np.where(planted >= 0, planted * 2 + rng.integers(0, 2, len(planted)), -1)
    for threshold in (0.3, 0.6, 0.9):
        merged = merge_similar(pieces, vectors, threshold)
        np.testing.assert_array_equal(merged, _merge_by_masks(pieces, vectors, threshold))
    joined = merge_similar(pieces, vectors, 0.6)
    assert len(set(joined.tolist()) - {-1}) == 6
    grouped = merge_isolated_groups(pieces, vectors)
    assert set(grouped.tolist()) <= set(pieces.tolist())
