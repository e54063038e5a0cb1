"""Which language a topic is named in, and each language's stop words and words (pure).

A topic is named from its texts in one language, so its label and keywords are phrases
customers really wrote ("doppelte Abbuchung"), never a blend of two languages' words: the
language at least NAMING_SHARE of its texts of known language are in; where none has
that share, English, the report's language, when some texts are English; else all its
texts. Texts of unknown language (feedback.language NULL) are named with any language:
a window whose language nobody recorded is named exactly as before languages were known.
A topic named in a language other than English also drops that language's stop words
(stopwordsiso's lists); English's are dropped for every text (pulse.topics.vocabulary),
and another language's never touch an English topic ("die", "will" and "kind" are German
stop words and English topic words). docs/TUNING.md has the measurements.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from importlib.resources import files

ENGLISH = "en"
#: A topic is named in the language at least this share of its texts of known language
#: are in (docs/TUNING.md, "Labels in the topic's language").
NAMING_SHARE = 0.5
#: The join of two ideas in a label in a language with no word for it in languages.yaml.
NEUTRAL_JOIN = "&"


@lru_cache(maxsize=1)
def _languages() -> dict[str, dict]:
    import yaml

    text = files("pulse.topics").joinpath("languages.yaml").read_text(encoding="utf-8")
    return {str(code): dict(entry) for code, entry in yaml.safe_load(text).items()}


def language_code(value: str | None) -> str | None:
    """The ISO 639-1 code of a recorded language ("de-DE" and "DE" are "de"); None if none."""
    if not value or not value.strip():
        return None
    return value.strip().replace("_", "-").split("-")[0].lower()


def language_name(code: str | None) -> str | None:
    """The English name of a language ("German"), its code for one Pulse has no name for."""
    code = language_code(code)
    if code is None:
        return None
    return str(_languages().get(code, {}).get("name") or code)


def join_word(languages: frozenset[str]) -> str:
    """The word that joins two ideas in a label named in these languages ("and", "und")."""
    if not languages:
        return "and"
    if len(languages) > 1:
        return NEUTRAL_JOIN
    (code,) = languages
    return str(_languages().get(code, {}).get("and") or NEUTRAL_JOIN)


def join_words() -> frozenset[str]:
    """Every language's word for "and": a label's connectors, whatever its language."""
    return frozenset(str(e["and"]) for e in _languages().values() if e.get("and"))


def capitalises_nouns(languages: frozenset[str]) -> bool:
    """Whether a label in these languages spells nouns with their capital (German)."""
    return len(languages) == 1 and bool(
        _languages().get(next(iter(languages)), {}).get("capitalised_nouns")
    )


@cache
def language_stop_words(code: str) -> frozenset[str]:
    """stopwordsiso's list for a language other than English, with the greetings and thanks
    languages.yaml adds (empty for English or a language neither has).

    English's own list is scikit-learn's and Pulse's (pulse.topics.vocabulary.stop_words):
    stopwordsiso's English list (1,298 words) holds topic words such as "value" and "test".
    """
    if code == ENGLISH:
        return frozenset()
    import stopwordsiso

    listed = stopwordsiso.stopwords(code) if stopwordsiso.has_lang(code) else set()
    added = _languages().get(code, {}).get("stop_words") or []
    return frozenset(str(w).lower() for w in (*listed, *added))


def naming_languages(
    topics: Sequence[int], languages: Sequence[str | None]
) -> dict[int, frozenset[str]]:
    """The languages each topic (>= 0) is named in: one, English, or all of its texts' own.

    An empty set: no text of the topic has a known language, and all of them name it.
    """
    counts: dict[int, dict[str, int]] = {}
    for topic, language in zip(topics, languages, strict=True):
        if topic < 0:
            continue
        seen = counts.setdefault(topic, {})
        code = language_code(language)
        if code is not None:
            seen[code] = seen.get(code, 0) + 1
    named: dict[int, frozenset[str]] = {}
    for topic, seen in counts.items():
        known = sum(seen.values())
        # the most texts' language; a tie goes to English, then to the first code
        top = min(seen, key=lambda c: (-seen[c], c != ENGLISH, c)) if seen else None
        if top is not None and seen[top] >= NAMING_SHARE * known:
            named[topic] = frozenset({top})
        elif ENGLISH in seen:
            named[topic] = frozenset({ENGLISH})
        else:
            named[topic] = frozenset(seen)
    return named


def naming_topics(
    topics: Sequence[int],
    languages: Sequence[str | None],
    named_in: dict[int, frozenset[str]],
) -> list[int]:
    """Each text's topic when it names it (in its topic's language, or unknown), else -1.

    A topic named in no particular language (none of its texts has a known one) is
    named by all of its texts.
    """
    out = []
    for topic, language in zip(topics, languages, strict=True):
        named = named_in.get(topic, frozenset())
        code = language_code(language)
        names = topic >= 0 and (code is None or not named or code in named)
        out.append(topic if names else -1)
    return out


def naming_of(
    topics: Sequence[int], languages: Sequence[str | None] | None
) -> tuple[list[int], dict[int, frozenset[str]]]:
    """Each text's topic when it names it, and the languages each topic is named in
    (above); every text names its topic when no languages are given."""
    if languages is None:
        return list(topics), {}
    named_in = naming_languages(topics, languages)
    return naming_topics(topics, languages, named_in), named_in


def naming_texts(
    texts: Sequence[str], naming: Sequence[int], topics: Sequence[int]
) -> dict[int, list[str]]:
    """The first 500 texts that name each of `topics`: what its label is spelt after."""
    wanted = set(topics)
    out: dict[int, list[str]] = {t: [] for t in topics}
    for text, topic in zip(texts, naming, strict=True):
        if topic in wanted and len(out[topic]) < 500:
            out[topic].append(text)
    return out
