"""Train the multilingual sentiment model (`pulse/models/sentiment_use_mlp_v1.npz`).

What it learns from (licences and held-out results: the model card beside the artifact):

* UMSAB (Cardiff NLP's XLM-T benchmark), the train split of each of its eight languages
  (Arabic, English, French, German, Hindi, Italian, Portuguese, Spanish: 1,839 tweets
  each, balanced), weighted `UMSAB_WEIGHT`: the only non-English labelled text.
* Every English set the English model learns from (`scripts/train_sentiment.py`), with
  its weights: USE puts the languages in one space, so English complaints, support
  questions and praise teach the other languages too (docs/SENTIMENT.md). UMSAB's English
  tweets are SemEval tweets, so SemEval rows that UMSAB holds are read once, as UMSAB's.

UMSAB's val split chooses the decision bias (and chose everything else, in
docs/SENTIMENT.md); its test split is read only by `bench/sentiment.py`.

The model is two parts trained one after the other:
1. A logistic regression over hashed character n-grams (`char_ngrams`). The network is
   trained on its out-of-fold log-probabilities (5 folds keyed on the text's hash), so it
   learns how far to trust them on texts the regression has not seen; the shipped
   regression is then fitted on everything.
2. The English model's network (`train_sentiment.fit_network`, same size and schedule)
   over [USE vector | the regression's 3 log-probabilities], fitted with `NETWORKS` seeds
   whose logits are averaged: one network of `NETWORKS` x 128 hidden units. A single
   seed's val macro-F1 moved by up to 0.04 in a language from seed to seed; the average
   of three was 0.012 above the mean seed (docs/SENTIMENT.md).

Usage:
    python scripts/train_sentiment_multilingual.py [--data-dir ../shared/data] [--out ...]

Deterministic: fixed splits and folds, a fixed seed, one thread, the pipeline's own
embedder. USE vectors are cached under the system temp folder (`--cache-dir`).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
for folder in (REPO_ROOT, REPO_ROOT / "scripts"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import train_sentiment as english  # noqa: E402  (the English sets, the network, the cache)

from pulse import sentiment  # noqa: E402
from pulse.sentiment import multilingual  # noqa: E402

UMSAB_DIR = "umsab_multilingual_tweet_sentiment"
# Folder → the ISO 639-1 code `feedback.language` holds for it.
UMSAB_LANGUAGES = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
UMSAB_SPLITS = ("train", "val", "test")
# UMSAB's 14,712 tweets weigh about as much as the English sets' 77,000 (3x, 5x and 10x
# gave the same mean val macro-F1 within noise; docs/SENTIMENT.md).
UMSAB_WEIGHT = 5.0
# The languages the network reads well (USE covers them): the decision bias is chosen on
# their val splits. Hindi is romanised and outside USE; English is the English model's.
CHOSEN_ON = ("arabic", "french", "german", "italian", "portuguese", "spanish")
NETWORKS = 3
BIAS_STEP = 0.05
BIAS_MAX = 1.0
USE_M3 = "use-multilingual-v3"

Labelled = tuple[list[str], list[str]]


def umsab_tweets(data_dir: Path, language: str, split: str) -> Labelled:
    """One UMSAB language's split as the pipeline would read it, labels 0/1/2 as names.

    The files' own artefacts are undone first: English has `\\u2019`-style escapes and
    `"..."` wrapping (SemEval's export); every language has HTML entities, which
    ingest's cleaning decodes.
    """
    if split not in UMSAB_SPLITS:
        raise ValueError(f"split must be one of {UMSAB_SPLITS}, not {split!r}")
    folder = data_dir / UMSAB_DIR / language
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split("\n")
    texts, labels = (
        texts[: len(texts) - (texts[-1] == "")],
        labels[: len(labels) - (labels[-1] == "")],
    )
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels in {split}")
    return (
        [english._semeval_text(text) for text in texts],
        [sentiment.LABELS[int(label)] for label in labels],
    )


def tweet_key(text: str) -> str:
    """What stays of a tweet across exports: its letters, without mentions and links.

    UMSAB anonymised mentions to @user and re-escaped quotes, so its English tweets match
    SemEval's only on this key (1,834 of its 1,839 train tweets, 0 of its test tweets).
    """
    return re.sub(r"[^a-z]", "", re.sub(r"@\w+|http\S*", "", text.lower()))[:50]


def require_data(data_dir: Path) -> None:
    """Exit with what is missing, as the English script does."""
    english.require_data_dir(data_dir, "train_sentiment_multilingual")
    missing = [
        str(data_dir / UMSAB_DIR / language)
        for language in UMSAB_LANGUAGES
        if not (data_dir / UMSAB_DIR / language / "train_text.txt").exists()
    ]
    if missing:
        sys.exit(
            f"train_sentiment_multilingual: labelled data not found ({', '.join(missing)}); "
            "pass --data-dir to point at the shared folder. The shipped model "
            f"{multilingual.ARTIFACT_PATH.relative_to(REPO_ROOT)} is unchanged and keeps working."
        )


def training_rows(data_dir: Path, cache_dir: Path | None):
    """Texts, labels, weights, set names, USE vectors and the card's counts of every set."""
    umsab_keys = {
        tweet_key(text)
        for language in UMSAB_LANGUAGES
        for split in UMSAB_SPLITS
        for text in umsab_tweets(data_dir, language, split)[0]
    }
    umsab_keys.discard("")
    sources = {
        f"{UMSAB_DIR}/{language} (train split, weight {UMSAB_WEIGHT:g})": (
            umsab_tweets(data_dir, language, "train"),
            UMSAB_WEIGHT,
            language,
        )
        for language in UMSAB_LANGUAGES
    }
    for key, (name, rows, weight) in english.training_sources(data_dir).items():
        if key == "semeval":
            name += ", without the tweets UMSAB holds"
        sources[name] = (rows, weight, key)
    texts, labels, weights, set_of, vectors, trained_on = [], [], [], [], [], {}
    for name, ((source_texts, source_labels), weight, key) in sources.items():
        # The whole set is embedded (and cached) before any row is dropped.
        source_vectors = english.embed(source_texts, cache_dir, USE_M3)
        keep = [
            i
            for i, text in enumerate(source_texts)
            if key != "semeval" or tweet_key(text) not in umsab_keys
        ]
        kept_labels = [source_labels[i] for i in keep]
        counts = Counter(kept_labels)
        print(
            f"  {name}: {len(keep)} texts "
            + ", ".join(f"{label} {counts[label]}" for label in sentiment.LABELS)
        )
        trained_on[name] = {label: counts[label] for label in sentiment.LABELS}
        texts += [source_texts[i] for i in keep]
        labels += kept_labels
        weights += [weight] * len(keep)
        set_of += [key] * len(keep)
        vectors.append(source_vectors[keep])
    return texts, labels, np.array(weights), np.array(set_of), np.vstack(vectors), trained_on


def average_networks(networks: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """One network whose logits are the mean of the given ones' (their hidden units side by
    side, each output layer scaled by 1/len), its weights rounded to the artifact's float16."""
    share = 1.0 / len(networks)
    hidden_weight = np.hstack([w1 for w1, _, _, _ in networks])
    hidden_bias = np.concatenate([b1 for _, b1, _, _ in networks])
    output_weight = np.vstack([w2 * share for _, _, w2, _ in networks])
    output_bias = np.mean([b2 for _, _, _, b2 in networks], axis=0)

    def rounded(matrix: np.ndarray) -> np.ndarray:
        return matrix.astype(np.float16).astype(np.float64)

    return rounded(hidden_weight), hidden_bias, rounded(output_weight), output_bias


def choose_decision_bias(log_proba: dict[str, np.ndarray], truth: dict[str, np.ndarray]):
    """The negative-logit bias (0 to BIAS_MAX, in BIAS_STEP) with the best mean val macro-F1
    over CHOSEN_ON; the smallest such bias on a tie. Returns it and the mean per bias."""
    from sklearn.metrics import f1_score

    means = {}
    for step in range(round(BIAS_MAX / BIAS_STEP) + 1):
        bias = round(step * BIAS_STEP, 4)
        scores = [
            f1_score(truth[lang], (log_proba[lang] + [bias, 0, 0]).argmax(axis=1), average="macro")
            for lang in CHOSEN_ON
        ]
        means[bias] = float(np.mean(scores))
    best = max(means.values())
    return min(bias for bias, mean in means.items() if mean == best), means


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=english.DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=multilingual.ARTIFACT_PATH)
    parser.add_argument("--cache-dir", type=Path, default=english.DEFAULT_CACHE_DIR)
    args = parser.parse_args(argv)
    require_data(args.data_dir)

    from sklearn.metrics import f1_score, recall_score
    from sklearn.utils.class_weight import compute_sample_weight
    from threadpoolctl import threadpool_limits

    print("Training on:")
    texts, labels, weights, set_of, vectors, trained_on = training_rows(
        args.data_dir, args.cache_dir
    )
    print("Never read: UMSAB's test splits (bench/sentiment.py), the English sets' test splits.")
    target = np.array([sentiment.LABELS.index(label) for label in labels])
    weights = weights * compute_sample_weight("balanced", target)
    ngrams = multilingual.char_ngrams(texts)

    with threadpool_limits(1):  # one thread: the same sums, hence the same bytes, every build
        folds = np.array([english.fold_of(text) for text in texts])
        out_of_fold = english.ngram_regression_out_of_fold(ngrams, target, weights, folds)
        char_weight, char_bias = english.fit_ngram_regression(ngrams, target, weights)
        features = np.hstack([vectors.astype(np.float64), out_of_fold])
        network = average_networks(
            [english.fit_network(features, target, weights, seed) for seed in range(NETWORKS)]
        )

    val = {lang: umsab_tweets(args.data_dir, lang, "val") for lang in UMSAB_LANGUAGES}
    unbiased = multilingual.MultilingualModel(
        char_weight, char_bias, english.as_model(network, np.zeros(3), trained_on)
    )
    log_proba, truth = {}, {}
    for lang, (val_texts, val_labels) in val.items():
        val_vectors = english.embed(val_texts, args.cache_dir, USE_M3)
        log_proba[lang] = np.log(unbiased.predict_proba(val_texts, val_vectors))
        truth[lang] = np.array([sentiment.LABELS.index(label) for label in val_labels])
    bias, means = choose_decision_bias(log_proba, truth)
    print(
        f"Decision bias on the negative logit: {bias:g} (best mean val macro-F1 over "
        f"{', '.join(CHOSEN_ON)}: {means[bias]:.3f}; at 0: {means[0.0]:.3f})"
    )
    for lang in UMSAB_LANGUAGES:
        predicted = (log_proba[lang] + [bias, 0, 0]).argmax(axis=1)
        macro = f1_score(truth[lang], predicted, average="macro")
        recall = recall_score(truth[lang], predicted, average=None)[0]
        print(f"  {lang:<10} val: macro-F1 {macro:.3f}, negative recall {recall:.3f}")

    decision_bias = np.array([bias, 0.0, 0.0])
    shipped = english.as_model(network, decision_bias, trained_on)
    model = multilingual.MultilingualModel(
        char_weight, char_bias, replace(shipped, model_name=multilingual.MODEL_NAME)
    )
    multilingual.save_model(model, args.out)
    multilingual.load_artifact.cache_clear()
    print(f"Wrote {args.out} ({args.out.stat().st_size:,} bytes), model {multilingual.MODEL_NAME}")
    print("Held-out figures: python bench/sentiment.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
