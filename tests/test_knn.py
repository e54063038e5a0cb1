"""Exact cosine neighbours (pulse/topics/neighbours.py) and the UMAP fits that use them, not
pynndescent."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import normalized_mutual_info_score
from umap import UMAP

import pulse  # noqa: F401  (numba cache directory first)
from pulse.topics.neighbours import ExactCosineIndex, exact_knn
from pulse.topics.sampled_umap import SAMPLE_INIT, UMAP_SMALL_DATA, SampledUMAP

SEED = 11


def brute_force(queries: np.ndarray, data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    d = data / np.linalg.norm(data, axis=1, keepdims=True)
    distances = 1.0 - q @ d.T
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)


def test_exact_knn_finds_the_same_neighbours_as_comparing_every_pair():
    rng = np.random.default_rng(SEED)
    data = rng.normal(size=(700, 24)).astype(np.float32)
    queries = rng.normal(size=(300, 24)).astype(np.float32)
    # Blocks smaller than the query set, so rows from several blocks are checked.
    found, distances = exact_knn(queries, data, 9, block_rows=128)
    expected, expected_distances = brute_force(queries, data, 9)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(distances, expected_distances, atol=1e-5)
    assert found.dtype == np.int32 and distances.dtype == np.float32


def test_a_row_searched_among_its_own_set_finds_itself_first_at_distance_zero():
    data = np.random.default_rng(SEED).normal(size=(400, 16)).astype(np.float32)
    found, distances = exact_knn(data, data, 5)
    np.testing.assert_array_equal(found[:, 0], np.arange(400))
    assert np.all(distances[:, 0] < 1e-5)
    assert np.all(np.diff(distances, axis=1) >= -1e-6)  # nearest first


def test_asking_for_more_neighbours_than_rows_is_refused():
    data = np.ones((3, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="between 1 and 3"):
        exact_knn(data, data, 4)


@pytest.fixture(scope="module")
def big_blobs() -> tuple[np.ndarray, np.ndarray]:
    vectors, labels = make_blobs(
        n_samples=UMAP_SMALL_DATA + 400,
        n_features=32,
        centers=5,
        cluster_std=1.0,
        random_state=SEED,
    )
    return vectors.astype(np.float32), labels


def cosine_umap() -> UMAP:
    return UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED)


def test_a_window_past_umaps_small_data_limit_is_fitted_on_exact_neighbours(big_blobs):
    vectors, labels = big_blobs
    reducer = SampledUMAP(cosine_umap(), max_fit=len(vectors))
    reduced = reducer.fit_transform(vectors)
    again = SampledUMAP(cosine_umap(), max_fit=len(vectors)).fit_transform(vectors)
    np.testing.assert_array_equal(reduced, again)  # deterministic
    # umap-learn searched nothing itself: its index is Pulse's exact one.
    assert isinstance(reducer.umap_._knn_search_index, ExactCosineIndex)
    # Each blob stays together: the nearest other row in 5-d belongs to the same blob.
    distances = ((reduced[:500, None, :] - reduced[None, :, :]) ** 2).sum(axis=2)
    distances[np.arange(500), np.arange(500)] = np.inf
    assert (labels[distances.argmin(axis=1)] == labels[:500]).mean() > 0.98
    # And new rows are placed through the same exact index, beside their own blob.
    placed = reducer.transform(vectors[:200] + 0.01)
    nearest = ((placed[:, None, :] - reduced[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    assert normalized_mutual_info_score(labels[:200], labels[nearest]) > 0.95


@pytest.mark.parametrize("bfloat16", [True, False], ids=["bfloat16-shortlist", "float32"])
def test_both_search_paths_find_every_pairs_answer(monkeypatch, bfloat16):
    # The bfloat16 shortlist runs only on CPUs that multiply bfloat16 natively; force each
    # path so both are checked wherever the suite runs.
    from pulse.topics import neighbours

    monkeypatch.setattr(neighbours, "_bf16_fast", lambda: bfloat16)
    rng = np.random.default_rng(SEED + 1)
    data = rng.normal(size=(2_000, 48)).astype(np.float32)
    queries = rng.normal(size=(500, 48)).astype(np.float32)
    found, distances = exact_knn(queries, data, 15, block_rows=200)
    expected, expected_distances = brute_force(queries, data, 15)
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_allclose(distances, expected_distances, atol=1e-5)


def test_a_sampled_window_fits_and_places_its_rows_with_exact_neighbours(big_blobs):
    vectors, labels = big_blobs
    # A sample past umap-learn's small-data limit, and 296 rows left to place.
    reducer = SampledUMAP(cosine_umap(), max_fit=UMAP_SMALL_DATA + 104, transform_batch=100)
    reduced = reducer.fit_transform(vectors)
    assert isinstance(reducer.umap_._knn_search_index, ExactCosineIndex)
    assert reducer.n_transform_calls_ == 3
    assert reducer.umap_.init == SAMPLE_INIT  # no spectral layout of a many-component graph
    placed = np.setdiff1d(np.arange(len(vectors)), reducer.sample_indices_)
    fitted = reducer.sample_indices_
    # Each placed row lands beside rows of its own blob.
    distances = ((reduced[placed, None, :] - reduced[None, fitted, :]) ** 2).sum(axis=2)
    nearest = fitted[distances.argmin(axis=1)]
    assert (labels[nearest] == labels[placed]).mean() > 0.98
    np.testing.assert_array_equal(
        reduced,
        SampledUMAP(cosine_umap(), max_fit=UMAP_SMALL_DATA + 104, transform_batch=100)
        .fit_transform(vectors),
    )


@pytest.mark.parametrize("bfloat16", [True, False], ids=["bfloat16-shortlist", "float32"])
def test_the_search_gives_the_same_bits_on_one_thread_as_on_two(monkeypatch, bfloat16):
    # The worker searches a batch's neighbours on one thread while this process fits UMAP;
    # whichever process searches a batch, and at whatever thread count, it must find the
    # same neighbours, or a window's layout would depend on timing.
    import torch

    from pulse.topics import neighbours

    monkeypatch.setattr(neighbours, "_bf16_fast", lambda: bfloat16)
    rng = np.random.default_rng(SEED + 2)
    data = rng.normal(size=(3_000, 384)).astype(np.float32)
    queries = rng.normal(size=(2_500, 384)).astype(np.float32)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = exact_knn(queries, data, 15)
        torch.set_num_threads(2)
        two = exact_knn(queries, data, 15)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_a_search_made_ahead_is_what_the_matching_query_returns_and_only_once(tmp_path):
    from pulse.topics import neighbours

    rng = np.random.default_rng(SEED + 3)
    data = rng.normal(size=(600, 32)).astype(np.float32)
    queries = rng.normal(size=(50, 32)).astype(np.float32)
    path = tmp_path / "rows.npy"
    np.save(path, data)
    index = ExactCosineIndex(data)
    try:
        neighbours.search_ahead(queries, str(path), 15)
        assert neighbours.pending_searches() == 1
        # Other rows, or another k, are not the search that was made: searched afresh.
        other = index.query(queries[:10], k=15)
        np.testing.assert_array_equal(other[0], exact_knn(queries[:10], data, 15)[0])
        index.query(queries, k=14)
        assert neighbours.pending_searches() == 1
        found, distances = index.query(queries, k=15)
        assert neighbours.pending_searches() == 0
        expected, expected_distances = exact_knn(queries, data, 15)
        np.testing.assert_array_equal(found, expected)
        np.testing.assert_array_equal(distances, expected_distances)
    finally:
        neighbours.forget_searches()
