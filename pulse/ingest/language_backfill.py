"""Languages for texts loaded before ingest detected them. Writes DuckDB (`feedback.language`).

Ingest gives every new or updated row its language (`pulse.ingest.batch`). A database
loaded before that has none, so each run fills the texts of its own window that still
have none (`pulse.stages.fill_languages`): the report's language mix and the analysts'
`topic_language_mix` then cover the weeks they read, and older history is never paid for.
Texts the detector cannot tell (emoji, "ok") stay unknown and are told again at the next
run, a few milliseconds for thousands of texts.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pulse.db import finish_pending, run_query
from pulse.ingest.language import detect_languages


def fill_missing_languages(
    con: duckdb.DuckDBPyConnection, window_start: datetime, window_end: datetime
) -> int:
    """Detect the language of the texts created in [start, end) that have none; how many got one."""
    # Materialised, not streamed from a relation: see pulse.ingest.scrub.
    texts = run_query(
        con,
        "feedback_without_language",
        {"window_start": window_start, "window_end": window_end},
    ).to_arrow_table()
    languages = pa.array(detect_languages(texts.column("text_redacted").to_pylist()), pa.string())
    found = pa.table({"feedback_id": texts.column("feedback_id"), "language": languages})
    found = found.filter(pc.is_valid(found.column("language")))
    if not found.num_rows:
        return 0
    con.register("found_languages", found)
    try:
        run_query(con, "ingest_fill_languages")
        finish_pending(con)
    finally:
        con.unregister("found_languages")
    return found.num_rows
