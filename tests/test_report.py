"""The PDF report: content read back from the PDF, safety against hostile text, atomic writes."""

from __future__ import annotations

import copy
import csv
import html
import html.parser
import http.server
import json
import re
import shutil
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path

import jinja2
import pyarrow as pa
import pytest
from pypdf import PdfReader
from weasyprint import HTML, URLFetcher

from pulse.config import TEMPLATES_DIR
from pulse.errors import PulseError
from pulse.report import charts
from pulse.report.formatting import format_delta, format_num, format_pct, kpi_change_shown
from pulse.report.model import (
    DataWeeks,
    EnteredTop,
    KpiAbsent,
    LeftTop,
    Quote,
    RankMover,
    SinceLastWeek,
)
from pulse.report.outputs import CSV_COLUMNS, write_ranked_csv
from pulse.report.render import (
    RefusedURL,
    TemplateFolderFetcher,
    make_environment,
    render_html,
    render_report,
)
from pulse.report.view import build_view
from pulse.weeks import IsoWeek
from tests.output_readers import pdf_text
from tests.report_context import empty_context, sample_context, spike_context, update


def _squash(text: str) -> str:
    """Drop all whitespace: PDF text extraction wraps lines where layout did."""
    return "".join(text.split())


def _pdf_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _outline_titles(outline: list) -> list[str]:
    titles: list[str] = []
    for entry in outline:
        if isinstance(entry, list):
            titles.extend(_outline_titles(entry))
        else:
            titles.append(entry.title)
    return titles


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    context = sample_context(12)
    out_dir = tmp_path_factory.mktemp("outputs") / "2026-W46"
    paths = render_report(context, out_dir)
    return {"context": context, "paths": paths, "reader": PdfReader(paths["pdf"])}


@pytest.fixture(scope="module")
def spike_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A complaints-only export without CSAT, NPS, times or channels, in a week that tripled."""
    context = spike_context()
    paths = render_report(context, tmp_path_factory.mktemp("outputs") / "2026-W46")
    reader = PdfReader(paths["pdf"])
    return {
        "context": context,
        "paths": paths,
        "reader": reader,
        "page_one": reader.pages[0].extract_text(),
        "summary": json.loads(paths["summary"].read_text(encoding="utf-8")),
        "html": paths["html"].read_text(encoding="utf-8"),
    }


@pytest.fixture(scope="module")
def empty_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out_dir = tmp_path_factory.mktemp("outputs") / "2026-W46"
    paths = render_report(empty_context(), out_dir)
    return {"paths": paths, "reader": PdfReader(paths["pdf"])}


# --- what the reader sees --------------------------------------------------------------


def test_sample_report_has_a_sensible_number_of_pages(sample_report: dict) -> None:
    # cover + table + one page per top-five issue + movers/coverage/method: a five-minute read
    assert 7 <= len(sample_report["reader"].pages) <= 10


def test_each_top_five_issue_fits_one_page(sample_report: dict) -> None:
    pages = [_squash(page.extract_text() or "") for page in sample_report["reader"].pages]
    issues = sample_report["context"].issues
    headings = [_squash(f"#{issue.rank} {issue.label}") for issue in issues[:5]]
    starts = [next(n for n, text in enumerate(pages) if h in text) for h in headings]
    # each issue starts a page, and the page after it starts the next issue (or the back
    # matter): an issue that ran over would leave a page with neither
    assert starts == list(range(starts[0], starts[0] + 5)), starts
    assert "Emergingandimproving" in pages[starts[-1] + 1]


@pytest.fixture(scope="module")
def owned_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample week with an owner and notes on #2, #1 unowned and in the top 5 for 9
    weeks, and a week-on-week change in the top five."""
    context = sample_context(12)
    first, second = context.issues[0], context.issues[1]
    for issue in context.issues:
        update(issue, owner=None, notes=None, weeks_in_top=1, first_seen_week="2026-W40")
    first.weeks_in_top = 9
    update(second, owner="Growth", notes="Undo for bulk invites ships in W49")
    context.unowned_persistent = [first]
    context.since_last_week = SinceLastWeek(
        top=5,
        entered=[EnteredTop(second.topic_id, second.label, rank=2, prev_rank=7,
                            volume=second.volume, prev_volume=second.prev_volume)],
        left=[
            LeftTop(topic_id=90, label="Fake company pages", rank=9, prev_rank=3, volume=4,
                    prev_volume=20, change="faded"),
            LeftTop(topic_id=91, label="Old invites", rank=None, prev_rank=4, volume=None,
                    prev_volume=12, change="merged", merged_into_label=first.label),
        ],
        movers=[RankMover(second.topic_id, second.label, rank=2, prev_rank=7, moved=5)],
    )
    paths = render_report(context, tmp_path_factory.mktemp("outputs") / "2026-W46")
    reader = PdfReader(paths["pdf"])
    return {
        "context": context, "paths": paths,
        "pages": [_squash(page.extract_text() or "") for page in reader.pages],
        "summary": json.loads(paths["summary"].read_text(encoding="utf-8")),
        "csv": paths["csv"].read_text(encoding="utf-8"),
    }


