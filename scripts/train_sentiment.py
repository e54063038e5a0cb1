"""Train the shipped English sentiment model (`pulse/models/sentiment_mlp_v3.npz`).

What it learns from (licences and held-out results: the model card beside the artifact):

* SemEval-2017 Task 4A English tweets: every 2013-2016 train/dev/test Twitter file,
  one row per tweet id (conflicting ids dropped). The official 2017 test file is
  held out for `bench/sentiment.py`.
* Apple tweets (CrowdFlower), `_unit_id % 10 >= 3`, weighted 10x: the only
  brand-directed, human-labelled tweets, and a small set among large ones (3x, 6x
  and 10x were compared on cross-validated macro-F1; docs/SENTIMENT.md).
* Amazon Alexa and Threads app reviews, stars 1-2 negative, 3 neutral, 4-5 positive,
  rows whose text hashes to buckets 3-9 (`text_bucket`).
* Bitext customer-service utterances: a fixed sample of 400 as *neutral*, because
  support questions are the bulk of tickets and must not read as complaints.
* `scripts/support_sentiment_phrases.csv`: phrases written for this project (sarcasm,
  "still waiting", terse problem titles, formal complaints, plain questions, praise),
  weighted 5x because they are the only signal from the support domain.

Buckets 0-2 of every set (Apple: `_unit_id % 10 < 3`) and the SemEval 2017 test file
are never read here. Corona tweets are not trained on: their labels agree with VADER
at 0.93 macro-F1, so they would teach the lexicon back. TWCS (CC BY-NC-SA) is not used.

The model is two parts trained one after the other (as the multilingual model's):
1. A logistic regression over hashed words and word pairs (`pulse.sentiment.ngrams`). The
   network is trained on its out-of-fold log-probabilities (the cross-validation folds),
   so it learns how far to trust them on texts the regression has not seen; the shipped
   regression is then fitted on everything.
2. A one-hidden-layer network over [MiniLM vector | lexicon features | the regression's
   3 log-probabilities].

Classes are weighted to balance (sklearn's "balanced") within the whole training set.
The decision rule is a bias on the negative logit: the smallest (0.05 steps) at which
5-fold cross-validated negative recall, averaged over the four labelled sets, reaches
`RECALL_GOAL`. Folds are keyed on the text's hash; the test splits take no part.

Usage:
    python scripts/train_sentiment.py [--data-dir ../shared/data] [--out pulse/models/...]

Deterministic: fixed splits and folds (text hashes), a fixed seed, torch's
deterministic algorithms on one thread, and the pipeline's own embedder. Embeddings
are cached under the system temp folder (`--cache-dir`), never in the repository.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import tempfile
from collections import Counter
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
SPLITS = ("train", "test")
BITEXT_NEUTRAL_SAMPLE = 400
PHRASE_WEIGHT = 5.0
APPLE_WEIGHT = 10.0
FOLDS = 5
HIDDEN_UNITS = 128
EPOCHS = 10
BATCH_SIZE = 256
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-2
DROPOUT = 0.3
# Cross-validated negative recall, averaged over the labelled sets with equal weight, that
# the decision bias must reach: the 0.80 target of bench/sentiment.py plus 0.02 for the
# shift from folds to held-out sets (docs/SENTIMENT.md: why the mean, not the minimum).
RECALL_GOAL = 0.82
BIAS_STEP = 0.05
# The n-gram regressions' L2 strength (C = 0.3, 1 and 3 were compared for the
# multilingual model; docs/SENTIMENT.md).
NGRAM_C = 1.0

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


def split_of(bucket: int) -> str:
    """The split a row's bucket (0-9) falls in: 0-2 test (about 30%), 3-9 train."""
    return "test" if bucket < 3 else "train"


