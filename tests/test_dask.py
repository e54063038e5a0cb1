"""Embedding on a Dask cluster: the same cache as one process, and the weekly flow through it.

Both runs use two single-threaded worker processes on this machine: the cache test
reaches a LocalCluster by its address, as a run reaches a real cluster; the flow test
lets the run start its own, as `task_runner = "dask"` alone does. While a shard is
embedded the flow process holds the database open, so a worker that tried to open it
would fail: a run that succeeds is one where none did.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pulse  # noqa: F401  (offline and cache environment first)
from pulse.config import Settings, load_settings
from pulse.dask_runner import dask_task_runner
from pulse.db import connect
from pulse.embed import (
    BATCH_SIZE,
    EMBED_CHAR_CAP,
    ONNX_EMBEDDERS,
    ONNX_INT8,
    ONNX_INT8_V2,
    active_model_name,
    embed_missing,
)
from pulse.embed.dask import (
    embed_on_dask,
    embed_shard,
    export_shards,
    load_shard_vectors,
    shard_rows,
)
from pulse.errors import PulseError
from pulse.topics import model as topic_model

FP32 = "all-MiniLM-L6-v2"
_HAS_ONNX = importlib.util.find_spec("onnxruntime") is not None

_OPENINGS = [
    "The app crashes every time I open my inbox",
    "I was charged twice for Premium this month",
    "Cannot reset my password, the reset email never arrives",
    "Someone made a fake company page using our logo",
    "Recruiter search returns nothing since yesterday",
    "Mon profil a disparu après la mise à jour",
    "Bitte löschen Sie mein Konto endlich",
    "Why is my post hidden?? 😡😡",
    "'; drop table embeddings; -- my messages vanished",
    "Job alerts arrive three times a day",
]
_TAILS = [
    "",
    " Please help.",
    " I have tried logging out and in again, clearing the cache and reinstalling.",
    " This is the third time I write about it and nobody answers, which is unacceptable.",
]


def _texts(count: int = 200) -> list[str]:
    """A fixed mix of short, long (past the 2,000-character cap) and repeated texts."""
    rng = random.Random(7)
    texts = []
    for i in range(count - 2):
        text = f"{rng.choice(_OPENINGS)} (case {i}).{rng.choice(_TAILS)}"
        if i % 37 == 0:
            text += " Details follow." + " The feed keeps reloading and loses my place." * 60
        texts.append(text)
    return texts + texts[:2]  # two repeats: one vector per distinct text


def _feedback_db(path: Path, texts: list[str]) -> Path:
    con = connect(path)
    try:
        for i, text in enumerate(texts):
            con.execute(
                """
                insert into feedback (feedback_id, source, external_id, kind, created_at,
                                      text, text_redacted, text_hash)
                values ($id, 'test', $ext, 'ticket', timestamp '2026-11-10 09:00',
                        $text, $text, $hash)
                """,
                {
                    "id": f"test:{i:04d}",
                    "ext": str(i),
                    "text": text,
                    "hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                },
            )
    finally:
        con.close()
    return path


def _cache(path: Path, model: str | None = None) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The cached (hash, model) keys and vectors, of one model or of all (one width)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select text_hash, model, vector from embeddings "
            "where $model is null or model = $model order by text_hash, model",
            {"model": model},
        ).fetchall()
    finally:
        con.close()
    keys = [(h, m) for h, m, _ in rows]
    return keys, np.array([v for _, _, v in rows], dtype=np.float32)


def _assert_same_vectors(single: np.ndarray, dask: np.ndarray, model: str) -> None:
    """Bit for bit for int8 ONNX; within 1e-6 for torch fp32.

    Shards reproduce the single-process batches exactly (export_shards), and int8 ONNX
    gives identical floats at 1 or 2 threads (checked by hand), so nothing may differ. A torch
    worker runs on its share of the cores (one thread here, two in one process), and
    fp32 sums in an order that depends on the thread count: differences in the last
    bits (~1e-7 measured), far below anything clustering can see.
    """
    assert single.shape == dask.shape
    if model in ONNX_EMBEDDERS:
        assert np.array_equal(single, dask)
    else:
        assert np.abs(single - dask).max() < 1e-6


@pytest.fixture
def dask_cluster():
    """Two worker processes of one thread each, on this machine, reached by address."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def dask_env(dask_cluster, tmp_path, monkeypatch) -> Path:
    """Settings that send the embedding stage to that cluster; returns the shard dir."""
    shard_dir = tmp_path / "shared"
    monkeypatch.setenv("PULSE_TASK_RUNNER", "dask")
    monkeypatch.setenv("PULSE_DASK_ADDRESS", dask_cluster.scheduler_address)
    monkeypatch.setenv("PULSE_SHARD_DIR", str(shard_dir))
    return shard_dir


