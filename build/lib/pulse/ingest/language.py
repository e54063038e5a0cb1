"""Which language a text is in: an ISO 639-1 code, or None when the text does not say.

The model is py3langid's (a naive Bayes over byte n-grams, 140 labels, shipped in the
PyPI package: nothing is downloaded). Its `classify` walks each text byte by byte in
Python (8,600 support texts a second on one core); here the same walk runs over many
texts at once in NumPy and the scores are one sparse matrix product (50,000 a second), so
a 200,000-row load pays about 4 CPU-seconds, shared with the worker process
(docs/LANGUAGES.md has the measurements and how the constants below were chosen;
tests/test_language.py checks the labels against `classify`'s).

A text gets no language (None) when it has no letter (empty, emoji, digits,
punctuation) or when the model's calibrated confidence is below `MIN_CONFIDENCE`:
"ok", a link, a masked e-mail or a code-mixed line is better unknown than wrongly
named. Pure: no DuckDB; a text gets the same code in any batch.
"""

from __future__ import annotations

import functools
import re
import string
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

#: The model's candidates: every label that is an ISO 639-1 code (114 of its 140). The
#: other labels (Nigerian Pidgin, Egyptian Arabic, Galician's neighbours …) have no
#: two-letter code to store and, measured, mostly took texts of a big neighbour.
CANDIDATES = "iso639-1"
#: Below this confidence a text's language is unknown (None). Measured by bench/language.py
#: on 19,000 labelled tweets, commands and support texts in 8 languages and 43 texts with no
#: language: at 0.3 under 1% get a wrong language and 5% none, and no junk text gets one.
MIN_CONFIDENCE = 0.3
#: Only a text's first characters are read: enough to tell its language, and a long
#: ticket (a quoted mail chain) costs no more than a tweet.
MAX_CHARS = 400
#: Texts scored per sparse product: bounds the n-grams held at once (tens of MB).
CHUNK_TEXTS = 16_384

_HERE = Path(__file__).parent
_CAPITALS, _SMALL = string.ascii_uppercase.encode(), string.ascii_lowercase.encode()
_LETTER = re.compile(r"[^\W\d_]")
# Labels that share one ISO 639-1 code (used with CANDIDATES = "all").
_MACRO = {"arz": "ar", "ary": "ar", "uzs": "uz", "wuu": "zh", "yue": "zh"}


