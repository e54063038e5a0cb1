"""The embeddings cache: each distinct text is embedded once per model, ever.

Vectors are stored in DuckDB keyed by (text_hash, model), so a weekly run only pays for
the texts it has not seen before; `load_vectors` reads them back for the topic stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import duckdb
import numpy as np
import pyarrow as pa

from pulse.db import finish_pending, run_query, sql_text
from pulse.embed.models import (
    EMBED_CHAR_CAP,
    ONNX_EMBEDDERS,
    active_model_name,
    dimensions,
    encode,
    load_built,
)
from pulse.errors import PulseError

# The texts the cache lacks for $model are queries/staging/stg_embed_pending.sql, one per
# hash (the same text every run); they are embedded longest first (capped at $cap
# characters), so a batch pads to a length close to its texts' own. `embed_missing`
# streams them in this order and pulse.embed.dask cuts the same order into shards, so
# both fill the same cache.
PENDING_ORDER = "least(length(text), $cap) desc, text_hash"


def pending_texts_sql() -> str:
    """The pending set's query (`stg_embed_pending`, parameters `$model`, `$scope`)."""
    return sql_text("stg_embed_pending")


def embed_missing(
    con: duckdb.DuckDBPyConnection,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
    chunk_size: int = 8192,
    model_name: str | None = None,
    scope: str = "all",
) -> int:
    """Embed every feedback text that has no cached vector yet; returns how many were new.

    Work is committed in chunks so a crash mid-way keeps what was already paid for.
    Texts are ordered by length across all chunks (not only within one), so any
    batching pads to a length close to its texts' own. Only the pending hashes' order is
    read up front and each chunk's texts when it comes up, so a first run over a million
    texts of history holds one chunk of texts, in Python and in DuckDB. A commit costs
    about the same whatever its size, hence chunks of 8,192 (docs/TUNING.md, "Embedders").
    `scope` narrows the texts by language (`stg_embed_pending`): the sentiment models need
    one embedder's vectors for English texts and another's for the rest. `on_batch` hears
    (0, total) first, then (done, total) after each chunk is committed.
    """
    name = model_name or active_model_name()
    params = {"model": name, "cap": EMBED_CHAR_CAP, "scope": scope}
    # Only the order of the pending hashes is read up front; each chunk's texts are read
    # when it comes up. A cursor streaming the whole sorted set held every pending text in
    # DuckDB's buffer pool for the length of the stage, and with the cache's growing key
    # index a million-text first run ran out of its 1 GB at 933,888 vectors.
    order = (
        con.execute(
            f"with pending as ({pending_texts_sql()}) "
            f"select text_hash from pending order by {PENDING_ORDER}",
            params,
        )
        .fetch_arrow_table()
        .column("text_hash")
    )
    total = len(order)
    if not total:
        return 0
    done = 0
    if on_batch:
        on_batch(0, total)  # how many there are to do, before the first chunk takes its time
    chunks = _chunk_texts(con, order, chunk_size, scope)
    for hashes, vectors in _embedded_chunks(chunks, name, progress):
        _store_vectors(con, name, hashes, vectors)
        done += len(hashes)
        if on_batch:
            on_batch(done, total)
    return done


def _chunk_texts(
    con: duckdb.DuckDBPyConnection, order: pa.ChunkedArray, chunk_size: int, scope: str
) -> Iterator[list[tuple[str, str]]]:
    """(text_hash, capped text) of each `chunk_size` hashes of `order`, in that order."""
    for start in range(0, len(order), chunk_size):
        hashes = order.slice(start, chunk_size).to_pylist()
        con.register("chunk_hashes", pa.table({"text_hash": pa.array(hashes, pa.string())}))
        try:
            texts = dict(
                run_query(
                    con, "stg_embed_chunk_texts", {"cap": EMBED_CHAR_CAP, "scope": scope}
                ).fetchall()
            )
        finally:
            con.unregister("chunk_hashes")
        yield [(h, texts[h]) for h in hashes]


def _embedded_chunks(
    chunks: Iterator[list[tuple[str, str]]], name: str, progress: bool
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(hashes, vectors) of each chunk of (text_hash, text) rows.

    For the ONNX embedders the next chunk is tokenised in a second thread while this
    one runs through the model. The tokenizer runs on one core (TOKENIZERS_PARALLELISM
    is off, see pulse/__init__.py) and releases the GIL, so its 4-5% of the stage no
    longer leaves the other core idle; the vectors are the same as `encode`'s.
    """
    if name not in ONNX_EMBEDDERS:
        for chunk in chunks:
            texts = [t for _, t in chunk]
            yield [h for h, _ in chunk], encode(texts, progress=progress, model_name=name)
        return
    from concurrent.futures import ThreadPoolExecutor

    embedder = load_built(name)
    with ThreadPoolExecutor(1, thread_name_prefix="pulse-tokenize") as ahead:
        chunk = next(chunks, [])
        tokenized = ahead.submit(embedder.tokenize, [t[:EMBED_CHAR_CAP] for _, t in chunk])
        while chunk:
            following = next(chunks, [])
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
                pa.array(vectors.reshape(-1), pa.float32()), dimensions(name)
            ),
        }
    )
    con.execute("begin transaction")
    con.register("new_vectors", table)
    try:
        run_query(con, "embed_insert_vectors")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("new_vectors")


def load_vectors(
    con: duckdb.DuckDBPyConnection,
    text_hashes: Sequence[str] | pa.ChunkedArray,
    model_name: str | None = None,
) -> np.ndarray:
    """Cached vectors for the given hashes (a list, or an Arrow column of them), in the same
    order (every hash must be cached).

    The result is the only full-size copy: rows stream from DuckDB in record batches
    straight into their place in it (a 1M-text window is 1.5 GB of float32; building
    it through one Arrow table, a flattened copy and a reordering took four times that).
    """
    n = len(text_hashes)
    name = model_name or active_model_name()
    width = dimensions(name)
    out = np.empty((n, width), dtype=np.float32)
    if not n:
        return out
    wanted = pa.table(
        {
            "text_hash": (
                text_hashes.cast(pa.string())
                if isinstance(text_hashes, pa.ChunkedArray)
                else pa.array(text_hashes, pa.string())
            ),
            "position": pa.array(np.arange(n, dtype=np.int64)),
        }
    )
    finish_pending(con)  # a caller's last execute() must not block the registration
    con.register("wanted_hashes", wanted)
    filled = 0
    try:
        # execute(), not con.sql(): a relation's reader took 12 s and 1.6 GB more for 107k
        # vectors (docs/TUNING.md), this one 0.6 s.
        batches = con.execute(sql_text("embed_wanted_vectors"), {"model": name}).to_arrow_reader(
            65536
        )
        try:
            for batch in batches:
                vectors = batch.column(1)
                if vectors.null_count:
                    raise PulseError("some texts have no embedding yet; run the embed step first")
                positions = batch.column(0).to_numpy()
                flat = vectors.flatten().to_numpy(zero_copy_only=False)
                out[positions] = flat.reshape(len(positions), width)
                filled += len(positions)
        finally:
            batches.close()
            del batches
    finally:
        con.unregister("wanted_hashes")
    if filled != n:  # (text_hash, model) is the primary key, so this is a bug, not bad data
        raise PulseError(f"read {filled} cached vectors for {n} texts; please report this bug")
    return out
