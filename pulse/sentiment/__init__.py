"""Per-text sentiment: a small neural network on top of the MiniLM embeddings.

Customer-support text defeats word lists: "thanks for nothing", "still waiting",
"I love how my account got locked again" read as positive to a lexicon, and a
terse title such as "Hidden fees" has no sentiment word at all. The pipeline
already holds an L2-normalised MiniLM vector for every text, so a one-hidden-layer
network over that vector (plus VADER's four scores, a handful of support-complaint
cues, and a regression over the text's words and word pairs, which knows the words
and phrases a sentence vector blurs) costs little per text and reads the sentence as a
whole. Its weights
ship in `pulse/models/` with a model card beside them, are made by
`scripts/train_sentiment.py`, and `bench/sentiment.py` measures them against VADER.

The network's output carries a decision bias towards "negative", chosen on
cross-validated training data: a complaint called neutral hides a problem from the
report, so the model trades some neutral precision for negative recall.

When the pipeline has no embeddings, or the artifact is missing, texts are
scored by VADER alone and `active_model_name()` says so, so every sentiment row
names the model that really produced it.

This model reads English (and texts of unknown language). Layout of the package: here,
the English model and the network both models share (pure); `lexicon`, VADER and the
complaint cues (pure); `ngrams`, the hashed n-grams and their regressions (pure);
`multilingual`, the model for every other language, on USE vectors (pure); `scoring`,
the stage that sends each text to its model and writes the scores (writes DuckDB).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pulse.errors import PulseError

# The lexicon's names stay importable from here: scoring, training and the benches use them.
from pulse.sentiment.lexicon import (
    LEXICON_COLUMNS,
    lexicon_features,
    vader_scores,
)
from pulse.sentiment.lexicon import start_lexicon_features as start_lexicon_features
from pulse.sentiment.lexicon import vader_version as vader_version
from pulse.sentiment.ngrams import WORD_BUCKETS, ngram_log_proba, word_ngrams

logger = logging.getLogger(__name__)

MODEL_NAME = "pulse-sent-minilm-mlp-v3"
LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
EMBEDDING_DIM = 384
#: The n-gram regression's columns (`EnglishModel.ngram_features`).
NGRAM_COLUMNS = 3
# Bumped whenever lexicon_features() or word_ngrams() changes, so old weights are never
# applied to new columns.
FEATURE_VERSION = "minilm384+vader4+cues3+wordgram1-2x262144/v2"
# The layout of the weights in the artifact; v1 (a logistic regression) and v2 (the network
# without the n-gram regression) are not read any more.
ARTIFACT_FORMAT = "wordgram-lr+mlp-1hidden/v3"
ARTIFACT_PATH = Path(__file__).resolve().parents[1] / "models" / "sentiment_mlp_v3.npz"

_TO_FIX = "run `python scripts/train_sentiment.py` to rebuild it"


@dataclass(frozen=True)
class SentimentModel:
    """A one-hidden-layer network over [embedding | other columns], with a decision bias.

    The input standardisation is folded into `hidden_weight` and `hidden_bias`, so
    scoring is two float32 matrix products: about 0.2 s per 100k texts on one core.
    """

    hidden_weight: np.ndarray  # (vector + the other columns, hidden)
    hidden_bias: np.ndarray  # (hidden,)
    output_weight: np.ndarray  # (hidden, 3), columns in LABELS order
    output_bias: np.ndarray  # (3,)
    decision_bias: np.ndarray  # (3,) added to the logits: the operating point, see the card
    model_name: str
    trained_on: dict

    def predict_proba(self, embeddings: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Class probabilities (n, 3) in LABELS order, after the decision bias, from each
        text's vector and its other input `columns` (the model that owns the network
        computes them: `EnglishModel`, `MultilingualModel`)."""
        features = np.hstack(
            [np.asarray(embeddings, dtype=np.float32), np.asarray(columns, dtype=np.float32)]
        )
        hidden = features @ self.hidden_weight
        hidden += self.hidden_bias
        np.maximum(hidden, 0.0, out=hidden)
        logits = (hidden @ self.output_weight).astype(np.float64)
        logits += self.output_bias + self.decision_bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


class NamedByNetwork:
    """A model made of parts whose network carries its name and the card's training sets."""

    network: SentimentModel

    @property
    def model_name(self) -> str:
        return self.network.model_name

    @property
    def trained_on(self) -> dict:
        return self.network.trained_on


