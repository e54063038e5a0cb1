"""Names of topics: phrases the texts use, never a brand, a mask or a placeholder; unique;
in the spelling most customers use; kept while the content is the same.

Texts are small and written here; vectors come from the real embedder.
"""

from __future__ import annotations

import numpy as np
import pytest

from pulse.embed import encode
from pulse.topics.label_keeping import keeps_label
from pulse.topics.labels import (
    Candidates,
    choose_labels,
    label_key,
    rank_candidates,
    restore_case,
    sub_theme_name,
)
from pulse.topics.naming import name_clusters
from pulse.topics.praise import praise_label, without_praise
from pulse.topics.vocabulary import (
    BACKGROUND_GAIN_RATIO,
    SETTLED_GAIN_RATIO,
    background_gains,
    background_words,
    document_terms,
    settled_background,
)


def names(texts: list[str], topics: list[int], **kwargs) -> dict[int, str]:
    return name_clusters(texts, topics, encode(texts), **kwargs)


def themed(brand_opening: str, *themes: list[str], copies: int = 3) -> tuple[list[str], list[int]]:
    texts, topics = [], []
    for topic, phrases in enumerate(themes):
        for _ in range(copies):
            for phrase in phrases:
                texts.append(f"{brand_opening} {phrase}".strip())
                topics.append(topic)
    return texts, topics


THEMES = (
    ["my playlist disappeared", "playlist vanished again", "my playlist is gone"],
    ["charged twice for premium", "premium billed twice", "charged for premium twice"],
    ["app crashes on launch", "the app crashes every time", "app crashes after update"],
    ["cannot log in", "log in fails with an error", "cannot log in on my phone"],
)


def test_a_brand_in_every_topic_is_found_from_the_data_and_never_names_one():
    texts, topics = themed("Spotify", *THEMES)
    per_text, terms = document_terms(texts)
    assert "spotify" in background_words(per_text, terms, topics)
    labels = names(texts, topics)
    assert not any("spotify" in label.lower() for label in labels.values())
    assert "Playlist" in labels[0] and "premium" in labels[1].lower()


def test_a_publishers_mask_and_pulses_placeholders_never_name_a_topic():
    texts, topics = themed("XXXX XXXX wrote on XX/XX/XXXX", *THEMES)
    texts = [t + " contact me at [email] or [phone]" for t in texts]
    labels = names(texts, topics)
    words = {w for label in labels.values() for w in label.lower().split()}
    assert not words & {"xxxx", "xx", "email", "phone", "contact"}
    assert len(set(labels.values())) == len(labels)


def test_handles_and_links_never_name_a_topic_and_hashtags_speak_their_words():
    texts, topics = themed("@SpotifyCares @jo https://t.co/x1 #PlaylistGone", *THEMES[:2])
    per_text, terms = document_terms(texts)
    vocabulary = set(terms)
    assert not vocabulary & {"spotifycares", "jo", "https", "co"}
    assert "playlist gone" in vocabulary  # from #PlaylistGone


def test_a_phrase_is_a_word_sequence_some_text_really_has():
    texts = ["what happened to my applications", "what happened to my applications today"] * 3
    per_text, terms = document_terms(texts)
    assert "happened applications" not in set(terms)  # stop words are not cut out of phrases
    assert "applications" in set(terms)
    # and a pair never spans two customers' texts
    texts = ["my refund is delayed", "payment failed at checkout"] * 3
    assert "delayed payment" not in set(document_terms(texts)[1])


def test_terms_counted_in_the_worker_process_equal_those_counted_here(monkeypatch):
    from pulse import workers
    from pulse.topics.vocabulary import start_document_terms

    monkeypatch.setattr(workers, "PARALLEL_MIN_TEXTS", 10)
    texts, _ = themed("@ProNetHelp", *THEMES)
    there = start_document_terms(texts, ["ProNetHelp"])()
    here = document_terms(texts, ["ProNetHelp"])
    assert (there[0] != here[0]).nnz == 0 and list(there[1]) == list(here[1])


def test_every_label_is_unique_even_when_two_topics_share_their_best_phrase():
    texts, topics = themed(
        "",
        ["app crashes on launch", "app crashes on my phone", "app crashes when I open it"],
        ["app crashes after the update", "app crashes since the update", "update crashes app"],
        ["cannot log in", "log in fails", "cannot log in today"],
    )
    labels = names(texts, topics)
    keys = [label_key(label) for label in labels.values()]
    assert len(set(keys)) == len(keys), labels


