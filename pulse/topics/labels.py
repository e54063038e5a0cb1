"""Names for topics: a phrase the texts themselves use, distinctive, central, and unique.

For each topic the candidates are its words and word pairs that at least
MIN_LABEL_COVERAGE of its texts use (and not the window's background words), ranked by
c-TF-IDF against the other topics of the same level; the best are then scored by how
close their meaning is to the topic's centre (a KeyBERT-style re-rank) plus how many of
its texts use them. The label is the best phrase no other topic has taken and enough of
its texts say, counting its other forms ("crash", "crashes", "crashing": a wave's texts
share the idea more than the spelling), and a second
idea joined with "and" when one scores nearly as well and says something else (a
max-marginal-relevance pick). Case comes from the spelling most texts use, never from
one customer's capitals. Larger topics are named first, so a duplicate is always the
smaller topic's to avoid. A topic is named from its texts in the language most of them
use, and in that language's words (pulse.topics.languages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from pulse.embed import encode
from pulse.topics.languages import (
    ENGLISH,
    capitalises_nouns,
    join_word,
    join_words,
)
from pulse.topics.praise import without_praise
from pulse.topics.spelling import restore_case
from pulse.topics.vocabulary import family_counts, stop_words, topic_term_counts
from pulse.topics.vocabulary import stem as _stem

#: A label or keyword is a phrase at least this share of the topic's texts use (and 3).
MIN_LABEL_COVERAGE = 0.04
#: Candidates per topic that are embedded and re-ranked.
CANDIDATES = 40
#: A single word grows into a longer phrase that has it and scores this share of it.
EXTEND_SCORE = 0.9
#: A second idea joins the label when it scores at least this share of the first's ...
SECOND_IDEA_SCORE = 0.8
#: ... covers at least this share of the texts, and means something else (cosine below).
SECOND_IDEA_COVERAGE = 0.10
SECOND_IDEA_MAX_SIMILARITY = 0.75
KEYWORDS = 10
#: A label is a phrase at least this share of the topic's texts use; a topic with no such
#: phrase is named for what its texts are (see `_fallback`).
LABEL_COVERAGE = 0.08
FALLBACK_LABEL = "Other feedback"
SHORT_REPLIES_LABEL = "Short replies"
_FALLBACKS = frozenset({FALLBACK_LABEL, SHORT_REPLIES_LABEL})
#: Texts of at most this many words (median, links and mentions cut) whose best phrase
#: covers less than SHORT_REPLY_COVERAGE of them are short replies, not one subject.
SHORT_REPLY_WORDS = 5
SHORT_REPLY_COVERAGE = 0.25

_CONNECTORS = frozenset({"and", "or", "of", "the", "a", "an", "to", "for", "with", "in", "on"})


@dataclass
class Candidates:
    """A topic's ranked phrases: what its keywords and its label are chosen from."""

    phrases: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    #: the share of the topic's texts that say each phrase in any of its forms
    coverage: list[float] = field(default_factory=list)
    vectors: np.ndarray | None = None
    #: the languages the topic is named in (empty: its texts' language is not known)
    languages: frozenset[str] = frozenset()

    def keywords(self, n: int = KEYWORDS) -> list[str]:
        return _dedupe(self.phrases)[:n]


def label_key(label: str) -> frozenset[str]:
    """What a label *reads as*: case, punctuation, connectors and plural or tense endings
    dropped ("Coronavirus and COVID" reads as "COVID and coronavirus")."""
    words = re.sub(r"[^\w\s]", " ", label.lower()).split()
    joins = join_words()  # another language's "and" ("und") between two ideas
    return frozenset(
        _stem(w)
        for i, w in enumerate(words)
        if w not in _CONNECTORS and w != "praise" and not (0 < i < len(words) - 1 and w in joins)
    )


def _dedupe(words: list[str]) -> list[str]:
    """Drop a keyword when a better-ranked one already says it ("crash" after "app crashes")."""
    kept: list[str] = []
    for word in words:
        stems = {_stem(w) for w in word.split()}
        if any(stems <= {_stem(w) for w in other.split()} for other in kept):
            continue
        kept.append(word)
    return kept