@dataclass(frozen=True)
class EnglishModel(NamedByNetwork):
    """The English model: a logistic regression over hashed words and word pairs
    (`pulse.sentiment.ngrams`) whose three log-probabilities join [MiniLM vector | lexicon
    features] as the input of the network. The regression reads the words and phrases
    a sentence vector blurs; the network was trained on its out-of-fold outputs, so it
    knows how far to trust them (docs/SENTIMENT.md)."""

    ngram_weight: np.ndarray  # (WORD_BUCKETS, 3), columns in LABELS order; float16 values
    ngram_bias: np.ndarray  # (3,)
    network: SentimentModel  # hidden_weight (EMBEDDING_DIM + 7 + 3, hidden)

    @property
    def decision_bias(self) -> np.ndarray:
        return self.network.decision_bias

    def ngram_features(self, texts: list[str]) -> np.ndarray:
        """The regression's log-probabilities (n, 3) for each text."""
        return ngram_log_proba(word_ngrams(texts), self.ngram_weight, self.ngram_bias)

    def predict_proba(
        self, texts: list[str], embeddings: np.ndarray, lexicon: np.ndarray | None = None
    ) -> np.ndarray:
        """Class probabilities (n, 3) in LABELS order, after the decision bias.

        `lexicon` is `lexicon_features(texts)` when the caller has it already.
        """
        if lexicon is None:
            lexicon = lexicon_features(texts)
        columns = np.hstack([np.asarray(lexicon, dtype=np.float64), self.ngram_features(texts)])
        return self.network.predict_proba(embeddings, columns)


def network_arrays(
    model: SentimentModel,
    feature_version: str,
    artifact_format: str,
    weight_dtype: type = np.float32,
) -> dict[str, np.ndarray]:
    """A network's arrays as an artifact stores them (both sentiment models' .npz).

    `weight_dtype` float16 halves a file whose training rounded its weights to it.
    """
    return {
        "hidden_weight": model.hidden_weight.astype(weight_dtype),
        "hidden_bias": model.hidden_bias.astype(np.float32),
        "output_weight": model.output_weight.astype(weight_dtype),
        "output_bias": model.output_bias.astype(np.float64),
        "decision_bias": model.decision_bias.astype(np.float64),
        "labels": np.array(LABELS),
        "model_name": np.array(model.model_name),
        "feature_version": np.array(feature_version),
        "artifact_format": np.array(artifact_format),
        "trained_on": np.array(json.dumps(model.trained_on, sort_keys=True)),
    }


def labels_and_scores(probabilities: np.ndarray) -> list[tuple[str, float]]:
    """Each row's label (the likeliest class after the decision bias) and its score,
    P(positive) - P(negative): what both sentiment models write."""
    label_ids = probabilities.argmax(axis=1)
    scores = np.clip(probabilities[:, 2] - probabilities[:, 0], -1.0, 1.0)
    return [(LABELS[int(i)], round(float(s), 6)) for i, s in zip(label_ids, scores, strict=True)]


def network_from_archive(archive: Any) -> SentimentModel:
    """The network an artifact holds, as `network_arrays` wrote it (both models' .npz)."""
    return SentimentModel(
        hidden_weight=archive["hidden_weight"].astype(np.float32),
        hidden_bias=archive["hidden_bias"].astype(np.float32),
        output_weight=archive["output_weight"].astype(np.float32),
        output_bias=archive["output_bias"].astype(np.float64),
        decision_bias=archive["decision_bias"].astype(np.float64),
        model_name=str(archive["model_name"]),
        trained_on=json.loads(str(archive["trained_on"])),
    )


def network_shapes(
    model: SentimentModel, inputs: int
) -> tuple[int, dict[str, tuple[tuple[int, ...], tuple[int, ...]]]]:
    """The network's hidden size and, per array, its shape and the shape it must have
    for `inputs` input columns: what a loader checks before trusting an artifact."""
    hidden = model.hidden_bias.shape[0] if model.hidden_bias.ndim == 1 else -1
    return hidden, {
        "hidden_weight": (model.hidden_weight.shape, (inputs, hidden)),
        "output_weight": (model.output_weight.shape, (hidden, len(LABELS))),
        "output_bias": (model.output_bias.shape, (len(LABELS),)),
        "decision_bias": (model.decision_bias.shape, (len(LABELS),)),
    }