def test_texts_of_stop_words_or_short_replies_are_named_for_what_they_are():
    texts = ["ok", "yes", "thanks!", "yep", "ok thx", "sure"] * 3 + THEMES[0] * 6
    topics = [0] * 18 + [1] * 18
    labels = names(texts, topics)
    assert labels[0] == "Short replies"
    assert "laylist" in labels[1]


def test_a_label_is_spelt_as_most_customers_spell_it_never_in_one_customers_caps():
    texts = ["My InMail credits vanished"] * 4 + ["my inmail credits"]
    texts += ["DATA CAPS ARE A SCAM"] * 2
    assert restore_case("inmail credits", texts) == "InMail credits"
    assert restore_case("data caps", texts) == "Data caps"
    assert restore_case("id verification", ["My ID verification failed"] * 3) == "ID verification"


def test_a_deliberate_spelling_beats_lowercase_but_emphasis_does_not():
    # Apple tweets: 58% "iphone", 42% "iPhone"; Alexa reviews: "TV" in 63%, "tv" in 35%
    iphone = ["my iphone charger frayed"] * 6 + ["my iPhone charger frayed"] * 4
    assert restore_case("iphone chargers", iphone) == "iPhone chargers"
    assert restore_case("tv stick", ["TV stick"] * 5 + ["tv stick"] * 4) == "TV stick"
    assert restore_case("wifi", ["WiFi drops"] * 4 + ["wifi drops"] * 5) == "WiFi"
    # a long word in capitals inside a calm text is emphasis, not a spelling
    breaking = ["BREAKING: stores close"] * 4 + ["breaking news on stores"] * 5
    assert restore_case("breaking news", breaking) == "Breaking news"
    # under 40%, or said by fewer than 3 texts, lowercase stands
    assert restore_case("tv", ["TV broke"] * 3 + ["tv broke"] * 6) == "Tv"
    assert restore_case("tv", ["TV broke"] * 2 + ["tv broke"]) == "Tv"


def test_labels_that_read_the_same_are_one_name():
    assert label_key("Coronavirus and COVID") == label_key("COVID and coronavirus")
    assert label_key("App crashes") == label_key("app crash")
    assert label_key("Praise: app crashes") == label_key("App crashes")
    assert label_key("App crashes") != label_key("App freezes")


def test_a_published_label_stays_while_its_content_does_and_goes_when_it_moved():
    named_for = ["refund", "renewal", "subscription", "charged"]
    assert keeps_label(named_for, ["renewal", "refunds", "premium", "cancel", "charge"])
    assert not keeps_label(named_for, ["app crashes", "login", "password reset"])
    assert not keeps_label(None, ["refund"])
    # a name holding a word the data now shows is a brand goes, whatever its content
    assert not keeps_label(named_for, named_for, "Spotify refund", {"spotify"})
    assert keeps_label(named_for, named_for, "Refund and renewal", {"spotify"})


def test_a_word_near_the_background_line_names_nothing_new_but_unseats_no_label():
    # "honestly" is in 3 of 12 texts of two topics and 9 of 12 of the other two: common
    # in every topic, but it tells a little about which (gain ratio 0.19)
    texts, topics = [], []
    for topic, phrases in enumerate(THEMES):
        for i in range(12):
            honest = i < (3 if topic < 2 else 9)
            texts.append(f"{phrases[i % 3]} honestly" if honest else phrases[i % 3])
            topics.append(topic)
    per_text, terms = document_terms(texts)
    gains = background_gains(per_text, terms, topics)
    assert SETTLED_GAIN_RATIO < gains["honestly"] < BACKGROUND_GAIN_RATIO
    assert "honestly" in background_words(per_text, terms, topics)
    settled = settled_background(gains, {"spotify"})
    assert settled == {"spotify"}
    named_for = ["playlist", "honestly"]
    assert keeps_label(named_for, named_for, "Playlist honestly", settled)
    assert not keeps_label(named_for, named_for, "Playlist honestly", {"honestly"})


