"""Cluster centroids: what matching, merging, grouping and placing outliers compare (pure).

Every centroid comes from one pass of per-cluster sums over the window (`cluster_sums`),
read a block of rows at a time: a million-text window's vectors are 1.5 GB, and a
centred copy of them, or a masked copy of a cluster's rows, cost that much again each
time a centroid was taken (docs/TUNING.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

# Rows summed at a time: a float64 copy of a block (50k x 384 is 150 MB) is all the pass adds.
_BLOCK_ROWS = 50_000


def cluster_sums(
    vectors: np.ndarray, clusters: Sequence[int] | np.ndarray
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The clusters (>= 0, ascending), each one's vector sum (float64) and its size."""
    labels = np.asarray(clusters, dtype=np.int64)
    ids = np.unique(labels[labels >= 0])
    sums = np.zeros((len(ids), vectors.shape[1]), dtype=np.float64)
    if not len(ids):
        return [], sums, np.zeros(0, dtype=np.int64)
    row_of = np.searchsorted(ids, labels)
    for start in range(0, len(labels), _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, len(labels))
        docs = np.flatnonzero(labels[start:stop] >= 0)
        membership = csr_matrix(
            (np.ones(len(docs)), (row_of[start:stop][docs], docs)),
            shape=(len(ids), stop - start),
        )
        sums += membership @ vectors[start:stop].astype(np.float64)
    sizes = np.bincount(row_of[labels >= 0], minlength=len(ids))
    return ids.tolist(), sums, sizes


def window_mean(vectors: np.ndarray) -> np.ndarray:
    """The mean of every text's vector, clustered or not (float64)."""
    if not len(vectors):
        return np.zeros(vectors.shape[1], dtype=np.float64)
    return vectors.sum(axis=0, dtype=np.float64) / len(vectors)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row at unit length (a zero row stays zero), as float32 like the vectors."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def unit_centroids(vectors: np.ndarray, clusters: Sequence[int]) -> dict[int, np.ndarray]:
    """Each cluster's mean vector at unit length, by cluster number (-1, unassigned, left out)."""
    ids, sums, sizes = cluster_sums(vectors, clusters)
    if not ids:
        return {}
    units = unit_rows(sums / sizes[:, None])
    return dict(zip(ids, units, strict=True))


def centred_unit_centroids(
    vectors: np.ndarray, clusters: Sequence[int]
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """The clusters, their centroids centred on the window's mean at unit length, and their
    sizes.

    Centred: what every text shares (a brand handle opening every tweet, the product's
    vocabulary) says nothing about which issue a text is about (pulse.topics.merge).
    """
    ids, sums, sizes = cluster_sums(vectors, clusters)
    if not ids:
        return [], np.zeros((0, vectors.shape[1]), dtype=np.float32), sizes
    return ids, unit_rows(sums / sizes[:, None] - window_mean(vectors)), sizes