@pytest.mark.skipif(not _HAS_ONNX, reason="onnxruntime is not installed")
def test_dask_workers_fill_the_cache_with_the_same_rows_and_vectors_as_one_process(
    prefect_harness, dask_env, tmp_path, monkeypatch
):
    # int8 ONNX (the default), the strict case: equal bit for bit (see _assert_same_vectors).
    model = ONNX_INT8_V2
    texts = _texts()
    single_db = _feedback_db(tmp_path / "single.duckdb", texts)
    dask_db = _feedback_db(tmp_path / "dask.duckdb", texts)
    con = connect(single_db)
    try:
        single_new = embed_missing(con, model_name=model)
    finally:
        con.close()
    monkeypatch.setenv("PULSE_DB_PATH", str(dask_db))
    monkeypatch.setenv("PULSE_EMBED_SHARD_SIZE", "64")  # four shards: both workers busy
    progress: list[tuple[int, int]] = []

    dask_new = embed_on_dask(
        load_settings(), model_name=model, on_batch=lambda d, t: progress.append((d, t))
    )

    assert single_new == dask_new == len(set(texts)) == 198
    assert progress == [(0, 198), (64, 198), (128, 198), (192, 198), (198, 198)]
    single_keys, single_vectors = _cache(single_db)
    dask_keys, dask_vectors = _cache(dask_db)
    assert dask_keys == single_keys
    assert {m for _, m in dask_keys} == {model}
    _assert_same_vectors(single_vectors, dask_vectors, model)
    assert list(dask_env.iterdir()) == []  # the run's shards (customer text) are gone
    con = connect(dask_db)
    try:
        assert embed_missing(con, model_name=model) == 0  # nothing left for one process
    finally:
        con.close()


