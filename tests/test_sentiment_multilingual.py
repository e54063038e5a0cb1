"""Sentiment in each language: the multilingual model on USE vectors, and the stage's routing.

English texts and texts of unknown language keep the English model on MiniLM vectors;
every other language is scored by `pulse.sentiment.multilingual`. Real DuckDB files, the
real encoders and the shipped weights.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from pulse import sentiment
from pulse.config import REPO_ROOT
from pulse.db import connect
from pulse.embed import USE_M3, embed_missing, encode
from pulse.errors import PulseError
from pulse.sentiment import multilingual
from pulse.stages import score_sentiment

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# Written for these tests, in no training set: support complaints, questions and praise.
COMPLAINTS = {
    "de": "Ich warte seit drei Wochen auf meine Erstattung und niemand beantwortet meine Mails.",
    "fr": "On m'a prélevé deux fois ce mois-ci et le service client ne répond jamais.",
    "es": "Otra vez me cobraron dos veces y nadie del soporte me contesta.",
}
PRAISE = {
    "de": "Vielen Dank, das Problem wurde in zehn Minuten gelöst. Toller Kundendienst!",
    "fr": "Merci beaucoup, mon problème a été réglé en quelques minutes, service au top !",
}
QUESTIONS = {
    "de": "Wie kann ich die E-Mail-Adresse für meine Rechnungen ändern?",
    "fr": "Comment puis-je changer l'adresse e-mail de mes factures ?",
}
ENGLISH = [
    ("en", "still waiting for a refund, thanks for nothing"),
    (None, "I love the new profile page, it looks fantastic"),
]


def _scored(texts: list[str]) -> list[tuple[str, float]]:
    return multilingual.score_texts(texts, encode(texts, model_name=USE_M3))


def test_complaints_in_other_languages_come_out_negative():
    for (language, text), (label, score) in zip(
        COMPLAINTS.items(), _scored(list(COMPLAINTS.values())), strict=True
    ):
        assert label == "negative" and score < -0.3, (language, text, label, score)


def test_praise_comes_out_positive_and_questions_neutral():
    praise = _scored(list(PRAISE.values()))
    questions = _scored(list(QUESTIONS.values()))
    assert [label for label, _ in praise] == ["positive"] * len(PRAISE), praise
    assert [label for label, _ in questions] == ["neutral"] * len(QUESTIONS), questions


def test_a_text_scores_the_same_alone_as_in_a_batch():
    texts = list(COMPLAINTS.values()) + list(PRAISE.values())
    batch = _scored(texts)
    alone = _scored(texts[:1])
    assert alone[0][0] == batch[0][0]
    assert alone[0][1] == pytest.approx(batch[0][1], abs=1e-4)


def _add(con, rows: list[tuple[str | None, str]], prefix: str = "t") -> None:
    for i, (language, text) in enumerate(rows):
        con.execute(
            """
            insert into feedback (feedback_id, source, external_id, kind, created_at,
                                  text, text_redacted, text_hash, language)
            values ($id, 'test', $id, 'ticket', timestamp '2026-11-10 09:00', $t, $t, $h, $lang)
            """,
            {
                "id": f"{prefix}{i}",
                "t": text,
                "h": hashlib.sha256(text.encode()).hexdigest(),
                "lang": language,
            },
        )


@pytest.fixture
def scored_database(tmp_path):
    """A database of German, French and English rows (one of unknown language), scored."""
    rows = [("de", COMPLAINTS["de"]), ("fr", COMPLAINTS["fr"]), *ENGLISH]
    with connect(tmp_path / "pulse.duckdb") as con:
        _add(con, rows)
        # As the embed stage does: MiniLM for English and unknown, USE for the others.
        embed_missing(con, scope="english")
        embed_missing(con, model_name=USE_M3, scope="other")
        assert score_sentiment(con, chunk_size=3) == len(rows)
        yield con


def test_the_sentiment_stage_scores_each_language_with_the_model_it_calls_for(scored_database):
    stored = scored_database.execute(
        "select feedback_id, label, model from sentiment order by feedback_id"
    ).fetchall()
    assert [(i, model) for i, _, model in stored] == [
        ("t0", multilingual.MODEL_NAME),
        ("t1", multilingual.MODEL_NAME),
        ("t2", sentiment.MODEL_NAME),
        ("t3", sentiment.MODEL_NAME),
    ]
    assert [label for _, label, _ in stored[:2]] == ["negative", "negative"]


def test_english_rows_get_exactly_what_the_english_model_gives(scored_database):
    texts = [text for _, text in ENGLISH]
    expected = sentiment.score_texts(texts, encode(texts, model_name="minilm-onnx-int8-v2"))
    stored = scored_database.execute(
        "select label, score from sentiment where feedback_id in ('t2', 't3') order by feedback_id"
    ).fetchall()
    assert [label for label, _ in stored] == [label for label, _ in expected]
    assert [score for _, score in stored] == pytest.approx([s for _, s in expected], abs=1e-6)
    assert score_sentiment(scored_database) == 0  # nothing left to score


def test_a_text_whose_language_is_found_later_is_rescored_by_its_language_model(
    scored_database,
):
    con = scored_database
    con.execute("update feedback set language = 'de' where feedback_id = 't2'")
    embed_missing(con, model_name=USE_M3, scope="other")
    assert score_sentiment(con) == 1
    model = con.execute("select model from sentiment where feedback_id = 't2'").fetchone()[0]
    assert model == multilingual.MODEL_NAME
    assert con.execute("select count(*) from sentiment").fetchone()[0] == 4


def test_the_shipped_artifact_loads_is_small_and_names_its_training_data():
    path = multilingual.ARTIFACT_PATH
    assert path.stat().st_size < 1_000_000
    model = multilingual.load_artifact(path)
    assert model is not None
    assert model.model_name == multilingual.MODEL_NAME == "pulse-sent-use-mlp-v1"
    assert model.network.hidden_weight.shape[0] == multilingual.EMBEDDING_DIM + 3
    assert model.char_weight.shape == (multilingual.CHAR_BUCKETS, 3)
    with np.load(path) as archive:
        assert str(archive["feature_version"]) == multilingual.FEATURE_VERSION
        assert str(archive["artifact_format"]) == multilingual.ARTIFACT_FORMAT
    sources = " ".join(model.trained_on).lower()
    for language in ("arabic", "french", "german", "hindi", "italian", "portuguese", "spanish"):
        assert f"umsab_multilingual_tweet_sentiment/{language} (train split" in sources
    assert "semeval2017" in sources and "without the tweets umsab holds" in sources
    assert "corona" not in sources


def test_the_model_card_names_every_training_set_and_its_licence():
    card = multilingual.ARTIFACT_PATH.with_suffix(".md").read_text(encoding="utf-8")
    model = multilingual.load_artifact(multilingual.ARTIFACT_PATH)
    assert multilingual.MODEL_NAME in card and multilingual.FEATURE_VERSION in card
    for name in model.trained_on:
        assert name.split()[0].split("/")[-1] in card, name
    for licence in ("Apache-2.0", "Creative Commons Attribution 3.0", "CDLA-Sharing-1.0"):
        assert licence in card
    assert "## Held-out results" in card and "## Known limits" in card


def test_an_artifact_built_for_other_features_is_refused_with_the_fix(monkeypatch, tmp_path):
    model = multilingual.load_artifact(multilingual.ARTIFACT_PATH)
    stale = tmp_path / "stale.npz"
    multilingual.save_model(model, stale)
    with np.load(stale) as archive:
        fields = dict(archive)
    fields["feature_version"] = np.array("use512+chargram2-4x262144/v0")
    np.savez(stale, **fields)
    monkeypatch.setattr(multilingual, "ARTIFACT_PATH", stale)
    with pytest.raises(PulseError, match="train_sentiment_multilingual.py"):
        multilingual.score_texts(["hallo"], np.zeros((1, 512), dtype=np.float32))


def test_a_missing_artifact_falls_back_to_vader_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(multilingual, "ARTIFACT_PATH", tmp_path / "absent.npz")
    texts = list(COMPLAINTS.values())
    assert multilingual.score_texts(texts, np.zeros((3, 512))) == sentiment.vader_scores(texts)
    assert "model file missing" in multilingual.active_model_name()


def test_vectors_of_the_wrong_width_are_refused():
    with pytest.raises(ValueError, match="expected \\(1, 512\\)"):
        multilingual.score_texts(["hallo"], np.zeros((1, 384), dtype=np.float32))


# The first buckets of "Très déçu" when the weights were trained.
PINNED_BUCKETS = [1822, 9411, 11149, 18045, 18262, 18295]


def test_character_ngrams_hash_to_the_buckets_the_weights_were_trained_on():
    # sklearn's murmurhash of char_wb 2-4 grams: if an upgrade moved a bucket, the weights
    # would read other columns, and FEATURE_VERSION would have to change.
    ngrams = multilingual.char_ngrams(["Très déçu"])
    assert ngrams.shape == (1, multilingual.CHAR_BUCKETS)
    assert ngrams.indices.tolist()[:6] == PINNED_BUCKETS
    assert np.linalg.norm(ngrams.data) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def trainer():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    import train_sentiment_multilingual

    return train_sentiment_multilingual


def test_the_decision_bias_is_the_one_with_the_best_mean_val_macro_f1(trainer):
    # Per language: three negatives, a neutral and a positive. Two negatives sit 0.22 and
    # 0.55 below neutral: 0.25 of bias recalls the first at no cost; the second would
    # cost the neutral text, which turns negative from 0.5 on.
    gaps = np.array([0.0, 0.22, 0.55])
    one = np.vstack(
        [
            np.c_[-1.0 - gaps, -1.0 + 0 * gaps, -9.0 + 0 * gaps],
            [-1.5, -1.0, -9.0],
            [-9.0, -9.0, -1.0],
        ]
    )
    log_proba = {lang: one for lang in trainer.CHOSEN_ON}
    truth = {lang: np.array([0, 0, 0, 1, 2]) for lang in trainer.CHOSEN_ON}
    bias, means = trainer.choose_decision_bias(log_proba, truth)
    assert bias == pytest.approx(0.25)
    assert means[bias] == max(means.values()) > means[0.0]


def test_training_without_the_shared_data_exits_with_a_clear_message(tmp_path):
    before = multilingual.ARTIFACT_PATH.read_bytes()
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "train_sentiment_multilingual.py"),
            "--data-dir",
            str(tmp_path / "no-such-folder"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "labelled data not found" in result.stderr and "keeps working" in result.stderr
    assert multilingual.ARTIFACT_PATH.read_bytes() == before


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data (UMSAB) is absent")
def test_umsab_splits_read_whole_and_balanced_and_english_matches_semeval(trainer):
    for language in trainer.UMSAB_LANGUAGES:
        for split, size in (("train", 1839), ("val", 324), ("test", 870)):
            texts, labels = trainer.umsab_tweets(SHARED_DATA, language, split)
            assert len(texts) == size and all(texts), (language, split)
            assert set(np.unique(labels, return_counts=True)[1]) == {size // 3}
    # UMSAB's English tweets are SemEval's: its train tweets are found among SemEval's
    # training tweets by their key, which is how training reads them only once.
    umsab_train, _ = trainer.umsab_tweets(SHARED_DATA, "english", "train")
    semeval, _ = trainer.english.semeval_tweets(SHARED_DATA, "train")
    keys = {trainer.tweet_key(text) for text in semeval}
    assert sum(trainer.tweet_key(text) in keys for text in umsab_train) > 0.99 * len(umsab_train)