def test_a_taken_name_and_an_allowed_one():
    found = Candidates(
        phrases=["app crashes", "crashes", "app freezes"],
        scores=[1.0, 0.9, 0.85],
        coverage=[0.5, 0.5, 0.2],
        vectors=encode(["app crashes", "crashes", "app freezes"]),
    )
    taken = {99: "App crashes"}
    assert choose_labels({1: found}, [1], {1: []}, taken) != {1: "App crashes"}
    # a name taken at the same level stays taken, even when it is one's own sub-theme's
    assert choose_labels({1: found}, [1], {1: []}, taken, {1: ["App crashes"]}) != {
        1: "App crashes"
    }
    # an issue may share its name with its own sub-theme, not with another's
    beside = {98: "App crashes"}
    assert choose_labels({1: found}, [1], {1: []}, {}, {1: ["App crashes"]}, beside) == {
        1: "App crashes"
    }
    assert choose_labels({1: found}, [1], {1: []}, {}, {}, beside) != {1: "App crashes"}


@pytest.mark.parametrize("praise", [True, False])
def test_a_mostly_positive_topic_is_marked_praise(praise):
    texts, topics = themed("", THEMES[0], THEMES[1])
    tones = ["positive" if praise and t == 0 else "negative" for t in topics]
    labels = names(texts, topics, sentiments=tones)
    assert labels[0].startswith("Praise: ") is praise
    assert not labels[1].startswith("Praise")


@pytest.mark.parametrize(
    ("label", "marked"),
    [
        ("Good app", "Praise: good app"),
        ("UI and feature", "Praise: UI and feature"),
        ("iOS update", "Praise: iOS update"),
        ("Elon musk", "Praise: elon musk"),
        ("Love", "Praise: love"),
    ],
)
def test_the_praise_mark_comes_and_goes_with_the_tone_and_keeps_the_words(label, marked):
    assert praise_label(label, True) == marked
    assert praise_label(marked, True) == marked  # marked once, however often it is kept
    assert praise_label(marked, False) == label  # the tone turned: the same words, unmarked
    assert without_praise(marked) == label


def test_candidates_are_ranked_by_meaning_and_coverage_and_keep_their_vectors():
    texts, topics = themed("", *THEMES)
    vectors = encode(texts)
    per_text, terms = document_terms(texts)
    found = rank_candidates(per_text, terms, topics, vectors, set())
    assert set(found) == {0, 1, 2, 3}
    first = found[2]
    assert first.phrases[0] in {"app crashes", "crashes"}
    assert first.vectors.shape == (len(first.phrases), vectors.shape[1])
    assert np.all(np.diff(first.scores) <= 1e-9)


def test_the_handles_most_texts_are_addressed_to_are_the_brands_words():
    from pulse.topics.vocabulary import handle_words

    texts = [f"@SpotifyCares @user{i} my playlist vanished" for i in range(40)]
    texts += ["@AmericanAir lost my bag"] * 5 + ["no handle here"] * 5
    words = handle_words(texts)
    assert {"spotifycares", "spotify", "cares", "americanair", "american", "air"} <= words
    assert not {w for w in words if w.startswith("user")}  # each private handle is rare


def test_the_tag_most_texts_were_collected_by_is_the_searchs_word_not_a_subject():
    from pulse.topics.vocabulary import handle_words

    # Apple's tweets were gathered by "#AAPL OR @Apple": the ticker names no topic.
    texts = [f"#AAPL: analyst {i} raises the price target" for i in range(30)]
    texts += [f"@Apple my charger frayed again #fail{i}" for i in range(60)]
    texts += ["#PanicBuying at the store"] * 10 + ["#diein downtown"] * 4
    words = handle_words(texts)
    assert {"aapl", "apple"} <= words
    # a rare tag is a subject; a camel-case one is left to its words ("panic buying")
    assert not {"diein", "panicbuying", "panic", "buying"} & words
    assert not {w for w in words if w.startswith("fail")}


def test_a_phrase_reaches_the_texts_that_say_it_in_any_form():
    from pulse.topics.vocabulary import family_counts

    texts = [
        "the app crashes at start",
        "it crashes daily",
        "it crashed again tonight",
        "crashed twice today",
        "keeps crashing on login",
        "crashing and a crash report",  # two forms: one text
        "one crash every morning",
        "the invoice total is wrong",
        "my invoice shows the wrong total",
    ]
    topics = [0] * 7 + [1, 1]
    per_text, terms = document_terms(texts)
    said, family_of = family_counts(per_text, terms, topics, set())
    column = list(terms).index("crashes")
    assert family_of[column] >= 0
    assert said[0, family_of[column]] == 7  # each text once, whatever its forms
    assert said[1, family_of[column]] == 0
    assert family_of[list(terms).index("invoice")] < 0  # one form here: its own counts
    # A family holding a background word is not pooled: a brand's variants stay out.
    _, family_of = family_counts(per_text, terms, topics, {"crash"})
    assert family_of[column] < 0
    found = rank_candidates(per_text, terms, topics, encode(texts), set())
    reach = dict(zip(found[0].phrases, found[0].coverage, strict=True))
    assert reach["crashes"] == 1.0  # two of seven texts spell it "crashes"; all say it


