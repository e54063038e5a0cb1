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
]
ALL_TEXTS = COMPLAINTS + PRAISE + QUESTIONS


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


def test_a_plain_support_question_is_not_scored_as_a_complaint(scored):
    by_text = dict(zip(ALL_TEXTS, scored, strict=True))
    assert by_text[QUESTIONS[0]][0] != "negative"


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
    assert path.stat().st_size < 100_000
    model = sentiment.load_artifact(path)
    assert model is not None
    assert model.model_name == sentiment.MODEL_NAME
    assert model.coef.shape == (3, sentiment.EMBEDDING_DIM + 7)
    sources = " ".join(model.trained_on)
    assert "apple_twitter_sentiment (train split" in sources
    assert "alexa" not in sources.lower()


def test_no_test_phrase_is_in_the_training_phrases():
    with (REPO_ROOT / "scripts" / "support_sentiment_phrases.csv").open(encoding="utf-8") as f:
        trained = {row["text"].strip().lower() for row in csv.DictReader(f)}
    assert not {text.lower() for text in ALL_TEXTS} & trained


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


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data (labelled tweets) is absent")
def test_the_model_beats_vader_on_held_out_apple_tweets(encoder):
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import train_sentiment
    from sklearn.metrics import f1_score

    texts, truth = train_sentiment.apple_tweets(SHARED_DATA, "test")
    texts, truth = texts[:150], truth[:150]
    ours = [label for label, _ in sentiment.score_texts(texts, embed(encoder, texts))]
    vader = [label for label, _ in sentiment.vader_scores(texts)]
    ours_f1 = f1_score(truth, ours, average="macro")
    vader_f1 = f1_score(truth, vader, average="macro")
    assert ours_f1 >= vader_f1 + 0.10, (ours_f1, vader_f1)


def test_fp32_and_int8_vectors_give_the_same_labels(scored):
    """The weights were fitted on fp32 MiniLM; the pipeline embeds with the int8 export."""
    from pulse.embed import FP32

    fp32 = sentiment.score_texts(ALL_TEXTS, embed(FP32, ALL_TEXTS))
    assert [label for label, _ in fp32] == [label for label, _ in scored]
    assert max(abs(a - b) for (_, a), (_, b) in zip(fp32, scored, strict=True)) < 0.15


@pytest.mark.parametrize("worker", [False, True], ids=["here", "shared-with-the-worker"])
def test_the_sentiment_stage_scores_in_chunks_exactly_what_one_pass_scores(
    encoder, tmp_path, monkeypatch, worker
):
    import hashlib

    from pulse.db import connect
    from pulse.embed import embed_missing
    from pulse.ingest import clean
    from pulse.pipeline import stage_sentiment

    if worker:
        # Chunks of 3 texts, each shared with the worker 2 texts at a time, and the next
        # chunk's features begun in the worker while this one is scored and written.
        monkeypatch.setattr(clean, "PARALLEL_MIN_TEXTS", 2)
        monkeypatch.setattr(clean, "CHUNK_TEXTS", 2)

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
        assert stage_sentiment(con, chunk_size=3) == len(ALL_TEXTS)
        assert stage_sentiment(con, chunk_size=3) == 0  # nothing left to score
        assert clean._POOL is not None or not worker  # the worker really took part
        stored = con.execute("select label, score from sentiment order by feedback_id").fetchall()
    expected = sentiment.score_texts(ALL_TEXTS, embed(encoder, ALL_TEXTS))
    assert [label for label, _ in stored] == [label for label, _ in expected]
    assert np.allclose([s for _, s in stored], [s for _, s in expected], atol=1e-5)


def test_a_large_batch_shared_with_the_worker_process_gets_the_same_features():
    from pulse.ingest import clean

    phrases = [
        "still waiting for a reply, thanks for nothing",
        "love the new profile page!",
        "I got locked out again after the update",
        "how do I change my billing email?",
    ]
    # Enough distinct texts for the worker to take part (PARALLEL_MIN_TEXTS).
    texts = [f"{phrases[i % 4]} (ticket {i})" for i in range(clean.PARALLEL_MIN_TEXTS)]
    shared = sentiment.lexicon_features(texts)
    assert clean._POOL is not None  # the worker process really ran
    alone = np.asarray(sentiment._lexicon_rows(texts), dtype=np.float32)
    np.testing.assert_array_equal(shared, alone)
    assert shared.shape == (len(texts), 7)
    assert shared[:, 6].sum() == len(texts) / 4  # "thanks for nothing", every fourth text


def test_the_one_pass_cue_check_finds_a_cue_exactly_when_one_of_the_cues_does():
    from pulse import sentiment

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
        brute = any(cue.search(text) for cue in sentiment._COMPLAINT_CUES)
        assert bool(sentiment._ANY_COMPLAINT_CUE.search(text)) == brute, text
