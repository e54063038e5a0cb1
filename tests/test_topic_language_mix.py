"""The analysts' topic_language_mix.sql: each topic's languages, and topics filtered by one."""

from __future__ import annotations

from datetime import datetime

import pytest

from pulse.db import connect, fetch_dicts

WINDOW = {"window_start": datetime(2026, 11, 9), "window_end": datetime(2026, 11, 16)}


def add_text(con, feedback_id: str, language: str | None, topic_id: int, day: int = 10) -> None:
    con.execute(
        """
        insert into feedback (feedback_id, source, external_id, kind, created_at, text,
                              text_redacted, text_hash, language)
        values ($id, 'test', $id, 'ticket', $created, 'text', 'text', $id, $language)
        """,
        {"id": feedback_id, "created": datetime(2026, 11, day), "language": language},
    )
    con.execute(
        "insert into doc_topics values ('r1', $id, $topic, 0.5)",
        {"id": feedback_id, "topic": topic_id},
    )


@pytest.fixture
def topics_db(tmp_path):
    """Topic 1 half German, topic 2 a quarter German, topic 3 German but hidden."""
    con = connect(tmp_path / "pulse.duckdb")
    for topic_id, status in ((1, "active"), (2, "active"), (3, "hidden")):
        con.execute(
            """
            insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                                status)
            values ($id, $label, $label, '2026-W40', '2026-W46', $status)
            """,
            {"id": topic_id, "label": f"topic {topic_id}", "status": status},
        )
    for number, (language, topic_id) in enumerate(
        [("de", 1), ("de", 1), ("en", 1), (None, 1), ("en", 2), ("en", 2), ("en", 2), ("de", 2)]
        + [("de", 3), ("de", 3)]
    ):
        add_text(con, f"t{number}", language, topic_id)
    add_text(con, "old", "de", 2, day=1)  # before the window: not counted
    yield con
    con.close()


def mix_rows(con, language: str, min_share: float) -> list[tuple]:
    rows = fetch_dicts(
        con,
        "topic_language_mix",
        {
            "run_id": "r1",
            **WINDOW,
            "language": language,
            "min_share": min_share,
        },
    )
    return [
        (r["topic_id"], r["language"], r["text_count"], r["topic_text_count"], r["language_share"])
        for r in rows
        if r["level"] == "issue"
    ]


def test_the_analyst_query_gives_each_topics_language_mix(topics_db):
    assert mix_rows(topics_db, "", 0.0) == [
        # no filter: bigger topics first, their languages by count; hidden topic 3 left out
        (1, "de", 2, 4, 0.5),
        (1, "en", 1, 4, 0.25),
        (1, None, 1, 4, 0.25),
        (2, "en", 3, 4, 0.75),
        (2, "de", 1, 4, 0.25),
    ]


def test_the_analyst_query_keeps_topics_where_a_language_has_a_share(topics_db):
    assert [row[:2] for row in mix_rows(topics_db, "de", 0.5)] == [
        (1, "de"),
        (1, "en"),
        (1, None),
    ]
    # at 25% both topics qualify, the one with the larger German share first
    assert [row[0] for row in mix_rows(topics_db, "de", 0.25)] == [1, 1, 1, 2, 2]
    assert mix_rows(topics_db, "fr", 0.01) == []
