"""UMAP whose cost stops growing with the window: fit on a seeded sample, transform the rest.

Seeded UMAP runs on one core (a fixed `random_state` makes umap-learn switch off its
parallel paths), and its fit grows faster than linearly: about 15 s at 10k vectors, 46 s at
50k, 108 s at 100k on this machine. The 5-d layout HDBSCAN clusters on is already settled by
a few tens of thousands of points; the rest only need placing into it, which
`UMAP.transform` does at a fraction of a fit's cost per point. `SampledUMAP` fits the wrapped
UMAP on at most `max_fit` rows, drawn with a fixed seed, and transforms the others, in
batches. Below `max_fit` it hands the whole array to the wrapped UMAP, so a small window
gets plain UMAP (with exact neighbours from 4,096 rows up, see UMAP_SMALL_DATA).
bench/umap_sampling.py measures time, memory and cluster quality of both on the shared
labelled sets.

BERTopic 0.17 (`_reduce_dimensionality`) calls `fit_transform(embeddings, y=y)` when the
model has one, and `fit` then `transform` on the same array when it does not; its own
`transform` calls `transform` on new documents. The result of the last fit is kept with a
fingerprint of its input, so a `transform` of that same array returns it instead of placing
every row a second time.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from pulse.topics.neighbours import ExactCosineIndex, exact_knn, forget_searches, search_ahead

# Chosen by bench/umap.py (banking77 + Bitext, 42,792 labelled MiniLM vectors; CPU seconds
# of the reduction, then NMI of Pulse's HDBSCAN on its output; 2 shared cores, load 6-7):
#   30k: plain 55.5 s / 0.625, max_fit 10k 19.8 s / 0.708, 20k 31.5 s / 0.702
#   60k: plain 182 s / 0.614, max_fit 10k 33.4 s / 0.714, 20k 36.3 s / 0.681
#  100k:                       max_fit 10k 42.1 s / 0.721, 20k 43.9 s / 0.700
# 10k was as fast or faster and never scored lower. A 10k fit also gets umap-learn's 500
# epochs (200 above 10k rows). (Windows up to max_fit are fitted whole.)
DEFAULT_MAX_FIT = 10_000
# umap-learn optimises a transform for 100 epochs when it places at most 10,000 points
# and for 30 above that; batches of 10,000 keep the 100-epoch layout for every batch.
# `UMAP.transform` is deterministic for a given fitted model and batch: it seeds its SGD
# from `transform_seed` (42 unless set, whatever `random_state` is) and runs serially once
# `random_state` is set; the same batch placed twice, or by a refitted model, is
# bit-identical. It is not row-independent: one SGD random stream runs over the batch's
# edges, so splitting the same rows into other batches moves points a little (up to 0.6
# on blobs whose layout spreads 4.3). The batch size is part of what fixes the output.
DEFAULT_TRANSFORM_BATCH = 10_000
# From this many fitted rows up, umap-learn searches neighbours with pynndescent (below
# it, it compares every pair itself). pynndescent compiles for 30-40 s in every process
# (neighbours.py); exact neighbours cost one matrix product instead. Measured with
# `python bench/umap_sampling.py --max-fit 20000 --neighbours exact,nndescent` (load 4):
# a process's first small fit (its JIT) 10 s exact vs 41 s pynndescent, NMI 0.689 / 0.702
# at 30k and 0.705 / 0.681 at 60k (noise either way). A sampled window's sample is fitted
# with exact neighbours too, and its other rows are placed by the same exact search:
# rows x sample similarities, in bfloat16 with a float32 re-score (neighbours.py), about
# 0.13 s per 1,000 rows against a 20k sample, so a 100k window's 80k placed rows cost
# about 10 s of search where pynndescent's JIT alone cost 30 s.
UMAP_SMALL_DATA = 4_096
# How a sampled window's sample starts its layout. umap-learn's default, a spectral layout
# of the neighbour graph, solves one eigenproblem per connected component; a support
# window's near-identical texts make hundreds of small components, and ARPACK took 24 s of
# a 100k window's 63 s of UMAP (py-spy, load 4.5). PCA of the vectors is one SVD.
# `python bench/umap_sampling.py` pool (42,792 labelled texts, sample 20k, load 5): spectral
# 42.9 s, NMI 0.695 (banking77 0.624, 16% noise); PCA 27.5 s, NMI 0.737 (0.673, 11% noise).
# Whole windows (at most `max_fit` rows) keep the default, as umap-learn chose it.
SAMPLE_INIT = "pca"


# Fitted UMAPs this process placed rows with, by the path their pickle was written to.
_LOCAL_PLACERS: dict[str, Any] = {}

#: Places every `batch` rows of a matrix with a fitted UMAP, one array per batch in order.
Placement = Callable[[Any, np.ndarray, int], list[np.ndarray]]
# Where sampled windows fitted in this context place their rows; None: here and in the
# worker process (`place_shared`). A context variable, so the stage that knows the
# configuration sets it without threading it through BERTopic.
_PLACEMENT: ContextVar[Placement | None] = ContextVar("pulse_placement", default=None)


@contextmanager
def use_placement(placement: Placement) -> Iterator[Placement]:
    """Place the batches of every sampled window fitted inside the block with `placement`.

    The topic stage passes the Dask cluster's (pulse.topics.dask_placement) when
    `task_runner = "dask"`. A batch's rows depend only on the fitted model and the batch,
    so any placement that calls `umap.transform` on the same batches gives the same rows.
    """
    token = _PLACEMENT.set(placement)
    try:
        yield placement
    finally:
        _PLACEMENT.reset(token)


def place_shared(umap: Any, matrix: np.ndarray | RowsOf, batch: int) -> list[np.ndarray]:
    """`umap.transform` of each `batch` rows of matrix, shared with the worker process.

    Placing is the serial part of a sampled window's UMAP: one core works while the
    other waits. Each batch's result depends only on the fitted model and that batch's
    rows (see DEFAULT_TRANSFORM_BATCH), so the worker, given a pickled copy of the
    model (written once to a temporary file, not sent with every batch), places the
    front batches while this process places the back ones, and the rows come out
    bit-identical to placing them all here (tests/test_sampled_umap.py). The worker
    may already hold the front batches' neighbours, searched while this process fitted
    the sample (`SampledUMAP._start_in_worker`). Without a worker, this process places
    them all.
    """
    import torch

    from pulse.workers import can_share, map_chunks

    with tempfile.TemporaryDirectory(prefix="pulse-umap-") as folder:
        path = str(Path(folder) / "umap.pickle")
        with open(path, "wb") as handle:
            pickle.dump(umap, handle, protocol=pickle.HIGHEST_PROTOCOL)
        _LOCAL_PLACERS[path] = umap
        threads = torch.get_num_threads()
        if len(matrix) > batch and can_share():
            # One core each: two processes at two threads each ran 0.8 s slower on a
            # 100k window (4 threads on 2 cores).
            torch.set_num_threads(1)
        try:
            return map_chunks(_place, (matrix,), (path,), chunk_size=batch)
        finally:
            torch.set_num_threads(threads)
            del _LOCAL_PLACERS[path]
            if len(matrix) > batch:  # the worker may hold a copy: let it go
                from pulse.workers import start_in_worker

                start_in_worker(forget_placer)


def _place(rows: np.ndarray | RowsOf, path: str) -> np.ndarray:
    """One batch placed by the model pickled at `path`. Module-level for the worker."""
    umap = _LOCAL_PLACERS.get(path)
    return (umap if umap is not None else _load_placer(path)).transform(np.asarray(rows))


class RowsOf:
    """Rows `index` of `matrix`, gathered only when a batch is used or sent to the worker.

    The rows a sampled window places are most of it: gathered at once they were a second
    copy of the window's vectors (1.4 GB at a million texts) for the whole placement.
    Slicing gives another view; pickling (to the worker) sends the gathered rows.
    """

    def __init__(self, matrix: np.ndarray, index: np.ndarray):
        self.matrix = matrix
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key: slice) -> RowsOf:
        return RowsOf(self.matrix, self.index[key])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        rows = self.matrix[self.index]
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __reduce__(self) -> tuple:
        return (np.asarray, (self.matrix[self.index],))


@functools.lru_cache(maxsize=1)
def _load_placer(path: str) -> Any:
    with open(path, "rb") as handle:
        return pickle.load(handle)


def forget_placer() -> None:
    """Drop the worker's copy of the last fitted UMAP and hand its memory back to the system.

    The copy (about 100 MB for a 20k sample) would otherwise stay until the next fit,
    and freed memory stays in the process's heap unless trimmed.
    """
    import ctypes
    import gc

    _load_placer.cache_clear()
    forget_searches()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused, not returned
        pass


def warm_placer() -> None:
    """Import what placing needs (umap-learn, numba, torch), for a worker about to place."""
    import torch  # neighbours.py's search
    import umap  # noqa: F401

    # The worker is one of two processes placing side by side: one core each.
    torch.set_num_threads(1)


def fingerprint(matrix: np.ndarray) -> tuple[tuple[int, ...], str, str]:
    """Shape, dtype and a BLAKE2b digest of the bytes: what identifies an input array.

    Hashing every byte (about 0.2 s for 100k x 384 float32) is cheap next to the
    UMAP it guards, and unlike a hash of a few rows it cannot mistake an edited array
    for the one that was fitted.
    """
    contiguous = np.ascontiguousarray(matrix)
    digest = hashlib.blake2b(memoryview(contiguous).cast("B"), digest_size=16).hexdigest()
    return tuple(contiguous.shape), str(contiguous.dtype), digest


class SampledUMAP(BaseEstimator):
    """A UMAP fitted on a seeded sample of at most `max_fit` rows; the other rows transformed.

    Args:
        estimator: The configured UMAP (neighbours, components, metric, random_state);
            it is cloned, never fitted in place.
        max_fit: Most rows the UMAP is fitted on. Windows of at most this many rows are
            reduced by the plain UMAP, unchanged.
        transform_batch: Rows per `UMAP.transform` call when placing the rest.
        random_state: Seed of the sample; None takes the estimator's `random_state`
            (0 when that is not an int), so the same input always gives the same sample.
        exact_neighbours: When UMAP fits UMAP_SMALL_DATA rows or more (a whole window, or
            a sampled window's sample), give it exact cosine neighbours (neighbours.py) in
            place of pynndescent's, which compiles for 30-40 s in every process; the rest
            of a sampled window is then placed by the same exact search. Only for a
            cosine UMAP; False keeps pynndescent everywhere.
        share_work: Place a sampled window's batches in two processes (`place_shared`):
            the same result, in about half the time on two cores. False places them all
            here.

    Attributes:
        umap_: The fitted UMAP (fitted on the sample only, above `max_fit`).
        embedding_: The reduced vectors of every row passed to `fit`, in input order.
        sample_indices_: Rows the UMAP was fitted on (sorted); all rows below `max_fit`.
        n_transform_calls_: `UMAP.transform` calls made so far, for tests and benchmarks.
    """

    def __init__(
        self,
        estimator: Any,
        max_fit: int = DEFAULT_MAX_FIT,
        transform_batch: int = DEFAULT_TRANSFORM_BATCH,
        random_state: int | None = None,
        exact_neighbours: bool = True,
        share_work: bool = True,
    ) -> None:
        self.estimator = estimator
        self.max_fit = max_fit
        self.transform_batch = transform_batch
        self.random_state = random_state
        self.exact_neighbours = exact_neighbours
        self.share_work = share_work

    def _seed(self) -> int:
        if self.random_state is not None:
            return int(self.random_state)
        inner = getattr(self.estimator, "random_state", None)
        return int(inner) if isinstance(inner, int | np.integer) else 0

    def _sample(self, n_rows: int) -> np.ndarray:
        if n_rows <= self.max_fit:
            return np.arange(n_rows)
        rng = np.random.default_rng(self._seed())
        # Sorted, so the sample keeps the input's row order (UMAP's result depends on it).
        return np.sort(rng.choice(n_rows, size=self.max_fit, replace=False))

    def _transform_batched(self, matrix: np.ndarray | RowsOf) -> np.ndarray:
        placement = _PLACEMENT.get()
        if placement is not None:
            parts = placement(self.umap_, matrix, self.transform_batch)
        elif self.share_work and len(matrix) > self.transform_batch:
            parts = place_shared(self.umap_, matrix, self.transform_batch)
        else:
            parts = [
                self.umap_.transform(np.asarray(matrix[start : start + self.transform_batch]))
                for start in range(0, len(matrix), self.transform_batch)
            ]
        self.n_transform_calls_ += len(parts)
        return np.vstack(parts).astype(np.float32, copy=False)

    def _exact_applies(self, rows: int) -> bool:
        """Whether a fit of `rows` rows gets exact neighbours (see `exact_neighbours`)."""
        return (
            self.exact_neighbours
            and rows >= UMAP_SMALL_DATA
            and getattr(self.umap_, "metric", None) == "cosine"
        )

    def _start_in_worker(
        self, sample: np.ndarray, placed: np.ndarray | RowsOf, folder: Path
    ) -> list:
        """Warm the worker for placing and queue the placed batches' neighbour searches there.

        Returns the searches' futures: the caller cancels those not begun when its fit
        ends. The worker takes batches from the front when placing (`place_shared`), so
        the searches run front first, and it keeps what it found (neighbours.search_ahead).
        """
        if _PLACEMENT.get() is not None:  # placed elsewhere: searches there too
            return []
        if not (self.share_work and len(placed) > self.transform_batch):
            return []
        from pulse.workers import start_in_worker

        if start_in_worker(warm_placer) is None or not self._exact_applies(len(sample)):
            return []
        path = folder / "sample.npy"
        np.save(path, np.ascontiguousarray(sample, dtype=np.float32))
        k = int(self.umap_.n_neighbors)
        searches = []
        for start in range(0, len(placed), self.transform_batch):
            rows = placed[start : start + self.transform_batch]
            future = start_in_worker(search_ahead, rows, str(path), k)
            if future is None:
                break
            searches.append(future)
        return searches

    def _fit_umap(self, matrix: np.ndarray, targets: np.ndarray | None, exact: bool) -> np.ndarray:
        """`fit_transform` of the wrapped UMAP, with exact neighbours when `exact` applies."""
        umap = self.umap_
        if not (exact and self._exact_applies(len(matrix))):
            return umap.fit_transform(matrix, y=targets)
        k = int(umap.n_neighbors)
        indices, distances = exact_knn(matrix, matrix, k)
        umap.set_params(precomputed_knn=(indices, distances, ExactCosineIndex(matrix)))
        with warnings.catch_warnings():
            # umap-learn warns that a search index other than pynndescent's cannot
            # transform; this one can (it has the `query` that transform calls).
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
            return umap.fit_transform(matrix, y=targets)

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> SampledUMAP:  # noqa: N803
        """Fit on the sample and place every row; `embedding_` holds the result for all rows.

        `y` (BERTopic passes it for guided topic modelling, None otherwise) is sampled
        with the rows, so semi-supervised UMAP still sees each fitted row's label.
        """
        if self.max_fit < 1 or self.transform_batch < 1:
            raise ValueError("max_fit and transform_batch must be positive")
        matrix = np.asarray(X)
        if matrix.ndim != 2:
            raise ValueError(f"expected a 2-d array of vectors, got shape {matrix.shape}")
        targets = None if y is None else np.asarray(y)
        self.umap_ = clone(self.estimator)
        self.n_transform_calls_ = 0
        self.sample_indices_ = self._sample(len(matrix))
        if len(self.sample_indices_) == len(matrix):
            # Small window: UMAP on every row, nothing sampled or placed.
            self.embedding_ = self._fit_umap(matrix, targets, self.exact_neighbours)
        else:
            sample = matrix[self.sample_indices_]
            sample_targets = None if targets is None else targets[self.sample_indices_]
            rest = np.ones(len(matrix), dtype=bool)
            rest[self.sample_indices_] = False
            placed = RowsOf(matrix, np.flatnonzero(rest))
            with tempfile.TemporaryDirectory(prefix="pulse-umap-") as folder:
                # The worker imports UMAP and searches the first batches' neighbours
                # while this process fits the sample on one core.
                ahead = self._start_in_worker(sample, placed, Path(folder))
                self.umap_.set_params(init=SAMPLE_INIT)
                try:
                    fitted = self._fit_umap(sample, sample_targets, self.exact_neighbours)
                finally:
                    for future in ahead:
                        future.cancel()  # searches not begun: placing does them
                embedding = np.empty((len(matrix), fitted.shape[1]), dtype=np.float32)
                embedding[self.sample_indices_] = fitted
                embedding[rest] = self._transform_batched(placed)
            self.embedding_ = embedding
        self._fitted_fingerprint = fingerprint(matrix)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        """Reduced vectors for X: the fit's own result when X is the fitted array, else placed."""
        matrix = np.asarray(X)
        if fingerprint(matrix) == self._fitted_fingerprint:
            return self.embedding_.copy()
        if len(self.sample_indices_) == self.embedding_.shape[0]:
            self.n_transform_calls_ += 1
            return self.umap_.transform(matrix)
        return self._transform_batched(matrix)

    def fit_transform(self, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:  # noqa: N803
        """Fit, then the reduced vectors of every row of X, in input order."""
        return self.fit(X, y=y).embedding_.copy()
