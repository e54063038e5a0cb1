"""The PDF report: content read back from the PDF, safety against hostile text, atomic writes."""

from __future__ import annotations

import copy
import csv
import http.server
import json
import socket
import threading
from pathlib import Path

import jinja2
import pytest
from pypdf import PdfReader
from weasyprint import HTML, URLFetcher

from pulse import charts
from pulse.config import TEMPLATES_DIR
from pulse.errors import PulseError
from pulse.report import (
    CSV_COLUMNS,
    RefusedURL,
    TemplateFolderFetcher,
    format_delta,
    format_num,
    format_pct,
    make_environment,
    render_html,
    render_report,
    write_ranked_csv,
)
from tests.report_context import empty_context, sample_context


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
def empty_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out_dir = tmp_path_factory.mktemp("outputs") / "2026-W46"
    paths = render_report(empty_context(), out_dir)
    return {"paths": paths, "reader": PdfReader(paths["pdf"])}


# --- what the reader sees --------------------------------------------------------------


def test_sample_report_has_a_sensible_number_of_pages(sample_report: dict) -> None:
    # cover + table + 5 issue pages + movers/coverage/method
    assert 7 <= len(sample_report["reader"].pages) <= 14


def test_page_one_names_the_week_and_the_top_issue(sample_report: dict) -> None:
    first_page = sample_report["reader"].pages[0].extract_text()
    top = sample_report["context"]["issues"][0]
    assert "Week 46, 2026" in first_page
    assert "9–15 November 2026" in first_page
    assert _squash(top["label"]) in _squash(first_page)
    for kpi in sample_report["context"]["kpis"]:
        assert _squash(kpi["label"]) in _squash(first_page)


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
    issues = sample_report["context"]["issues"]
    for issue in issues[:5]:
        assert f"#{issue['rank']} {issue['label']}" in titles
    assert not any(issues[5]["label"] in title for title in titles)


def test_every_quote_of_a_detailed_issue_is_in_the_pdf(sample_report: dict) -> None:
    text = _squash(_pdf_text(sample_report["reader"]))
    for issue in sample_report["context"]["issues"][:5]:
        for quote in issue["quotes"]:
            assert _squash(quote["text"]) in text
            assert quote["feedback_id"] in text


def test_every_ranked_issue_is_in_the_table(sample_report: dict) -> None:
    table_text = _squash(sample_report["reader"].pages[1].extract_text())
    for issue in sample_report["context"]["issues"]:
        assert _squash(issue["label"]) in table_text


def test_csv_has_one_row_per_issue_with_the_documented_columns(sample_report: dict) -> None:
    with sample_report["paths"]["csv"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    issues = sample_report["context"]["issues"]
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [row["label"] for row in rows] == [issue["label"] for issue in issues]
    assert rows[0]["component_negativity"] == str(issues[0]["components"]["negativity"])


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(tmp_path: Path) -> None:
    issue = sample_context(1)["issues"][0]
    issue["label"] = '=HYPERLINK("http://127.0.0.1/x","click")'
    issue["keywords"] = ["@SUM(A1)", "plain"]
    write_ranked_csv([issue], tmp_path / "ranked_issues.csv")
    with (tmp_path / "ranked_issues.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["label"] == "'" + issue["label"]
    assert row["keywords"] == "'@SUM(A1); plain"
    assert row["volume"] == str(issue["volume"])


def test_summary_and_run_records_parse_and_agree_with_the_pdf(sample_report: dict) -> None:
    summary = json.loads(sample_report["paths"]["summary"].read_text(encoding="utf-8"))
    run = json.loads(sample_report["paths"]["run"].read_text(encoding="utf-8"))
    assert summary["week"] == "2026-W46"
    assert summary["pages"] == len(sample_report["reader"].pages)
    assert summary["issues"][0]["label"] == sample_report["context"]["issues"][0]["label"]
    assert run == sample_report["context"]["run"]


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


def test_a_thin_issue_without_csat_mixes_or_quotes_still_renders(tmp_path: Path) -> None:
    context = sample_context(1)
    issue = context["issues"][0]
    issue.update(mean_csat=None, csat_count=0, channel_mix={}, tier_mix={}, quotes=[],
                 keywords=[], prev_volume=0, volume_change=None, prev_rank=None,
                 history=[0] * 11 + [issue["volume"]], negative_history=[None] * 12)
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
    for issue in context["issues"]:
        issue["label"] = f"Label {payloads[0]}"
        issue["keywords"] = [payloads[2], "plain"]
        issue["why"] = payloads[4]
        issue["quotes"] = [
            {"feedback_id": f"demo_tickets:ZD-{index}", "text": text, "channel": "email",
             "created_at": "2026-11-12"}
            for index, text in enumerate(payloads)
        ]
        issue["channel_mix"] = {payloads[3]: 1.0}
    context["coverage"]["sources"][0]["source"] = payloads[1]
    context["method"]["topics"] = payloads[2]
    context["emerging"] = copy.deepcopy(context["issues"][:1])

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
    context["issues"][0]["label"] = "<b>bold</b>"
    html = render_html(context)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    with pytest.raises(jinja2.UndefinedError):
        make_environment().from_string("{{ misspelt_field }}").render()
    assert make_environment().from_string("{{ x|pct }} {{ x|delta }}").render(x=0.5) == (
        "50% +50%"
    )


# --- atomic replacement ------------------------------------------------------------------


def test_a_failed_render_leaves_the_previous_report_untouched(tmp_path: Path) -> None:
    out_dir = tmp_path / "2026-W46"
    render_report(sample_context(1), out_dir, detail_issues=0)
    good_pdf = (out_dir / "report.pdf").read_bytes()
    broken = sample_context(1)
    broken["issues"] = [{"rank": 1}]  # no label: StrictUndefined stops the template

    with pytest.raises(jinja2.UndefinedError):
        render_report(broken, out_dir)

    assert (out_dir / "report.pdf").read_bytes() == good_pdf
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2026-W46"]


def test_a_report_retired_by_an_interrupted_swap_is_put_back(tmp_path: Path) -> None:
    retired = tmp_path / ".2026-W46.previous-0123456789"
    retired.mkdir()
    (retired / "report.pdf").write_bytes(b"%PDF-last-good")
    broken = sample_context(1)
    broken["issues"] = [{"rank": 1}]

    with pytest.raises(jinja2.UndefinedError):
        render_report(broken, tmp_path / "2026-W46")

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