# Made-up words that no two texts share (and no topic could be named by).
SYLLABLES = ("ba", "ke", "ri", "mo", "tu", "la", "ne", "si", "po", "du")
FILLER = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES][::3]


def test_a_wave_said_in_many_forms_is_named_by_what_it_says():
    forms = ("crash", "crashes", "crashed", "crashing")
    # Besides one of the forms, no two of the topic's texts share a word: each form alone
    # is in 3 of its 38 texts (7.9%), the idea in 12.
    words = iter(FILLER)
    texts = [" ".join([form, *(next(words) for _ in range(5))]) for form in forms * 3]
    texts += [" ".join(next(words) for _ in range(6)) for _ in range(26)]
    topics = [0] * len(texts)
    others = [f"my invoice total is wrong this month number {w}" for w in FILLER[:20]]
    label = names(texts + others, topics + [1] * len(others))[0]
    assert label.split()[0].lower() in forms, label


def test_a_second_idea_never_says_the_first_one_again():
    phrases = ["cancellation fees", "fee", "refund"]
    found = Candidates(
        phrases=phrases,
        scores=[1.0, 0.95, 0.9],
        coverage=[0.5, 0.5, 0.3],
        vectors=np.eye(3, 384, dtype=np.float32),  # three unrelated meanings
    )
    texts = ["cancellation fees and a refund"] * 5
    assert choose_labels({0: found}, [0], {0: texts}) == {0: "Cancellation fees and refund"}


def test_issues_side_by_side_never_read_as_one_seen_twice():
    """'Food' beside 'Stock and food' reads as part of it, and so does 'Stock and food'
    beside 'Food': an issue takes another of its phrases or leaves the second idea out.
    A phrase that says more ('App store' beside 'App') stays, sub-themes are not held to
    it, and a topic with no other phrase keeps its name rather than losing it."""
    stock = Candidates(
        phrases=["stock", "food"],
        scores=[1.0, 0.9],
        coverage=[0.5, 0.4],
        vectors=np.eye(2, 384, dtype=np.float32),
    )
    food = _found(["food", "milk shortage"], [0.6, 0.09])
    texts = {1: ["stock food"] * 5, 2: ["food milk shortage"] * 5}
    found = {1: stock, 2: food}
    assert choose_labels(found, [1, 2], texts, distinct=True) == {
        1: "Stock and food",
        2: "Milk shortage and food",
    }
    assert choose_labels(found, [1, 2], texts) == {1: "Stock and food", 2: "Food"}
    assert choose_labels(found, [2, 1], texts, distinct=True) == {2: "Food", 1: "Stock"}
    only = {2: _found(["food"], [0.6])}
    assert choose_labels(only, [2], texts, {9: "Stock and food"}, distinct=True) == {2: "Food"}
    store = {3: _found(["app store", "store"], [0.5, 0.5])}
    assert choose_labels(store, [3], {3: []}, {9: "App"}, distinct=True) == {3: "App store"}


def _found(phrases: list[str], coverage: list[float]) -> Candidates:
    return Candidates(
        phrases=phrases,
        scores=[1.0 - i / 10 for i in range(len(phrases))],
        coverage=coverage,
        vectors=encode(phrases),
    )


def test_a_label_its_texts_still_say_stays_though_its_other_words_moved():
    named_for = ["ios", "iphone", "version", "app"]
    now = ["ios", "crash", "login", "error"]  # one of four words named for: under 30%
    assert not keeps_label(named_for, now, "iOS")
    assert keeps_label(named_for, now, "iOS", set(), _found(now, [0.3, 0.2, 0.1, 0.1]))
    # ... while enough of its texts say it, and it is still one of its keywords
    assert not keeps_label(named_for, now, "iOS", set(), _found(now, [0.05, 0.3, 0.2, 0.1]))
    assert keeps_label(named_for, now, "Praise: iOS", set(), _found(now, [0.3, 0.2, 0.1, 0.1]))
    # A background word still takes the label away.
    assert not keeps_label(named_for, now, "iOS", {"ios"}, _found(now, [0.3, 0.2, 0.1, 0.1]))