def text_bucket(key: str, salt: str = "") -> int:
    """A row's bucket 0-9 from a stable key (an id, or the text itself), independent of file order.

    Keying review sets on their normalised text puts every copy of a repeated review
    ("Good", "Love it!") in one split, so no held-out text was also trained on.
    """
    normalised = salt + " ".join(key.lower().split())
    digest = hashlib.sha256(normalised.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 10


def fold_of(text: str) -> int:
    """The cross-validation fold (0..FOLDS-1) of a training text; copies share a fold."""
    return text_bucket(text, salt="fold:") % FOLDS


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")


def _pipeline_text(raw: str) -> str:
    """The text as the pipeline scores it: ingest's cleaning (HTML entities, whitespace, NFKC)."""
    from pulse.ingest.clean import clean_text

    return clean_text(raw, is_ticket=False)


def apple_tweets(data_dir: Path, split: str) -> Labelled:
    """Apple tweets with a 3-class label; `not_relevant` rows are dropped.

    The split keys on CrowdFlower's `_unit_id % 10` (0-2 test, as since v1), not on
    file order, so it stays the same however the file is sorted.
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

    test is the official 2017 test file (12,284 tweets). train is every 2013-2016
    Twitter file, one row per tweet id; ids annotated with two different labels are
    dropped, as the organisers' README asks.
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
    texts = [_pipeline_text(rows[i]) for i in picked]
    return texts, ["neutral"] * len(texts)


def support_phrases(path: Path = PHRASES_PATH) -> tuple[list[str], list[str]]:
    """The hand-written support phrases shipped with the repository."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [_pipeline_text(row["text"]) for row in rows], [row["label"] for row in rows]


def embed(
    texts: list[str], cache_dir: Path | None = DEFAULT_CACHE_DIR, embedder: str | None = None
) -> np.ndarray:
    """Vectors as the pipeline computes them, cached by embedder and the texts' hash.

    `embedder` is one of `pulse.embed.EMBEDDERS` (default: the pipeline's default,
    which the shipped weights are trained on). The labelled sets are about 100k
    texts, so they are embedded once and read back from the cache on re-runs.
    """
    from pulse.embed import MODEL_NAME, encode

    embedder = embedder or MODEL_NAME
    digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:24]
    cached = cache_dir / f"{embedder}-{digest}.npy" if cache_dir else None
    if cached is not None and cached.exists():
        return np.load(cached)
    vectors = encode(texts, model_name=embedder)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, vectors)
    return vectors


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


def training_sources(data_dir: Path) -> dict[str, tuple[str, Labelled, float]]:
    """Every training set: its key, the name the artifact and its card record, rows, weight."""
    return {
        "semeval": (
            "semeval2017_task4a_sentiment (2013-2016 Twitter files, one row per id)",
            semeval_tweets(data_dir, "train"),
            1.0,
        ),
        "apple": (
            f"apple_twitter_sentiment (train split, _unit_id % 10 >= 3, weight {APPLE_WEIGHT:g})",
            apple_tweets(data_dir, "train"),
            APPLE_WEIGHT,
        ),
        "alexa": (
            "amazon_alexa_reviews (train split, text buckets 3-9, stars)",
            alexa_reviews(data_dir, "train"),
            1.0,
        ),
        "threads": (
            "threads_app_reviews (train split, text buckets 3-9, stars)",
            threads_reviews(data_dir, "train"),
            1.0,
        ),
        "bitext": (
            f"bitext customer_service_8k (random {BITEXT_NEUTRAL_SAMPLE}, seed {SEED}, as neutral)",
            bitext_neutral(data_dir),
            1.0,
        ),
        "phrases": (
            f"{PHRASES_PATH.relative_to(REPO_ROOT)} (hand-written, weight {PHRASE_WEIGHT:g})",
            support_phrases(),
            PHRASE_WEIGHT,
        ),
    }


# Sets whose labels are someone else's reading of a real text: the decision bias must
# reach RECALL_GOAL on average (the hand-written phrases and the Bitext sample are not).
LABELLED_SETS = ("semeval", "apple", "alexa", "threads")


