"""Plain UMAP against SampledUMAP: seconds, peak memory and cluster quality as the window grows.

Pulse reduces each window's 384-d MiniLM vectors to 5-d with UMAP before HDBSCAN; UMAP's
cost grows with the window (about 46 s at 50k, 108 s at 100k). SampledUMAP fits on a seeded
sample of at most `max_fit` vectors and transforms the rest. This bench answers whether that
keeps the clusters: at each size it runs both reducers in a fresh child process (so peak RSS
is the reducer's own, and numba compilation, paid once per process, is measured apart), then
HDBSCAN with Pulse's settings on the 5-d output, and scores NMI against the intent labels.

Data: banking77 (train + test, 13,083 texts, 77 intents) and Bitext customer service (8k
and 20k releases, 29,709 texts, 27 intents each, one spelt differently in the 20k), labels
prefixed by set so they never collide: 42,792 labelled texts, 105 labels. Sizes up to that
are seeded samples of the pool; larger sizes add copies of pool vectors nudged by Gaussian
noise (sigma 0.02 per dimension, then re-normalised: cosine 0.93 to the original, where a
Bitext text's nearest real neighbour sits at a median 0.99), each keeping its original's
label, so they are new points near real ones rather than exact duplicates. NMI counts
HDBSCAN's noise as one more cluster, as a reader of the report would see it.

Vectors are embedded once with the bundled MiniLM (fp32) and kept in --cache-dir.

Usage:  python bench/umap_sampling.py [--data-dir ../shared/data] [--sizes 30000,60000,100000]
                             [--max-fit 10000[,20000]] [--cache-dir /tmp/umap_bench]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_CACHE_DIR = Path("/tmp/umap_bench")
SEED = 42
NOISE_SIGMA = 0.02
# The fp32 MiniLM, named rather than taken from the `embedding_model` setting, so the cached
# vectors (and bench/topics.py's, reused here) stay valid whichever embedder serves.
EMBEDDER = "all-MiniLM-L6-v2"


def log(message: str) -> None:
    print(message, flush=True)


# --- data -------------------------------------------------------------------------------


def _read_csv(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r[text_column] for r in rows], [r[label_column] for r in rows]


# (set, part file, text column, label column); banking77 and Bitext, every labelled split.
PARTS = (
    ("banking77", "banking77-train", "banking77/train.csv", "text", "category"),
    ("banking77", "banking77-test", "banking77/test.csv", "text", "category"),
    ("bitext", "bitext-8k", "bitext_customer_support/customer_service_8k", "utterance", "intent"),
    ("bitext", "bitext-20k", "bitext_customer_support/utterances_20k", "utterance", "intent"),
)
# bench/topics.py keeps vectors of some of the same files under the same naming; reuse them.
OTHER_CACHE_DIRS = (Path("/tmp/pulse-bench-cache"),)


def read_labelled(data_dir: Path) -> list[tuple[str, str, list[str], list[str]]]:
    """Every labelled text of banking77 and Bitext: (set, part, texts, labels) per file."""
    parts = []
    for set_name, part, relative, text_column, label_column in PARTS:
        path = data_dir / relative
        if path.is_dir():
            path = next(path.glob("*.csv"))
        texts, labels = _read_csv(path, text_column, label_column)
        parts.append((set_name, part, texts, labels))
    return parts


def embed_cached(texts: list[str], cache_dir: Path, name: str) -> np.ndarray:
    """MiniLM fp32 vectors for texts, computed once and kept in the cache folder."""
    from pulse.embed import encode

    digest = hashlib.sha256(("\n".join(texts) + EMBEDDER).encode("utf-8")).hexdigest()[:20]
    for folder in (cache_dir, *OTHER_CACHE_DIRS):
        path = folder / f"{name}-{digest}.npy"
        if path.exists():
            return np.load(path)
    log(f"  embedding {len(texts):,} {name} texts (once; cached in {cache_dir}) ...")
    started = time.perf_counter()
    vectors = encode(texts, model_name=EMBEDDER)
    seconds = time.perf_counter() - started
    log(f"  embedded {len(texts):,} {name} texts in {seconds:.0f} s ({len(texts) / seconds:.0f}/s)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache_dir / f"{name}-{digest}.npy", vectors)
    return vectors


def labelled_pool(data_dir: Path, cache_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All labelled vectors, their labels as integer codes, and which set each row is from."""
    vectors, labels, sets = [], [], []
    for set_name, part, texts, part_labels in read_labelled(data_dir):
        vectors.append(embed_cached(texts, cache_dir, part))
        labels += [f"{set_name}:{label}" for label in part_labels]
        sets += [set_name] * len(texts)
    _, codes = np.unique(np.array(labels), return_inverse=True)
    return np.vstack(vectors).astype(np.float32), codes.astype(np.int32), np.array(sets)