def test_owners_and_unowned_issues_show_on_page_one_the_table_and_the_issue_page(
    owned_report: dict,
) -> None:
    first, second = owned_report["context"].issues[:2]
    page_one, table = owned_report["pages"][0], owned_report["pages"][1]
    assert _squash(f"Needs an owner. {first.label}: in the top 5 for 9 weeks, no owner") in (
        page_one
    )
    assert _squash("Owner: Growth") in page_one and "NOOWNER" in page_one.upper()
    assert _squash("Owner: Growth") in table
    issue_page = next(p for p in owned_report["pages"] if _squash(f"#2 {second.label}") in p)
    assert _squash("Notes: Undo for bulk invites ships in W49") in issue_page
    assert _squash("in the top 5 for 9 weeks") in next(
        p for p in owned_report["pages"] if _squash(f"#1 {first.label}") in p
    )


def test_owners_and_ages_reach_the_csv_and_summary(owned_report: dict) -> None:
    rows = list(csv.DictReader(owned_report["csv"].splitlines()))
    assert rows[1]["owner"] == "Growth" and rows[0]["owner"] == ""
    assert rows[0]["weeks_in_top"] == "9"
    summary = owned_report["summary"]
    assert summary["issues"][1]["notes"] == "Undo for bulk invites ships in W49"
    assert [i["weeks_in_top"] for i in summary["unowned_persistent"]] == [9]
    assert summary["since_last_week"]["left"][1]["change"] == "merged"


def test_since_last_week_names_who_came_in_who_left_and_why(owned_report: dict) -> None:
    table = owned_report["pages"][1]
    second = owned_report["context"].issues[1].label
    assert _squash(f"New in the top 5: {second} (#2, was #7).") in table
    assert _squash("Fake company pages (faded, #3 → #9, 20 → 4 texts)") in table
    first = owned_report["context"].issues[0].label
    assert _squash(f"Old invites (merged into {first})") in table
    assert _squash(f"{second} up 5 (#7 → #2)") in table


def test_page_one_names_the_week_and_the_top_issue(sample_report: dict) -> None:
    first_page = sample_report["reader"].pages[0].extract_text()
    top = sample_report["context"].issues[0]
    assert "Week 46, 2026" in first_page
    assert "9–15 November 2026" in first_page
    assert _squash(top.label) in _squash(first_page)
    for kpi in sample_report["context"].kpis:
        assert _squash(kpi.label) in _squash(first_page)


def test_every_page_is_numbered_n_of_total(sample_report: dict) -> None:
    reader = sample_report["reader"]
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        assert f"{number} of {total}" in page.extract_text()


def test_outline_has_an_entry_per_section_and_per_detailed_issue(sample_report: dict) -> None:
    titles = _outline_titles(sample_report["reader"].outline)
    for section in ("The week at a glance", "Ranked issues", "Top issues in detail",
                    "Emerging and improving", "Data coverage", "Method"):
        assert section in titles
    issues = sample_report["context"].issues
    for issue in issues[:5]:
        assert f"#{issue.rank} {issue.label}" in titles
    assert not any(issues[5].label in title for title in titles)


def test_every_quote_of_a_detailed_issue_is_in_the_pdf(sample_report: dict) -> None:
    text = _squash(_pdf_text(sample_report["reader"]))
    for issue in sample_report["context"].issues[:5]:
        for quote in issue.quotes:
            assert _squash(quote.text) in text
            assert quote.feedback_id in text


def test_every_ranked_issue_is_in_the_table(sample_report: dict) -> None:
    table_text = _squash(sample_report["reader"].pages[1].extract_text())
    for issue in sample_report["context"].issues:
        assert _squash(issue.label) in table_text


