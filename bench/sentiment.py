"""Benchmark: Pulse's sentiment model against VADER on labelled sets it was not trained on.

Sets (from ../shared/data; see each SOURCE.md):
* the held-out 30% of the Apple tweets (`_unit_id % 10 < 3`), human 3-class labels;
* all Amazon Alexa reviews, stars 1-2 negative, 3 neutral, 4-5 positive (a weaker,
  out-of-domain check: stars are a proxy and the set is 92% positive).

Speed is the scoring on top of the embeddings (what a pipeline run pays, since it
embeds every text anyway), best of three passes over both sets.

Usage:  python bench/sentiment.py [--data-dir ../shared/data] [--embedder minilm-onnx-int8]
The last line printed is one JSON object (Apple figures at the top level).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for folder in (REPO_ROOT, REPO_ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import train_sentiment as data  # noqa: E402  (the loaders and the held-out split live there)
from sklearn.metrics import accuracy_score, f1_score, recall_score  # noqa: E402

from pulse import sentiment  # noqa: E402
from pulse.embed import EMBEDDERS  # noqa: E402
from pulse.embed import active_model_name as active_model_name_embed  # noqa: E402


def evaluate(truth: list[str], predicted: list[str]) -> dict:
    labels = list(sentiment.LABELS)
    recalls = recall_score(truth, predicted, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro")), 4),
        "recall": {label: round(float(r), 4) for label, r in zip(labels, recalls, strict=True)},
    }


def row(name: str, result: dict) -> str:
    recall = result["recall"]
    return (
        f"  {name:<26} {result['accuracy']:>8.3f} {result['macro_f1']:>9.3f} "
        f"{recall['negative']:>9.3f} {recall['neutral']:>9.3f} {recall['positive']:>9.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pulse sentiment vs VADER")
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--cache-dir", type=Path, default=data.DEFAULT_CACHE_DIR)
    parser.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        default=None,
        help="vectors to score on (default: the pipeline's embedding_model setting)",
    )
    args = parser.parse_args(argv)
    embedder = args.embedder or active_model_name_embed()
    if not args.data_dir.exists():
        print(
            f"SKIPPED: {args.data_dir} not found; the labelled benchmark sets live in the shared "
            "folder beside the repository (pass --data-dir to point elsewhere)."
        )
        print(json.dumps({"skipped": True, "reason": f"{args.data_dir} not found"}))
        return 0
    data.require_data_dir(args.data_dir, "bench/sentiment")
    if sentiment.active_model_name() != sentiment.MODEL_NAME:
        print(
            f"note: the model file is missing, so Pulse scores with {sentiment.active_model_name()}"
        )

    sets = {
        "apple held-out": data.apple_tweets(args.data_dir, held_out=True),
        "alexa (stars)": data.alexa_reviews(args.data_dir),
    }
    embedded = {
        name: data.embed(texts, args.cache_dir, embedder) for name, (texts, _) in sets.items()
    }

    results: dict[str, dict] = {}
    header = f"  {'set / model':<26} {'accuracy':>8} {'macro-F1':>9} {'rec-neg':>9} {'rec-neu':>9} "
    print(
        f"Pulse model {sentiment.active_model_name()} on {embedder} vectors "
        f"vs VADER {sentiment.vader_version()}"
    )
    print(header + f"{'rec-pos':>9}")
    for name, (texts, truth) in sets.items():
        ours = [label for label, _ in sentiment.score_texts(texts, embedded[name])]
        vader = [label for label, _ in sentiment.vader_scores(texts)]
        results[name] = {
            "n": len(texts),
            "pulse": evaluate(truth, ours),
            "vader": evaluate(truth, vader),
        }
        print(row(f"{name} ({len(texts)}) Pulse", results[name]["pulse"]))
        print(row(f"{name} ({len(texts)}) VADER", results[name]["vader"]))

    all_texts = [text for texts, _ in sets.values() for text in texts]
    passes = []
    for _ in range(3):
        started = time.perf_counter()
        for name, (texts, _) in sets.items():
            sentiment.score_texts(texts, embedded[name])
        passes.append(time.perf_counter() - started)
    texts_per_s = len(all_texts) / min(passes)
    print(
        f"Scoring on top of embeddings: {texts_per_s:,.0f} texts/s "
        f"({len(all_texts)} texts, best of 3)"
    )

    apple, alexa = results["apple held-out"], results["alexa (stars)"]
    summary = {
        "model": sentiment.active_model_name(),
        "embedder": embedder,
        "macro_f1": apple["pulse"]["macro_f1"],
        "vader_macro_f1": apple["vader"]["macro_f1"],
        "macro_f1_gain": round(apple["pulse"]["macro_f1"] - apple["vader"]["macro_f1"], 4),
        "accuracy": apple["pulse"]["accuracy"],
        "vader_accuracy": apple["vader"]["accuracy"],
        "n_apple_held_out": apple["n"],
        "alexa_macro_f1": alexa["pulse"]["macro_f1"],
        "alexa_vader_macro_f1": alexa["vader"]["macro_f1"],
        "texts_per_s": round(texts_per_s, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
