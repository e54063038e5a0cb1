"""Seeds: known issues from the taxonomy file claim the texts close to their examples (pure).

A seed's centroid is the mean of its example phrases, embedded like any text. A text close
enough to it joins the seed whatever cluster the fit gave it, so a known issue is tracked
even when it is too small to form a cluster of its own. Registering the seeds' topics is
pulse.topics.registry's job (it writes DuckDB).
"""

from __future__ import annotations

import numpy as np

from pulse.embed import encode

# A text joins a seeded topic when its cosine to the seed's centroid is at least this:
# below it, other issues' texts came in (precision over recall; docs/TUNING.md).
SEED_THRESHOLD = 0.55
# A fitted cluster that loses this share of its texts to one seed is that seed's issue.
SEED_ABSORB_SHARE = 0.5
# Seed clusters are numbered from here, far above any fitted cluster.
SEED_CLUSTER_BASE = 1_000_000


def seed_centroid(examples: list[str]) -> np.ndarray:
    """The unit-length mean of a seed's example phrases, embedded like any text."""

    mean = encode(examples).mean(axis=0)
    return (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)


def assign_seeds(
    clusters: list[int], vectors: np.ndarray, seed_centroids: dict[int, np.ndarray]
) -> list[int]:
    """Give each text close enough to a seed to that seed's cluster.

    A text at cosine SEED_THRESHOLD or more from a seed's centroid joins the
    closest such seed, whatever cluster it was in. A fitted cluster that lost
    most of its texts to one seed is that seed's issue, so the rest of it
    follows; otherwise CX ops would see the same issue twice.
    """
    result = list(clusters)
    if not seed_centroids or not len(result):
        return result
    ids = sorted(seed_centroids)
    sims = vectors @ np.stack([seed_centroids[i] for i in ids]).T
    best = sims.argmax(axis=1)
    for doc in range(len(result)):
        if sims[doc, best[doc]] >= SEED_THRESHOLD:
            result[doc] = ids[best[doc]]
    for cluster in sorted({c for c in clusters if 0 <= c < SEED_CLUSTER_BASE}):
        members = [i for i, c in enumerate(clusters) if c == cluster]
        claimed = [result[i] for i in members if result[i] >= SEED_CLUSTER_BASE]
        if not claimed:
            continue
        top = max(sorted(set(claimed)), key=claimed.count)
        if claimed.count(top) >= SEED_ABSORB_SHARE * len(members):
            for i in members:
                if result[i] == cluster:
                    result[i] = top
    return result