def test_csv_has_one_row_per_issue_with_the_documented_columns(sample_report: dict) -> None:
    with sample_report["paths"]["csv"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    issues = sample_report["context"].issues
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [row["label"] for row in rows] == [issue.label for issue in issues]
    assert rows[0]["component_negativity"] == str(issues[0].components["negativity"])


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(tmp_path: Path) -> None:
    issue = sample_context(1).issues[0]
    issue.label = '=HYPERLINK("http://127.0.0.1/x","click")'
    issue.keywords = ["@SUM(A1)", "plain"]
    write_ranked_csv([issue], tmp_path / "ranked_issues.csv")
    with (tmp_path / "ranked_issues.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["label"] == "'" + issue.label
    assert row["keywords"] == "'@SUM(A1); plain"
    assert row["volume"] == str(issue.volume)


def test_summary_and_run_records_parse_and_agree_with_the_pdf(sample_report: dict) -> None:
    summary = json.loads(sample_report["paths"]["summary"].read_text(encoding="utf-8"))
    run = json.loads(sample_report["paths"]["run"].read_text(encoding="utf-8"))
    assert summary["week"] == "2026-W46"
    assert summary["pages"] == len(sample_report["reader"].pages)
    assert summary["issues"][0]["label"] == sample_report["context"].issues[0].label
    assert run == sample_report["context"].run


def test_html_copy_is_self_contained(sample_report: dict) -> None:
    html = sample_report["paths"]["html"].read_text(encoding="utf-8")
    assert 'href="report.css"' not in html
    assert ":root" in html
    assert html.count("<svg") >= 6 + 12 + 5  # KPI sparklines, table sparklines, trend charts


def test_empty_week_renders_and_says_there_was_no_data(empty_report: dict) -> None:
    first_page = empty_report["reader"].pages[0].extract_text()
    assert "No data for this week" in first_page
    assert "No feedback was recorded" in first_page
    assert "No issues were found this week" in first_page
    assert len(empty_report["reader"].pages) <= 4
    rows = empty_report["paths"]["csv"].read_text(encoding="utf-8").splitlines()
    assert rows == [",".join(CSV_COLUMNS)]


def test_a_week_with_complaints_but_no_ranked_issue_says_where_they_went(tmp_path: Path) -> None:
    # Product reviews: every topic mostly praise, 506 negative texts among them.
    paths = render_report(sample_context(0), tmp_path / "2026-W46")
    first_page = PdfReader(paths["pdf"]).pages[0].extract_text()
    assert "No issue ranks this week: its 506 negative texts sit in topics" in first_page
    assert "there were no complaints" not in first_page


def test_a_thin_issue_without_csat_mixes_or_quotes_still_renders(tmp_path: Path) -> None:
    context = sample_context(1)
    issue = context.issues[0]
    update(issue, mean_csat=None, csat_count=0, channel_mix={}, tier_mix={}, quotes=[],
           keywords=[], prev_volume=0, volume_change=None, prev_rank=None,
           history=[0] * 11 + [issue.volume], negative_history=[None] * 12)
    paths = render_report(context, tmp_path / "2026-W46")
    text = _pdf_text(PdfReader(paths["pdf"]))
    assert "No quotes could be shown" in text
    assert "none last week" in text


def test_letter_page_size_comes_from_the_context(tmp_path: Path) -> None:
    paths = render_report(
        sample_context(1, page_size="Letter"), tmp_path / "2026-W46", detail_issues=0
    )
    box = PdfReader(paths["pdf"]).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_unknown_page_size_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PulseError, match="A4 or Letter"):
        render_report(sample_context(1, page_size="A3"), tmp_path / "2026-W46")


def test_the_same_context_gives_byte_identical_outputs(tmp_path: Path) -> None:
    first = render_report(sample_context(2), tmp_path / "a" / "2026-W46", detail_issues=1)
    second = render_report(sample_context(2), tmp_path / "b" / "2026-W46", detail_issues=1)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name


# --- page one tells the week's story without misleading -----------------------------------


class _TileReader(html.parser.HTMLParser):
    """Each KPI tile's classes and text, read from the report's HTML by its structure."""

    def __init__(self) -> None:
        super().__init__()
        self.tiles: list[dict] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += tag == "div"
        elif tag == "div" and "kpi" in classes:
            self.tiles.append({"classes": classes, "text": ""})
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.tiles[-1]["text"] += data


def _tiles(html_text: str) -> dict[str, dict]:
    reader = _TileReader()
    reader.feed(html_text)
    tiles = {}
    for tile in reader.tiles:
        key = next(c.removeprefix("kpi-key-") for c in tile["classes"] if c.startswith("kpi-key-"))
        judgement = next(c.removeprefix("kpi-") for c in tile["classes"]
                         if c in ("kpi-better", "kpi-worse", "kpi-neutral"))
        tiles[key] = {"judgement": judgement, "text": " ".join(tile["text"].split())}
    return tiles


def test_a_measure_the_sources_do_not_have_gets_no_tile(spike_report: dict) -> None:
    assert list(_tiles(spike_report["html"])) == ["volume", "negative_share", "complaint_share"]
    page_one = spike_report["page_one"]
    assert "No data" not in page_one
    assert "Mobile share" not in page_one
    # one line says what is missing instead of four empty tiles
    assert "sources have no CSAT, NPS, first-response times or ticket channels" in " ".join(
        page_one.split()
    )
    assert [k["key"] for k in spike_report["summary"]["kpis"]] == [
        "volume", "negative_share", "complaint_share",
    ]
    assert {k["key"] for k in spike_report["summary"]["kpis_absent"]} == {
        "csat", "nps", "first_response", "mobile_share",
    }


def test_a_tile_without_a_value_is_left_out_even_if_the_context_has_it() -> None:
    context = sample_context(1)
    for kpi in context.kpis:
        if kpi.key in ("csat", "mobile_share"):
            update(kpi, value=None, delta=None, count=0)
    tiles = _tiles(render_html(context))
    assert "csat" not in tiles and "mobile_share" not in tiles
    assert {"volume", "nps", "first_response", "negative_share"} <= set(tiles)


def test_a_measure_that_vanished_since_last_week_is_named_with_last_weeks_count() -> None:
    context = sample_context(1)
    context.kpis = [k for k in context.kpis if k.key not in ("csat", "mobile_share")]
    context.kpis_absent = [
        KpiAbsent(key="csat", label="CSAT (1-5)", prev_count=112),
        KpiAbsent(key="mobile_share", label="Mobile share of tickets", prev_count=0),
    ]
    assert build_view(context, 0)["absent_note"] == (
        "No CSAT (112 last week) this week, so no tile. This week's sources have no ticket "
        "channels, so there is no tile for them."
    )


def test_complaint_sources_show_their_share_apart_from_the_tone(spike_report: dict) -> None:
    tiles = _tiles(spike_report["html"])
    assert tiles["complaint_share"]["text"].startswith("Complaints 100%")
    assert "texts from sources that hold only complaints" in tiles["complaint_share"]["text"]
    assert "1,210 of 2,200 texts negative in tone" in tiles["negative_share"]["text"]


def test_a_falling_share_negative_with_more_negative_texts_shows_the_counts_not_better(
    spike_report: dict,
) -> None:
    tile = _tiles(spike_report["html"])["negative_share"]
    assert "55%" in tile["text"] and "−4 pts vs last week" in tile["text"]
    assert "1,210 negative texts, up from 430" in tile["text"]
    assert tile["judgement"] == "neutral"
    assert "1,210 negative texts, up from 430" in " ".join(spike_report["page_one"].split())
    assert "better" not in spike_report["page_one"].lower()


def test_a_share_that_moves_with_its_count_keeps_its_judgement_and_no_counts_note() -> None:
    context = sample_context(1)
    tile = next(k for k in context.kpis if k.key == "negative_share")
    update(tile, value=0.30, prev=0.40, delta=-0.10, numerator_count=300,
           prev_numerator_count=400)
    assert kpi_change_shown(tile) == "−10 pts"
    view = next(k for k in build_view(context, 0)["kpis"] if k["key"] == "negative_share")
    assert (view["judgement"], view["counts_note"]) == ("better", "")
    tile.numerator_count = 401  # one more negative text than last week: not better
    view = next(k for k in build_view(context, 0)["kpis"] if k["key"] == "negative_share")
    assert view["judgement"] == "neutral"
    assert view["counts_note"] == "401 negative texts, up from 400"


def test_the_weeks_change_is_split_by_issue_and_adds_up(spike_report: dict) -> None:
    changes = spike_report["summary"]["changes"]
    volume = next(k for k in spike_report["summary"]["kpis"] if k["key"] == "volume")
    for split in changes.values():
        assert sum(p["delta"] for p in split["parts"]) + split["other_delta"] == split["delta"]
        assert sum(r["delta"] for r in split["by_issue"]) == split["delta"]
        assert split["total"] - split["prev_total"] == split["delta"]
    assert changes["texts"]["delta"] == volume["value"] - volume["prev"] == 1470
    assert changes["negative_texts"]["delta"] == 1210 - 430
    page_one = " ".join(spike_report["page_one"].split())
    assert ("+1,470 texts (730 → 2,200): Billing and pricing +710, Slow speeds +350, "
            "Data caps +220, other +190 (2 issues and texts in no issue)") in page_one
    assert "+780 negative texts (430 → 1,210): Billing and pricing +440" in page_one


def test_the_ranked_table_and_csv_give_each_issues_change(spike_report: dict) -> None:
    table = spike_report["reader"].pages[1].extract_text()
    assert "vs last week" in table
    for issue in spike_report["context"].issues:
        assert issue.label in table
        assert f"{issue.volume:,} +{issue.volume_delta:,}" in " ".join(table.split())
    with spike_report["paths"]["csv"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["volume_delta"]) for row in rows] == [
        issue.volume_delta for issue in spike_report["context"].issues
    ]
    assert [row["volume_delta"] for row in rows][:3] == ["710", "350", "220"]
    assert "CSAT" not in table  # no issue has a rating: no empty column