def rank_candidates(
    per_text: csr_matrix,
    terms: np.ndarray,
    topics: Sequence[int],
    vectors: np.ndarray,
    background: set[str],
    named_in: dict[int, frozenset[str]] | None = None,
) -> dict[int, Candidates]:
    """Each topic's candidate phrases, best first (see the module's docstring).

    `topics` gives each text's topic when the text names it (`naming_topics`: in the
    language its topic is named in), `named_in` those languages; a phrase that starts or
    ends on one of their stop words is no candidate (English's are no term at all).
    """
    ids, sizes, counts = topic_term_counts(per_text, topics)
    if not ids:
        return {}
    said, family_of = family_counts(per_text, terms, topics, background)
    words = [str(t).split() for t in terms]
    usable = np.array([not (set(w) & background) for w in words])
    stopped: dict[frozenset[str], np.ndarray] = {}
    totals = np.asarray(counts.sum(axis=0)).ravel().astype(np.float64)
    average = totals.sum() / len(ids)
    idf = np.log(1.0 + average / np.maximum(totals, 1.0))
    labels = np.asarray(topics)
    result: dict[int, Candidates] = {}
    for row, topic in enumerate(ids):
        line = counts.getrow(row)
        columns, hits = line.indices, line.data.astype(np.float64)
        floor = max(3.0, MIN_LABEL_COVERAGE * sizes[row])
        keep = usable[columns] & (hits >= min(floor, max(2.0, hits.max(initial=0))))
        languages = (named_in or {}).get(topic, frozenset())
        if languages - {ENGLISH}:
            if languages not in stopped:
                stop = stop_words(languages)
                stopped[languages] = np.array([w[0] in stop or w[-1] in stop for w in words])
            keep &= ~stopped[languages][columns]
        columns, hits = columns[keep], hits[keep]
        if not len(columns):
            result[topic] = Candidates(languages=languages)
            continue
        ctfidf = hits / hits.sum() * idf[columns]
        best = np.argsort(-ctfidf, kind="stable")[:CANDIDATES]
        phrases = [str(terms[columns[i]]) for i in best]
        coverage = hits[best] / sizes[row]
        # A phrase's reach counts its other forms too: whether it may name the topic.
        reach = hits[best].copy()
        family = family_of[columns[best]]
        pooled = family >= 0
        if pooled.any():
            reach[pooled] = said.getrow(row).toarray().ravel()[family[pooled]]
        centre = vectors[labels == topic].mean(axis=0)
        centre = centre / (np.linalg.norm(centre) or 1.0)
        embedded = encode(phrases)
        score = embedded @ centre + 0.5 * np.sqrt(coverage)
        order = np.argsort(-score, kind="stable")
        result[topic] = Candidates(
            phrases=[phrases[i] for i in order],
            scores=[float(score[i]) for i in order],
            coverage=[float(reach[i] / sizes[row]) for i in order],
            vectors=embedded[order],
            languages=languages,
        )
    return result


def base_label(label: str) -> str:
    """A label without its praise mark and its number ("Praise: short replies (2)")."""
    return re.sub(r" \(\d+\)$", "", without_praise(label))


def is_fallback(label: str) -> bool:
    """Whether a label says what a topic's texts are, not what they say ("Short replies (4)")."""
    return base_label(label) in _FALLBACKS


def sub_theme_name(sizes: dict[str, int]) -> str | None:
    """The name an issue no phrase of its own names takes from its sub-themes (`sizes`:
    each sub-theme's label and texts in the issue).

    It is the largest sub-theme that has a name, when that one holds SHORT_REPLY_COVERAGE
    of the issue's texts: the share a phrase needs to name a topic of short texts, which
    is what most such issues hold ("Works great!" beside "Stopped working after a month").
    """
    total = sum(sizes.values())
    named = sorted(
        ((n, without_praise(label)) for label, n in sizes.items() if not is_fallback(label)),
        key=lambda item: (-item[0], item[1]),
    )
    if not named or not total or named[0][0] < SHORT_REPLY_COVERAGE * total:
        return None
    return named[0][1]


def choose_labels(
    candidates: dict[int, Candidates],
    order: Sequence[int],
    texts_of: dict[int, list[str]],
    taken: dict[int, str] | None = None,
    allowed: dict[int, Sequence[str]] | None = None,
    other_level: dict[int, str] | None = None,
    theme_names: dict[int, str] | None = None,
    distinct: bool = False,
) -> dict[int, str]:
    """A unique label for each topic of `order` (named in that order), avoiding `taken`.

    `taken` maps the topics whose labels stay (published, or CX ops' own) to them; no
    new label may read the same as one of them or as another new one. `other_level`
    holds the other level's labels, which are avoided too, except the ones `allowed` for
    that topic (an issue may share its name with one of its own sub-themes). An issue
    no phrase names takes its `theme_names` entry (`sub_theme_name`) when it has one.
    `distinct` (issues, which one ranking lists side by side): while any of the topic's
    phrases allows it, no label of its level reads as part of another: a label's words
    are not all among one of theirs ("Food" beside "Stock and food", "Echo" beside "Echo
    and refurbished"), and no second idea joins a name to make one of theirs part of it
    ("Masks and prices" beside "Prices"). A phrase that says more ("App store" beside
    "App") stays.
    """
    used = {label_key(label) for label in (taken or {}).values()}
    beside = {label_key(label) for label in (other_level or {}).values()}
    labels: dict[int, str] = {}
    for topic in order:
        found = candidates.get(topic) or Candidates()
        own = {label_key(label) for label in (allowed or {}).get(topic, ())}
        texts = texts_of.get(topic, [])
        label = _label(found, used | (beside - own), texts, used if distinct else set())
        name = (theme_names or {}).get(topic)
        if (
            name
            and is_fallback(label)
            and label_key(name) not in used
            and not (distinct and _within(label_key(name), used))
        ):
            label = name
        used.add(label_key(label))
        labels[topic] = label
    return labels