def save_model(model: EnglishModel, path: Path) -> None:
    """Write the artifact as a plain .npz (no pickle), so loading it runs no code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            # The regression's weights as float16 (training rounds them to it before any
            # use, so what ships is what was measured); the network's stay float32.
            ngram_weight=model.ngram_weight.astype(np.float16),
            ngram_bias=model.ngram_bias.astype(np.float64),
            **network_arrays(model.network, FEATURE_VERSION, ARTIFACT_FORMAT),
        )


@lru_cache(maxsize=4)
def load_artifact(path: Path = ARTIFACT_PATH) -> EnglishModel | None:
    """Load the shipped weights, or None when the file is absent (the VADER fallback).

    A file that is present but unreadable or built for other features is an
    error rather than a silent fallback: it means a broken install or a stale
    artifact, and the week's sentiment would quietly change model.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            labels = tuple(str(label) for label in archive["labels"])
            feature_version = str(archive["feature_version"])
            artifact_format = (
                str(archive["artifact_format"]) if "artifact_format" in archive else "v1"
            )
            if feature_version != FEATURE_VERSION or labels != LABELS:
                raise PulseError(
                    f"sentiment model {path} was built for features {feature_version!r} and "
                    f"labels {labels}, but this code computes {FEATURE_VERSION!r} and {LABELS}; "
                    f"{_TO_FIX}"
                )
            if artifact_format != ARTIFACT_FORMAT:
                raise PulseError(
                    f"sentiment model {path} holds weights in format {artifact_format!r}, but "
                    f"this code reads {ARTIFACT_FORMAT!r}; {_TO_FIX}"
                )
            model = EnglishModel(
                ngram_weight=archive["ngram_weight"].astype(np.float32),
                ngram_bias=archive["ngram_bias"].astype(np.float64),
                network=network_from_archive(archive),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise PulseError(f"sentiment model {path} is unreadable ({exc}); {_TO_FIX}") from None
    hidden, shapes = network_shapes(model.network, EMBEDDING_DIM + LEXICON_COLUMNS + NGRAM_COLUMNS)
    shapes["ngram_weight"] = (model.ngram_weight.shape, (WORD_BUCKETS, len(LABELS)))
    shapes["ngram_bias"] = (model.ngram_bias.shape, (len(LABELS),))
    wrong = {name: got for name, (got, expected) in shapes.items() if got != expected}
    if hidden < 1 or wrong:
        raise PulseError(f"sentiment model {path} has weights of shapes {wrong}; {_TO_FIX}")
    return model


def _current_model() -> EnglishModel | None:
    # Read ARTIFACT_PATH at call time so a test (or a deployment) can point elsewhere.
    model = load_artifact(ARTIFACT_PATH)
    if model is None:
        logger.warning(
            "sentiment model %s is missing; scoring with VADER (%s)", ARTIFACT_PATH, _TO_FIX
        )
    return model


def active_model_name(have_embeddings: bool = True) -> str:
    """Name to store in the sentiment table's `model` column for the current scoring.

    Args:
        have_embeddings: False when the caller will pass `embeddings=None`.

    Returns:
        `MODEL_NAME` when the shipped model scores; otherwise a name that says
        VADER scored the texts and why.
    """
    if not have_embeddings:
        return f"vader-{vader_version()} (fallback: no embeddings)"
    if load_artifact(ARTIFACT_PATH) is None:
        return f"vader-{vader_version()} (fallback: model file missing)"
    return MODEL_NAME


def reads_lexicon() -> bool:
    """Whether `score_texts` with embeddings reads `lexicon_features` (the shipped model scores)."""
    return load_artifact(ARTIFACT_PATH) is not None


def score_texts(
    texts: list[str], embeddings: np.ndarray | None, lexicon: np.ndarray | None = None
) -> list[tuple[str, float]]:
    """Label each text negative, neutral or positive, with a score in [-1, 1].

    The score is P(positive) - P(negative) after the decision bias, so it ranks
    texts by how clearly they lean one way, is 0 for a confident neutral, and is
    below 0 for every text labelled negative.

    Args:
        texts: The texts, in the same order as `embeddings`.
        embeddings: L2-normalised MiniLM vectors from the pipeline's embedder, float32
            (n, 384), or None to score with VADER (see `active_model_name(False)`).
        lexicon: `lexicon_features(texts)`, when already computed (see
            `start_lexicon_features`); computed here when None.

    Returns:
        One (label, score) pair per text.

    Raises:
        ValueError: The embeddings do not line up with the texts (a caller bug).
    """
    if not texts:
        return []
    model = None if embeddings is None else _current_model()
    if model is None:
        return vader_scores(texts)
    matrix = np.asarray(embeddings)
    if matrix.shape != (len(texts), EMBEDDING_DIM):
        raise ValueError(
            f"score_texts got {len(texts)} texts but embeddings of shape {matrix.shape}; "
            f"expected ({len(texts)}, {EMBEDDING_DIM}) from all-MiniLM-L6-v2"
        )
    return labels_and_scores(model.predict_proba(texts, matrix, lexicon))