def test_no_earlier_week_is_said_only_when_the_data_has_none(tmp_path: Path) -> None:
    context = sample_context(3)
    # an issue the ranked row gives no last-week count, in data with eleven earlier weeks
    update(context.issues[1], prev_volume=None, volume_change=None, volume_delta=None)
    text = _squash(_pdf_text(PdfReader(render_report(context, tmp_path / "a")["pdf"])))
    assert _squash("no earlier week") not in text
    assert _squash("(+59% from 64)") in text  # its history's last week

    first = sample_context(3)
    first.has_earlier_week = False
    for issue in first.issues:
        update(issue, prev_volume=None, volume_change=None, prev_rank=None,
               history=[0] * 11 + [issue.volume])
    for kpi in first.kpis:
        update(kpi, prev=None, delta=None)
    first.data_weeks = DataWeeks(oldest=first.week, newest=first.week)
    text = _squash(_pdf_text(PdfReader(render_report(first, tmp_path / "b")["pdf"])))
    assert _squash("texts this week (no earlier week)") in text
    assert _squash("no earlier week to compare with") in text
    # its charts draw the one week there is, and say so
    assert _squash("This week only: the data begins here.") in text
    assert _squash("Last 12 weeks") not in text


def test_weeks_before_the_data_began_are_no_bars_and_no_line() -> None:
    context = sample_context(3)
    for issue in context.issues:
        update(issue, history=[0] * 11 + [issue.volume])
    context.data_weeks = DataWeeks(oldest="2026-W01", newest=context.week)
    before = build_view(context, detail_issues=3)["issues"][0]
    assert "12 weeks with data" in before["sparkline"]
    context.data_weeks = DataWeeks(oldest=context.week, newest=context.week)
    first = build_view(context, detail_issues=3)["issues"][0]
    assert "1 week with data" in first["sparkline"]
    assert "over 12 weeks" in before["trend_chart"]
    assert "over 1 week\"" in first["trend_chart"]
    assert (first["chart_weeks"], before["chart_weeks"]) == (1, 12)
    # three weeks of data: three weeks drawn
    three = str(IsoWeek.parse(context.week).shift(-2))
    context.data_weeks = DataWeeks(oldest=three, newest=context.week)
    assert "3 weeks with data" in build_view(context, detail_issues=3)["issues"][0]["sparkline"]