def _last_run(db_path: Path) -> tuple[dict, list[tuple]]:
    """The row counts and the doc_topics (without the run id) of the last successful run."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        run_id, counts = con.execute(
            "select run_id, row_counts from runs where outcome = 'ok' "
            "order by finished_at desc limit 1"
        ).fetchone()
        doc_topics = con.execute(
            "select feedback_id, topic_id, probability from doc_topics "
            "where run_id = $run_id order by feedback_id",
            {"run_id": run_id},
        ).fetchall()
    finally:
        con.close()
    return json.loads(counts), doc_topics


@pytest.mark.slow
def test_the_weekly_flow_with_task_runner_dask_embeds_and_places_as_the_local_run_does(
    demo_env, tmp_path, monkeypatch
):
    from tests.flow_loader import load_weekly_report
    from tests.output_readers import ranked_rows
    from tests.test_dask_placement import placement_task_runs

    # What a user gets from `task_runner = "dask"` alone: the run starts its own
    # LocalCluster of two single-threaded workers and keeps shards under outputs/.shards.
    monkeypatch.setenv("PULSE_TASK_RUNNER", "dask")
    monkeypatch.setenv("PULSE_DASK_WORKERS", "2")
    # The demo's window is below max_fit, so UMAP would fit it whole; a sample of 300 texts
    # makes it a sampled window whose other rows are placed, in batches of 400, on Dask.
    monkeypatch.setattr(
        topic_model, "reducer", partial(topic_model.reducer, max_fit=300, transform_batch=400)
    )
    db_path = demo_env.copy_db(tmp_path / "pulse.duckdb")
    local_db = demo_env.copy_db(tmp_path / "local.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    connect(db_path).close()
    # The registry's embedder (the multilingual demo's window is on USE); the cache also
    # holds the English sentiment model's MiniLM vectors, which this run leaves alone.
    model = active_model_name()
    local_keys, local_vectors = _cache(db_path, model)
    assert {m for _, m in local_keys} == {model}
    # The session's run embedded every text in one longest-first pass. Its last batches
    # (the shortest texts, cheap) go back to the workers: starting on a batch boundary,
    # they meet the same batch-mates again, so even int8 ONNX must give the same floats.
    con = connect(db_path)
    order = [
        h
        for (h,) in con.execute(
            """
            select text_hash from (
                select text_hash, any_value(text order by feedback_id) as text
                from feedback group by text_hash
            )
            order by least(length(text), $cap) desc, text_hash
            """,
            {"cap": EMBED_CHAR_CAP},
        ).fetchall()
    ]
    tail = order[((len(order) - 1) // BATCH_SIZE - 1) * BATCH_SIZE :]
    con.execute(
        "delete from embeddings where model = $model and text_hash in $tail",
        {"model": model, "tail": tail},
    )
    con.close()
    assert len(tail) > BATCH_SIZE
    placed_before = len(placement_task_runs())

    pdf = Path(load_weekly_report()(week=str(demo_env.week), rebuild_topics=True))

    keys, vectors = _cache(db_path, model)
    assert keys == local_keys
    _assert_same_vectors(local_vectors, vectors, model)
    counts, doc_topics = _last_run(db_path)
    assert counts["embedded_new"] == len(tail)
    window = counts["topics"]["window_texts"]
    assert window > 300 + 400  # sampled, and placed in more than one batch
    assert len(placement_task_runs()) - placed_before == -(-(window - 300) // 400)
    assert list((tmp_path / "outputs" / ".shards").iterdir()) == []

    # The same week run locally on the same vectors (torch fp32 may differ from the
    # workers' in the last bits, so the local copy takes theirs) gives the same topics.
    source = duckdb.connect(str(db_path), read_only=True)
    dask_vectors = source.execute(
        "select * from embeddings where model = $model", {"model": model}
    ).arrow()
    source.close()
    con = connect(local_db)
    con.execute("delete from embeddings where model = $model", {"model": model})
    con.register("dask_vectors", dask_vectors)
    con.execute("insert into embeddings select * from dask_vectors")
    con.close()
    monkeypatch.setenv("PULSE_TASK_RUNNER", "local")
    monkeypatch.setenv("PULSE_DB_PATH", str(local_db))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "local_outputs"))
    local_pdf = Path(load_weekly_report()(week=str(demo_env.week), rebuild_topics=True))

    local_counts, local_doc_topics = _last_run(local_db)
    assert local_counts["topics"] == counts["topics"]
    assert doc_topics == local_doc_topics
    assert ranked_rows(pdf.parent / "ranked_issues.csv") == ranked_rows(
        local_pdf.parent / "ranked_issues.csv"
    )


def test_shards_are_whole_batches_of_the_single_process_order_and_cover_every_missing_text(
    tmp_path,
):
    texts = _texts()
    db = _feedback_db(tmp_path / "p.duckdb", texts)
    con = connect(db)
    try:
        expected = con.execute(
            """
            select text_hash from feedback group by text_hash
            order by least(length(any_value(text)), $cap) desc, text_hash
            """,
            {"cap": EMBED_CHAR_CAP},
        ).fetchall()
        shards = export_shards(con, tmp_path / "run", FP32, shard_size=100, min_shards=2)
    finally:
        con.close()
    reader = duckdb.connect()
    exported = []
    for shard in shards:
        rows = reader.execute(
            "select ord, text_hash from read_parquet($p) order by ord", {"p": str(shard.texts)}
        ).fetchall()
        assert rows[0][0] % BATCH_SIZE == 0  # starts on a batch boundary
        assert len(rows) == shard.rows
        exported += [h for _, h in rows]
    assert [s.rows for s in shards] == [64, 64, 64, 6]  # 100 rounds down to one batch of 64
    assert exported == [h for (h,) in expected]


def test_a_shard_embedded_in_this_process_gives_the_vectors_of_the_single_process_path(
    tmp_path,
):
    """What a Dask worker runs (`embed_shard`), run here: its vectors are `encode`'s."""
    from pulse.embed import encode

    db = _feedback_db(tmp_path / "p.duckdb", _texts()[:70])
    con = connect(db)
    try:
        shards = export_shards(con, tmp_path / "run", FP32, shard_size=64, min_shards=1)
        texts = dict(
            con.execute("select text_hash, any_value(text) from feedback group by 1").fetchall()
        )
    finally:
        con.close()
    shard = shards[-1]
    assert embed_shard(str(shard.texts), str(shard.vectors), FP32) == shard.rows
    got = pq.read_table(shard.vectors).to_pylist()
    hashes = [row["text_hash"] for row in got]
    expected = encode([texts[h] for h in hashes], model_name=FP32)
    assert np.allclose(np.array([row["vector"] for row in got]), expected, atol=1e-5)
    assert {row["model"] for row in got} == {FP32}


