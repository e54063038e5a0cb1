"""Hashed n-grams and the logistic regressions over them (pure).

Both sentiment models read one beside their sentence vector: a regression over the
text's words knows words, spellings and phrases a frozen sentence vector blurs (slang,
hashtags, "soooo", "one star", romanised Hindi, a product's nickname), and the network
learns how far to trust its three log-probabilities (docs/SENTIMENT.md). The
multilingual model reads character 2-4-grams within words (they carry across
languages and spellings); the English one reads words and word pairs, which scored
as well on its cross-validation and hash five times faster.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Only a text's opening is read: a pasted log must not slow a run down, and the opening
#: carries the tone (the lexicon features read the same cut).
MAX_CHARS = 2000
#: 2^16 buckets scored as well as 2^18 (docs/SENTIMENT.md).
CHAR_BUCKETS = 2**16
CHAR_NGRAMS = (2, 4)
WORD_BUCKETS = 2**18
WORD_NGRAMS = (1, 2)
#: A word, or one punctuation mark ("!", "?", an emoji), is a token.
WORD_TOKEN = r"(?u)\b\w+\b|[^\w\s]"


def _hashing(**options):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(alternate_sign=False, norm=None, lowercase=True, **options)


@lru_cache(maxsize=1)
def _hasher():
    return _hashing(analyzer="char_wb", ngram_range=CHAR_NGRAMS, n_features=CHAR_BUCKETS)


@lru_cache(maxsize=1)
def _word_hasher():
    return _hashing(
        analyzer="word", ngram_range=WORD_NGRAMS, n_features=WORD_BUCKETS, token_pattern=WORD_TOKEN
    )


def char_ngrams(texts: list[str]):
    """Hashed character n-grams of each text's opening, as a sparse (n, CHAR_BUCKETS) matrix.

    Counts are damped (1 + log count) and each row scaled to unit length, so a long text
    does not outvote a short one. Shared by scoring and training.
    """
    return _damped(_hasher().transform([(text or "")[:MAX_CHARS] for text in texts]))


def word_ngrams(texts: list[str]):
    """Hashed words and word pairs of each text's opening, (n, WORD_BUCKETS), damped and
    scaled as `char_ngrams`. Shared by scoring and training."""
    return _damped(_word_hasher().transform([(text or "")[:MAX_CHARS] for text in texts]))


def _damped(counts):
    from sklearn.preprocessing import normalize

    counts.data = 1.0 + np.log(counts.data)
    return normalize(counts.astype(np.float32), norm="l2", copy=False)


def ngram_log_proba(ngrams, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Log-probabilities (n, 3) of an n-gram regression over its hashed rows."""
    logits = np.asarray(ngrams @ weight, dtype=np.float64) + bias
    logits -= logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