def test_a_rank_outside_last_weeks_top_list_is_never_named(sample_report: dict) -> None:
    top = sample_report["context"].issues[0]
    assert top.prev_rank == 24  # not shown in last week's top 15
    text = _squash(_pdf_text(sample_report["reader"]))
    assert "#24" not in text
    assert _squash("up 23") not in text
    assert _squash("new in top 15") in _squash(sample_report["reader"].pages[1].extract_text())
    assert _squash("new in top 15") in _squash(sample_report["reader"].pages[2].extract_text())


def test_an_issues_page_lists_its_sub_themes_largest_first_adding_up(sample_report: dict) -> None:
    html_text = sample_report["paths"]["html"].read_text(encoding="utf-8")
    for issue in sample_report["context"].issues[:5]:
        themes = issue.sub_themes
        article = html_text.split(f'id="issue-{issue.topic_id}"')[1].split("</article>")[0]
        if len(themes) < 2:
            assert "Sub-themes" not in article
            continue
        assert sum(t.volume for t in themes) == issue.volume
        positions = [article.index(f"<td>{html.escape(t.label)}</td>") for t in themes]
        assert positions == sorted(positions)
        volumes = [t.volume for t in themes]
        assert volumes == sorted(volumes, reverse=True)
        for theme in themes:
            row = article.split(f"<td>{html.escape(theme.label)}</td>")[1].split("</tr>")[0]
            assert f'<td class="num">{theme.volume}</td>' in row
            assert format_delta(theme.volume_delta, "num") in row
            assert "<svg" in row  # its 12-week trend
    text = _squash(_pdf_text(sample_report["reader"]))
    for theme in sample_report["context"].issues[0].sub_themes:
        assert _squash(theme.label) in text


# --- the same, from a real database: a complaints export without CSAT, NPS or channels ------

EXPORT_TOPICS = [
    # topic_id, label, level, parent_id
    (10, "Billing", "issue", None),
    (11, "Double charge", "theme", 10),
    (12, "Refund delay", "theme", 10),
    (20, "Login", "issue", None),
    (21, "Reset link", "theme", 20),
]
# texts per week for eleven weeks, then the run's week; None: texts in no issue
EXPORT_VOLUMES = {11: (6, 40), 12: (4, 12), 21: (8, 5), None: (2, 3)}


