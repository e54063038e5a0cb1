"""The lexicon features the English model reads beside its vector, and VADER's own labels (pure).

VADER's four scores and a handful of support-complaint cues: patterns a lexicon scores
backwards ("thanks for nothing", "still waiting", a praise frame around a complaint).
`lexicon_features` is shared by scoring and `scripts/train_sentiment.py`, so training
and inference never compute them differently; `vader_scores` is the fallback when the
model file or the embeddings are missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata

import numpy as np

from pulse.sentiment.ngrams import MAX_CHARS

#: The columns `lexicon_features` gives.
LEXICON_COLUMNS = 7
# VADER and the cue regexes are linear in text length; a pasted log or a 50 kB email must
# not slow a run down, and the opening of a message carries its tone.
MAX_LEXICON_CHARS = MAX_CHARS
# VADER's own recommended cut-offs on its compound score.
VADER_THRESHOLD = 0.05

# Phrases that mark a support complaint whatever the surrounding words say. They
# are deliberately few and literal: the embedding does the reading, these only
# give the model a handle on patterns that a lexicon scores backwards.
_COMPLAINT_CUES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bstill (waiting|no|not|nothing|can'?t|cannot|broken|locked|haven'?t|hasn'?t|isn'?t"
        r"|doesn'?t|won'?t)\b",
        r"\b(again|yet again|once again)\b",
        r"\blocked( me)? out\b|\b(got|been|was|is) (locked|suspended|restricted|banned|hacked)\b",
        r"\bno (reply|response|answer|one|help|update)s?\b|\bnobody\b"
        r"|\bnever (got|received|arrived|came|heard)\b",
        r"\b(on hold|waiting|waited) (for )?(over |nearly |almost )?"
        r"(an? |\d+ |two |three |four |five |several )?(hours?|days?|weeks?|months?|minutes?)\b",
        r"\b(charged|billed) (me )?(twice|again|after)\b",
        r"\b(not|isn'?t|doesn'?t|don'?t|won'?t|can'?t|cannot) "
        r"(work|working|load|loading|log ?in|access|send|sign)\b",
    )
]
# Any cue at all, in one pass: most texts have none, and then the seven searches and the
# sarcasm frame are skipped (the cue searches were a quarter of lexicon time, py-spy).
_ANY_COMPLAINT_CUE = re.compile(
    "|".join(f"(?:{cue.pattern})" for cue in _COMPLAINT_CUES), re.IGNORECASE
)
_THANKS_FOR_NOTHING = re.compile(r"\bthanks? (you )?for nothing\b", re.IGNORECASE)
# Praise words used as a frame for a complaint ("love how", "great job", "thanks for the").
_SARCASM_FRAME = re.compile(
    r"\b(love|great|nice|wonderful|fantastic|thanks|brilliant|awesome|glad) "
    r"(how|that|to see|job|for the)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _vader():
    # Imported lazily: the analyzer reads its lexicon file on construction.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_version() -> str:
    """The installed vaderSentiment version, named in the fallback's model name."""
    try:
        return metadata.version("vaderSentiment")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "unknown"


def _clean(text: str | None) -> str:
    return (text or "")[:MAX_LEXICON_CHARS]


def lexicon_features(texts: list[str]) -> np.ndarray:
    """Return the non-embedding columns the model reads, one row per text.

    Shared by scoring and by `scripts/train_sentiment.py`, so training and
    inference can never compute them differently.

    Args:
        texts: Raw texts (untrusted; only their first `MAX_LEXICON_CHARS` are read).

    Returns:
        float32 array (n, 7): VADER compound, pos, neg, neu; the share of complaint
        cues present (0..1, capped at 3); a praise frame around a complaint cue
        (sarcasm); "thanks for nothing".
    """
    return start_lexicon_features(texts)()


def start_lexicon_features(texts: list[str], streaming: bool = False) -> Callable[[], np.ndarray]:
    """`lexicon_features(texts)` begun now; call the result for the array.

    VADER and the cue patterns are pure Python, 8k texts/s: a 100k-text week's first
    run shares its chunks with the shared worker process (pulse.workers), which
    starts on them at once, so the caller can load and write other rows meanwhile.
    `streaming`: one batch of many (the sentiment stage's English share of a chunk), shared
    whatever its size; in a window with 11% other languages every batch fell under the
    sharing threshold and this process read all of them alone.
    """
    from pulse import workers

    count = len(texts)
    least = min(2 * workers.CHUNK_TEXTS, workers.PARALLEL_MIN_TEXTS) if streaming else None
    rows = workers.start_shared(_lexicon_rows, (list(texts),), min_rows=least)
    return lambda: np.asarray(rows(), dtype=np.float32).reshape(count, LEXICON_COLUMNS)


def _lexicon_rows(texts: list[str]) -> list[tuple[float, ...]]:
    """`lexicon_features` of a chunk, as rows. Module-level for the worker process."""
    analyzer = _vader()
    rows = []
    for raw in texts:
        text = _clean(raw)
        polarity = analyzer.polarity_scores(text)
        cue_count = (
            sum(1 for cue in _COMPLAINT_CUES if cue.search(text))
            if _ANY_COMPLAINT_CUE.search(text)
            else 0
        )
        rows.append(
            (
                polarity["compound"],
                polarity["pos"],
                polarity["neg"],
                polarity["neu"],
                min(cue_count, 3) / 3,
                float(cue_count > 0 and _SARCASM_FRAME.search(text) is not None),
                float(_THANKS_FOR_NOTHING.search(text) is not None),
            )
        )
    return rows


def vader_scores(texts: list[str]) -> list[tuple[str, float]]:
    """Score with VADER alone, using its recommended +/-0.05 compound cut-offs."""
    analyzer = _vader()
    scored = []
    for raw in texts:
        compound = float(analyzer.polarity_scores(_clean(raw))["compound"])
        if compound >= VADER_THRESHOLD:
            label = "positive"
        elif compound <= -VADER_THRESHOLD:
            label = "negative"
        else:
            label = "neutral"
        scored.append((label, compound))
    return scored