def test_a_topic_that_still_has_no_name_keeps_the_one_it_had():
    texts = [" ".join(FILLER[i : i + 8]) for i in range(0, 8 * 30, 8)]  # long, no shared word
    nameless = _found(["lantern", "meadow"], [0.05, 0.04])
    assert keeps_label(["update"], ["lantern"], "Other feedback (3)", set(), nameless, texts)
    # Its number stays: a renamed topic would take the first free one, and the reader
    # would see "Other feedback (3)" become "Other feedback (2)".
    named = _found(["playlist", "meadow"], [0.4, 0.04])
    assert not keeps_label(["update"], ["playlist"], "Other feedback (3)", set(), named, texts)
    short = [" ".join(FILLER[i : i + 2]) for i in range(0, 60, 2)]  # replies of two words
    assert not keeps_label(["update"], ["lantern"], "Other feedback (3)", set(), nameless, short)
    assert keeps_label(["update"], ["lantern"], "Short replies (2)", set(), nameless, short)


def test_praise_is_mostly_positive_with_fewer_complaints_than_the_window():
    from pulse.topics.praise import is_praise, window_negative_share

    tones = ["positive"] * 70 + ["negative"] * 30
    assert is_praise(tones)  # a window without complaints: mostly positive is enough
    assert not is_praise(tones, 0.3)  # complaints at the window's rate: an issue
    assert is_praise(tones, 0.6)  # half the window's rate, over 100 texts: praise
    assert not is_praise(["positive"] * 7 + ["negative"] * 3, 0.6)  # too few to tell
    assert not is_praise(["negative"] * 60 + ["positive"] * 40, 0.9)
    assert window_negative_share(["negative", "positive", None, "negative"]) == 0.5


def test_an_issue_no_phrase_names_takes_the_name_of_its_largest_named_sub_theme():
    # Alexa reviews, 2018-W31: "Works great!" replies beside "Stopped working after a month".
    assert sub_theme_name({"Short replies (4)": 81, "Stopped working": 68}) == "Stopped working"
    assert sub_theme_name({"Praise: easy setup": 40, "Other feedback": 60}) == "Easy setup"
    # ... only when that sub-theme holds a quarter of the issue (Threads: 16% does not)
    assert sub_theme_name({"Short replies": 2637, "Praise: add translation": 495}) is None
    assert sub_theme_name({"Short replies": 10, "Other feedback (2)": 5}) is None
    short = ["works great", "works fine", "love it", "ok so far"] * 5
    nameless = _found(["lantern", "meadow"], [0.05, 0.04])
    assert choose_labels({1: nameless}, [1], {1: short}) == {1: "Short replies"}
    named = {1: "Stopped working"}
    assert choose_labels({1: nameless}, [1], {1: short}, theme_names=named) == named
    # a name another topic holds stays its own
    taken = {7: "Stopped working"}
    assert choose_labels({1: nameless}, [1], {1: short}, taken, theme_names=named) != named
    # a phrase of the issue's own still names it first
    playlist = _found(["playlist", "meadow"], [0.4, 0.04])
    assert choose_labels({1: playlist}, [1], {1: short}, theme_names=named) == {1: "Playlist"}


def test_a_nameless_issue_is_named_by_its_sub_themes_in_one_fit():
    replies = ["Love it!", "Perfect!", "Great buy", "Super happy", "Five stars", "Very nice"]
    broken = [f"It stopped working after {n} weeks" for n in ("two", "three", "four", "six")]
    broken = broken * 3 + [
        "The cord is far too short for my kitchen counter",
        "Setup asked me for a password I never had",
        "My daughter could not pair it with her phone",
    ]
    texts = replies * 6 + broken + THEMES[1] * 10
    themes = [0] * 36 + [1] * 15 + [2] * 30
    issues = [0] * 51 + [1] * 30
    theme_labels = names(texts, themes)
    assert theme_labels[0] == "Short replies" and "working" in theme_labels[1], theme_labels
    # Alone, the issue is short replies: "stopped working" is in 12 of its 51 texts.
    assert names(texts, issues)[0] == "Short replies"
    labels = names(texts, issues, sub_themes=(themes, theme_labels))
    assert labels[0] == theme_labels[1], (labels, theme_labels)