def _export_run(tmp_path: Path, channels: list[str | None]) -> tuple:
    """A database as a run on a complaints export leaves it, then the report's context.

    Twelve weeks of tickets (2026-W02 to W13) whose channel cycles through `channels`,
    with no CSAT, NPS or response times; W13's Billing triples. Real DuckDB, real SQL.
    """
    from pulse.config import Settings
    from pulse.db import connect
    from pulse.embed import DIMENSIONS, MODEL_NAME
    from pulse.report import build_context
    from pulse.run import RunContext
    from pulse.stages import compute_metrics
    from pulse.weeks import IsoWeek

    con = connect(tmp_path / "pulse.duckdb")
    for topic_id, label, level, parent_id in EXPORT_TOPICS:
        con.execute(
            """
            insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                                status, keywords, level, parent_id)
            values ($t, $l, $l, '2026-W02', '2026-W13', 'active', ['a'], $level, $parent)
            """,
            {"t": topic_id, "l": label, "level": level, "parent": parent_id},
        )
    rows = []
    for topic_id, (usual, now) in EXPORT_VOLUMES.items():
        for week_index in range(12):
            monday = datetime(2026, 1, 5) + timedelta(weeks=week_index)
            for n in range(now if week_index == 11 else usual):
                feedback_id = f"{topic_id}-{week_index}-{n}"
                rows.append({
                    "feedback_id": feedback_id, "topic_id": topic_id,
                    "created_at": monday + timedelta(hours=10 + n % 12),
                    "channel": channels[n % len(channels)],
                    "label": "negative" if n % 2 == 0 else "neutral",
                })
    con.register("made", pa.Table.from_pylist(rows))
    con.execute(
        """
        insert into feedback (feedback_id, source, external_id, kind, channel, created_at,
            text, text_redacted, text_hash, feedback_type)
        select feedback_id, 'export', feedback_id, 'ticket', channel, created_at,
            'complaint ' || feedback_id || ' about my bill this month',
            'complaint ' || feedback_id || ' about my bill this month', feedback_id,
            'complaint'
        from made;
        insert into sentiment select feedback_id, label, -0.5, 'test' from made;
        insert into doc_topics select 'r1', feedback_id, topic_id, 0.8 from made;
        """
    )
    con.execute(
        "insert into embeddings select feedback_id, $model, $vector from made",
        {"model": MODEL_NAME, "vector": [1.0] + [0.0] * (DIMENSIONS - 1)},
    )
    con.unregister("made")
    ctx = RunContext(run_id="r1", week=IsoWeek.parse("2026-W13"),
                     settings=Settings(timezone="UTC"))
    compute_metrics(con, ctx)
    context = build_context(con, ctx)
    con.close()
    return context


def test_a_run_on_an_export_without_csat_nps_or_channels_has_only_its_tiles(
    tmp_path: Path,
) -> None:
    context = _export_run(tmp_path, [None])
    assert [k.key for k in context.kpis] == ["volume", "negative_share", "complaint_share"]
    assert {k.key for k in context.kpis_absent} == {
        "csat", "nps", "first_response", "mobile_share",
    }
    volume, negative, complaints = context.kpis
    assert (volume.value, volume.prev) == (40 + 12 + 5 + 3, 6 + 4 + 8 + 2)
    # negative texts: every other text of each series (n even), 20+6+3+2 now, 3+2+4+1 before
    assert (negative.numerator_count, negative.prev_numerator_count) == (31, 10)
    assert complaints.value == 1.0
    reader = PdfReader(render_report(context, tmp_path / "out" / "2026-W13")["pdf"])
    page_one = " ".join(reader.pages[0].extract_text().split())
    assert "No data" not in page_one and "Mobile share" not in page_one
    assert "31 negative texts, up from 10" not in page_one  # the share rose with the count


def test_a_run_on_tickets_with_channels_shows_the_mobile_share_of_those_with_one(
    tmp_path: Path,
) -> None:
    context = _export_run(tmp_path, ["mobile", None, "email", None])
    mobile = next(k for k in context.kpis if k.key == "mobile_share")
    # W13: 60 tickets, n % 4 == 0 mobile and n % 4 == 2 e-mail: 16 of 31 with a channel
    assert (mobile.value, mobile.count) == (pytest.approx(16 / 31), 31)


def test_a_run_splits_the_weeks_change_and_each_issue_into_sub_themes_that_add_up(
    tmp_path: Path,
) -> None:
    context = _export_run(tmp_path, [None])
    texts = context.changes["texts"]
    assert texts.delta == 60 - 20
    assert [(p.label, p.delta) for p in texts.parts] == [
        ("Billing", 42), ("Login", -3), ("texts in no issue", 1),
    ]
    assert texts.other_delta == 0
    billing, login = sorted(context.issues, key=lambda i: i.topic_id)
    assert (billing.volume, billing.prev_volume, billing.volume_delta) == (52, 10, 42)
    assert [(t.label, t.volume, t.volume_delta) for t in billing.sub_themes] == [
        ("Double charge", 40, 34), ("Refund delay", 12, 8),
    ]
    assert sum(t.volume for t in billing.sub_themes) == billing.volume
    assert billing.sub_themes[0].history == [6] * 11 + [40]
    assert [t.label for t in login.sub_themes] == ["Reset link"]
    assert context.has_earlier_week is True
    html_text = render_html(context)
    billing_page = html_text.split('id="issue-10"')[1].split("</article>")[0]
    login_page = html_text.split('id="issue-20"')[1].split("</article>")[0]
    assert "<td>Double charge</td>" in billing_page and "<td>Refund delay</td>" in billing_page
    assert "Sub-themes" not in login_page  # one sub-theme is the issue itself


# --- the session's demo run --------------------------------------------------------------


def test_the_demo_reports_sub_themes_add_up_to_their_issues(demo_run) -> None:
    summary = json.loads((demo_run.pdf.parent / "summary.json").read_text(encoding="utf-8"))
    for issue in summary["issues"]:
        themes = issue["sub_themes"]
        assert themes, issue["label"]
        assert sum(t["volume"] for t in themes) == issue["volume"], issue["label"]
        assert sum(t["prev_volume"] for t in themes) == issue["prev_volume"], issue["label"]
    listed = [i for i in summary["issues"][:5] if len(i["sub_themes"]) > 1]
    assert listed, "the demo's top issues should include one with several sub-themes"
    text = re.sub(r"\s+", "", pdf_text(demo_run.pdf))
    for issue in listed:
        for theme in issue["sub_themes"]:
            assert re.sub(r"\s+", "", theme["label"]) in text


