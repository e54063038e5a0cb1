"""A sampled window's placement past one machine: one Prefect task per batch, on Dask.

A sampled window (more than `max_fit` texts, pulse/topics/sampled_umap.py) is fitted on
its sample in the flow process; every other row is then placed into that layout by
`UMAP.transform`, batch by batch. A batch's result depends only on the fitted model and
its own rows, so with `task_runner = "dask"` the batches go to the cluster embedding uses
(pulse/dask_runner.py) and come back bit-identical to a local run's. What runs where:

- The **flow process** fits the sample, writes the fitted UMAP once as a pickle and the
  rows to place as one `.npy` file, both into a run folder under `shard_root` (shared
  storage for a remote cluster, as embedding's shards), runs a subflow `place-on-dask`
  with one task per batch, and stacks the batches' results in order. The run folder is
  deleted afterwards: the rows are customer texts' vectors.
- Each **Dask worker** loads the pickle on its first batch and keeps it for the next
  (`sampled_umap._load_placer`), reads its batch's rows from the `.npy` file, and places
  them. The placed rows' neighbour searches are part of that task: `transform` asks the
  fitted model's `ExactCosineIndex`, which holds the sample, so each search runs on the
  worker that places the batch and needs nothing from the flow process.

Only the placement moves: the sample's fit (one core, seeded), HDBSCAN and everything
after stay in the flow process. Computes; never opens DuckDB (its files are the workers').
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pulse.config import Settings
from pulse.dask_runner import (
    dask_task_runner,
    on_every_worker,
    run_folder,
    worker_threads,
    workers_per_host,
)
from pulse.errors import PulseError
from pulse.topics.sampled_umap import _place, forget_placer, use_placement


def place_on_dask(
    settings: Settings, umap: Any, matrix: np.ndarray, batch: int
) -> list[np.ndarray]:
    """`umap.transform` of each `batch` rows of `matrix`, each batch a task on the cluster.

    A `sampled_umap.Placement`: the same batches as a local run, so the same rows. The
    model and the rows travel as files, once, not with every task.
    """
    folder = run_folder(settings, "place")
    try:
        folder.mkdir(parents=True)
        model_path, rows_path = folder / "umap.pickle", folder / "rows.npy"
        with open(model_path, "wb") as handle:
            pickle.dump(umap, handle, protocol=pickle.HIGHEST_PROTOCOL)
        np.save(rows_path, np.ascontiguousarray(matrix))
        batches = [
            (start, min(start + batch, len(matrix))) for start in range(0, len(matrix), batch)
        ]
        subflow = _place_flow.with_options(task_runner=dask_task_runner(settings))
        return subflow(model_path=str(model_path), rows_path=str(rows_path), batches=batches)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def placing_on_dask(settings: Settings) -> Iterator[None]:
    """Inside the block, sampled windows place their rows on the configured Dask cluster."""
    with use_placement(partial(place_on_dask, settings)):
        yield


def place_batch(
    model_path: str, rows_path: str, start: int, stop: int, threads: int = 0
) -> np.ndarray:
    """Rows `start:stop` of the saved matrix placed by the pickled model, wherever this runs.

    Args:
        model_path: the fitted UMAP's pickle (loaded once per process, then reused).
        rows_path: the `.npy` file of every row to place; only this batch's rows are read.
        start: first row of the batch.
        stop: one past its last row.
        threads: torch threads for the neighbour search (0 keeps the process's own); a
            worker's share of its machine's cores. The search's result does not depend
            on it (tests/test_knn.py).
    """
    import torch

    rows = np.ascontiguousarray(np.load(rows_path, mmap_mode="r")[start:stop])
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _place(rows, model_path)
    finally:
        torch.set_num_threads(previous)


@task(cache_policy=NO_CACHE)
def place_batch_task(
    model_path: str, rows_path: str, start: int, stop: int, per_host: dict[str, int]
) -> np.ndarray:
    """`place_batch` as a Prefect task, so each batch shows up (and fails) on its own."""
    return place_batch(model_path, rows_path, start, stop, worker_threads(per_host))


@flow(name="place-on-dask", log_prints=False)
def _place_flow(
    model_path: str, rows_path: str, batches: list[tuple[int, int]]
) -> list[np.ndarray]:
    """Submit every batch, then collect the placed rows in batch order.

    The workers then drop their copy of the model (about 100 MB for a 20k sample):
    an external cluster's workers would otherwise hold it until the next run.
    """
    per_host = workers_per_host()
    futures = [
        place_batch_task.submit(model_path, rows_path, start, stop, per_host)
        for start, stop in batches
    ]
    try:
        parts = []
        for (start, stop), future in zip(batches, futures, strict=True):
            placed = future.result()
            if len(placed) != stop - start:
                raise PulseError(
                    f"{rows_path}: a worker placed {len(placed)} of rows {start}:{stop}"
                )
            parts.append(placed)
        return parts
    finally:
        on_every_worker(forget_placer)
