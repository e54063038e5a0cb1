"""Which embedder a window is clustered with: MiniLM for English, USE when languages mix.

Clustering never mixes two models' vectors, so a window has one embedder. The English
MiniLM is the better one for English (banking77 NMI 0.81 against USE's 0.74), but it
puts a German complaint beside other German texts rather than beside the same complaint
in English: a mixed window then reports "the German posts" as an issue. USE multilingual
maps the languages together (84% of MASSIVE's English-German pairs in one topic, against
4%). So `embedding_model = "auto"` (the default) keeps MiniLM while at least
1 - MULTILINGUAL_SHARE of a window's texts of known language are English, and moves the
registry to USE for good once a window has more in other languages: a registry's topics
live in one vector space, and a switch back and forth would re-fit them each time.
docs/MULTILINGUAL.md has the measurements behind the share.

The choice is a row of `embedder_choices` keyed by the run, so a failed run's choice goes
with it (pulse.undo); `pulse.db.connect` reads the newest one, so a report, the editor or
a rerun in another process uses the vectors the registry was built from.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pulse.db import run_query, set_database_embedder
from pulse.embed.models import AUTO, MODEL_NAME, USE_M3

#: A window moves to the multilingual embedder when more than this share of its texts of
#: known language are not English (docs/MULTILINGUAL.md, "When a window is multilingual").
MULTILINGUAL_SHARE = 0.05


@dataclass(frozen=True)
class EmbedderChoice:
    """The embedder of one run's window, and the language counts it was chosen on."""

    model: str
    known_language_texts: int
    other_language_texts: int


def choose_embedder(
    con: duckdb.DuckDBPyConnection, configured: str, window_start, window_end
) -> EmbedderChoice:
    """The window's embedder: the configured one, or with "auto" the registry's unless the
    window's languages call for USE (a registry on USE stays there)."""
    known, other = run_query(
        con, "stg_window_languages", {"window_start": window_start, "window_end": window_end}
    ).fetchone()
    if configured != AUTO:
        return EmbedderChoice(configured, known, other)
    row = run_query(con, "embedder_current").fetchone()
    current = row[0] if row else None
    if current == USE_M3 or (known and other / known > MULTILINGUAL_SHARE):
        model = USE_M3
    else:
        model = current or MODEL_NAME
    return EmbedderChoice(model, known, other)


def record_embedder(
    con: duckdb.DuckDBPyConnection, run_id: str, week: str, choice: EmbedderChoice
) -> None:
    """Keep the run's choice (undone with the run if it fails) and use it in this process."""
    run_query(
        con,
        "embedder_record",
        {
            "run_id": run_id,
            "week": week,
            "model": choice.model,
            "known": choice.known_language_texts,
            "other": choice.other_language_texts,
        },
    )
    set_database_embedder(choice.model)


def sentiment_embedders(window_model: str) -> tuple[str, str]:
    """The vectors the sentiment models read: (English or unknown texts, other languages).

    The English model was trained on MiniLM vectors, so English texts need MiniLM's (the
    window's own when it is a MiniLM); every other language is read on USE's.
    """
    english = MODEL_NAME if window_model == USE_M3 else window_model
    return english, USE_M3
