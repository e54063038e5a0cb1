"""HDBSCAN on the whole window against HDBSCAN on a seeded sample (pulse.topics.sampled_hdbscan).

The windows are `bench/topics.py --only cost`'s: the distinct pool (banking77 test, Bitext
8k, SpotifyCares; cached vectors) and, past it, copies of pool texts with nudged vectors.
Each window is reduced once with Pulse's UMAP (`pulse.topics.model.reducer`); then, on
the same 5-d layout, HDBSCAN as the topics stage configures it fits every row (the
baseline, in this run) and each `--max-fit` sample. Per fit: seconds, clusters, noise
share, agreement with the whole-window fit (NMI and ARI over every row, eom and leaf
clusters), and NMI against the intents of the banking77 and Bitext rows (copies carry
their original's intent).

Usage:  python bench/hdbscan_sampling.py [--sizes 300000,1000000] [--max-fit 100000,300000]
Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pulse  # noqa: E402,F401  (offline and cache environment first)

SEED = 42


def log(message: str) -> None:
    print(message, flush=True)


def pool(data_dir: Path, cache_dir: Path) -> tuple[np.ndarray, list[str | None]]:
    """The cost bench's distinct pool: vectors and each row's intent (None: SpotifyCares)."""
    from bench import topics as bench_topics

    b77_texts, b77_truth = bench_topics.read_banking77(data_dir)
    bitext_texts, bitext_truth = bench_topics.read_bitext(data_dir)
    twcs_texts, twcs_vectors = bench_topics.read_twcs(cache_dir)
    vectors = np.vstack(
        [
            bench_topics.embed_cached(b77_texts, cache_dir, "banking77-test"),
            bench_topics.embed_cached(bitext_texts, cache_dir, "bitext-8k"),
            twcs_vectors,
        ]
    )
    truth = (
        [f"b77:{t}" for t in b77_truth]
        + [f"bitext:{t}" for t in bitext_truth]
        + [None] * len(twcs_texts)
    )
    return vectors, truth


def window(
    vectors: np.ndarray, truth: list, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, list]:
    """`size` rows as `bench/topics.py`'s `clustering_cost` draws them."""
    if size <= len(vectors):
        pick = np.sort(rng.choice(len(vectors), size=size, replace=False))
        return vectors[pick], [truth[i] for i in pick]
    extra = rng.choice(len(vectors), size=size - len(vectors), replace=True)
    noise = rng.normal(0, 0.02, size=(len(extra), vectors.shape[1])).astype(np.float32)
    copies = vectors[extra] + noise
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    return np.vstack([vectors, copies]), truth + [truth[i] for i in extra]


def intent_nmi(labels: np.ndarray, truth: list, prefix: str) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    rows = [i for i, t in enumerate(truth) if t is not None and t.startswith(prefix)]
    return round(float(normalized_mutual_info_score([truth[i] for i in rows], labels[rows])), 4)


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from pulse.topics.model import build_topic_model, reducer
    from pulse.topics.sampled_hdbscan import SampledHDBSCAN

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/pulse-bench-cache"))
    parser.add_argument("--sizes", default="300000,1000000")
    parser.add_argument("--max-fit", default="100000,300000")
    args = parser.parse_args(argv)
    if not (args.data_dir / "banking77").exists():
        log(f"skipped: no labelled sets in {args.data_dir} (../shared/data is not in a clone)")
        print(json.dumps({"skipped": "no shared data"}))
        return 0

    base_vectors, base_truth = pool(args.data_dir, args.cache_dir)
    log(f"pool of {len(base_vectors):,} distinct texts")
    rng = np.random.default_rng(SEED)
    results: dict[str, dict] = {}
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        vectors, truth = window(base_vectors, base_truth, size, rng)
        started = time.perf_counter()
        layout = reducer(SEED).fit_transform(vectors)
        log(f"\n{size:,} texts: UMAP layout in {time.perf_counter() - started:.1f} s")
        # The topics stage's HDBSCAN for this window (min_cluster_size from its size).
        configured = build_topic_model(size, SEED, 10).hdbscan_model.hdbscan
        fits: dict[str, dict] = {}
        whole = None
        for max_fit in [size] + [int(m) for m in args.max_fit.split(",") if int(m) < size]:
            started = time.perf_counter()
            fitted = SampledHDBSCAN(configured, max_fit=max_fit, random_state=SEED).fit(layout)
            seconds = time.perf_counter() - started
            labels, leaves = np.asarray(fitted.labels_), np.asarray(fitted.leaf_labels_)
            if whole is None:
                whole = (labels, leaves)
            row = {
                "seconds": round(seconds, 1),
                "clusters": len(set(labels.tolist()) - {-1}),
                "leaves": len(set(leaves.tolist()) - {-1}),
                "noise_share": round(float((labels < 0).mean()), 4),
                "nmi_to_whole": round(float(normalized_mutual_info_score(whole[0], labels)), 4),
                "ari_to_whole": round(float(adjusted_rand_score(whole[0], labels)), 4),
                "leaf_nmi_to_whole": round(
                    float(normalized_mutual_info_score(whole[1], leaves)), 4
                ),
                "banking77_nmi": intent_nmi(leaves, truth, "b77:"),
                "bitext_nmi": intent_nmi(leaves, truth, "bitext:"),
            }
            name = "whole" if max_fit >= size else f"sample {max_fit:,}"
            fits[name] = row
            log(
                f"  {name:<15} {row['seconds']:7.1f} s  {row['clusters']:>3} clusters "
                f"{row['leaves']:>4} leaves  noise {row['noise_share']:.1%}  "
                f"NMI/ARI to whole {row['nmi_to_whole']:.3f}/{row['ari_to_whole']:.3f} "
                f"(leaves {row['leaf_nmi_to_whole']:.3f})  intents: banking77 "
                f"{row['banking77_nmi']:.3f}, Bitext {row['bitext_nmi']:.3f} (leaves)"
            )
        results[str(size)] = fits
    print(json.dumps({"sizes": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
