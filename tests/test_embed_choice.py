"""The window's embedder (pulse.embed.choice): MiniLM for English, USE once languages mix.

Real DuckDB files and the real USE encoder; the rows' languages are set as ingest's
detector would set them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from pulse import undo
from pulse.db import connect, database_embedder, set_database_embedder
from pulse.embed import USE_M3, encode
from pulse.embed.choice import (
    MULTILINGUAL_SHARE,
    choose_embedder,
    record_embedder,
    sentiment_embedders,
)
from pulse.embed.models import AUTO, MODEL_NAME, active_model_name

START = datetime(2026, 11, 2)
END = datetime(2026, 11, 9)


def _add_rows(con, languages: list[str | None], prefix: str = "r") -> None:
    for i, language in enumerate(languages):
        con.execute(
            "insert into feedback (feedback_id, source, external_id, kind, created_at, text, "
            "text_redacted, text_hash, language) values ($id, 'test', $id, 'ticket', $at, "
            "$text, $text, $id, $language)",
            {
                "id": f"{prefix}{i}",
                "at": START + timedelta(hours=i),
                "text": f"text {prefix}{i}",
                "language": language,
            },
        )


@pytest.fixture(autouse=True)
def _forget_database_embedder():
    yield
    set_database_embedder(None)


def test_an_english_window_keeps_minilm_and_a_mixed_one_moves_to_use(tmp_path):
    with connect(tmp_path / "p.duckdb") as con:
        # 95 English, 5 German (exactly the share: not more) and 20 of unknown language
        _add_rows(con, ["en"] * 95 + ["de"] * 5 + [None] * 20)
        english = choose_embedder(con, AUTO, START, END)
        assert (english.model, english.known_language_texts) == (MODEL_NAME, 100)
        assert english.other_language_texts / english.known_language_texts == MULTILINGUAL_SHARE
        record_embedder(con, "run-1", "2026-W45", english)
        _add_rows(con, ["fr"] * 2, prefix="fr")
        mixed = choose_embedder(con, AUTO, START, END)
        assert mixed.model == USE_M3
        record_embedder(con, "run-2", "2026-W45", mixed)
    # a later connect (a report, the editor, the next run) reads the registry's choice
    set_database_embedder(None)
    with connect(tmp_path / "p.duckdb") as con:
        assert database_embedder() == USE_M3
        assert active_model_name() == USE_M3
        # once on USE the registry stays there, even for an English window
        con.execute("delete from feedback where language <> 'en'")
        assert choose_embedder(con, AUTO, START, END).model == USE_M3
        # a configured embedder always wins
        assert choose_embedder(con, MODEL_NAME, START, END).model == MODEL_NAME


def test_a_failed_runs_choice_goes_with_it(tmp_path):
    with connect(tmp_path / "p.duckdb") as con:
        _add_rows(con, ["en"] * 50)
        record_embedder(con, "ok-run", "2026-W45", choose_embedder(con, AUTO, START, END))
        _add_rows(con, ["es"] * 30, prefix="es")
        record_embedder(con, "failed-run", "2026-W45", choose_embedder(con, AUTO, START, END))
        assert database_embedder() == USE_M3
        con.execute("begin transaction")
        undo.restore(con, ["failed-run"])
        con.execute("commit")
    with connect(tmp_path / "p.duckdb") as con:
        assert database_embedder() == MODEL_NAME
        rows = con.execute("select run_id, model from embedder_choices").fetchall()
    assert rows == [("ok-run", MODEL_NAME)]


def test_sentiment_reads_minilm_for_english_and_use_for_the_rest():
    assert sentiment_embedders(MODEL_NAME) == (MODEL_NAME, USE_M3)
    assert sentiment_embedders(USE_M3) == (MODEL_NAME, USE_M3)


def test_use_puts_a_request_and_its_translation_together_and_minilm_does_not():
    english = ["I was charged twice for my premium subscription", "how do I delete my account"]
    german = [
        "Mir wurde mein Premium-Abo zweimal berechnet",
        "wie kann ich mein Konto löschen",
    ]
    use = encode(english + german, model_name=USE_M3)
    minilm = encode(english + german, model_name=MODEL_NAME)
    assert use.shape == (4, 512) and minilm.shape == (4, 384)
    assert np.allclose(np.linalg.norm(use, axis=1), 1.0, atol=1e-5)
    use_pairs = [float(use[i] @ use[2 + i]) for i in range(2)]
    minilm_pairs = [float(minilm[i] @ minilm[2 + i]) for i in range(2)]
    # each German request is nearer its English original than the other English request
    assert all(use[2 + i] @ use[i] > use[2 + i] @ use[1 - i] for i in range(2))
    assert min(use_pairs) > max(minilm_pairs)


def test_a_use_vector_does_not_depend_on_its_batch():
    text = "Je ne peux plus me connecter à mon compte depuis la mise à jour"
    alone = encode([text], model_name=USE_M3)[0]
    batched = encode(["short", "x " * 400, text, "another one"], model_name=USE_M3)[2]
    assert np.allclose(alone, batched, atol=1e-5)