def test_vectors_that_do_not_match_their_shard_are_refused_and_nothing_is_cached(tmp_path):
    db = _feedback_db(tmp_path / "p.duckdb", _texts(40))
    con = connect(db)
    try:
        (shard,) = export_shards(con, tmp_path / "run", FP32, shard_size=5000)
        hashes = [
            h
            for (h,) in con.execute(
                "select text_hash from read_parquet($p) order by ord", {"p": str(shard.texts)}
            ).fetchall()
        ]
        with pytest.raises(PulseError, match="was not written"):
            load_shard_vectors(con, shard, FP32)
        vectors = np.zeros((len(hashes), 384), dtype=np.float32)
        pq.write_table(
            pa.table(
                {
                    "text_hash": hashes,
                    "model": [ONNX_INT8] * len(hashes),  # another model's vectors
                    "vector": pa.FixedSizeListArray.from_arrays(
                        pa.array(vectors.reshape(-1), pa.float32()), 384
                    ),
                }
            ),
            shard.vectors,
        )
        with pytest.raises(PulseError, match="does not match its shard"):
            load_shard_vectors(con, shard, FP32)
        assert con.execute("select count(*) from embeddings").fetchone()[0] == 0
    finally:
        con.close()


def test_shard_sizes_respect_the_cap_the_worker_count_and_the_batch():
    assert shard_rows(200, 5000, 2) == 128  # two shards, not one
    assert shard_rows(100_000, 5000, 2) == 4992  # the cap, rounded down to whole batches
    assert shard_rows(10, 5000, 2) == BATCH_SIZE


def test_an_empty_dask_address_starts_a_local_cluster_of_single_threaded_workers():
    runner = dask_task_runner(Settings(task_runner="dask", dask_workers=3))
    assert runner.address is None
    assert runner.cluster_kwargs["n_workers"] == 3
    assert runner.cluster_kwargs["threads_per_worker"] == 1
    remote = dask_task_runner(
        Settings(task_runner="dask", dask_address="tcp://scheduler:8786", shard_dir="/mnt/x")
    )
    assert remote.address == "tcp://scheduler:8786"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PULSE_TASK_RUNNER": "spark"}, 'task_runner must be "local" or "dask"'),
        ({"PULSE_DASK_WORKERS": "0"}, "dask_workers must be 1 or more"),
        ({"PULSE_EMBED_SHARD_SIZE": "0"}, "embed_shard_size must be 1 or more"),
        ({"PULSE_DASK_ADDRESS": "tcp://sched uler"}, "is not a scheduler address"),
        (
            {"PULSE_TASK_RUNNER": "dask", "PULSE_DASK_ADDRESS": "tcp://scheduler:8786"},
            "set shard_dir to a folder on shared storage",
        ),
    ],
)
def test_a_bad_scale_out_setting_stops_with_a_message_naming_it(env, message, tmp_path):
    with pytest.raises(PulseError, match=message):
        load_settings(path=tmp_path / "none.toml", env=env)
