"""Topics in the language their texts use: named and keyed in it, without its stop words;
English windows named exactly as before; the rule that picks a topic's language.

Texts are small and written here; vectors come from the real embedders (the multilingual
one where a topic mixes languages).
"""

from __future__ import annotations

import pytest

from pulse.embed import USE_M3, encode
from pulse.topics.labels import rank_candidates, restore_case
from pulse.topics.languages import (
    language_name,
    language_stop_words,
    naming_languages,
    naming_of,
)
from pulse.topics.naming import name_clusters
from pulse.topics.vocabulary import background_words, document_terms

GERMAN_BILLING = [
    "Mein Abo wurde diesen Monat doppelt abgebucht",
    "Die Abbuchung für das Abo kam doppelt, bitte erstatten",
    "Schon wieder eine doppelte Abbuchung auf meinem Konto",
    "Warum wurde mein Premium Abo doppelt abgebucht?",
    "Ich sehe zwei Abbuchungen für das gleiche Abo",
]
ENGLISH_BILLING = ["I was charged twice for my subscription this month", "charged twice again"]
ENGLISH = (
    [
        "my battery will die within an hour",
        "the battery dies after an hour",
        "battery will die before lunch",
    ],
    ["charged twice for premium", "premium billed twice", "charged for premium twice"],
    ["app crashes on launch", "the app crashes every time", "app crashes after update"],
    ["kind of slow to load the feed", "the feed is slow to load", "feed takes ages to load"],
)
# What main named ENGLISH as before languages were known (3 copies of each text).
ENGLISH_LABELS = {0: "Battery dies", 1: "Premium twice", 2: "App crashes", 3: "Feed and load"}
ENGLISH_KEYWORDS = {
    0: ["battery dies", "hour", "lunch"],
    1: ["premium twice", "premium billed", "billed twice", "charged twice"],
    2: ["app crashes", "launch", "update", "time"],
    3: ["feed", "load", "slow", "feed takes", "takes ages", "kind"],
}


def window(*topics: list[tuple[str, str]], copies: int = 3):
    """Texts, their topic and their language: each (text, language) of a topic `copies` times."""
    texts, labels, languages = [], [], []
    for _ in range(copies):
        for topic, pairs in enumerate(topics):
            for text, language in pairs:
                texts.append(text)
                labels.append(topic)
                languages.append(language)
    return texts, labels, languages


def keywords(texts, topics, vectors, languages) -> dict[int, list[str]]:
    per_text, terms = document_terms(texts)
    background = background_words(per_text, terms, topics)
    naming, named_in = naming_of(topics, languages)
    found = rank_candidates(per_text, terms, naming, vectors, background, named_in)
    return {topic: found[topic].keywords() for topic in found}


@pytest.fixture
def multilingual(monkeypatch):
    monkeypatch.setenv("PULSE_EMBEDDING_MODEL", USE_M3)


def test_a_mostly_german_topic_is_named_and_keyed_in_german_without_german_stop_words(
    multilingual,
):
    texts, topics, languages = window(
        [(t, "de") for t in GERMAN_BILLING] + [(t, "en") for t in ENGLISH_BILLING],
        [(t, "en") for t in ENGLISH[2]],
        [(t, "en") for t in ("cannot log in to my account", "log in fails with an error")],
    )
    vectors = encode(texts)
    german_words = {w.strip(",.?").lower() for t in GERMAN_BILLING for w in t.split()}
    stop = language_stop_words("de")

    label = name_clusters(texts, topics, vectors, languages=languages)[0]
    words = label.lower().split()
    assert set(words) - {"und"} <= german_words, label  # no English word ("charged twice")
    assert not set(words) & stop - {"und"}, label
    keyed = keywords(texts, topics, vectors, languages)[0]
    assert keyed and {w for k in keyed for w in k.split()} <= german_words - stop, keyed
    # named from every text, as before languages were known, it mixes both and keeps "für"
    blended = keywords(texts, topics, vectors, None)[0]
    assert "charged twice" in blended
    assert {w for k in blended for w in k.split()} & stop


def test_another_languages_stop_words_stay_in_an_english_topic(multilingual):
    texts, topics, languages = window(
        [(t, "en") for t in ENGLISH[0]],
        [(t, "en") for t in ENGLISH[3]],
        [(t, "de") for t in GERMAN_BILLING],
    )
    assert {"die", "dies", "will", "also"} <= language_stop_words("de")
    vectors = encode(texts)
    keyed = keywords(texts, topics, vectors, languages)
    assert "battery dies" in keyed[0]  # "dies": a German stop word, an English topic's word
    before = keywords(texts, topics, vectors, None)  # as before languages were known
    assert (keyed[0], keyed[1]) == (before[0], before[1])
    assert keyed[2] != before[2]


@pytest.mark.parametrize("language", [None, "en", "EN-us"])
def test_an_english_window_is_named_exactly_as_before_languages_were_known(language):
    texts, topics, _ = window(*[[(t, "en") for t in theme] for theme in ENGLISH])
    languages = [language] * len(texts)
    vectors = encode(texts)
    assert name_clusters(texts, topics, vectors, languages=languages) == ENGLISH_LABELS
    assert keywords(texts, topics, vectors, languages) == ENGLISH_KEYWORDS