def _within(key: frozenset[str], keys: set[frozenset[str]]) -> bool:
    """Whether all of a label's words are among another label's ("Food": "Stock and food")."""
    return bool(key) and any(key <= other for other in keys)


def _holds(key: frozenset[str], keys: set[frozenset[str]]) -> bool:
    """Whether a label's words hold all of another label's ("Masks and prices": "Prices")."""
    return any(other and other <= key for other in keys)


def name_of(found: Candidates, texts: list[str]) -> str:
    """The label a topic's candidates and texts give it when no other label is taken."""
    return _label(found, set(), texts)


def _label(
    found: Candidates,
    used: set[frozenset[str]],
    texts: list[str],
    kin: set[frozenset[str]] | None = None,
) -> str:
    """The topic's label; with `kin` (its level's labels, see `choose_labels`'s
    `distinct`), one that says more than any of them when a phrase allows it."""
    label = _named(found, used, texts, kin) if kin else None
    if label is None:
        label = _named(found, used, texts)
    if label is None:
        return _unique(_fallback(texts), used)
    return label if label_key(label) not in used else _unique(label, used)


def _named(
    found: Candidates,
    used: set[frozenset[str]],
    texts: list[str],
    kin: set[frozenset[str]] | None = None,
) -> str | None:
    """The best phrase (and second idea) that reads as no label `used` (None: none, or
    the texts are short replies); with `kin`, the best whose words are not all among
    one of theirs."""
    heads = [
        i
        for i, p in enumerate(found.phrases)
        if label_key(p) not in used and found.coverage[i] >= LABEL_COVERAGE
    ]
    if not heads or (
        max(found.coverage, default=0.0) < SHORT_REPLY_COVERAGE and _short_replies(texts)
    ):
        return None
    for first in heads if kin else heads[:1]:
        words = _phrase(found, first, used, kin or set())
        if not kin or not _within(label_key(words), kin):
            return restore_case(
                words, texts, join_word(found.languages), capitalises_nouns(found.languages)
            )
    return None


def _phrase(
    found: Candidates, first: int, used: set[frozenset[str]], kin: set[frozenset[str]]
) -> str:
    """The label's words from phrase `first`: grown into a longer phrase, and a second
    idea unless that idea makes it hold one of `kin` ("Masks and prices" beside "Prices")."""
    phrases = found.phrases
    # A single word grows into the phrase most texts say it in ("restricted" ->
    # "account restricted") when that phrase scores nearly as well.
    if " " not in phrases[first]:
        root = _root(phrases[first])
        for i, phrase in enumerate(phrases):
            if (
                " " in phrase
                and root in {_root(w) for w in phrase.split()}
                and found.scores[i] >= EXTEND_SCORE * found.scores[first]
                and label_key(phrase) not in used
            ):
                first = i
                break
    head = phrases[first].split()
    head_roots = {_root(w) for w in head} | {_stem(w) for w in head}
    second = None
    for i in range(len(phrases)):
        # "fee" says again what "cancellation fees" says: a word or its stem repeats
        words = phrases[i].split()
        if i == first or ({_root(w) for w in words} | {_stem(w) for w in words}) & head_roots:
            continue
        close = (
            found.vectors is not None
            and float(found.vectors[i] @ found.vectors[first]) > SECOND_IDEA_MAX_SIMILARITY
        )
        if close:
            continue
        if (
            found.scores[i] >= SECOND_IDEA_SCORE * found.scores[first]
            and found.coverage[i] >= SECOND_IDEA_COVERAGE
        ):
            second = i
        break  # only the next idea that is really another one is considered
    if second is None:
        return phrases[first]
    words = f"{phrases[first]} {join_word(found.languages)} {phrases[second]}"
    holds = _holds(label_key(words), kin) and not _holds(label_key(phrases[first]), kin)
    return phrases[first] if label_key(words) in used or holds else words


def _short_replies(texts: list[str]) -> bool:
    """Whether most texts are a few words (links and mentions cut): replies in a thread."""
    from pulse.topics.vocabulary import cleaned

    lengths = sorted(len(cleaned(t).split()) for t in texts)
    return bool(lengths) and lengths[len(lengths) // 2] <= SHORT_REPLY_WORDS


def _fallback(texts: list[str]) -> str:
    """The name of a topic no phrase describes: what its texts are, when that is clear."""
    return SHORT_REPLIES_LABEL if _short_replies(texts) else FALLBACK_LABEL


def _root(word: str) -> str:
    """The first four letters: "applied", "application" and "apply" share a root."""
    return word[:4]


def _unique(label: str, used: set[frozenset[str]]) -> str:
    number = 2
    candidate = label
    while label_key(candidate) in used:
        candidate = f"{label} ({number})"
        number += 1
    return candidate
