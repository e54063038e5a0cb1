"""Unit centroids of clusters: what matching, merging and placing outliers compare (pure)."""

from __future__ import annotations

import numpy as np


def unit_centroids(vectors: np.ndarray, clusters: list[int]) -> dict[int, np.ndarray]:
    """Each cluster's mean vector at unit length, by cluster number (-1, unassigned, left out)."""
    labels = np.asarray(clusters)
    out = {}
    for cluster in sorted(set(clusters)):
        if cluster < 0:
            continue
        mean = vectors[labels == cluster].mean(axis=0)
        out[cluster] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
    return out