def test_a_topic_is_named_in_the_language_of_half_its_known_texts_else_in_english():
    topics = [0] * 5 + [1] * 6 + [2] * 4 + [3] * 3 + [4] * 2
    languages = (
        ["de", "de", "de", "en", None]  # 3 of 4 known: German
        + ["de", "de", "fr", "fr", "en", "en"]  # no language has half: English
        + ["de", "fr", "es", "it"]  # no language has half, no English: all of them
        + [None, None, "de"]  # one known text, German: unknown ones name it too
        + ["de", "en"]  # a tie goes to English
    )
    assert naming_languages(topics, languages) == {
        0: {"de"},
        1: {"en"},
        2: {"de", "fr", "es", "it"},
        3: {"de"},
        4: {"en"},
    }
    naming, _ = naming_of(topics, languages)
    assert naming[:5] == [0, 0, 0, -1, 0]  # the English text does not name a German topic
    assert naming[5:11] == [-1, -1, -1, -1, 1, 1]
    assert naming[11:15] == [2] * 4


def test_a_german_label_keeps_its_nouns_capitals_and_an_english_one_its_sentence_case():
    texts = ["Doppelte Abbuchung im März", "schon wieder doppelte Abbuchung", "eine Abbuchung"] * 2
    assert restore_case("doppelte abbuchung", texts, "und", capital_nouns=True) == (
        "Doppelte Abbuchung"
    )
    assert restore_case("doppelte abbuchung", texts) == "Doppelte abbuchung"
    # a word capitalised only where it starts a sentence is no noun
    assert restore_case("abbuchung doppelte", texts, "und", True) == "Abbuchung doppelte"


def test_a_language_is_named_in_english_by_its_code():
    assert [language_name(c) for c in ("de", "fr-CA", "SW", None)] == [
        "German",
        "French",
        "Swahili",
        None,
    ]


# --- the topics stage on a real database -----------------------------------------------

OPENINGS_DE = ["Hallo,", "Leider", "Schon wieder:", "Ärgerlich:", "Hilfe!", "Guten Tag,"]
CORES_DE = [
    "mein Abo wurde doppelt abgebucht",
    "die Abbuchung für mein Abo kam doppelt",
    "ich sehe eine doppelte Abbuchung auf meinem Konto",
]
OPENINGS_EN = ["Hi,", "Again", "Help:", "Ugh,", "Hello,", "Please help:"]
LOGIN = [
    "I cannot log in to my account",
    "the login fails with an error",
    "the password reset link never arrives",
]
CRASH = [
    "the app crashes on launch",
    "the app freezes and crashes after the update",
    "the app keeps crashing when I open messages",
]


@pytest.mark.slow
def test_the_topic_stage_names_a_mostly_german_topic_in_german(tmp_path, multilingual):
    """feedback.language reaches the stage; its German topic is named in German (~30 s)."""
    import hashlib
    from datetime import timedelta

    from pulse.db import connect
    from pulse.embed import embed_missing
    from pulse.topics.window import cluster_window
    from pulse.weeks import IsoWeek

    week = IsoWeek.parse("2026-W10")
    start, end = week.bounds_utc("UTC")
    rows = [(f"{o} {c}", "de") for o in OPENINGS_DE for c in CORES_DE]
    rows += [(t, "en") for t in ENGLISH_BILLING + ["charged twice for premium this month"]]
    rows += [(f"{o} {c}", "en") for o in OPENINGS_EN for c in LOGIN + CRASH]
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text("topics: []\nseeds: []\n", encoding="utf-8")
    with connect(tmp_path / "pulse.duckdb") as con:
        for n, (text, language) in enumerate(rows):
            con.execute(
                """
                insert into feedback (feedback_id, source, external_id, kind, created_at,
                    text, text_redacted, text_hash, language)
                values ($id, 'test', $id, 'ticket', $at, $text, $text, $hash, $language)
                """,
                {
                    "id": f"t{n:03d}",
                    "at": start + timedelta(hours=n),
                    "text": text,
                    "hash": hashlib.sha256(text.encode()).hexdigest(),
                    "language": language,
                },
            )
        embed_missing(con)
        cluster_window(con, week, "r1", start, end, min_topic_size=5, taxonomy_path=taxonomy)
        named = con.execute(
            """
            select t.level, t.auto_label, t.keywords,
                avg(case when f.language = 'de' then 1 else 0 end) as german_share
            from topics as t
            inner join doc_topics as d
                on d.topic_id = t.topic_id or d.topic_id in (
                    select c.topic_id from topics as c where c.parent_id = t.topic_id)
            inner join feedback as f using (feedback_id)
            where d.run_id = 'r1'
            group by all
            """
        ).fetchall()
    german_words = {
        w.strip(",.:!?").lower() for text, lang in rows if lang == "de" for w in text.split()
    }
    english_words = {
        w.strip(",.:!?").lower() for text, lang in rows if lang == "en" for w in text.split()
    }
    stop = language_stop_words("de")
    german = [row for row in named if row[3] >= 0.5]
    assert {level for level, *_ in german} == {"theme", "issue"}, named
    for level, label, keyed, _ in german:
        words = set(label.lower().split()) - {"und"}
        assert words <= german_words - stop, (level, label)
        assert {w for k in keyed for w in k.split()} <= german_words - stop, (level, keyed)
        assert not {"abo", "abbuchung", "konto"} & set(label.split()), label  # nouns' capitals
    for level, label, _, share in named:
        if share == 0:
            assert set(label.lower().split()) - {"and"} <= english_words, (level, label)
