"""Embedding speed against the model's limit, and speed and topic quality of each embedder.

In one process, on the same texts (demo tickets and posts, real length mix):

1. the limit: raw forward passes of fp32 MiniLM over pre-tokenised, length-sorted
   batches (no tokenizer, no Python around it), at several batch sizes and thread counts;
2. `pulse.embed.encode` and `embed_missing` (the pipeline stage, DuckDB included)
   against that limit;
3. the built embedders (`minilm-onnx-int8-v2`, `minilm-onnx-int8`, `minilm-m2v`): texts/s
   and cosine similarity to the fp32 vectors (mean and worst), and the two int8 models'
   raw rates in interleaved rounds (old, new, old, new: `onnx_int8_ab` in the JSON);
4. topic quality of each on banking77 (test split, 3,080 texts, 77 intents): NMI and
   ARI of `pulse.topics.cluster._fit` (Pulse's UMAP + HDBSCAN + merge + outlier reduction)
   against the intents.

The machine is shared: the load average is printed with every figure, and every
comparison is between figures of this one run.

Usage:  python bench/embed.py [--texts 2000] [--data-dir ../shared/data] [--no-quality]
Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pulse  # noqa: E402,F401  (offline and cache environment first)

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def log(message: str) -> None:
    print(f"{message}  [{load()}]", flush=True)


def demo_texts(n: int, folder: Path) -> tuple[list[str], Path]:
    """Ingest a demo corpus of about n texts into a fresh database; its texts, length mix kept."""
    from pulse.db import connect
    from pulse.demo import generate_demo, ingest_demo
    from pulse.weeks import IsoWeek

    generate_demo(folder / "demo", anchor=IsoWeek.parse("2026-W46"), scale=n / 5400 * 1.1)
    db_path = folder / "bench.duckdb"
    with connect(db_path) as con:
        ingest_demo(con, folder / "demo")
        con.execute(
            "delete from feedback where feedback_id not in "
            "(select feedback_id from feedback order by feedback_id limit $n)",
            {"n": n},
        )
        rows = con.execute("select text from feedback order by text_hash").fetchall()
    texts = [r[0] for r in rows]
    return texts, db_path


def raw_forward(texts: list[str], batch_size: int, threads: int) -> float:
    """Texts/s of the bare fp32 network (forward + mean pooling) on pre-tokenised batches."""
    import torch

    from pulse.embed import EMBED_CHAR_CAP, load_embedding_model

    model = load_embedding_model()
    tokenizer = model.tokenizer
    ordered = sorted((t[:EMBED_CHAR_CAP] for t in texts), key=len, reverse=True)
    batches = [
        tokenizer(
            ordered[i : i + batch_size],
            padding=True,
            truncation=True,
            max_length=256,
            return_tensors="pt",
        )
        for i in range(0, len(ordered), batch_size)
    ]
    bert = model[0].auto_model
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            bert(**{k: v[:2] for k, v in batches[-1].items()})  # warm-up
            started = time.perf_counter()
            for batch in batches:
                hidden = bert(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                (hidden * mask).sum(1) / mask.sum(1)
            seconds = time.perf_counter() - started
    finally:
        torch.set_num_threads(previous)
    return len(texts) / seconds


def raw_onnx(texts: list[str], batch_size: int = 1, model_name: str | None = None) -> float:
    """Texts/s of an int8 ONNX session alone on pre-tokenised texts (no tokenizer timed).

    batch_size 1 is how `pulse.embed` runs it: `minilm-onnx-int8-v2` (the default) one
    call per token length (up to BATCH_TOKENS), `minilm-onnx-int8` one text per call, a
    call per core at a time, pooling included. Larger sizes run the old model on padded,
    length-sorted batches one call at a time, for comparison only (its vectors then depend
    on the batch, see `pulse.embed.onnx.OnnxEmbedder`).
    """
    from concurrent.futures import ThreadPoolExecutor

    from pulse.embed import EMBED_CHAR_CAP, MODEL_NAME, ONNX_INT8
    from pulse.embed.models import load_built

    model_name = model_name or MODEL_NAME
    embedder = load_built(model_name)
    capped = [t[:EMBED_CHAR_CAP] for t in texts]
    if batch_size == 1:
        ids = embedder.tokenize(capped)
        feeds = [np.stack([ids[row] for row in rows]) for rows in embedder.batches(ids)]
        embedder.forward(feeds[-1])  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(embedder.workers) as pool:
            for _ in pool.map(embedder.forward, feeds):
                pass
        return len(texts) / (time.perf_counter() - started)
    if model_name != ONNX_INT8:
        raise ValueError("padded batches are only a contrast for minilm-onnx-int8")
    ordered = sorted(capped, key=len, reverse=True)
    embedder.tokenizer.enable_padding()
    feeds = []
    try:
        for i in range(0, len(ordered), batch_size):
            encodings = embedder.tokenizer.encode_batch(ordered[i : i + batch_size])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids})
    finally:
        embedder.tokenizer.no_padding()
    embedder.session.run(None, feeds[-1])  # warm-up
    started = time.perf_counter()
    for feed in feeds:
        embedder.session.run(None, feed)
    return len(texts) / (time.perf_counter() - started)


def onnx_ab(texts: list[str], rounds: int) -> dict:
    """The two int8 ONNX models' raw rates, interleaved (old, new, old, new, ...).

    The machine is shared, so only figures taken side by side compare; each round
    also records the CPU seconds of the process, which other jobs inflate less.
    """
    from pulse.embed import ONNX_INT8, ONNX_INT8_V2

    figures: dict = {ONNX_INT8: [], ONNX_INT8_V2: []}
    for _ in range(rounds):
        for name in figures:
            before = os.times()
            rate = raw_onnx(texts, model_name=name)
            after = os.times()
            cpu = after.user + after.system - before.user - before.system
            figures[name].append((rate, cpu))
        log(
            "raw int8 A/B round: "
            + ", ".join(
                f"{n} {f[-1][0]:.1f} texts/s ({f[-1][1]:.2f} CPU s)" for n, f in figures.items()
            )
        )
    summary = {
        name: {
            "best_texts_per_s": round(max(r for r, _ in rows), 1),
            "median_texts_per_s": round(float(np.median([r for r, _ in rows])), 1),
            "cpu_ms_per_text": round(1000 * float(np.median([c for _, c in rows])) / len(texts), 3),
        }
        for name, rows in figures.items()
    }
    old, new = summary[ONNX_INT8], summary[ONNX_INT8_V2]
    summary["median_speedup"] = round(new["median_texts_per_s"] / old["median_texts_per_s"], 2)
    summary["cpu_speedup"] = round(old["cpu_ms_per_text"] / new["cpu_ms_per_text"], 2)
    return summary


def raw_rate(model_name: str, texts: list[str]) -> float:
    """The limit for an embedder: its network alone, no tokenizer, no cache, no DuckDB.

    A static model has no network; its limit is its own encode.
    """
    from pulse.embed import BATCH_SIZE, FP32, ONNX_EMBEDDERS, encode

    if model_name == FP32:
        return raw_forward(texts, BATCH_SIZE, os.cpu_count() or 1)
    if model_name in ONNX_EMBEDDERS:
        return raw_onnx(texts, model_name=model_name)
    encode(texts[:10], model_name=model_name)
    _, seconds = timed(encode, texts, model_name=model_name)
    return len(texts) / seconds


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def cosine_stats(a: np.ndarray, b: np.ndarray) -> dict:
    sims = np.sum(a * b, axis=1)
    return {"mean": round(float(sims.mean()), 4), "min": round(float(sims.min()), 4)}


def banking77(data_dir: Path) -> tuple[list[str], list[str]]:
    with (data_dir / "banking77" / "test.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def quality(texts: list[str], truth: list[str], vectors: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from pulse.topics.cluster import _fit

    predicted, seconds = timed(_fit, texts, vectors, 42, 10)
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, predicted)), 4),
        "ari": round(float(adjusted_rand_score(truth, predicted)), 4),
        "unassigned_share": round(sum(1 for p in predicted if p < 0) / len(predicted), 4),
        "topics": len({p for p in predicted if p >= 0}),
        "fit_s": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--no-quality", action="store_true", help="skip the banking77 fits")
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved repeats, best kept")
    args = parser.parse_args(argv)

    from pulse.db import connect
    from pulse.embed import (
        EMBEDDERS,
        FP32,
        ONNX_EMBEDDERS,
        ONNX_INT8,
        embed_missing,
        encode,
        load_embedding_model,
        load_vectors,
    )

    result: dict = {"texts": args.texts, "cpu_count": os.cpu_count(), "load_start": load()}
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="pulse-bench-embed-") as tmp:
        texts, db_path = demo_texts(args.texts, Path(tmp))
        lengths = [len(t) for t in texts]
        log(
            f"{len(texts):,} demo texts, median {int(np.median(lengths))} chars, "
            f"p95 {int(np.percentile(lengths, 95))}"
        )
        load_embedding_model()
        encode(texts[:64], model_name=FP32)  # warm-up, not timed

        # 1. the limit, and how it moves with batch size and threads
        sweep = {}
        for size in [int(s) for s in args.batch_sizes.split(",")]:
            sweep[size] = round(raw_forward(texts, size, cores), 1)
            log(f"raw fp32 forward, batch {size:>3}, {cores} threads: {sweep[size]:7.1f} texts/s")
        best = max(sweep, key=sweep.get)
        threads_1 = round(raw_forward(texts, best, 1), 1)
        log(f"raw fp32 forward, batch {best:>3}, 1 thread:  {threads_1:7.1f} texts/s")

        # 2. the library and the pipeline stage against the limit (same batch size)
        from pulse.embed import BATCH_SIZE

        # Interleaved rounds, best of each: other jobs on the machine come and go.
        limits, encode_rates, stage_rates = [], [], []
        for _ in range(args.rounds):
            limits.append(raw_forward(texts, BATCH_SIZE, cores))
            fp32, seconds = timed(encode, texts, model_name=FP32)
            encode_rates.append(len(texts) / seconds)
            with connect(db_path) as con:
                con.execute("delete from embeddings where model = $m", {"m": FP32})
                new, seconds = timed(embed_missing, con, model_name=FP32)
                stage_rates.append(new / seconds)
                hashes = [r[0] for r in con.execute("select text_hash from feedback").fetchall()]
                stored = load_vectors(con, hashes, model_name=FP32)
            log(
                f"round: raw {limits[-1]:.1f}, encode() {encode_rates[-1]:.1f}, "
                f"embed_missing {stage_rates[-1]:.1f} texts/s"
            )
        limit, encode_rate, stage_rate = max(limits), max(encode_rates), max(stage_rates)
        assert stored.shape == (len(texts), len(fp32[0]))
        log(
            f"raw limit at batch {BATCH_SIZE}: {limit:.1f} texts/s; encode(): {encode_rate:.1f} "
            f"({encode_rate / limit:.0%}); embed_missing: {stage_rate:.1f} "
            f"({stage_rate / limit:.0%})"
        )
        result.update(
            raw_model_texts_per_s=round(limit, 1),
            raw_batch_sweep=sweep,
            raw_one_thread=threads_1,
            encode_texts_per_s=round(encode_rate, 1),
            embed_texts_per_s=round(stage_rate, 1),
            embed_share_of_limit=round(stage_rate / limit, 3),
        )

        # 3. the built embedders
        embedders: dict = {FP32: {"texts_per_s": round(encode_rate, 1)}}
        vectors_of = {FP32: fp32}
        for name in [e for e in EMBEDDERS if e != FP32]:
            encode(texts[:64], model_name=name)  # builds on first use, loads; not timed
            vectors, seconds = timed(encode, texts, model_name=name)
            vectors_of[name] = vectors
            with connect(db_path) as con:
                new, stage_seconds = timed(embed_missing, con, model_name=name)
            embedders[name] = {
                "texts_per_s": round(len(texts) / seconds, 1),
                "embed_missing_texts_per_s": round(new / stage_seconds, 1),
            }
            if name in ONNX_EMBEDDERS:  # the static model lives in a space of its own
                embedders[name]["cosine_to_fp32"] = cosine_stats(vectors, fp32)
                # its limit, as pulse.embed runs it (and the old one batched for contrast)
                embedders[name]["raw_texts_per_s"] = round(raw_onnx(texts, model_name=name), 1)
                if name == ONNX_INT8:
                    embedders[name]["raw_batch_64_texts_per_s"] = round(
                        raw_onnx(texts, 64, model_name=name), 1
                    )
                embedders[name]["embed_share_of_limit"] = round(
                    embedders[name]["embed_missing_texts_per_s"]
                    / embedders[name]["raw_texts_per_s"],
                    3,
                )
            log(f"{name}: {embedders[name]}")

        # the two int8 models side by side, interleaved (the shared machine's noise)
        result["onnx_int8_ab"] = onnx_ab(texts, max(3, args.rounds))
        log(f"int8 A/B: {result['onnx_int8_ab']}")

        # 4. topic quality on banking77
        if not args.no_quality and (args.data_dir / "banking77").exists():
            b_texts, truth = banking77(args.data_dir)
            for name in EMBEDDERS:
                vectors = encode(b_texts, model_name=name)
                embedders[name]["banking77"] = quality(b_texts, truth, vectors)
                log(f"{name} banking77: {embedders[name]['banking77']}")
        elif not args.no_quality:
            log(f"no banking77 under {args.data_dir}; quality skipped")
    result["embedders"] = embedders
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["load_end"] = load()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
