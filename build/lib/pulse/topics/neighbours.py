"""Exact cosine nearest neighbours by blocked matrix products, in UMAP's place for pynndescent.

UMAP finds each vector's neighbours with pynndescent. Its core functions take the
distance function as an argument, which numba cannot cache, so every new process
compiles them again: 30-90 s of JIT in each scheduled run, whatever NUMBA_CACHE_DIR
holds (measured with numba's compile events: `nn_descent` alone 40 s under load). The
rows UMAP fits are few (at most `pulse.topics.model.UMAP_MAX_FIT`), and the rows a sampled
window places are searched against those only, so the exact answer is affordable: one
matrix product and a top-k per block of rows, which torch runs on every core with no
compilation. Exact neighbours are also what pynndescent approximates, so the layout can
only get closer to what UMAP intends.

`ExactCosineIndex` offers the one method of `pynndescent.NNDescent` that
`umap.UMAP.transform` calls (`query`) and the flag it reads (`_angular_trees`), so a
UMAP fitted with `precomputed_knn=(indices, distances, index)` places new rows with it.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

# Rows per matrix product: 2,048 x 20,000 similarities are 160 MB of float32, and the
# product plus top-k of a block took 0.8 + 0.12 s on this machine (2 cores, load 4).
BLOCK_ROWS = 2_048
# Candidates per row taken from the bfloat16 product, then re-scored in float32. bfloat16
# keeps 8 bits of mantissa, so a similarity can be off by a few thousandths: enough to
# swap near-equal neighbours, rarely to push a true 15th neighbour past 2 x 15 others.
# Measured by hand on 40k MiniLM vectors (banking77, Bitext) searched among 20k: recall
# 0.99997 against float32, distances within 1e-6; tests/test_knn.py checks both paths.
CANDIDATE_FACTOR = 2

# Searches made before the `ExactCosineIndex.query` that needs them (`search_ahead`), by
# digest of (queries, rows searched, k). Filled in the worker process while this process
# fits a sampled window's UMAP on one core; each entry is taken by the query that needs it.
_AHEAD: dict[tuple[str, str, int], tuple[np.ndarray, np.ndarray]] = {}


def _bf16_fast() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX).

    Elsewhere torch emulates bfloat16 and the product is slower than float32's, so the
    search keeps float32 there.
    """
    import torch

    cpu = getattr(torch, "cpu", None)
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, probe, lambda: False)()) for probe in probes)


def _unit_tensor(vectors: np.ndarray):  # -> torch.Tensor
    import torch

    matrix = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    norms = torch.linalg.vector_norm(matrix, dim=1, keepdim=True)
    return matrix / torch.where(norms > 0, norms, torch.ones_like(norms))


def exact_knn(
    queries: np.ndarray, data: np.ndarray, k: int, block_rows: int = BLOCK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (int32) and cosine distances (float32, 1 - cos) of each query's k nearest rows.

    Rows are sorted nearest first. Exact ties (texts that differ only in case embed
    identically) come back in torch's order, which is the same for the same input; UMAP
    drops a row's edge to itself wherever it sits in the list.
    """
    import torch

    if k < 1 or k > len(data):
        raise ValueError(f"k must be between 1 and {len(data)} (the rows searched), got {k}")
    base = _unit_tensor(data)
    found = np.empty((len(queries), k), dtype=np.int32)
    distances = np.empty((len(queries), k), dtype=np.float32)
    candidates = min(len(data), CANDIDATE_FACTOR * k)
    coarse = _bf16_fast() and candidates > k
    base_coarse = base.to(torch.bfloat16) if coarse else base
    with torch.inference_mode():
        for start in range(0, len(queries), block_rows):
            block = _unit_tensor(queries[start : start + block_rows])
            if coarse:
                # About 3.5x the float32 product's speed on this machine; the shortlist is
                # then scored exactly, so distances and order are float32's.
                _, shortlist = torch.topk(
                    block.to(torch.bfloat16) @ base_coarse.T, candidates, dim=1, sorted=True
                )
                # index_select gathers the shortlist's rows a third faster than indexing.
                rows = base.index_select(0, shortlist.reshape(-1)).view(len(block), candidates, -1)
                exact = torch.einsum("bd,bcd->bc", block, rows)
                similarity, order = torch.topk(exact, k, dim=1, largest=True, sorted=True)
                index = torch.gather(shortlist, 1, order)
            else:
                similarity, index = torch.topk(
                    block @ base.T, k, dim=1, largest=True, sorted=True
                )
            stop = start + len(block)
            found[start:stop] = index.numpy()
            distances[start:stop] = np.clip(1.0 - similarity.numpy(), 0.0, 2.0)
    return found, distances


def _digest(matrix: np.ndarray) -> str:
    contiguous = np.ascontiguousarray(matrix, dtype=np.float32)
    digest = hashlib.blake2b(memoryview(contiguous).cast("B"), digest_size=16)
    digest.update(repr(contiguous.shape).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _saved_rows(path: str) -> np.ndarray:
    return np.load(path)


def search_ahead(queries: np.ndarray, rows_path: str, k: int) -> None:
    """`exact_knn(queries, rows saved at rows_path, k)`, kept for the query that will ask.

    Module-level for the worker process, which runs it on its one core while this
    process fits UMAP on the other: a placed batch's neighbours depend only on its rows
    and the fitted rows, never on the fitted layout, and come out the same in either
    process and at any thread count (tests/test_knn.py), so searching early changes
    nothing but when the search runs.
    """
    import torch

    rows = _saved_rows(rows_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the other core is fitting UMAP
    try:
        _AHEAD[(_digest(queries), _digest(rows), k)] = exact_knn(queries, rows, k)
    finally:
        torch.set_num_threads(threads)


def pending_searches() -> int:
    """Searches made ahead that no query has taken yet (for tests and benchmarks)."""
    return len(_AHEAD)


def forget_searches() -> None:
    """Drop the searches no query took and the rows they searched."""
    _AHEAD.clear()
    _saved_rows.cache_clear()


class ExactCosineIndex:
    """The search index a fitted UMAP's `transform` queries: exact cosine neighbours.

    Attributes:
        _angular_trees: Read by `UMAP.transform` to pick an epsilon for pynndescent's
            search; unused here (the search is exact), kept for the duck type.
    """

    _angular_trees = True

    def __init__(self, data: np.ndarray) -> None:
        self._data = np.ascontiguousarray(data, dtype=np.float32)
        self._data_digest: str | None = None

    def query(
        self, queries: np.ndarray, k: int = 10, epsilon: float = 0.1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of each query among the indexed rows, as `NNDescent.query` returns them."""
        del epsilon  # pynndescent's search breadth; an exact search has none
        if _AHEAD:
            if self._data_digest is None:
                self._data_digest = _digest(self._data)
            found = _AHEAD.pop((_digest(queries), self._data_digest, k), None)
            if found is not None:
                return found
        return exact_knn(np.asarray(queries), self._data, k)