def fit_network(features: np.ndarray, target: np.ndarray, weights: np.ndarray, seed: int = SEED):
    """Fit the one-hidden-layer network; returns (W1, b1, W2, b2) with standardisation folded in.

    Seeded (`seed`: the multilingual model averages several), on one thread with torch's
    deterministic algorithms, so a rebuild gives the same bytes. One-cycle learning rate,
    dropout and weight decay stand in for early stopping (10 epochs: cross-validated
    macro-F1 was flat from 8 to 16).
    """
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    inputs = torch.tensor((features - mean) / scale, dtype=torch.float32)
    classes = torch.tensor(target)
    sample_weights = torch.tensor(weights / weights.mean(), dtype=torch.float32)
    network = torch.nn.Sequential(
        torch.nn.Linear(features.shape[1], HIDDEN_UNITS),
        torch.nn.ReLU(),
        torch.nn.Dropout(DROPOUT),
        torch.nn.Linear(HIDDEN_UNITS, len(sentiment.LABELS)),
    )
    optimiser = torch.optim.AdamW(network.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    batches = -(-len(target) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=LEARNING_RATE, total_steps=EPOCHS * batches, pct_start=0.1
    )
    order = torch.Generator().manual_seed(seed)
    network.train()
    for _ in range(EPOCHS):
        permutation = torch.randperm(len(target), generator=order)
        for start in range(0, len(target), BATCH_SIZE):
            rows = permutation[start : start + BATCH_SIZE]
            losses = torch.nn.functional.cross_entropy(
                network(inputs[rows]), classes[rows], reduction="none"
            )
            loss = (losses * sample_weights[rows]).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    network.eval()
    hidden, output = network[0], network[3]
    w1 = hidden.weight.detach().numpy().T.astype(np.float64) / scale[:, None]
    b1 = hidden.bias.detach().numpy().astype(np.float64) - mean @ w1
    w2 = output.weight.detach().numpy().T.astype(np.float64)
    b2 = output.bias.detach().numpy().astype(np.float64)
    return w1, b1, w2, b2


def fit_ngram_regression(features, target: np.ndarray, weights: np.ndarray):
    """(weight (buckets, 3), bias (3,)) of an n-gram regression, L2 with C=NGRAM_C."""
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=NGRAM_C, max_iter=3000).fit(
        features, target, sample_weight=weights
    )
    # Rounded to float16, as the artifacts store them (a log-probability moves by < 0.001),
    # so the network learns from the values that ship.
    weight = fitted.coef_.T.astype(np.float16).astype(np.float32)
    return weight, fitted.intercept_.astype(np.float64)


def ngram_regression_out_of_fold(
    ngrams, target: np.ndarray, weights: np.ndarray, folds: np.ndarray
) -> np.ndarray:
    """Each row's n-gram log-probabilities from the regression of the folds it is not in."""
    from pulse.sentiment.ngrams import ngram_log_proba

    out_of_fold = np.zeros((len(target), len(sentiment.LABELS)))
    for fold in range(FOLDS):
        seen = folds != fold
        fold_weight, fold_bias = fit_ngram_regression(ngrams[seen], target[seen], weights[seen])
        out_of_fold[~seen] = ngram_log_proba(ngrams[~seen], fold_weight, fold_bias)
        print(f"  n-gram regression, fold {fold + 1}/{FOLDS} fitted", flush=True)
    return out_of_fold


def as_model(weights, decision_bias: np.ndarray, trained_on: dict) -> sentiment.SentimentModel:
    w1, b1, w2, b2 = weights
    return sentiment.SentimentModel(
        hidden_weight=w1.astype(np.float32),
        hidden_bias=b1.astype(np.float32),
        output_weight=w2.astype(np.float32),
        output_bias=b2,
        decision_bias=decision_bias,
        model_name=sentiment.MODEL_NAME,
        trained_on=trained_on,
    )


def choose_decision_bias(
    probabilities: np.ndarray, target: np.ndarray, set_of: np.ndarray
) -> tuple[float, dict[str, float]]:
    """The smallest negative-logit bias at which the labelled sets' mean recall reaches the goal.

    `probabilities` are out-of-fold (each row scored by the network that did not see it).
    Returns the bias and the recall it gives per set.
    """
    logits = np.log(np.clip(probabilities, 1e-12, None))
    bias = 0.0
    while True:
        predicted = (logits + np.array([bias, 0.0, 0.0])).argmax(axis=1)
        recalls = {
            name: float((predicted[(set_of == name) & (target == 0)] == 0).mean())
            for name in LABELLED_SETS
        }
        if sum(recalls.values()) / len(recalls) >= RECALL_GOAL or bias >= 5.0:
            return round(bias, 4), recalls
        bias += BIAS_STEP