def window(
    pool: np.ndarray, codes: np.ndarray, sets: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded window of `size` labelled vectors; past the pool, nudged copies of pool vectors."""
    rng = np.random.default_rng(SEED + size)
    if size <= len(pool):
        pick = np.sort(rng.choice(len(pool), size=size, replace=False))
        return pool[pick], codes[pick], sets[pick]
    extra = rng.choice(len(pool), size=size - len(pool), replace=True)
    noise = rng.normal(0, NOISE_SIGMA, size=(len(extra), pool.shape[1])).astype(np.float32)
    copies = pool[extra] + noise
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    # Shuffled, so the copies are spread through the window like any other week's texts.
    order = rng.permutation(size)
    vectors = np.vstack([pool, copies])[order]
    return (
        vectors,
        np.concatenate([codes, codes[extra]])[order],
        np.concatenate([sets, sets[extra]])[order],
    )


# --- one measured run (a child process, so its peak RSS is its own) ---------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_reducer(method: str, max_fit: int, transform_batch: int):
    """Pulse's UMAP (pulse/topics/model.py's `reducer`), plain or wrapped in SampledUMAP.

    "sampled" is Pulse's reducer as it runs (exact neighbours, pulse/topics/neighbours.py);
    "sampled-nnd" the same with umap-learn's own pynndescent neighbours, as before
    pulse/topics/neighbours.py.
    """
    from pulse.topics.model import reducer

    built = reducer(SEED, None if method == "plain" else max_fit, transform_batch)
    if method == "sampled-nnd":
        built.set_params(exact_neighbours=False)
    return built


def run_child(window_path: Path, method: str, max_fit: int, transform_batch: int) -> dict:
    """Reduce one window, cluster it as Pulse does, score it; prints one JSON line."""
    import warnings

    import pulse  # noqa: F401  (numba cache directory)

    warnings.filterwarnings("ignore", message="n_jobs value")
    from hdbscan import HDBSCAN
    from sklearn.metrics import normalized_mutual_info_score

    saved = np.load(window_path)
    vectors, codes, sets = saved["vectors"], saved["codes"], saved["sets"]
    # Load (or compile) numba's functions on a small fit first, so the timing is the reducer's;
    # past 4,096 rows UMAP switches to NN-descent, so the warm-up must too.
    started = time.perf_counter()
    warm = np.random.default_rng(0).normal(size=(5000, vectors.shape[1])).astype(np.float32)
    make_reducer(method, 4500, 500).fit_transform(warm)
    warmup_s = time.perf_counter() - started
    rss_before = peak_rss_mib()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    reducer = make_reducer(method, max_fit, transform_batch)
    transform_s = [0.0]
    if method.startswith("sampled"):
        # Time the placing of unsampled rows apart from the fit (bench-only instrumentation).
        place = reducer._transform_batched

        def timed_place(matrix: np.ndarray) -> np.ndarray:
            began = time.perf_counter()
            placed = place(matrix)
            transform_s[0] += time.perf_counter() - began
            return placed

        reducer._transform_batched = timed_place
    reduced = reducer.fit_transform(vectors)
    reduce_s = time.perf_counter() - started
    reduce_cpu = cpu_seconds() - cpu_before
    reduce_rss = peak_rss_mib()
    started = time.perf_counter()
    clusters = HDBSCAN(
        min_cluster_size=max(10, len(vectors) // 120),
        min_samples=5,
        metric="euclidean",
        cluster_selection_method="eom",
    ).fit_predict(reduced)
    hdbscan_s = time.perf_counter() - started
    per_set = {
        name: round(
            float(normalized_mutual_info_score(codes[sets == name], clusters[sets == name])), 4
        )
        for name in sorted(set(sets.tolist()))
    }
    return {
        "method": method,
        "size": len(vectors),
        "max_fit": max_fit if method != "plain" else None,
        "transform_batch": transform_batch if method != "plain" else None,
        "warmup_s": round(warmup_s, 1),
        "reduce_s": round(reduce_s, 1),
        "reduce_cpu_s": round(reduce_cpu, 1),
        "transform_s": round(transform_s[0], 1),
        "hdbscan_s": round(hdbscan_s, 1),
        "rss_before_mib": round(rss_before),
        "peak_rss_mib": round(reduce_rss),
        "nmi": round(float(normalized_mutual_info_score(codes, clusters)), 4),
        "nmi_by_set": per_set,
        "clusters": int(len(set(clusters.tolist()) - {-1})),
        "unassigned_share": round(float((clusters < 0).mean()), 4),
        "loadavg": Path("/proc/loadavg").read_text().split()[0],
    }


# --- main -------------------------------------------------------------------------------


def measure(window_path: Path, method: str, max_fit: int, transform_batch: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        str(window_path),
        method,
        str(max_fit),
        str(transform_batch),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(result: dict) -> str:
    name = (
        "plain UMAP"
        if result["method"] == "plain"
        else (
            f"{result['method']} {result['max_fit'] // 1000}k/b{result['transform_batch'] // 1000}k"
        )
    )
    by_set = result["nmi_by_set"]
    return (
        f"{result['size']:>8,}  {name:<22} {result['warmup_s']:>6.1f} "
        f"{result['reduce_s']:>7.1f} {result['transform_s']:>7.1f} {result['reduce_cpu_s']:>7.1f} "
        f"{result['peak_rss_mib']:>8,} {result['hdbscan_s']:>6.1f} {result['nmi']:>6.3f} "
        f"{by_set.get('banking77', 0):>6.3f} {by_set.get('bitext', 0):>6.3f} "
        f"{result['clusters']:>5} {result['unassigned_share']:>6.1%} {result['loadavg']:>5}"
    )


HEADER = (
    f"{'texts':>8}  {'reducer':<22} {'warm_s':>6} {'wall_s':>7} {'place_s':>7} {'cpu_s':>7} "
    f"{'rss_mib':>8} {'hdb_s':>6} "
    f"{'NMI':>6} {'b77':>6} {'bitext':>6} {'clus':>5} {'noise':>6} {'load':>5}"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plain UMAP vs SampledUMAP on labelled data")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--sizes", default="30000,60000,100000")
    parser.add_argument("--max-fit", default="10000", help="comma list; each is one sampled run")
    parser.add_argument("--transform-batch", type=int, default=10_000)
    parser.add_argument("--skip-plain", action="store_true", help="sampled runs only")
    parser.add_argument(
        "--neighbours",
        default="exact",
        help="comma list of exact (pulse/topics/neighbours.py, Pulse's default) and nndescent "
        "(umap-learn's pynndescent); each is one sampled run per max-fit",
    )
    args = parser.parse_args(argv)
    if not (args.data_dir / "banking77").exists():
        log(
            f"SKIP: {args.data_dir} has no labelled sets (banking77, bitext_customer_support); "
            "they live in the shared folder next to the repository (../shared/data), "
            "or pass --data-dir"
        )
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    max_fits = [int(m) for m in args.max_fit.split(",")]
    pool, codes, sets = labelled_pool(args.data_dir, args.cache_dir)
    log(
        f"pool: {len(pool):,} labelled vectors ({(sets == 'banking77').sum():,} banking77, "
        f"{(sets == 'bitext').sum():,} Bitext), {len(np.unique(codes))} labels; "
        f"past {len(pool):,}, nudged copies (sigma {NOISE_SIGMA})"
    )
    log(HEADER)
    results = []
    for size in sizes:
        vectors, window_codes, window_sets = window(pool, codes, sets, size)
        window_path = args.cache_dir / f"window-{size}.npz"
        np.savez(window_path, vectors=vectors, codes=window_codes, sets=window_sets)
        runs = [] if args.skip_plain else [("plain", 0)]
        for kind in args.neighbours.split(","):
            method = {"exact": "sampled", "nndescent": "sampled-nnd"}[kind]
            runs += [(method, m) for m in max_fits]
        for method, max_fit in runs:
            result = measure(window_path, method, max_fit, args.transform_batch)
            results.append(result)
            log(row(result))
    summary: dict = {"runs": results}
    for size in sizes:
        plain = next((r for r in results if r["size"] == size and r["method"] == "plain"), None)
        for r in results:
            if r["size"] == size and r["method"] != "plain" and plain:
                r["speedup"] = round(plain["reduce_s"] / r["reduce_s"], 2)
                r["nmi_change"] = round(r["nmi"] - plain["nmi"], 4)
        summary[str(size)] = {
            (
                "plain"
                if r["method"] == "plain"
                else f"{r['method'].replace('-', '_')}_{r['max_fit']}"
            ): {
                key: r[key]
                for key in ("warmup_s", "reduce_s", "reduce_cpu_s", "peak_rss_mib", "nmi")
            }
            | ({"speedup": r["speedup"]} if "speedup" in r else {})
            for r in results
            if r["size"] == size
        }
    summary.pop("runs")
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        path, method, max_fit, batch = sys.argv[2:6]
        result = json.dumps(run_child(Path(path), method, int(max_fit), int(batch)))
        # Every run's full record, beside the windows, for reading after the table.
        with (Path(path).parent / "runs.jsonl").open("a", encoding="utf-8") as runs:
            runs.write(result + "\n")
        print(result, flush=True)
        sys.exit(0)
    if os.environ.get("UMAP_BENCH_EMBED_ONLY"):
        pool, codes, _ = labelled_pool(DEFAULT_DATA_DIR, DEFAULT_CACHE_DIR)
        log(f"pool {pool.shape}, {len(np.unique(codes))} labels")
        sys.exit(0)
    sys.exit(main())
