"""A sampled window's placement on Dask workers: the same rows as placing them here.

The cluster is the one `task_runner = "dask"` alone gives: a LocalCluster of two
single-threaded worker processes, started by the Prefect subflow's task runner. The
vectors are blobs on the 384-d unit sphere (MiniLM's width), fitted with Pulse's exact
neighbour search as a real sampled window's sample is.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from umap import UMAP

import pulse  # noqa: F401  (offline, numba cache directory first)
from pulse.config import Settings
from pulse.topics import sampled_umap
from pulse.topics.sampled_umap import ExactCosineIndex, SampledUMAP

SEED = 5
MAX_FIT = 300
BATCH = 200


def umap_params() -> dict:
    return dict(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED)


@pytest.fixture(scope="module")
def window() -> np.ndarray:
    """1,500 unit vectors in 12 blobs: a window five times `MAX_FIT`, six placement batches."""
    vectors, _ = make_blobs(
        n_samples=1_500, n_features=384, centers=12, cluster_std=4.0, random_state=SEED
    )
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def exact_search(monkeypatch):
    """The sample fitted with exact neighbours, as every sampled window's is (>= 4,096 rows)."""
    monkeypatch.setattr(sampled_umap, "UMAP_SMALL_DATA", 100)


def placement_task_runs() -> list:
    """The batch tasks of every `place-on-dask` subflow so far, from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["place-on-dask"]))
        )
    return [run for run in runs if run.name.startswith("place_batch_task")]


def test_a_sampled_window_placed_on_two_dask_workers_is_the_local_placement_bit_for_bit(
    prefect_harness, window, exact_search, tmp_path
):
    from pulse.topics.dask_placement import placing_on_dask

    local = SampledUMAP(UMAP(**umap_params()), max_fit=MAX_FIT, transform_batch=BATCH)
    here = local.fit_transform(window)  # the local path: this process and its worker
    before = len(placement_task_runs())
    settings = Settings(task_runner="dask", dask_workers=2, shard_dir=str(tmp_path / "shared"))

    with placing_on_dask(settings):
        sampled = SampledUMAP(UMAP(**umap_params()), max_fit=MAX_FIT, transform_batch=BATCH)
        on_dask = sampled.fit_transform(window)

    assert isinstance(sampled.umap_._knn_search_index, ExactCosineIndex)
    assert np.array_equal(on_dask, here)
    assert sampled.n_transform_calls_ == local.n_transform_calls_ == 6
    placed = placement_task_runs()
    assert len(placed) - before == 6  # one task per batch
    assert all(run.state.is_completed() for run in placed)
    # The pickled model and the rows (customer texts' vectors) are gone.
    assert list((tmp_path / "shared").iterdir()) == []
