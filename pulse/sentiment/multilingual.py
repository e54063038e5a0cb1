"""Sentiment of texts in languages other than English: a network over USE multilingual vectors.

The English model (`pulse.sentiment`) reads MiniLM vectors, which know English only: on
tweets in seven other languages it scored a macro-F1 of 0.17-0.34, below chance. USE
multilingual (`pulse.embed.USE_M3`) maps 16 languages into one space, so a network
trained on it learns from tweets in eight languages and from every English set at once,
and a German complaint lands where the English ones do. Beside the vector it reads
one more thing: a logistic regression over hashed character n-grams (2-4 characters
within words), which knows words USE misses (romanised Hindi, slang, hashtags) and adds
0.02-0.03 of macro-F1 in every language (docs/SENTIMENT.md, "Sentiment in each language").

Which texts it scores is the query `texts_without_sentiment`: those whose language is
known and not English. Weights: `pulse/models/sentiment_use_mlp_v1.npz`, made by
`scripts/train_sentiment_multilingual.py`, described by the model card beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pulse.errors import PulseError
from pulse.sentiment import (
    LABELS,
    NamedByNetwork,
    SentimentModel,
    labels_and_scores,
    network_arrays,
    network_from_archive,
    network_shapes,
    vader_scores,
    vader_version,
)
from pulse.sentiment.ngrams import CHAR_BUCKETS, char_ngrams, ngram_log_proba

MODEL_NAME = "pulse-sent-use-mlp-v1"
#: The vectors the network reads (pulse.embed.USE_M3) and their size.
EMBEDDING_DIM = 512
# Bumped whenever char_ngrams() or the network's columns change.
FEATURE_VERSION = "use512+chargram2-4x65536/v1"
ARTIFACT_FORMAT = "chargram-lr+mlp-1hidden/v1"
ARTIFACT_PATH = Path(__file__).resolve().parents[1] / "models" / "sentiment_use_mlp_v1.npz"
_TO_FIX = "run `python scripts/train_sentiment_multilingual.py` to rebuild it"


@dataclass(frozen=True)
class MultilingualModel(NamedByNetwork):
    """A logistic regression over character n-grams, whose log-probabilities join the USE
    vector as the input of a one-hidden-layer network (`SentimentModel`)."""

    char_weight: np.ndarray  # (CHAR_BUCKETS, 3), columns in LABELS order; float16 values
    char_bias: np.ndarray  # (3,)
    network: SentimentModel  # hidden_weight (EMBEDDING_DIM + 3, hidden)

    def predict_proba(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """Class probabilities (n, 3) in LABELS order, after the decision bias."""
        char = ngram_log_proba(char_ngrams(texts), self.char_weight, self.char_bias)
        return self.network.predict_proba(embeddings, char)


def save_model(model: MultilingualModel, path: Path) -> None:
    """Write the artifact as a plain .npz (no pickle), so loading it runs no code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            # The weight matrices as float16 halve the file; training rounds them to it
            # before any use, so what ships is what was measured.
            char_weight=model.char_weight.astype(np.float16),
            char_bias=model.char_bias.astype(np.float64),
            **network_arrays(model.network, FEATURE_VERSION, ARTIFACT_FORMAT, np.float16),
        )


@lru_cache(maxsize=4)
def load_artifact(path: Path = ARTIFACT_PATH) -> MultilingualModel | None:
    """The shipped weights, or None when the file is absent (then VADER scores).

    As for the English model, a file that is present but unreadable or built for other
    features is an error, not a silent change of model.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = {key: str(archive[key]) for key in ("feature_version", "artifact_format")}
            labels = tuple(str(label) for label in archive["labels"])
            if (found["feature_version"], found["artifact_format"], labels) != (
                FEATURE_VERSION,
                ARTIFACT_FORMAT,
                LABELS,
            ):
                raise PulseError(
                    f"sentiment model {path} was built for features {found['feature_version']!r}"
                    f" in format {found['artifact_format']!r} with labels {labels}, but this "
                    f"code reads {FEATURE_VERSION!r} in {ARTIFACT_FORMAT!r} with {LABELS}; "
                    f"{_TO_FIX}"
                )
            network = network_from_archive(archive)
            model = MultilingualModel(
                char_weight=archive["char_weight"].astype(np.float32),
                char_bias=archive["char_bias"].astype(np.float64),
                network=network,
            )
    except (OSError, KeyError, ValueError) as exc:
        raise PulseError(f"sentiment model {path} is unreadable ({exc}); {_TO_FIX}") from None
    hidden, network_checks = network_shapes(network, EMBEDDING_DIM + len(LABELS))
    shapes = {
        "char_weight": (model.char_weight.shape, (CHAR_BUCKETS, len(LABELS))),
        "char_bias": (model.char_bias.shape, (len(LABELS),)),
        **network_checks,
    }
    wrong = {name: got for name, (got, expected) in shapes.items() if got != expected}
    if hidden < 1 or wrong:
        raise PulseError(f"sentiment model {path} has weights of shapes {wrong}; {_TO_FIX}")
    return model


def active_model_name() -> str:
    """The name the sentiment table records for a text this model is asked to score."""
    if load_artifact(ARTIFACT_PATH) is None:
        return f"vader-{vader_version()} (fallback: model file missing)"
    return MODEL_NAME


def score_texts(texts: list[str], embeddings: np.ndarray) -> list[tuple[str, float]]:
    """Label each text negative, neutral or positive, with a score in [-1, 1].

    The score is P(positive) - P(negative) after the decision bias, as for the English
    model.

    Args:
        texts: The texts (any language USE reads), in the order of `embeddings`.
        embeddings: Their L2-normalised USE multilingual vectors, float32 (n, 512).

    Returns:
        One (label, score) pair per text.

    Raises:
        ValueError: The embeddings do not line up with the texts (a caller bug).
    """
    if not texts:
        return []
    model = load_artifact(ARTIFACT_PATH)
    if model is None:
        return vader_scores(texts)
    matrix = np.asarray(embeddings)
    if matrix.shape != (len(texts), EMBEDDING_DIM):
        raise ValueError(
            f"score_texts got {len(texts)} texts but embeddings of shape {matrix.shape}; "
            f"expected ({len(texts)}, {EMBEDDING_DIM}) from use-multilingual-v3"
        )
    return labels_and_scores(model.predict_proba(texts, matrix))
