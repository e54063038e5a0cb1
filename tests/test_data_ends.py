"""An export that stops inside the run's week: the report says where the data ends.

A real DuckDB file with texts written here; the callout is read back from a real PDF.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from pulse.config import Settings
from pulse.db import connect
from pulse.publish.digest import ReportLocation, digest_view, render_bodies
from pulse.report.context import data_ends
from pulse.report.outputs import summary
from pulse.report.render import render_report
from pulse.report.view import kpi_direction
from pulse.run import RunContext
from pulse.weeks import IsoWeek
from tests.output_readers import pdf_text
from tests.report_context import sample_context

WEEK = IsoWeek.parse("2014-W50")  # Monday 8 December 2014
WEEK_NAME = "2026-W46"  # the sample report's week


def _database(tmp_path: Path, days: dict[int, list[int]]):
    """Texts on the given weekdays (1 = Monday) of the week before WEEK (-1) and WEEK (0)."""
    con = connect(tmp_path / "pulse.duckdb")
    n = 0
    for offset, weekdays in days.items():
        monday = datetime.combine(WEEK.shift(offset).monday, datetime.min.time())
        for weekday in weekdays:
            for hour in (9, 13, 17):
                n += 1
                con.execute(
                    """
                    insert into feedback (feedback_id, source, external_id, kind, created_at,
                        text, text_redacted, text_hash)
                    values ($id, 'export', $id, 'social', $at, 'a text', 'a text', $id)
                    """,
                    {"id": f"t{n}", "at": monday + timedelta(days=weekday - 1, hours=hour)},
                )
    return con


def _ends(con, partial_through: date | None = None) -> date | None:
    ctx = RunContext(
        run_id="r", week=WEEK, settings=Settings(timezone="UTC"), partial_through=partial_through
    )
    return data_ends(con, ctx)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        # the Apple tweets: every day last week, this week's last text on Wednesday
        ({-1: [1, 2, 3, 4, 5, 6, 7], 0: [1, 2, 3]}, date(2014, 12, 10)),
        # a queue closed at weekends is not cut short on Friday
        ({-1: [1, 2, 3, 4, 5], 0: [1, 2, 3, 4, 5]}, None),
        # a week that reaches Sunday is whole
        ({-1: [1, 2, 3, 4, 5, 6, 7], 0: [1, 2, 3, 4, 5, 6, 7]}, None),
        # Saturday is the last day: last week's Sunday held 3 of its 21 texts, so at this
        # week's rate 3 were expected on Sunday and none came
        ({-1: [1, 2, 3, 4, 5, 6, 7], 0: [1, 2, 3, 4, 5, 6]}, date(2014, 12, 13)),
        # the same week rerun once the next week's texts are in: its Sunday was only quiet
        # (TWCS's W44 of 2017 read "the data ends on Saturday" with weeks of texts after it)
        ({-1: [1, 2, 3, 4, 5, 6, 7], 0: [1, 2, 3, 4, 5, 6], 1: [1]}, None),
        ({-1: [1, 2, 3, 4, 5, 6, 7], 0: [1, 2, 3], 2: [4]}, None),
        # no week before: nothing to expect
        ({0: [1, 2]}, None),
    ],
)
def test_the_data_ends_inside_the_week_only_where_texts_were_expected(tmp_path, days, expected):
    with _database(tmp_path, days) as con:
        assert _ends(con) == expected


def test_a_partial_run_says_its_own_days_instead(tmp_path):
    with _database(tmp_path, {-1: [1, 2, 3, 4, 5, 6, 7], 0: [1, 2, 3]}) as con:
        assert _ends(con, partial_through=date(2014, 12, 10)) is None


def test_page_one_says_where_the_data_ends(tmp_path):
    context = sample_context(3)
    context.data_ends = "Wednesday 10 December"
    text = " ".join(pdf_text(render_report(context, tmp_path)["pdf"]).split())
    assert "The data ends on Wednesday 10 December" in text
    assert "no issue is called improving" in text


def _counted_week(data_ends: str | None):
    """The sample week with its volume judged (more texts is worse news), cut short or not."""
    context = sample_context(3)
    context.kpis = [replace(t, better="down") if t.key == "volume" else t for t in context.kpis]
    context.data_ends = data_ends
    return context


def test_a_week_cut_short_judges_no_volume_but_still_judges_its_shares():
    whole, cut = _counted_week(None), _counted_week("Wednesday 10 December")
    volume = next(t for t in whole.kpis if t.key == "volume")
    negative = next(t for t in whole.kpis if t.key == "negative_share")
    assert kpi_direction(volume)["judgement"] == "worse"  # 1,234 texts after 1,102
    assert kpi_direction(volume, whole_week=False)["judgement"] == "neutral"
    assert kpi_direction(negative, whole_week=False) == kpi_direction(negative)
    # the e-mail words the same tiles from summary.json
    for context, verdict in ((whole, "worse"), (cut, "")):
        view = digest_view(summary(context, pages=3), WEEK_NAME, ReportLocation(Path("r.pdf")))
        line = next(k for k in view["kpis"] if k["key"] == "volume")
        assert line["judgement"] == verdict
    text, html = render_bodies(
        digest_view(summary(cut, pages=3), WEEK_NAME, ReportLocation(Path("r.pdf")))
    )
    assert "The data ends on Wednesday 10 December" in text
    assert "The data ends on Wednesday 10 December" in html


def test_page_one_gives_the_volume_of_a_week_cut_short_no_verdict(tmp_path):
    for ends, says_worse in ((None, True), ("Wednesday 10 December", False)):
        pdf = render_report(_counted_week(ends), tmp_path / str(says_worse))["pdf"]
        page_one = " ".join(pdf_text(pdf).split("Page one")[0].split())
        volume = page_one.split("Feedback volume")[1].split("based on")[0]
        assert ("WORSE" in volume.upper()) is says_worse, volume
