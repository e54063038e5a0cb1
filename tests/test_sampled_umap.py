"""SampledUMAP: plain UMAP below max_fit, a seeded sample plus transform above it.

Small Gaussian blobs in 48-d keep every fit to about a second; each blob is one
"topic", so a row that lands among another blob's rows was mapped to the wrong document.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import normalized_mutual_info_score
from umap import UMAP

import pulse  # noqa: F401  (numba cache directory first)
from pulse import workers
from pulse.topics import sampled_umap
from pulse.topics.sampled_umap import SampledUMAP

SEED = 7


class CountingUMAP(UMAP):
    """A real UMAP that counts the rows it is asked to transform, call by call."""

    transformed_rows: list[int] = []

    def transform(self, X):  # noqa: N803
        CountingUMAP.transformed_rows.append(len(X))
        return super().transform(X)


def umap_params() -> dict:
    return dict(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED)


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    vectors, labels = make_blobs(
        n_samples=600, n_features=48, centers=4, cluster_std=1.0, random_state=SEED
    )
    return vectors.astype(np.float32), labels


@pytest.fixture(autouse=True)
def reset_counter():
    CountingUMAP.transformed_rows = []


def nearest_fitted_label(reduced: np.ndarray, labels: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """For every row, the label of its nearest neighbour among the rows UMAP was fitted on."""
    distances = ((reduced[:, None, :] - reduced[None, fitted, :]) ** 2).sum(axis=2)
    return labels[fitted][distances.argmin(axis=1)]


def test_a_window_of_at_most_max_fit_rows_gets_exactly_plain_umaps_output(blobs):
    vectors, _ = blobs
    window = vectors[:300]
    plain = UMAP(**umap_params()).fit_transform(window)
    sampled = SampledUMAP(UMAP(**umap_params()), max_fit=300)
    reduced = sampled.fit_transform(window)
    np.testing.assert_array_equal(reduced, plain)
    assert len(sampled.sample_indices_) == 300


def test_the_same_input_gives_the_same_output_in_a_fresh_model(blobs):
    vectors, _ = blobs
    first = SampledUMAP(UMAP(**umap_params()), max_fit=200, transform_batch=150)
    second = SampledUMAP(UMAP(**umap_params()), max_fit=200, transform_batch=150)
    np.testing.assert_array_equal(first.fit_transform(vectors), second.fit_transform(vectors))
    np.testing.assert_array_equal(first.sample_indices_, second.sample_indices_)


def test_a_different_seed_draws_a_different_sample(blobs):
    vectors, _ = blobs
    sampled = SampledUMAP(UMAP(**umap_params()), max_fit=200)
    reseeded = SampledUMAP(UMAP(**umap_params()), max_fit=200, random_state=SEED + 1)
    assert not np.array_equal(sampled._sample(len(vectors)), reseeded._sample(len(vectors)))
    assert len(np.unique(sampled._sample(len(vectors)))) == 200


def test_above_max_fit_every_row_keeps_its_place_and_lands_with_its_own_blob(blobs):
    vectors, labels = blobs
    sampled = SampledUMAP(UMAP(**umap_params()), max_fit=200, transform_batch=150)
    reduced = sampled.fit_transform(vectors)

    assert reduced.shape == (600, 5)
    assert len(sampled.sample_indices_) == 200
    # The fitted rows are the fit's own layout, in their input positions ...
    np.testing.assert_array_equal(reduced[sampled.sample_indices_], sampled.umap_.embedding_)
    # ... and every other row sits with the fitted rows of its own blob.
    agreement = (nearest_fitted_label(reduced, labels, sampled.sample_indices_) == labels).mean()
    assert agreement == 1.0


def test_shuffled_rows_come_back_with_their_documents(blobs):
    vectors, labels = blobs
    order = np.random.default_rng(SEED).permutation(len(vectors))
    sampled = SampledUMAP(UMAP(**umap_params()), max_fit=200)
    reduced = sampled.fit_transform(vectors[order])
    fitted = sampled.sample_indices_
    assert (nearest_fitted_label(reduced, labels[order], fitted) == labels[order]).all()


def test_fit_then_transform_of_the_same_array_places_each_row_only_once(blobs):
    vectors, _ = blobs
    # share_work=False: a worker process would count its own calls, out of sight here.
    sampled = SampledUMAP(
        CountingUMAP(**umap_params()), max_fit=200, transform_batch=150, share_work=False
    )
    sampled.fit(vectors)
    assert CountingUMAP.transformed_rows == [150, 150, 100]

    again = sampled.transform(vectors.copy())
    assert CountingUMAP.transformed_rows == [150, 150, 100]
    np.testing.assert_array_equal(again, sampled.embedding_)

    changed = vectors.copy()
    changed[0, 0] += 1.0
    placed = sampled.transform(changed)
    assert CountingUMAP.transformed_rows == [150, 150, 100, 150, 150, 150, 150]
    # Placing new vectors is deterministic too: umap-learn seeds it with `transform_seed`.
    np.testing.assert_array_equal(sampled.transform(changed), placed)


def test_bertopic_fits_through_it_with_precomputed_embeddings(blobs):
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    vectors, labels = blobs
    words = [
        "refund late order",
        "password reset link",
        "app crashes login",
        "invoice wrong amount",
    ]
    docs = [f"{words[label]} case {i}" for i, label in enumerate(labels)]
    sampled = SampledUMAP(
        CountingUMAP(**umap_params()), max_fit=250, transform_batch=200, share_work=False
    )
    model = BERTopic(
        embedding_model=None,
        umap_model=sampled,
        hdbscan_model=HDBSCAN(min_cluster_size=30, min_samples=5, prediction_data=True),
        calculate_probabilities=False,
    )
    topics, _ = model.fit_transform(docs, embeddings=vectors)

    # BERTopic placed the 350 unsampled rows once, in two batches, and never again.
    assert CountingUMAP.transformed_rows == [200, 150]
    assert normalized_mutual_info_score(labels, topics) > 0.95
    assert len(set(topics) - {-1}) == 4

    new_topics, _ = model.transform(docs[:10], embeddings=vectors[:10] + 0.01)
    assert list(new_topics) == list(topics[:10])


@pytest.fixture
def exact_search(monkeypatch):
    """Blobs fitted with Pulse's exact neighbour search, as a 100k window's 20k sample is."""
    monkeypatch.setattr(sampled_umap, "UMAP_SMALL_DATA", 100)


def test_the_worker_process_places_rows_bit_for_bit_as_this_process_does(
    blobs, exact_search, tmp_path
):
    import pickle

    vectors, _ = blobs
    sampled = SampledUMAP(UMAP(**umap_params()), max_fit=200, share_work=False).fit(vectors)
    assert isinstance(sampled.umap_._knn_search_index, sampled_umap.ExactCosineIndex)
    rows = vectors[200:450]
    here = sampled.umap_.transform(rows)
    workers.warm_pool(2)
    assert workers._POOL is not None
    path = tmp_path / "umap.pickle"
    path.write_bytes(pickle.dumps(sampled.umap_))
    # Loaded from the pickle in the worker, with its own imports and numba cache.
    there = workers._POOL.submit(sampled_umap._place, rows, str(path)).result(timeout=300)
    np.testing.assert_array_equal(there, here)


def test_shared_placement_gives_the_rows_that_placing_them_here_gives(blobs, exact_search):
    vectors, _ = blobs
    alone = SampledUMAP(UMAP(**umap_params()), max_fit=200, transform_batch=100, share_work=False)
    shared = SampledUMAP(UMAP(**umap_params()), max_fit=200, transform_batch=100)
    np.testing.assert_array_equal(shared.fit_transform(vectors), alone.fit_transform(vectors))
    assert shared.n_transform_calls_ == alone.n_transform_calls_ == 4


def test_the_worker_places_a_batch_with_the_neighbours_it_searched_while_the_sample_fitted(
    blobs, exact_search, tmp_path
):
    import pickle

    from pulse.topics import neighbours

    vectors, _ = blobs
    sampled = SampledUMAP(UMAP(**umap_params()), max_fit=200, share_work=False).fit(vectors)
    rows = vectors[200:450]
    here = sampled.umap_.transform(rows)
    workers.warm_pool(2)
    pool = workers._POOL
    assert pool is not None
    sample_path = tmp_path / "sample.npy"
    np.save(sample_path, vectors[sampled.sample_indices_])
    model_path = tmp_path / "umap.pickle"
    model_path.write_bytes(pickle.dumps(sampled.umap_))
    try:
        pool.submit(neighbours.search_ahead, rows, str(sample_path), 15).result(timeout=300)
        assert pool.submit(neighbours.pending_searches).result(timeout=60) == 1
        there = pool.submit(sampled_umap._place, rows, str(model_path)).result(timeout=300)
        assert pool.submit(neighbours.pending_searches).result(timeout=60) == 0  # taken, not redone
    finally:
        pool.submit(sampled_umap.forget_placer).result(timeout=60)
    np.testing.assert_array_equal(there, here)


def test_placed_rows_are_gathered_only_when_used_and_pickle_as_the_rows() -> None:
    import pickle

    from pulse.topics.sampled_umap import RowsOf

    matrix = np.arange(40, dtype=np.float32).reshape(10, 4)
    rows = RowsOf(matrix, np.array([1, 3, 4, 8]))
    assert len(rows) == 4 and len(rows[1:3]) == 2
    np.testing.assert_array_equal(np.asarray(rows[1:3]), matrix[[3, 4]])
    sent = pickle.loads(pickle.dumps(rows[2:]))
    assert isinstance(sent, np.ndarray)
    np.testing.assert_array_equal(sent, matrix[[4, 8]])