def macro_report(truth: np.ndarray, predicted: np.ndarray) -> str:
    from sklearn.metrics import f1_score, recall_score

    labels = [0, 1, 2]
    macro = f1_score(truth, predicted, labels=labels, average="macro")
    recall = recall_score(truth, predicted, labels=labels, average=None, zero_division=0)[0]
    return f"macro-F1 {macro:.3f}, negative recall {recall:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=sentiment.ARTIFACT_PATH)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    args = parser.parse_args(argv)
    require_data_dir(args.data_dir, "train_sentiment")

    from sklearn.utils.class_weight import compute_sample_weight
    from threadpoolctl import threadpool_limits

    from pulse.sentiment.ngrams import word_ngrams

    print("Training on:")
    texts, labels, weights, set_of, trained_on = [], [], [], [], {}
    for key, (name, (source_texts, source_labels), weight) in training_sources(
        args.data_dir
    ).items():
        counts = Counter(source_labels)
        print(
            f"  {name}: {len(source_texts)} texts "
            + ", ".join(f"{label} {counts[label]}" for label in sentiment.LABELS)
        )
        trained_on[name] = {label: counts[label] for label in sentiment.LABELS}
        texts += source_texts
        labels += source_labels
        weights += [weight] * len(source_texts)
        set_of += [key] * len(source_texts)
    print("Never read: the test splits (bench/sentiment.py), corona tweets, TWCS.")

    embeddings = embed(texts, args.cache_dir)
    target = np.array([sentiment.LABELS.index(label) for label in labels])
    set_of = np.array(set_of)
    weights = np.array(weights) * compute_sample_weight("balanced", target)
    folds = np.array([fold_of(text) for text in texts])
    ngrams = word_ngrams(texts)
    with threadpool_limits(1):  # one thread: the same sums, hence the same bytes, every build
        ngram_columns = ngram_regression_out_of_fold(ngrams, target, weights, folds)
        ngram_weight, ngram_bias = fit_ngram_regression(ngrams, target, weights)
    features = np.hstack(
        [embeddings.astype(np.float64), sentiment.lexicon_features(texts), ngram_columns]
    )

    out_of_fold = np.zeros((len(texts), len(sentiment.LABELS)))
    for fold in range(FOLDS):
        seen = folds != fold
        fold_model = as_model(
            fit_network(features[seen], target[seen], weights[seen]), np.zeros(3), {}
        )
        unseen = ~seen
        out_of_fold[unseen] = fold_model.predict_proba(
            embeddings[unseen], features[unseen, sentiment.EMBEDDING_DIM :]
        )
        print(f"  network, fold {fold + 1}/{FOLDS} fitted", flush=True)
    bias, recalls = choose_decision_bias(out_of_fold, target, set_of)
    decision_bias = np.array([bias, 0.0, 0.0])
    print(f"Decision bias on the negative logit: {bias:g} (cross-validated, goal {RECALL_GOAL})")
    for name in LABELLED_SETS:
        rows = set_of == name
        plain = out_of_fold[rows].argmax(axis=1)
        biased = (np.log(out_of_fold[rows]) + decision_bias).argmax(axis=1)
        print(
            f"  {name:<8} cross-validated: argmax {macro_report(target[rows], plain)}; "
            f"with the bias {macro_report(target[rows], biased)}"
        )

    network = as_model(fit_network(features, target, weights), decision_bias, trained_on)
    sentiment.save_model(sentiment.EnglishModel(ngram_weight, ngram_bias, network), args.out)
    sentiment.load_artifact.cache_clear()
    print(f"Wrote {args.out} ({args.out.stat().st_size:,} bytes), model {sentiment.MODEL_NAME}")
    print("Held-out figures: python bench/sentiment.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
