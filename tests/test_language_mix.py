"""The week's language mix: one line in the report's data coverage section."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pulse.db import connect
from pulse.ingest import ingest_paths
from pulse.report.languages import LanguageShare, language_line, language_mix
from pulse.report.render import render_report
from tests.output_readers import pdf_text
from tests.report_context import sample_context

TICKETS = Path(__file__).parent / "data" / "ingest" / "multilingual_tickets.csv"
WEEK = (datetime(2026, 11, 9), datetime(2026, 11, 16))


def share(name: str, count: int, total: int, language: str | None = None) -> LanguageShare:
    return LanguageShare(name, count, count / total, language)


def test_the_line_names_the_first_languages_then_other_then_unclear():
    mix = [
        share("English", 820, 1000, "en"),
        share("German", 90, 1000, "de"),
        share("French", 50, 1000, "fr"),
        share("other", 36, 1000),
        share("unclear", 4, 1000),
    ]
    assert language_line(mix) == (
        "Languages: English 82%, German 9%, French 5%, other 4%, unclear under 1%."
    )


def test_a_week_in_one_language_is_one_short_sentence():
    assert language_line([share("English", 40, 40, "en")]) == "All texts are in English."
    assert language_line([share("English", 39, 40, "en"), share("unclear", 1, 40)]) == (
        "Language: English 98%, unclear 2%."
    )
    assert language_line([share("unclear", 3, 3)]) == (
        "The texts' language could not be told (too short, or emoji only)."
    )
    assert language_line([]) is None


def test_the_mix_names_three_languages_of_at_least_one_percent(tmp_path):
    with connect(tmp_path / "pulse.duckdb") as con:
        ingest_paths(
            con,
            [TICKETS],
            source="demo_tickets",
            now=datetime(2026, 11, 20, tzinfo=UTC),
            brand_handles=(),
            timezone="UTC",
            max_text_chars=100_000,
        )
        mix = language_mix(con, *WEEK)
    # 8 texts: six languages one each (12.5%), two without a language; ties by code
    assert [(part.name, part.text_count) for part in mix] == [
        ("German", 1),
        ("English", 1),
        ("Spanish", 1),
        ("other", 3),
        ("unclear", 2),
    ]
    assert sum(part.text_share for part in mix) == pytest.approx(1.0)
    assert language_line(mix) == (
        "Languages: German 12%, English 12%, Spanish 12%, other 38%, unclear 25%."
    )


def test_the_rendered_report_states_the_language_mix(tmp_path):
    context = sample_context(3)
    context.coverage.languages = [
        share("English", 1012, 1234, "en"),
        share("German", 111, 1234, "de"),
        share("French", 62, 1234, "fr"),
        share("other", 49, 1234),
    ]
    paths = render_report(context, tmp_path / "2026-W46")
    text = " ".join(pdf_text(Path(paths["pdf"])).split())
    assert "Languages: English 82%, German 9%, French 5%, other 4%." in text
    summary = json.loads(Path(paths["summary"]).read_text(encoding="utf-8"))
    assert summary["coverage"]["languages"][0] == {
        "name": "English",
        "text_count": 1012,
        "text_share": pytest.approx(1012 / 1234),
        "language": "en",
    }


def test_the_demo_report_says_its_languages(demo_run):
    """The demo's week is mostly English, then Portuguese, then German, French and Spanish
    with 5 texts each: German, first of the tie by code, is named and the other two are
    "other". Every text's language is told (the detector reads all 151 as written)."""
    truth = demo_run.truth
    monday = demo_run.week.monday.isoformat()  # November: London time is UTC
    week = [doc for doc, created in _created(demo_run).items() if created >= monday]
    written = Counter(truth["doc_language"][doc] for doc in week)
    assert written == {"en": 129, "pt": 7, "de": 5, "fr": 5, "es": 5}
    text = " ".join(pdf_text(demo_run.pdf).split())
    assert "Languages: English 85%, Portuguese 5%, German 3%, other 7%." in text


def _created(demo_run) -> dict[str, str]:
    """Each demo text's id and creation time, from the demo's files."""
    with (demo_run.demo_dir / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        created = {row["ticket_id"]: row["created_at"] for row in csv.DictReader(handle)}
    for line in (demo_run.demo_dir / "social.jsonl").read_text(encoding="utf-8").splitlines():
        post = json.loads(line)
        created[post["post_id"]] = post["created_at"]
    return created