class LanguageDetector:
    """py3langid's model over batches of texts.

    Args:
        candidates: "iso639-1" (the labels that are ISO 639-1 codes), "all" (every
            label, mapped to its ISO 639-1 macrolanguage or None), or a list of codes.
        min_confidence: Texts whose best language has a lower probability get None.
    """

    def __init__(
        self, candidates: str | Sequence[str] = CANDIDATES, min_confidence: float = MIN_CONFIDENCE
    ):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if candidates == "iso639-1":
            candidates = [c for c in model.labels if len(c) == 2]
        if candidates != "all":
            model.set_languages(list(candidates))
        self.model = model
        self.min_confidence = min_confidence
        self.labels = [_MACRO.get(c, c if len(c) == 2 else None) for c in model.nb_classes]
        self._nextmove = np.frombuffer(model.tk_nextmove, dtype=_dtype(model.tk_nextmove))
        self._rowbase = np.asarray(model.tk_row, dtype=np.int32) << 8
        self._output = np.asarray(model.tk_output, dtype=np.int32)  # a state's n-gram, or -1
        self._ptc = np.asarray(model.nb_ptc, dtype=np.float32)
        self._pc = np.asarray(model.nb_pc, dtype=np.float32)

    def detect(self, texts: Sequence[str | None]) -> list[str | None]:
        """One ISO 639-1 code or None per text, in order."""
        return [code for code, _ in self.detect_with_confidence(texts)]

    def detect_with_confidence(self, texts: Sequence[str | None]) -> list[tuple[str | None, float]]:
        """(code, confidence) per text; the code is None below `min_confidence`."""
        encoded = [_encode(text) for text in texts]
        found: list[tuple[str | None, float]] = [(None, 0.0)] * len(encoded)
        wordy = [i for i, data in enumerate(encoded) if data]
        # Similar lengths share a chunk, so a chunk's walk is as long as its texts.
        wordy.sort(key=lambda i: len(encoded[i]), reverse=True)
        for start in range(0, len(wordy), CHUNK_TEXTS):
            rows = wordy[start : start + CHUNK_TEXTS]
            best, confidence = self._classify([encoded[i] for i in rows])
            for i, label, conf in zip(rows, best.tolist(), confidence.tolist(), strict=True):
                code = self.labels[label]
                found[i] = (code if conf >= self.min_confidence else None, conf)
        return found

    def _classify(self, chunk: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """The best label and its probability per text: `classify` for texts longest first."""
        counts = self._ngram_counts(chunk)
        scores = np.asarray(counts @ self._ptc) + self._pc
        lengths = np.fromiter(map(len, chunk), dtype=np.float32, count=len(chunk))
        # py3langid's calibration: temperature sqrt(bytes), softmax, aliases folded.
        scores *= (1.0 / np.sqrt(lengths))[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        for first, dupe in self.model._alias_pairs:
            scores[:, first] += scores[:, dupe]
            scores[:, dupe] = 0.0
        best = scores.argmax(axis=1)
        confidence = scores[np.arange(len(chunk)), best]
        # No n-gram of the model in the text: py3langid's uniform abstention, here 0.
        confidence[np.diff(counts.indptr) == 0] = 0.0
        return best, confidence

    def _ngram_counts(self, chunk: list[bytes]) -> sparse.csr_matrix:
        """log1p of each text's n-gram counts, walking every text's DFA in lockstep.

        `chunk` is sorted longest first, so the texts still walking at byte j are a
        prefix of it: a step is three NumPy gathers over that prefix, and the states
        it reaches are looked up for their n-grams all at once afterwards.
        """
        count, longest = len(chunk), len(chunk[0])
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=count)
        walking = count - np.searchsorted(lengths[::-1], np.arange(longest), side="right")
        # byte j of every text in one contiguous row, so a step reads a slice
        columns = np.frombuffer(b"".join(text.ljust(longest, b"\0") for text in chunk), np.uint8)
        columns = np.ascontiguousarray(columns.reshape(count, longest).T)
        state = np.zeros(count, dtype=np.int32)
        reached = []
        for step, active in enumerate(walking.tolist()):
            now = self._nextmove[self._rowbase[state[:active]] + columns[step, :active]]
            state[:active] = now
            reached.append(now)
        # the states in step order, and for each the text it belongs to
        feature = self._output[np.concatenate(reached)]
        step_starts = np.repeat(np.cumsum(walking) - walking, walking)
        texts = np.arange(len(feature), dtype=np.int64) - step_starts
        found = feature >= 0
        rows, feature = texts[found], feature[found]
        counts = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, feature)),
            shape=(count, self._ptc.shape[0]),
        )
        counts.sum_duplicates()
        np.log1p(counts.data, out=counts.data)
        return counts


def _dtype(buffer) -> np.dtype:
    return np.dtype({"H": np.uint16, "I": np.uint32, "L": np.uint64}[buffer.typecode])


def _encode(text: str | None) -> bytes:
    """The bytes the model reads (py3langid's `_encode`), b"" when the text has no letter.

    py3langid lower-cases a text in capitals only; a text mostly in capitals ("DOUBLE
    CHARGED AGAIN cc @[user]") is lower-cased too, since shouting is common in complaints
    and the model knows lower case best (bench/language.py: tweets up to 1.5 points better).
    """
    if not text:
        return b""
    text = text[:MAX_CHARS]
    if not _LETTER.search(text):
        return b""
    if text.isupper() or _mostly_capitals(text):
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")


def _mostly_capitals(text: str) -> bool:
    """More capital than small letters among the text's ASCII letters (fast: no per-letter loop)."""
    ascii_text = text.encode("ascii", "ignore")
    capitals = len(ascii_text) - len(ascii_text.translate(None, _CAPITALS))
    return capitals > len(ascii_text) - len(ascii_text.translate(None, _SMALL))


_LOADING = threading.Lock()
_DEFAULT: LanguageDetector | None = None


def default_detector() -> LanguageDetector:
    """The detector ingest uses, loaded once per process (half a second)."""
    global _DEFAULT
    with _LOADING:
        if _DEFAULT is None:
            _DEFAULT = LanguageDetector()
        return _DEFAULT


def warm_detector() -> None:
    """Start loading the default detector in a thread, so it loads while files are read.

    Most of the load is LZMA decompression, which releases the GIL.
    """
    if _DEFAULT is None:
        threading.Thread(target=default_detector, name="pulse-language-model", daemon=True).start()


def detect_languages(texts: Sequence[str | None]) -> list[str | None]:
    """An ISO 639-1 code or None per text, with the default detector (loaded if need be)."""
    return default_detector().detect(texts) if texts else []


@functools.cache
def language_names() -> dict[str, str]:
    """ISO 639-1 code -> English name, for every code the detector gives (language_names.tsv)."""
    lines = (_HERE / "language_names.tsv").read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t") for line in lines if line and not line.startswith("#"))
