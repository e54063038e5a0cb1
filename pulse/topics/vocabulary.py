"""The words a window's topics are named and keyed by, and the words that say nothing.

Terms are the words and word pairs of the redacted texts (what any output may show),
with @mentions, links and Pulse's own placeholders (`[email]`) cut first. Each text
counts a term once: a label should say what many texts say, not what one repeats.

Some words are in most texts of a source and tell no topic from another: a brand that
opens every tweet ("spotify"), a publisher's mask for personal data ("XXXX"), a hashtag
every post carries ("covid"), a greeting. They are found from the data, not from a list:
a word is *background* when it is common in most topics (at least BACKGROUND_TOPIC_RATE
of the texts of at least BACKGROUND_SPREAD of the topics) and knowing whether a text has
it says little about its topic (an information gain ratio under BACKGROUND_GAIN_RATIO).
Background words never name or key a topic. docs/TUNING.md has the measurements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

#: A word is common in a topic when at least this share of its texts has it ...
BACKGROUND_TOPIC_RATE = 0.05
#: ... and background when it is common in at least this share of the topics ...
BACKGROUND_SPREAD = 0.6
#: ... and its presence tells this little about the topic (information gain ratio).
BACKGROUND_GAIN_RATIO = 0.2
#: A published label goes for holding a background word only when the word is clearly
#: background (a gain ratio under this): a word near BACKGROUND_GAIN_RATIO crosses it from
#: one window to the next, and would rename a topic one week and free its name the next.
SETTLED_GAIN_RATIO = 0.15
#: An @handle in at least this share of the texts is the one they are addressed to: the
#: brand's (its words name no topic either: "@SpotifyCares" -> spotify, cares).
BRAND_HANDLE_SHARE = 0.05
_HANDLE = re.compile(r"(?<![\w@])@(\w{2,})")

_TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
_CUT = re.compile(r"@\w+|\bhttps?://\S+|\bwww\.\S+|\[[a-z_ ]+\]")
# A hashtag's words: "#CoronavirusPandemic" says "coronavirus pandemic".
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# General English function words, interjections and contractions that scikit-learn's list
# lacks (it has "does" but not "did"), and the marks of a tweet ("RT", "via", "&amp;"):
# they never name a topic, whatever the data.
_MORE_STOP_WORDS = frozenset(
    """
    did didn doesn don isn wasn weren won wouldn couldn shouldn haven hasn hadn aren ain
    cant dont wont im ive ill id youre theyre thats whats theres lets doing done
    yes yeah yep yup nope ok okay oh hey hi hello hiya lol pls plz thanks thank thx ty
    please just really got gets getting amp via rt
    ll ve re st nd rd th em
    """.split()
)


def stop_words(languages: frozenset[str] = frozenset()) -> frozenset[str]:
    """scikit-learn's English stop words and the general ones it lacks, and those of the
    `languages` a topic is named in (stopwordsiso's, pulse.topics.languages)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from pulse.topics.languages import language_stop_words

    words = frozenset(ENGLISH_STOP_WORDS) | _MORE_STOP_WORDS
    for code in sorted(languages):
        words |= language_stop_words(code)
    return words


def cleaned(text: str) -> str:
    """A text without @mentions, links and Pulse's placeholders; hashtags as their words."""
    text = _HASHTAG.sub(lambda match: " " + _CAMEL.sub(" ", match.group(1)) + " ", text)
    return _CUT.sub(" ", text)


def document_terms(
    texts: Sequence[str], brand_handles: Sequence[str] = ()
) -> tuple[csr_matrix, np.ndarray] | None:
    """Which words and word pairs each text has (0/1), and those terms; None if none.

    Independent of the clusters, so a large window's terms are counted in the worker
    process while UMAP fits on one core (`start_document_terms`). A configured brand
    handle is a stop word too (the data finds the rest, `background_words`).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    # Phrases are the texts' own word sequences (stop words inside are kept: "proof of
    # address"), then cut to those that neither start nor end on a stop word; removing
    # stop words first would make phrases no text contains ("happened applications").
    excluded = stop_words() | {h.lower().lstrip("@") for h in brand_handles}
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        token_pattern=_TOKEN_PATTERN,
        min_df=2,
        binary=True,
        dtype=np.int32,
    )
    try:
        counts = vectorizer.fit_transform([cleaned(t) for t in texts])
    except ValueError:  # every term in one text only
        return None
    terms = vectorizer.get_feature_names_out()
    edges = [term.split() for term in terms]
    keep = np.flatnonzero([w[0] not in excluded and w[-1] not in excluded for w in edges])
    if not len(keep):
        return None
    return counts.tocsr()[:, keep], terms[keep]


def start_document_terms(
    texts: Sequence[str], brand_handles: Sequence[str] = ()
) -> Callable[[], Any]:
    """`document_terms` begun in the worker process for a large window; call the result for it.

    Below PARALLEL_MIN_TEXTS texts (or with no worker) the call counts them here.
    """
    from pulse.workers import PARALLEL_MIN_TEXTS, start_in_worker

    future = (
        start_in_worker(document_terms, list(texts), list(brand_handles))
        if len(texts) >= PARALLEL_MIN_TEXTS
        else None
    )

    def result() -> tuple[csr_matrix, np.ndarray] | None:
        if future is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                return future.result()
            except (BrokenProcessPool, OSError):
                pass
        return document_terms(texts, brand_handles)

    return result


def topic_term_counts(
    per_text: csr_matrix, topics: Sequence[int]
) -> tuple[list[int], np.ndarray, csr_matrix]:
    """Per topic (>= 0): its id, its number of texts, and how many of them have each term."""
    ids = sorted({t for t in topics if t >= 0})
    row_of = {topic: row for row, topic in enumerate(ids)}
    docs = [doc for doc, t in enumerate(topics) if t >= 0]
    rows = [row_of[topics[doc]] for doc in docs]
    membership = csr_matrix(
        (np.ones(len(docs), dtype=np.int32), (rows, docs)), shape=(len(ids), len(topics))
    )
    sizes = np.bincount(rows, minlength=len(ids)).astype(np.float64)
    return ids, sizes, (membership @ per_text).tocsr()


def stem(word: str) -> str:
    """A crude stem that makes plural, tense and a final e agree ("rates", "rate", "rated")."""
    for ending in ("ing", "ied", "ies", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def family_counts(
    per_text: csr_matrix, terms: np.ndarray, topics: Sequence[int], background: set[str]
) -> tuple[csr_matrix, np.ndarray]:
    """How many texts of each topic say a term in any of its forms ("crash", "crashes",
    "crashing"): the reach of what the term means, where each form alone may be rare.

    Returns a topics x families count matrix (rows as `topic_term_counts`') and each
    term's family (-1: a term with no other form here, or a family holding a background
    word, whose counts are its own).
    """
    keys = [tuple(stem(w) for w in str(t).split()) for t in terms]
    members: dict[tuple[str, ...], list[int]] = {}
    for column, key in enumerate(keys):
        members.setdefault(key, []).append(column)
    family_of = np.full(len(terms), -1, dtype=np.int64)
    columns: list[int] = []
    families: list[int] = []
    count = 0
    for group in members.values():
        if len(group) < 2 or any(set(str(terms[c]).split()) & background for c in group):
            continue
        family_of[group] = count
        columns.extend(group)
        families.extend([count] * len(group))
        count += 1
    if not count:
        return csr_matrix((len({t for t in topics if t >= 0}), 0)), family_of
    mapping = csr_matrix(
        (np.ones(len(columns), dtype=np.int32), (np.arange(len(columns)), families)),
        shape=(len(columns), count),
    )
    said = (per_text[:, columns] @ mapping).tocsr()
    said.data[:] = 1  # a text that says two forms counts once
    return topic_term_counts(said, topics)[2], family_of


def _entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def background_words(per_text: csr_matrix, terms: np.ndarray, topics: Sequence[int]) -> set[str]:
    """The single words common across most topics that tell no topic from another."""
    return _under(background_gains(per_text, terms, topics), BACKGROUND_GAIN_RATIO)


def gains_background(gains: dict[str, float], handles: set[str]) -> set[str]:
    """The window's background words (`background_gains`' under the line) and the handles."""
    return _under(gains, BACKGROUND_GAIN_RATIO) | handles


def settled_background(gains: dict[str, float], handles: set[str]) -> set[str]:
    """The background words that unseat a published label: the clear ones and the handles."""
    return _under(gains, SETTLED_GAIN_RATIO) | handles


def _under(gains: dict[str, float], ratio: float) -> set[str]:
    return {word for word, gain in gains.items() if gain < ratio}


def background_gains(
    per_text: csr_matrix, terms: np.ndarray, topics: Sequence[int]
) -> dict[str, float]:
    """The gain ratio of each single word common in most topics (the background test's
    second half: under BACKGROUND_GAIN_RATIO, the word is background)."""
    ids, sizes, counts = topic_term_counts(per_text, topics)
    if len(ids) < 2:  # one topic: no word can tell it from another
        return {}
    single = np.flatnonzero(np.char.find(terms.astype(str), " ") < 0)
    single_rates = counts[:, single].toarray() / sizes[:, None]
    spread = (single_rates >= BACKGROUND_TOPIC_RATE).mean(axis=0)
    keep = spread >= BACKGROUND_SPREAD
    candidates, rates = single[keep], single_rates[:, keep]
    if not len(candidates):
        return {}
    weights = sizes / sizes.sum()
    overall = weights @ rates
    gain = (_entropy(overall) - weights @ _entropy(rates)) / _entropy(overall)
    return {str(terms[j]): float(g) for j, g in zip(candidates, gain, strict=True)}


def handle_words(texts: Iterable[str | None]) -> set[str]:
    """The words of the @handles and #tags at least BRAND_HANDLE_SHARE of the texts carry.

    Such a handle is the one the texts are addressed to, and such a tag the one they were
    collected by (Apple's "#AAPL OR @Apple" tweets; corona's "#coronavirus"): the brand's,
    or the search's, not a subject. A tag written as one word stands for itself; one in
    camel case ("#CoronavirusPandemic") is left to its words, which may be a subject.
    Read off the original texts (redaction masks handles it was not told are the brand's);
    only the handles' and tags' own words come out, never a text. One pass, so the texts
    may stream.
    """
    counts: dict[str, int] = {}
    first_spelling: dict[str, str] = {}  # a handle's words are split on its first spelling
    tags: dict[str, int] = {}
    total = 0
    for text in texts:
        total += 1
        found = _HANDLE.findall(text or "")
        for spelling in found:
            first_spelling.setdefault(spelling.lower(), spelling)
        for handle in {h.lower() for h in found}:
            counts[handle] = counts.get(handle, 0) + 1
        for tag in {t.lower() for t in _HASHTAG.findall(text or "") if not _CAMEL.search(t)}:
            tags[tag] = tags.get(tag, 0) + 1
    words: set[str] = set()
    for handle, count in counts.items():
        if count < BRAND_HANDLE_SHARE * total:
            continue
        original = first_spelling[handle]
        words.add(handle)
        parts = _CAMEL.sub(" ", original).replace("_", " ").lower().split()
        words.update(p for p in parts if len(p) >= 3)
    for tag, count in tags.items():
        if count >= BRAND_HANDLE_SHARE * total:
            words.update(re.findall(_TOKEN_PATTERN, tag))
    return words
