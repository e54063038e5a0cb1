"""Quotes keep their language and say it: never translated, a non-English quote's attribution
names its language, and an issue told in several languages shows one quote of each first.

A database as a run leaves it (real DuckDB, the report's own SQL), rendered to PDF and read
back.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from pypdf import PdfReader

WEEK = "2026-W13"
MONDAY = datetime(2026, 3, 23)
GERMAN = "Mein Abo wurde diesen Monat doppelt abgebucht, bitte erstatten"
FRENCH = "On m'a prélevé deux fois l'abonnement premium ce mois-ci"


def _quotes_run(tmp_path: Path):
    """Billing (issue 10): 25 English texts, then two German and one French text less typical
    of it, so none of them is among its 20 most typical; Login (issue 20): English only."""
    from pulse.config import Settings
    from pulse.db import connect
    from pulse.embed import DIMENSIONS, MODEL_NAME
    from pulse.report import build_context
    from pulse.run import RunContext
    from pulse.stages import compute_metrics
    from pulse.weeks import IsoWeek

    texts = [
        *[
            ("en", 11, f"I was charged twice for premium, ticket number {n}", 0.9)
            for n in range(25)
        ],
        ("de", 11, GERMAN, 0.5),
        ("de", 11, "Die Abbuchung für mein Abo kam doppelt, bitte prüfen", 0.45),
        ("fr", 11, FRENCH, 0.4),
        *[(None, 21, f"I cannot log in to my account since update {n}", 0.8) for n in range(5)],
    ]
    rows = [
        {
            "feedback_id": f"{language or 'xx'}-{n:02d}",
            "topic_id": topic_id,
            "text": text,
            "language": language,
            "probability": probability,
            "created_at": MONDAY + timedelta(hours=n),
        }
        for n, (language, topic_id, text, probability) in enumerate(texts)
    ]
    con = connect(tmp_path / "pulse.duckdb")
    for topic_id, label, level, parent in [
        (10, "Billing", "issue", None),
        (11, "Charged twice", "theme", 10),
        (20, "Login", "issue", None),
        (21, "Cannot log in", "theme", 20),
    ]:
        con.execute(
            """
            insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                                status, keywords, level, parent_id)
            values ($t, $l, $l, $w, $w, 'active', ['a'], $level, $parent)
            """,
            {"t": topic_id, "l": label, "w": WEEK, "level": level, "parent": parent},
        )
    con.register("made", pa.Table.from_pylist(rows))
    con.execute(
        """
        insert into feedback (feedback_id, source, external_id, kind, channel, created_at,
            text, text_redacted, text_hash, language)
        select feedback_id, 'export', feedback_id, 'ticket', 'email', created_at, text, text,
            feedback_id, language
        from made;
        insert into sentiment select feedback_id, 'negative', -0.5, 'test' from made;
        insert into doc_topics select 'r1', feedback_id, topic_id, probability from made;
        """
    )
    con.execute(
        "insert into embeddings select feedback_id, $model, $vector from made",
        {"model": MODEL_NAME, "vector": [1.0] + [0.0] * (DIMENSIONS - 1)},
    )
    con.unregister("made")
    ctx = RunContext(run_id="r1", week=IsoWeek.parse(WEEK), settings=Settings(timezone="UTC"))
    compute_metrics(con, ctx)
    context = build_context(con, ctx)
    con.close()
    return context


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    from pulse.report.render import render_report

    tmp_path = tmp_path_factory.mktemp("quotes")
    context = _quotes_run(tmp_path)
    paths = render_report(context, tmp_path / "out" / WEEK)
    return {"context": context, "paths": paths}


def _issue(context, topic_id: int):
    return next(issue for issue in context.issues if issue.topic_id == topic_id)


def test_an_issue_in_three_languages_shows_one_quote_of_each_most_typical_first(rendered):
    billing = _issue(rendered["context"], 10)
    assert [(q.feedback_id, q.language) for q in billing.quotes] == [
        ("en-00", "en"),
        ("de-25", "de"),  # the more typical of the two German texts
        ("fr-27", "fr"),
    ]
    assert [q.text for q in billing.quotes][1:] == [GERMAN, FRENCH]  # never translated
    login = _issue(rendered["context"], 20)
    assert [q.feedback_id for q in login.quotes] == ["xx-28", "xx-29", "xx-30"]
    assert {q.language for q in login.quotes} == {None}


def test_a_german_quote_says_german_in_the_pdf_and_an_english_one_says_no_language(rendered):
    text = "".join(
        "".join((page.extract_text() or "").split())
        for page in PdfReader(rendered["paths"]["pdf"]).pages
    )
    assert "".join(GERMAN.split()) in text
    assert "de-25·email·2026-03-24·German" in text
    assert "fr-27·email·2026-03-24·French" in text
    assert re.search(r"en-00·email·2026-03-23(?!·)", text)
    # an English quote is not labelled (the data-coverage line may name English)
    assert "·English" not in text
    html = rendered["paths"]["html"].read_text(encoding="utf-8")
    assert '<blockquote class="quote" lang="de">' in html
    assert html.count('<blockquote class="quote">') == 4  # English, and unknown, have none
    summary = json.loads(rendered["paths"]["summary"].read_text(encoding="utf-8"))
    billing = next(issue for issue in summary["issues"] if issue["topic_id"] == 10)
    assert [q["language"] for q in billing["quotes"]] == ["en", "de", "fr"]