def test_the_demo_reports_week_change_adds_up_to_its_totals(demo_run) -> None:
    summary = json.loads((demo_run.pdf.parent / "summary.json").read_text(encoding="utf-8"))
    volume = next(k for k in summary["kpis"] if k["key"] == "volume")
    negative = next(k for k in summary["kpis"] if k["key"] == "negative_share")
    texts, negatives = summary["changes"]["texts"], summary["changes"]["negative_texts"]
    assert texts["delta"] == volume["value"] - volume["prev"]
    assert negatives["delta"] == negative["numerator_count"] - negative["prev_numerator_count"]
    for split in (texts, negatives):
        assert sum(p["delta"] for p in split["parts"]) + split["other_delta"] == split["delta"]
    by_id = {i["topic_id"]: i for i in summary["issues"]}
    for row in texts["by_issue"]:
        if row["topic_id"] in by_id:
            assert row["delta"] == by_id[row["topic_id"]]["volume_delta"]
    text = pdf_text(demo_run.pdf)
    page_one = text.split("1 of ")[0]
    assert "No data" not in page_one
    assert f"{texts['delta']:+,}".replace("-", "−") + " texts" in page_one
    assert "no earlier week" not in text


# --- formatting --------------------------------------------------------------------


def test_filters_write_unknown_as_a_dash_and_always_sign_changes() -> None:
    assert format_num(None) == "—"
    assert format_num(1234.4) == "1,234"
    assert format_pct(0.812) == "81%"
    assert format_pct(float("nan")) == "—"
    assert format_delta(2.9) == "+290%"
    assert format_delta(-0.12) == "−12%"
    assert format_delta(0.0) == "±0%"
    assert format_delta(0.04, kind="pp") == "+4 pts"
    assert format_delta(61727.0) == "×61,728"


def test_charts_are_deterministic_svg_without_a_date() -> None:
    first = charts.issue_trend([1, 5, 3], [0.2, None, 0.5], ["W44", "W45", "W46"])
    again = charts.issue_trend([1, 5, 3], [0.2, None, 0.5], ["W44", "W45", "W46"])
    assert first == again
    assert first.startswith("<svg")
    assert "<dc:date>" not in first
    assert charts.sparkline([None, None]) == ""


# --- safety: the renderer reaches nothing outside the templates folder ------------------


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def canary_server():
    """An HTTP server on a free local port that records every request it gets."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = type("Handler", (_CountingHandler,), {"hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, handler.hits
    server.shutdown()
    server.server_close()


def _hostile_payloads(port: int) -> list[str]:
    return [
        f'<img src="http://127.0.0.1:{port}/x.png">',
        '<link rel=attachment href="file:///etc/passwd">',
        f"<style>body {{ background: url(http://127.0.0.1:{port}/y) }}</style>",
        "<script>alert(1)</script>",
        f'<a rel="attachment" href="http://127.0.0.1:{port}/z">x</a>',
    ]


def test_the_canary_server_does_see_a_renderer_that_fetches_freely(canary_server) -> None:
    # Guards the safety test below: it proves a request would be counted.
    port, hits = canary_server
    HTML(string=_hostile_payloads(port)[0], url_fetcher=URLFetcher()).write_pdf()
    assert hits == ["/x.png"]


def test_hostile_feedback_text_is_printed_literally_and_fetches_nothing(
    canary_server, tmp_path: Path
) -> None:
    port, hits = canary_server
    payloads = _hostile_payloads(port)
    context = sample_context(3)
    for issue in context.issues:
        issue.label = f"Label {payloads[0]}"
        issue.keywords = [payloads[2], "plain"]
        issue.why = payloads[4]
        issue.quotes = [
            Quote(feedback_id=f"demo_tickets:ZD-{index}", text=text, channel="email",
                  created_at="2026-11-12")
            for index, text in enumerate(payloads)
        ]
        issue.channel_mix = {payloads[3]: 1.0}
    context.coverage.sources[0].source = payloads[1]
    context.method["topics"] = payloads[2]
    context.emerging = copy.deepcopy(context.issues[:1])

    paths = render_report(context, tmp_path / "2026-W46")

    assert hits == []
    reader = PdfReader(paths["pdf"])
    assert reader.attachments == {}
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    text = _squash(_pdf_text(reader))
    for payload in payloads:
        assert _squash(payload) in text
    html = paths["html"].read_text(encoding="utf-8")
    assert "<script" not in html
    assert "<img" not in html
    assert "<link rel=attachment" not in html
    assert '<a rel="attachment"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"&lt;img src=&#34;http://127.0.0.1:{port}/x.png&#34;&gt;" in html


def test_fetcher_serves_the_stylesheet_from_the_templates_folder() -> None:
    fetcher = TemplateFolderFetcher(TEMPLATES_DIR)
    response = fetcher.fetch((TEMPLATES_DIR / "report.css").resolve().as_uri())
    assert b":root" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.com/font.woff2",
        "data:text/css,body{background:red}",
        "file:///etc/passwd",
        (TEMPLATES_DIR / ".." / "pulse" / "config.py").as_uri(),
        (TEMPLATES_DIR.resolve().as_uri() + "/../pulse/config.py"),
        (TEMPLATES_DIR.resolve().as_uri() + "/%2e%2e/pulse/config.py"),
        "file://otherhost" + str((TEMPLATES_DIR / "report.css").resolve()),
        TEMPLATES_DIR.resolve().as_uri() + "/no-such-file.png",
        "ftp://127.0.0.1/x",
        TEMPLATES_DIR.resolve().as_uri() + "/report.css%00.png",
    ],
)
def test_fetcher_refuses_anything_outside_the_templates_folder(url: str) -> None:
    with pytest.raises(RefusedURL):
        TemplateFolderFetcher(TEMPLATES_DIR).fetch(url)


def test_templates_escape_everything_and_reject_unknown_names() -> None:
    context = sample_context(1)
    context.issues[0].label = "<b>bold</b>"
    html = render_html(context)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    with pytest.raises(jinja2.UndefinedError):
        make_environment().from_string("{{ misspelt_field }}").render()
    assert make_environment().from_string("{{ x|pct }} {{ x|delta }}").render(x=0.5) == (
        "50% +50%"
    )


# --- atomic replacement ------------------------------------------------------------------


@pytest.fixture
def broken_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report's templates with one misspelt field: StrictUndefined stops the render
    half-way, after the staging folder exists."""
    folder = tmp_path_factory.mktemp("templates") / "report_templates"
    shutil.copytree(TEMPLATES_DIR, folder)
    page = folder / "report.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("{{ week_number }}", "{{ week_numbr }}", 1), encoding="utf-8")
    return folder


