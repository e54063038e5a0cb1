"""The embedding stage past one machine: Prefect tasks on a Dask cluster.

Embedding is the heavy stage (the topic stage's placement of a sampled window's rows is
the other that fans out: pulse/topics/dask_placement.py). What runs where:

- The **flow process** is the only one that opens the DuckDB file (DuckDB lets one
  process hold it, and while it does even a read-only open elsewhere fails). It exports
  the texts still missing from the embedding cache as Parquet shards into a run folder,
  submits one Prefect task per shard, and loads each shard's vectors into the
  `embeddings` table exactly as `pulse.embed.embed_missing` would: same rows, same
  model name, committed shard by shard so a crash keeps what was paid for.
- Each **Dask worker** reads its shard with an in-memory DuckDB connection, embeds it
  with `pulse.embed.encode` (whose loaders are process-level caches, so a worker loads
  the model once and reuses it for every shard it gets) and writes the vectors next to
  the shard as Parquet. Workers never open `pulse.duckdb` or read `pulse.toml`; they
  need the scheduler, the shard folder and the Prefect API (task runs report there).

The runner is prefect-dask's `DaskTaskRunner` (pulse/dask_runner.py): a LocalCluster of
single-threaded worker processes by default, or an existing cluster named by
`dask_address`, whose workers need Pulse installed and the shard folder (`shard_dir`) on
shared storage.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pulse.config import Settings
from pulse.dask_runner import dask_task_runner, run_folder, worker_threads, workers_per_host
from pulse.db import connect, run_query
from pulse.embed.cache import PENDING_ORDER, pending_texts_sql
from pulse.embed.models import (
    BATCH_SIZE,
    EMBED_CHAR_CAP,
    FP32,
    active_model_name,
    dimensions,
    encode,
    load_embedding_model,
)
from pulse.errors import PulseError


@dataclass(frozen=True)
class Shard:
    """One Dask task's work: a Parquet file of (ord, text_hash, text) and where its vectors go."""

    texts: Path
    vectors: Path
    rows: int


def export_shards(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    model_name: str,
    shard_size: int,
    min_shards: int = 1,
) -> list[Shard]:
    """Write the texts the cache lacks for `model_name` as Parquet shards in `folder`.

    The pending set and its order are `embed_missing`'s (`stg_embed_pending`,
    PENDING_ORDER). Each shard is a contiguous run of that order
    that starts on a multiple of the encoder's batch size, so every batch a worker
    encodes holds exactly the texts of a single-process batch. An embedder whose
    vectors depend on their batch-mates (int8 ONNX did, by quantising activations per
    batch: up to 0.04 per coordinate) then still fills the same cache as one process.
    `min_shards` (the worker count) keeps a small backlog off a single worker.
    """
    con.execute(
        f"""
        create or replace temp table pulse_pending_texts as
        with pending as ({pending_texts_sql()})
        select row_number() over (order by {PENDING_ORDER}) - 1 as ord, text_hash, text
        from pending
        """,
        {"model": model_name, "cap": EMBED_CHAR_CAP, "scope": "all"},
    )
    try:
        total = run_query(con, "embed_pending_count").fetchone()[0]
        if total == 0:
            return []
        size = shard_rows(total, shard_size, min_shards)
        folder.mkdir(parents=True, exist_ok=True)
        shards = []
        for index, start in enumerate(range(0, total, size)):
            texts = folder / f"texts-{index:05d}.parquet"
            run_query(
                con,
                "embed_write_shard",
                {"start": start, "stop": start + size, "path": str(texts)},
            )
            rows = min(size, total - start)
            shards.append(Shard(texts, folder / f"vectors-{index:05d}.parquet", rows))
        return shards
    finally:
        con.execute("drop table if exists pulse_pending_texts")


