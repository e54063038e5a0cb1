"""The sentiment stage's work: score every text the sentiment table lacks, by its language.

Writes DuckDB. English texts and texts of unknown language are scored by the English
model on MiniLM vectors (`pulse.sentiment`), texts in any other language by the
multilingual model on USE vectors (`pulse.sentiment.multilingual`). Which is which is
the query `texts_without_sentiment`, which also says which texts still lack a score
from the model their language calls for; each row records the model that scored it.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pulse.db import run_query
from pulse.embed import active_model_name as window_embedder
from pulse.embed import load_vectors
from pulse.embed.choice import sentiment_embedders
from pulse.sentiment import (
    active_model_name,
    multilingual,
    reads_lexicon,
    score_texts,
    start_lexicon_features,
)


def score_missing(con: duckdb.DuckDBPyConnection, chunk_size: int) -> int:
    """Score every text with no sentiment from the model its language calls for; how many.

    Rows stream `chunk_size` at a time (texts, their vectors, their scores), so a
    first run over a million texts of history holds one chunk, not 1.5 GB of vectors.
    The worker process starts on the next chunk's English lexicon features while this
    process scores and writes the current one (`start_lexicon_features`), so neither
    core waits on the other's share between chunks.
    """
    english_model = active_model_name()
    other_model = multilingual.active_model_name()
    english_vectors, other_vectors = sentiment_embedders(window_embedder())
    early = reads_lexicon()

    def english_features(rows):
        texts = [r[1] for r in rows if r[3]]
        return start_lexicon_features(texts, streaming=True) if early and texts else None

    reader = con.cursor()  # streams while `con` writes each chunk's scores
    done = 0
    try:
        run_query(
            reader,
            "texts_without_sentiment",
            {"english_model": english_model, "other_model": other_model},
        )
        rows = reader.fetchmany(chunk_size)
        features = english_features(rows)
        while rows:
            english = [r for r in rows if r[3]]
            other = [r for r in rows if not r[3]]
            vectors = load_vectors(con, [r[2] for r in english], model_name=english_vectors)
            lexicon = features() if features else None
            following = reader.fetchmany(chunk_size)
            features = english_features(following)
            scored = score_texts([r[1] for r in english], vectors, lexicon)
            scored += multilingual.score_texts(
                [r[1] for r in other],
                load_vectors(con, [r[2] for r in other], model_name=other_vectors),
            )
            _store(
                con,
                [r[0] for r in english + other],
                scored,
                [english_model] * len(english) + [other_model] * len(other),
            )
            done += len(rows)
            rows = following
    finally:
        reader.close()
    return done


def _store(
    con: duckdb.DuckDBPyConnection,
    feedback_ids: list[str],
    scored: list[tuple[str, float]],
    models: list[str],
) -> None:
    """Write one chunk's scores, replacing a text's earlier score from another model."""
    table = pa.table(
        {
            "feedback_id": feedback_ids,
            "label": [label for label, _ in scored],
            "score": [float(score) for _, score in scored],
            "model": models,
        }
    )
    con.register("new_sentiment", table)
    try:
        run_query(con, "sentiment_insert_scores")
    finally:
        con.unregister("new_sentiment")
