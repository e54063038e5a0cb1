"""The demo's multilingual theme on the session's real flow run: one issue, quoted in several
languages (issue 24).

About one demo text in ten is French, German, Spanish or Portuguese; most texts of one
complaint (`truth["multilingual_theme"]`: no way to reach a human in support) are, the
rest English. A window like this is clustered with the multilingual embedder Pulse picks
by itself (`pulse.embed.choice`): nothing here forces an embedder, so these tests fail,
saying which embedder ran, if Pulse clusters the demo with an English one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

import duckdb
import pytest
from pypdf import PdfReader

from pulse.config import load_settings

#: Of the theme's texts, at least this share must be in its issue: with each language
#: apart, the largest (German or Portuguese) would hold about a fifth of them.
ONE_ISSUE_SHARE = 0.8
#: And of its texts in each language, at least this share: a language that clustered apart
#: would leave a few texts there, half of one that split would leave half. Below the share
#: overall: a language has 23-33 texts, and the theme's short posts in any language join the
#: issue of social chatter now and then (English too: 34 of 42 stayed, measured with USE
#: multilingual, against 19 of 25 in Spanish and 22 of 23 in French).
LANGUAGE_SHARE = 2 / 3
#: And the theme must be most of that issue, so the issue is not a catch-all.
ISSUE_PURITY = 0.5


@pytest.fixture(scope="module")
def theme_issue(demo_run) -> dict:
    """The multilingual theme's texts with their issue in the run, and the issue they share."""
    truth = demo_run.truth
    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    try:
        run_id = con.execute(
            "select run_id from runs where outcome = 'ok' order by finished_at desc limit 1"
        ).fetchone()[0]
        issue_of = dict(
            con.execute(
                """
                select f.external_id, r.issue_id
                from doc_topics as d
                inner join feedback as f using (feedback_id)
                inner join topic_rollup as r on r.topic_id = d.topic_id
                where d.run_id = $run_id
                """,
                {"run_id": run_id},
            ).fetchall()
        )
        embedders = dict(
            con.execute("select model, count(*) from embeddings group by model").fetchall()
        )
        external_id_of = dict(
            con.execute("select feedback_id, external_id from feedback").fetchall()
        )
    finally:
        con.close()
    theme = truth["multilingual_theme"]
    texts = [doc for doc, key in truth["doc_theme"].items() if key == theme]
    issues = Counter(issue_of.get(doc) for doc in texts)
    issue_id, _count = issues.most_common(1)[0]
    return {
        "theme": theme,
        "texts": texts,
        "issue_of": issue_of,
        "issue_id": issue_id,
        "external_id_of": external_id_of,
        "embedded_with": embedders,
    }


def _why(theme_issue: dict) -> str:
    """What a failure should say: the embedder that ran, which is the usual cause."""
    return f"(texts embedded with: {theme_issue['embedded_with']})"


def test_the_multilingual_theme_is_one_issue_in_every_language(demo_run, theme_issue):
    languages = demo_run.truth["doc_language"]
    issue_id, issue_of = theme_issue["issue_id"], theme_issue["issue_of"]
    texts = theme_issue["texts"]
    assert issue_id is not None, f"most of the theme's texts have no issue {_why(theme_issue)}"
    in_issue = [doc for doc in texts if issue_of.get(doc) == issue_id]
    assert len(in_issue) >= ONE_ISSUE_SHARE * len(texts), _why(theme_issue)
    for code in sorted({languages[doc] for doc in texts}):
        of_language = [doc for doc in texts if languages[doc] == code]
        held = sum(issue_of.get(doc) == issue_id for doc in of_language)
        assert held >= LANGUAGE_SHARE * len(of_language), (
            f"{held} of the theme's {len(of_language)} texts in {code!r} are in its issue "
            f"{_why(theme_issue)}"
        )
    issue_texts = [doc for doc, issue in issue_of.items() if issue == issue_id]
    from_theme = sum(
        demo_run.truth["doc_theme"].get(doc) == theme_issue["theme"] for doc in issue_texts
    )
    assert from_theme >= ISSUE_PURITY * len(issue_texts)


def _norm(text: str) -> str:
    """Letters and digits only, without accents: PDF text varies in quotes, dashes, breaks
    and in how an accented letter is spelt (one character, or a letter and a mark)."""
    letters = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c for c in letters if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", letters).strip()


def test_the_multilingual_issue_has_a_page_quoting_more_than_one_language(demo_env, theme_issue):
    demo_run = demo_env  # the settings below are the run's
    summary = json.loads((demo_run.pdf.parent / "summary.json").read_text(encoding="utf-8"))
    issue = next(
        (item for item in summary["issues"] if item["topic_id"] == theme_issue["issue_id"]), None
    )
    assert issue is not None, f"the theme's issue is not in the report {_why(theme_issue)}"
    # An issue mostly in other languages ranks low when sentiment reads those texts as
    # neutral, so its negative share is in the message.
    assert issue["rank"] <= load_settings().detail_issues, (
        f"the issue ranks {issue['rank']}, without a page of its own; it reads "
        f"{issue['negative_share']:.0%} negative {_why(theme_issue)}"
    )
    languages = demo_run.truth["doc_language"]
    quoted = [
        languages[theme_issue["external_id_of"][quote["feedback_id"]]] for quote in issue["quotes"]
    ]
    assert len(set(quoted)) >= 2, f"quotes are all in {quoted} {_why(theme_issue)}"
    pages = PdfReader(demo_run.pdf).pages
    text = _norm("\n".join((page.extract_text() or "").replace("\x00", "") for page in pages))
    for quote in issue["quotes"]:
        assert _norm(quote["text"])[:40] in text, quote["text"]