def shard_rows(total: int, shard_size: int, min_shards: int = 1) -> int:
    """Texts per shard: at most `shard_size`, at least `min_shards` shards when there is
    enough work, always a whole number of encoder batches (see `export_shards`)."""
    largest = max(BATCH_SIZE, shard_size // BATCH_SIZE * BATCH_SIZE)
    even = math.ceil(total / max(1, min_shards))
    return min(largest, max(BATCH_SIZE, math.ceil(even / BATCH_SIZE) * BATCH_SIZE))


def embed_shard(texts_path: str, vectors_path: str, model_name: str, threads: int = 0) -> int:
    """Embed one shard on whichever process runs it; returns how many texts it embedded.

    Reads the shard with an in-memory DuckDB (never the project's database), and
    writes the vectors to a temporary name first, so the flow never loads half a file.

    Args:
        texts_path: the shard written by `export_shards`.
        vectors_path: where the vectors go (text_hash, model, vector float[384]).
        model_name: the embedder, passed explicitly: a worker has no pulse.toml.
        threads: torch threads for this process (0 keeps pulse.embed's choice, one per
            core); with several worker processes on one machine, its share of the cores.
    """
    with duckdb.connect(":memory:") as con:
        rows = run_query(con, "embed_shard_texts", {"path": texts_path}).fetchall()
    if threads and model_name == FP32:  # the torch embedder: its threads can be set
        import torch

        load_embedding_model()  # sets one thread per core; ours must come after
        torch.set_num_threads(threads)
    vectors = encode([text for _, text in rows], model_name=model_name)
    table = pa.table(
        {
            "text_hash": pa.array([h for h, _ in rows], pa.string()),
            "model": pa.array([model_name] * len(rows), pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(
                pa.array(vectors.reshape(-1), pa.float32()), dimensions(model_name)
            ),
        }
    )
    partial = f"{vectors_path}.partial-{os.getpid()}"
    pq.write_table(table, partial)
    os.replace(partial, vectors_path)
    return len(rows)


def load_shard_vectors(con: duckdb.DuckDBPyConnection, shard: Shard, model_name: str) -> int:
    """Insert one shard's vectors into the cache, as `embed_missing` inserts a chunk.

    The vectors file must cover exactly its shard's texts for `model_name`: a file
    from another run or model is refused rather than cached under the wrong key.
    """
    texts, vectors = str(shard.texts), str(shard.vectors)
    if not shard.vectors.exists():
        raise PulseError(
            f"{vectors} was not written; check that every Dask worker can write to "
            f"{shard.vectors.parent} (shard_dir must be shared storage)"
        )
    matched, total, models = run_query(
        con, "embed_shard_vectors_check", {"vectors": vectors, "texts": texts}
    ).fetchone()
    if matched != shard.rows or total != shard.rows or models != [model_name]:
        raise PulseError(
            f"{vectors} does not match its shard ({matched} of {total} vectors for "
            f"{shard.rows} texts, models {models}); run again to embed those texts afresh"
        )
    con.execute("begin transaction")
    try:
        run_query(con, "embed_insert_shard_vectors", {"vectors": vectors})
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return shard.rows


@task(cache_policy=NO_CACHE)
def embed_shard_task(
    texts_path: str, vectors_path: str, model_name: str, per_host: dict[str, int]
) -> int:
    """`embed_shard` as a Prefect task, so each shard shows up (and fails) on its own."""
    return embed_shard(texts_path, vectors_path, model_name, worker_threads(per_host))


def embed_on_dask(
    settings: Settings,
    model_name: str | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Embed every text missing from the cache on the configured Dask cluster.

    Returns how many texts were new, like `embed_missing`. Called from inside the
    weekly flow, it runs as a subflow whose tasks go to Dask. The run folder is
    removed afterwards, success or not: shards hold customer text.
    """
    name = model_name or active_model_name()
    folder = run_folder(settings, "embed")
    try:
        with connect(settings.db_path) as con:
            shards = export_shards(
                con, folder, name, settings.embed_shard_size, settings.dask_workers
            )
        if not shards:
            return 0
        subflow = _embed_flow.with_options(task_runner=dask_task_runner(settings))
        return subflow(
            shards=[(str(s.texts), str(s.vectors), s.rows) for s in shards],
            db_path=str(settings.db_path),
            model_name=name,
            on_batch=on_batch,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@flow(name="embed-on-dask", log_prints=False)
def _embed_flow(
    shards: list[tuple[str, str, int]],
    db_path: str,
    model_name: str,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Submit every shard, then load results in shard order as each one finishes."""
    per_host = workers_per_host()
    futures = [
        embed_shard_task.submit(texts, vectors, model_name, per_host)
        for texts, vectors, _ in shards
    ]
    total = sum(rows for _, _, rows in shards)
    done = 0
    if on_batch:
        on_batch(0, total)
    with connect(db_path) as con:
        for (texts, vectors, rows), future in zip(shards, futures, strict=True):
            if future.result() != rows:
                raise PulseError(f"{texts}: a worker embedded a different number of texts")
            done += load_shard_vectors(con, Shard(Path(texts), Path(vectors), rows), model_name)
            if on_batch:
                on_batch(done, total)
    return done