def test_a_failed_render_leaves_the_previous_report_untouched(
    tmp_path: Path, broken_templates: Path
) -> None:
    out_dir = tmp_path / "2026-W46"
    render_report(sample_context(1), out_dir, detail_issues=0)
    good_pdf = (out_dir / "report.pdf").read_bytes()

    with pytest.raises(jinja2.UndefinedError):
        render_report(sample_context(1), out_dir, broken_templates)

    assert (out_dir / "report.pdf").read_bytes() == good_pdf
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-W46"]


def test_a_report_retired_by_an_interrupted_swap_is_put_back(
    tmp_path: Path, broken_templates: Path
) -> None:
    retired = tmp_path / ".2026-W46.previous-0123456789"
    retired.mkdir()
    (retired / "report.pdf").write_bytes(b"%PDF-last-good")

    with pytest.raises(jinja2.UndefinedError):
        render_report(sample_context(1), tmp_path / "2026-W46", broken_templates)

    assert (tmp_path / "2026-W46" / "report.pdf").read_bytes() == b"%PDF-last-good"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-W46"]


def test_a_new_render_replaces_the_whole_folder_and_leaves_no_temporaries(
    tmp_path: Path,
) -> None:
    out_dir = tmp_path / "2026-W46"
    out_dir.mkdir()
    (out_dir / "stale.txt").write_text("from an older run", encoding="utf-8")
    paths = render_report(sample_context(1), out_dir, detail_issues=0)
    assert sorted(path.name for path in out_dir.iterdir()) == sorted(
        path.name for path in paths.values()
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-W46"]


def test_a_past_week_re_rendered_names_its_issues_without_a_later_praise_mark(
    demo_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A ranked issue was not praise in its week; a later run may mark its topic praise
    (the tone of a later window), and `pulse report` on the old week must not say so."""
    from pulse.cli.main import main
    from pulse.db import connect
    from pulse.topics.praise import praise_label
    from tests.output_readers import pdf_text, ranked_rows

    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    with connect(db_path) as con:
        top, label = con.execute(
            "select r.topic_id, t.label from ranked_issues as r join topics as t using (topic_id)"
            " order by r.priority desc limit 1"
        ).fetchone()
        marked = praise_label(label, True)  # as a later run would mark it
        con.execute(
            "update topics set label = $m, auto_label = $m where topic_id = $t",
            {"m": marked, "t": top},
        )
    assert main(["report", "--week", str(demo_run.week), "--output-dir", str(tmp_path)]) == 0
    pdf = Path(capsys.readouterr().out.strip().splitlines()[-1])
    rows = {row["topic_id"]: row for row in ranked_rows(pdf.parent / "ranked_issues.csv")}
    assert rows[str(top)]["label"] == label
    text = _squash(pdf_text(pdf))
    assert _squash(marked) not in text
    assert _squash(label) in text
