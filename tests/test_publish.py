"""What a run publishes to Prefect's UI: formatted figures, and a PDF link a browser opens."""

from __future__ import annotations

import http.client
import urllib.request

import pytest

from pulse.publish.artifacts import duration_text, pdf_markdown, ranking_rows, summary_markdown
from pulse.publish.outputs_http import report_link, resolve_request, serving_outputs
from pulse.weeks import IsoWeek

ISSUE = {
    "rank": 1,
    "label": "Charged twice",
    "owner": None,
    "volume": 1234,
    "volume_delta": -7,
    "is_new": False,
    "negative_share": 0.4166666,
    "mean_csat": 2.3456,
    "priority": 63.4321,
    "why": "up 40% on its baseline",
}


def test_the_ranking_table_shows_figures_as_the_pdf_writes_them():
    assert ranking_rows([ISSUE, {**ISSUE, "rank": 2, "is_new": True, "mean_csat": None}]) == [
        {
            "rank": 1,
            "issue": "Charged twice",
            "owner": "no owner",
            "texts": "1,234",
            "vs last week": "\u22127",
            "negative": "42%",
            "CSAT": "2.3",
            "priority": "63",
        },
        {
            "rank": 2,
            "issue": "Charged twice",
            "owner": "no owner",
            "texts": "1,234",
            "vs last week": "new",
            "negative": "42%",
            "CSAT": "—",
            "priority": "63",
        },
    ]


def test_the_summary_has_formatted_figures_and_the_runs_time_in_minutes():
    summary = {
        "kpis": [{"label": "Texts", "display": "12,345", "delta_display": "+4%"}],
        "issues": [ISSUE],
    }

    text = summary_markdown(IsoWeek.parse("2026-W46"), summary, run_seconds=186.0)

    assert "- **Texts**: 12,345 +4%" in text
    assert "1. **Charged twice** (**no owner**; 1,234 texts, 42% negative) — up 40%" in text
    assert text.endswith("Run took 3.1 min.")
    assert "0.416" not in text and "1234" not in text


@pytest.mark.parametrize(
    ("seconds", "said"), [(42.4, "42 s"), (186.0, "3.1 min"), (4320.0, "1.2 h")]
)
def test_a_runs_time_reads_as_a_person_says_it(seconds, said):
    assert duration_text(seconds) == said


def test_without_a_served_folder_the_pdf_is_plain_text_not_a_file_link(tmp_path):
    pdf = tmp_path / "outputs" / "2026-W46" / "report.pdf"

    assert report_link(pdf, tmp_path / "outputs", "") is None
    assert f"`{pdf}`" in pdf_markdown(pdf) and "file://" not in pdf_markdown(pdf)


def test_a_pdf_in_the_served_folder_gets_an_http_link_and_one_outside_gets_none(tmp_path):
    outputs = tmp_path / "outputs"
    served = "http://127.0.0.1:8766/reports/"

    assert (
        report_link(outputs / "2026-W46" / "report.pdf", outputs, served)
        == "http://127.0.0.1:8766/reports/2026-W46/report.pdf"
    )
    assert report_link(tmp_path / "elsewhere" / "report.pdf", outputs, served) is None


@pytest.fixture
def served_outputs(tmp_path):
    """An outputs folder with one week's PDF, a hidden shard and a secret beside it, served."""
    outputs = tmp_path / "outputs"
    (outputs / "2026-W46").mkdir(parents=True)
    (outputs / "2026-W46" / "report.pdf").write_bytes(b"%PDF-1.7 a week's report")
    (outputs / ".shards").mkdir()
    (outputs / ".shards" / "texts.parquet").write_bytes(b"unredacted")
    (tmp_path / "pulse.duckdb").write_bytes(b"the whole database")
    (outputs / "2026-W46" / "escape.pdf").symlink_to(tmp_path / "pulse.duckdb")
    with serving_outputs(outputs) as base_url:
        yield base_url


def _get(base_url: str, raw_path: str, method: str = "GET") -> tuple[int, bytes, dict]:
    """A request with the path sent exactly as written (no client-side `..` clean-up)."""
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, raw_path)
        reply = connection.getresponse()
        return reply.status, reply.read(), dict(reply.getheaders())
    finally:
        connection.close()


def test_the_route_serves_a_weeks_pdf_over_http(served_outputs):
    with urllib.request.urlopen(served_outputs + "2026-W46/report.pdf", timeout=10) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/pdf"
        assert reply.read() == b"%PDF-1.7 a week's report"


@pytest.mark.parametrize(
    ("raw_path", "status"),
    [
        ("/reports/../pulse.duckdb", 403),
        ("/reports/2026-W46/../../pulse.duckdb", 403),
        ("/reports/%2e%2e/pulse.duckdb", 403),
        ("/reports/..%2Fpulse.duckdb", 403),
        ("/reports/2026-W46/escape.pdf", 403),  # a symlink out of the folder
        ("/reports/.shards/texts.parquet", 403),
        ("/reports/2026-W46/", 404),  # no listings
        ("/reports/2026-W46/missing.pdf", 404),
        ("/pulse.duckdb", 404),
        ("/reports/%00", 400),
    ],
)
def test_the_route_refuses_every_path_outside_the_outputs_files(served_outputs, raw_path, status):
    code, body, _ = _get(served_outputs, raw_path)

    assert code == status
    assert b"the whole database" not in body and b"unredacted" not in body


def test_the_route_is_read_only(served_outputs):
    for method in ("PUT", "POST", "DELETE"):
        assert _get(served_outputs, "/reports/2026-W46/report.pdf", method)[0] == 501
    status, body, headers = _get(served_outputs, "/reports/2026-W46/report.pdf", "HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", "24")


def test_a_request_path_resolves_only_to_a_file_inside_the_folder(tmp_path):
    (tmp_path / "2026-W46").mkdir()
    (tmp_path / "2026-W46" / "report.pdf").write_bytes(b"%PDF")

    found, status, _ = resolve_request(tmp_path, "/reports/2026-W46/report.pdf?v=2")
    assert (found, status) == ((tmp_path / "2026-W46" / "report.pdf").resolve(), 200)
    assert resolve_request(tmp_path, "/reports/../x")[1:] == (
        403,
        "the path leaves the outputs folder",
    )


def test_the_served_outputs_stop_with_the_block(tmp_path):
    with serving_outputs(tmp_path) as base_url:
        pass

    with pytest.raises(OSError):
        urllib.request.urlopen(base_url + "x.pdf", timeout=2)
