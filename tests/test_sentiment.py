"""Per-text sentiment: the shipped model on the pipeline's MiniLM vectors; its VADER fallback."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from pulse import sentiment
from pulse.config import REPO_ROOT
from pulse.errors import PulseError
from pulse.sentiment import lexicon

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# None of these is in scripts/support_sentiment_phrases.csv (checked below), so they
# test what the model learnt rather than what it memorised.
COMPLAINTS = [
    "still waiting for a refund, thanks for nothing",
    "I love how my account got locked again",
    "Been on hold for two hours and still nobody has fixed my login",
    "You cancelled my subscription but charged me again this month, unbelievable",
]
PRAISE = [
    "Thank you so much, the agent solved my problem in minutes. Great service!",
    "I love the new profile page, it looks fantastic",
]
QUESTIONS = [
    "How can I update the billing email on our recruiter plan?",
    "What are your opening hours on Sunday?",
    "Can I change my delivery address?",
    "Where do I find my account number?",
]
# Subject lines of complaints: a noun phrase that names the problem, no sentiment word.
# The first four are titles from a regulator's complaint export (issue 17).
TERSE_COMPLAINTS = [
    "Data Caps",
    "Price increase",
    "Unfair billing",
    "Internet outage",
    "Billing dispute",
    "Late fees",
    "Account hacked",
    "Poor signal",
    "Refund delay",
    "Incorrect balance",
    "Service interruption",
    "Unreliable service",
]
STILL_WAITING = [
    "Still waiting for my package after 3 weeks",
    "still waiting on a callback",
    "My flight was cancelled and the airline has not refunded me after 6 weeks",
]
FORMAL_COMPLAINTS = [
    "I am writing regarding a charge on my account that I did not make. I reported it to "
    "the bank on March 3 and was told the amount would be credited, but it has not been "
    "credited and the bank no longer answers my letters.",
    "The servicer added fees to my mortgage balance that were never explained. I asked for "
    "an itemized statement in writing twice and have received nothing.",
]
ALL_TEXTS = COMPLAINTS + PRAISE + QUESTIONS
SUPPORT_TEXTS = TERSE_COMPLAINTS + STILL_WAITING + FORMAL_COMPLAINTS


@pytest.fixture(scope="module")
def encoder() -> str:
    """The embedder a pipeline run uses by default, so these tests score what production scores."""
    from pulse.embed import MODEL_NAME

    return MODEL_NAME


def embed(encoder: str, texts: list[str]) -> np.ndarray:
    from pulse.embed import encode

    return encode(texts, model_name=encoder)


@pytest.fixture(scope="module")
def scored(encoder) -> list[tuple[str, float]]:
    return sentiment.score_texts(ALL_TEXTS, embed(encoder, ALL_TEXTS))


def test_every_text_gets_a_known_label_and_a_score_between_minus_one_and_one(scored):
    assert len(scored) == len(ALL_TEXTS)
    for label, score in scored:
        assert label in sentiment.LABELS
        assert -1.0 <= score <= 1.0


def test_support_complaints_that_fool_a_lexicon_come_out_negative(scored):
    by_text = dict(zip(ALL_TEXTS, scored, strict=True))
    for text in COMPLAINTS:
        label, score = by_text[text]
        assert label == "negative", (text, label, score)
        assert score < -0.3, (text, score)


def test_vader_alone_gets_the_sarcastic_complaints_wrong():
    # The reason the model exists: if VADER ever got these right, the test above proves less.
    vader = dict(zip(COMPLAINTS, sentiment.vader_scores(COMPLAINTS), strict=True))
    assert vader["still waiting for a refund, thanks for nothing"][0] == "positive"
    assert vader["I love how my account got locked again"][0] == "positive"


def test_clear_praise_comes_out_positive(scored):
    by_text = dict(zip(ALL_TEXTS, scored, strict=True))
    for text in PRAISE:
        label, score = by_text[text]
        assert label == "positive", (text, label, score)
        assert score > 0.3, (text, score)


def test_plain_support_questions_come_out_neutral(scored):
    by_text = dict(zip(ALL_TEXTS, scored, strict=True))
    for text in QUESTIONS:
        label, score = by_text[text]
        assert label == "neutral", (text, label, score)
        assert abs(score) < 0.3, (text, score)


@pytest.fixture(scope="module")
def support_scored(encoder) -> dict[str, tuple[str, float]]:
    scored = sentiment.score_texts(SUPPORT_TEXTS, embed(encoder, SUPPORT_TEXTS))
    return dict(zip(SUPPORT_TEXTS, scored, strict=True))


def test_terse_complaint_titles_come_out_negative(support_scored):
    wrong = {text: support_scored[text] for text in TERSE_COMPLAINTS}
    wrong = {text: got for text, got in wrong.items() if got[0] != "negative"}
    assert not wrong


def test_still_waiting_complaints_come_out_negative(support_scored):
    for text in STILL_WAITING:
        label, score = support_scored[text]
        assert label == "negative" and score < -0.3, (text, label, score)


def test_formal_complaint_narratives_come_out_negative(support_scored):
    for text in FORMAL_COMPLAINTS:
        label, score = support_scored[text]
        assert label == "negative" and score < -0.3, (text, label, score)


def test_vader_alone_calls_titles_without_a_sentiment_word_neutral():
    # Why the terse titles need the model: a lexicon knows none of these words.
    titles = ["Data Caps", "Internet outage", "Late fees", "Unreliable service"]
    assert {label for label, _ in sentiment.vader_scores(titles)} == {"neutral"}


def test_the_sign_of_the_score_agrees_with_the_label(scored, support_scored):
    for label, score in [*scored, *support_scored.values()]:
        if label == "negative":
            assert score < 0
        if label == "positive":
            assert score > 0


def test_scoring_the_same_texts_twice_gives_identical_results(encoder, scored):
    again = sentiment.score_texts(ALL_TEXTS, embed(encoder, ALL_TEXTS))
    assert again == scored


def test_scoring_a_text_alone_gives_the_same_result_as_in_a_batch(encoder, scored):
    alone = sentiment.score_texts(ALL_TEXTS[:1], embed(encoder, ALL_TEXTS[:1]))
    assert alone[0][0] == scored[0][0]
    assert alone[0][1] == pytest.approx(scored[0][1], abs=1e-4)


def test_without_embeddings_vader_scores_and_the_model_name_says_so():
    result = sentiment.score_texts(ALL_TEXTS, None)
    assert result == sentiment.vader_scores(ALL_TEXTS)
    name = sentiment.active_model_name(have_embeddings=False)
    assert "vader" in name and "fallback" in name
    assert sentiment.active_model_name() == sentiment.MODEL_NAME


def test_a_missing_artifact_falls_back_to_vader(encoder, monkeypatch, tmp_path):
    monkeypatch.setattr(sentiment, "ARTIFACT_PATH", tmp_path / "absent.npz")
    result = sentiment.score_texts(ALL_TEXTS[:2], embed(encoder, ALL_TEXTS[:2]))
    assert result == sentiment.vader_scores(ALL_TEXTS[:2])
    assert "model file missing" in sentiment.active_model_name()


def test_an_artifact_built_for_other_features_is_refused_with_the_fix(monkeypatch, tmp_path):
    stale = tmp_path / "stale.npz"
    np.savez(
        stale,
        coef=np.zeros((3, 390)),
        intercept=np.zeros(3),
        labels=np.array(sentiment.LABELS),
        model_name=np.array("old"),
        feature_version=np.array("minilm384+vader3/v0"),
        trained_on=np.array("{}"),
    )
    monkeypatch.setattr(sentiment, "ARTIFACT_PATH", stale)
    with pytest.raises(PulseError, match="train_sentiment.py"):
        sentiment.score_texts(["hello"], np.zeros((1, 384), dtype=np.float32))


def test_embeddings_that_do_not_match_the_texts_are_refused():
    with pytest.raises(ValueError, match="expected \\(2, 384\\)"):
        sentiment.score_texts(["one", "two"], np.zeros((3, 384), dtype=np.float32))


def test_no_texts_give_no_scores():
    assert sentiment.score_texts([], np.zeros((0, 384), dtype=np.float32)) == []


def test_a_huge_untrusted_text_is_scored_quickly_and_in_range(encoder):
    text = "still waiting " * 50_000
    ((label, score),) = sentiment.score_texts([text], embed(encoder, [text[:500]]))
    assert label in sentiment.LABELS and -1 <= score <= 1


def test_the_shipped_artifact_loads_is_small_and_names_its_training_data():
    path = sentiment.ARTIFACT_PATH
    assert path.stat().st_size < 2_000_000  # the network and 2^18 float16 n-gram weights
    model = sentiment.load_artifact(path)
    assert model is not None
    assert model.model_name == sentiment.MODEL_NAME == "pulse-sent-minilm-mlp-v3"
    assert model.network.hidden_weight.shape[0] == sentiment.EMBEDDING_DIM + 7 + 3
    assert model.ngram_weight.shape == (sentiment.WORD_BUCKETS, 3)
    # The bias leans towards "negative" (the operating point chosen on cross-validation).
    assert model.decision_bias[0] > 0 and not model.decision_bias[1:].any()
    sources = " ".join(model.trained_on).lower()
    for name in ("semeval2017", "apple_twitter_sentiment (train split", "alexa", "threads"):
        assert name in sources
    assert "corona" not in sources  # measured only: its labels are lexicon-made


def test_the_model_card_beside_the_artifact_names_every_training_set_and_its_licence():
    card = sentiment.ARTIFACT_PATH.with_suffix(".md").read_text(encoding="utf-8")
    model = sentiment.load_artifact(sentiment.ARTIFACT_PATH)
    assert sentiment.MODEL_NAME in card
    for name in model.trained_on:
        folder = name.split()[0].split("/")[-1]
        assert folder in card, folder
    assert "## Licences of the training data" in card
    for licence in ("Creative Commons Attribution 3.0", "CDLA-Sharing-1.0", "not stated"):
        assert licence in card
    assert "## Held-out results" in card and "## Known limits" in card


def test_the_packaged_files_include_the_model_card():
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"models/*.md"' in pyproject and '"models/*.npz"' in pyproject


def test_a_v1_logistic_regression_artifact_is_refused_with_the_fix(monkeypatch, tmp_path):
    old = tmp_path / "sentiment_lr_v1.npz"
    np.savez(
        old,
        coef=np.zeros((3, 391)),
        intercept=np.zeros(3),
        labels=np.array(sentiment.LABELS),
        model_name=np.array("pulse-sent-minilm-lr-v1"),
        feature_version=np.array(sentiment.FEATURE_VERSION),
        trained_on=np.array("{}"),
    )
    monkeypatch.setattr(sentiment, "ARTIFACT_PATH", old)
    with pytest.raises(PulseError, match="format 'v1'.*train_sentiment.py"):
        sentiment.score_texts(["hello"], np.zeros((1, 384), dtype=np.float32))


def test_a_v2_artifact_without_the_ngram_regression_is_refused_with_the_fix(monkeypatch, tmp_path):
    old = tmp_path / "sentiment_mlp_v2.npz"
    np.savez(
        old,
        hidden_weight=np.zeros((391, 4), dtype=np.float32),
        hidden_bias=np.zeros(4, dtype=np.float32),
        output_weight=np.zeros((4, 3), dtype=np.float32),
        output_bias=np.zeros(3),
        decision_bias=np.zeros(3),
        labels=np.array(sentiment.LABELS),
        model_name=np.array("pulse-sent-minilm-mlp-v2"),
        feature_version=np.array("minilm384+vader4+cues3/v1"),
        artifact_format=np.array("mlp-1hidden/v2"),
        trained_on=np.array("{}"),
    )
    monkeypatch.setattr(sentiment, "ARTIFACT_PATH", old)
    with pytest.raises(PulseError, match="minilm384\\+vader4\\+cues3/v1.*train_sentiment.py"):
        sentiment.score_texts(["hello"], np.zeros((1, 384), dtype=np.float32))


def test_the_ngram_regression_scores_each_training_row_without_having_seen_it(train_sentiment):
    # Each row's label is carried by a made-up word found in that row alone: a regression
    # that saw the row is sure of it, one that did not cannot be.
    from pulse.sentiment.ngrams import ngram_log_proba, word_ngrams

    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("bcdfghjklmnpqrstvwxz"), 9)) for _ in range(150)]
    texts = words
    target = np.arange(len(texts)) % 3
    weights = np.ones(len(texts))
    folds = np.array([train_sentiment.fold_of(text) for text in texts])
    ngrams = word_ngrams(texts)
    out_of_fold = train_sentiment.ngram_regression_out_of_fold(ngrams, target, weights, folds)
    weight, bias = train_sentiment.fit_ngram_regression(ngrams, target, weights)
    seen = ngram_log_proba(ngrams, weight, bias)
    pick = np.arange(len(texts))
    assert (np.exp(seen[pick, target]) > 0.45).all()  # 1/3 is a guess
    assert (np.exp(out_of_fold[pick, target]) < 0.4).all()


def test_no_test_phrase_is_in_the_training_phrases():
    with (REPO_ROOT / "scripts" / "support_sentiment_phrases.csv").open(encoding="utf-8") as f:
        trained = {row["text"].strip().lower() for row in csv.DictReader(f)}
    assert not {text.lower() for text in ALL_TEXTS + SUPPORT_TEXTS} & trained


def test_training_without_the_shared_data_exits_with_a_clear_message(tmp_path):
    before = sentiment.ARTIFACT_PATH.read_bytes()
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "train_sentiment.py"),
            "--data-dir",
            str(tmp_path / "no-such-folder"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "labelled data not found" in result.stderr
    assert "keeps working" in result.stderr
    assert sentiment.ARTIFACT_PATH.read_bytes() == before


@pytest.fixture(scope="module")
def train_sentiment():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import train_sentiment

    return train_sentiment


def test_fitting_the_network_twice_gives_identical_weights(train_sentiment, monkeypatch):
    monkeypatch.setattr(train_sentiment, "EPOCHS", 2)
    rng = np.random.default_rng(0)
    features = rng.standard_normal((600, sentiment.EMBEDDING_DIM + 7))
    target = (features[:, 0] > 0).astype(int) + (features[:, 1] > 1).astype(int)
    weights = np.ones(len(target))
    first = train_sentiment.fit_network(features, target, weights)
    second = train_sentiment.fit_network(features, target, weights)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_decision_bias_is_the_smallest_that_lifts_mean_negative_recall_to_the_goal(
    train_sentiment,
):
    # Four sets, one negative text each; their P(negative) sit at different distances
    # below P(neutral), so each extra 0.05 of bias recalls one more of them.
    gaps = [0.0, 0.1, 0.2, 0.6]  # log P(neutral) - log P(negative)
    logits = np.array([[-1.0 - gap, -1.0, -9.0] for gap in gaps])
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    sets = np.array(train_sentiment.LABELLED_SETS)
    bias, recalls = train_sentiment.choose_decision_bias(probabilities, np.zeros(4, int), sets)
    # Mean recall 0.82 needs all four sets: the gap of 0.6 must be crossed.
    assert bias == pytest.approx(0.65)
    assert set(recalls.values()) == {1.0}


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data (labelled sets) is absent")
@pytest.mark.parametrize("loader", ["alexa_reviews", "threads_reviews", "apple_tweets"])
def test_no_held_out_text_is_in_the_training_split(train_sentiment, loader):
    read = getattr(train_sentiment, loader)
    train, _ = read(SHARED_DATA, "train")
    test, _ = read(SHARED_DATA, "test")
    assert len(test) > 0.2 * (len(train) + len(test))
    if loader != "apple_tweets":  # keyed on the text: even repeated reviews stay on one side
        assert not set(train) & set(test)


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data (labelled tweets) is absent")
def test_semeval_training_never_reads_the_2017_test_tweets(train_sentiment):
    train, _ = train_sentiment.semeval_tweets(SHARED_DATA, "train")
    test, labels = train_sentiment.semeval_tweets(SHARED_DATA, "test")
    assert (len(train), len(test)) == (49_486, 12_284)
    assert sorted(set(labels)) == sorted(sentiment.LABELS)
    assert not set(test) & set(train)


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data (labelled tweets) is absent")
def test_the_model_beats_vader_on_held_out_apple_tweets(encoder, train_sentiment):
    from sklearn.metrics import f1_score

    texts, truth = train_sentiment.apple_tweets(SHARED_DATA, "test")
    texts, truth = texts[:150], truth[:150]
    ours = [label for label, _ in sentiment.score_texts(texts, embed(encoder, texts))]
    vader = [label for label, _ in sentiment.vader_scores(texts)]
    ours_f1 = f1_score(truth, ours, average="macro")
    vader_f1 = f1_score(truth, vader, average="macro")
    assert ours_f1 >= vader_f1 + 0.10, (ours_f1, vader_f1)


def test_fp32_and_int8_vectors_give_the_same_labels(scored):
    """The weights were fitted on the int8 export; `all-MiniLM-L6-v2` (fp32) is a setting."""
    from pulse.embed import FP32

    fp32 = sentiment.score_texts(ALL_TEXTS, embed(FP32, ALL_TEXTS))
    assert [label for label, _ in fp32] == [label for label, _ in scored]
    assert max(abs(a - b) for (_, a), (_, b) in zip(fp32, scored, strict=True)) < 0.15


@pytest.mark.parametrize("worker", [False, True], ids=["here", "shared-with-the-worker"])
def test_the_sentiment_stage_scores_in_chunks_exactly_what_one_pass_scores(
    encoder, tmp_path, monkeypatch, worker
):
    import hashlib

    from pulse import workers
    from pulse.db import connect
    from pulse.embed import embed_missing
    from pulse.stages import score_sentiment

    if worker:
        # Chunks of 3 texts, each shared with the worker 2 texts at a time, and the next
        # chunk's features begun in the worker while this one is scored and written.
        monkeypatch.setattr(workers, "PARALLEL_MIN_TEXTS", 2)
        monkeypatch.setattr(workers, "CHUNK_TEXTS", 2)

    with connect(tmp_path / "pulse.duckdb") as con:
        for i, text in enumerate(ALL_TEXTS):
            con.execute(
                """
                insert into feedback (feedback_id, source, external_id, kind, created_at,
                                      text, text_redacted, text_hash)
                values ($id, 'test', $id, 'ticket', timestamp '2026-11-10 09:00', $t, $t, $h)
                """,
                {"id": f"t{i}", "t": text, "h": hashlib.sha256(text.encode()).hexdigest()},
            )
        embed_missing(con)
        assert score_sentiment(con, chunk_size=3) == len(ALL_TEXTS)
        assert score_sentiment(con, chunk_size=3) == 0  # nothing left to score
        assert workers._POOL is not None or not worker  # the worker really took part
        stored = con.execute(
            "select label, score, model from sentiment order by feedback_id"
        ).fetchall()
    expected = sentiment.score_texts(ALL_TEXTS, embed(encoder, ALL_TEXTS))
    assert [label for label, _, _ in stored] == [label for label, _ in expected]
    assert np.allclose([s for _, s, _ in stored], [s for _, s in expected], atol=1e-5)
    assert {model for _, _, model in stored} == {sentiment.MODEL_NAME}


def test_a_large_batch_shared_with_the_worker_process_gets_the_same_features():
    from pulse import workers

    phrases = [
        "still waiting for a reply, thanks for nothing",
        "love the new profile page!",
        "I got locked out again after the update",
        "how do I change my billing email?",
    ]
    # Enough distinct texts for the worker to take part (PARALLEL_MIN_TEXTS).
    texts = [f"{phrases[i % 4]} (ticket {i})" for i in range(workers.PARALLEL_MIN_TEXTS)]
    shared = sentiment.lexicon_features(texts)
    assert workers._POOL is not None  # the worker process really ran
    alone = np.asarray(lexicon._lexicon_rows(texts), dtype=np.float32)
    np.testing.assert_array_equal(shared, alone)
    assert shared.shape == (len(texts), 7)
    assert shared[:, 6].sum() == len(texts) / 4  # "thanks for nothing", every fourth text


def _pids(rows: list) -> list[int]:
    """Which process handled each row (module-level, so the worker can import it); a
    chunk takes a moment, as a real one does, so both processes reach some."""
    import os
    import time

    time.sleep(0.05)
    return [os.getpid()] * len(rows)


def test_a_streamed_batch_under_the_threshold_is_shared_with_the_worker_too():
    """The sentiment stage's English share of a chunk is often a little under
    PARALLEL_MIN_TEXTS (a window with other languages): streamed batches share anyway."""
    import os

    from pulse import workers

    rows = list(range(workers.PARALLEL_MIN_TEXTS - 1))
    workers.warm_pool()
    assert workers._POOL is not None
    workers._POOL.submit(_pids, [0]).result()  # the worker is up, as from a stream's 2nd batch
    alone = workers.start_shared(_pids, (rows,))()
    assert set(alone) == {os.getpid()}  # under the threshold: this process alone
    shared = workers.start_shared(_pids, (rows,), min_rows=2 * workers.CHUNK_TEXTS)()
    assert len(shared) == len(rows)
    assert len(set(shared)) == 2 and os.getpid() in shared  # both processes took chunks

    texts = [f"still waiting for a reply, thanks for nothing ({i})" for i in range(5_000)]
    streamed = sentiment.start_lexicon_features(texts, streaming=True)()
    np.testing.assert_array_equal(
        streamed, np.asarray(lexicon._lexicon_rows(texts), dtype=np.float32)
    )


def test_the_one_pass_cue_check_finds_a_cue_exactly_when_one_of_the_cues_does():

    texts = [
        "still waiting for my refund",
        "Locked out AGAIN, no reply from support",
        "I waited for three days",
        "charged me twice this month",
        "love how the app doesn't load",
        "thanks, all good now",
        "",
        "the export works fine",
    ]
    for text in texts:
        brute = any(cue.search(text) for cue in lexicon._COMPLAINT_CUES)
        assert bool(lexicon._ANY_COMPLAINT_CUE.search(text)) == brute, text
