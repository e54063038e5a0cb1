"""Hostile cases from issue 18's probe that are not in a file of their own.

The probe's other cases live beside the code they test: weeks (test_run_weeks.py), a
failed run (test_run_atomic.py), kills mid-stage (test_recovery.py), the taxonomy file
(test_taxonomy.py), personal data (test_redact.py), user-facing errors (test_cli.py),
a renderer that may fetch nothing (test_report.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pulse.cli.main import main
from pulse.db import connect
from pulse.ingest import ingest_paths
from tests.output_readers import pdf_text
from tests.test_ingest_exports import NOW, PLAIN

FORMAT_CHARACTERS = (
    "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200e\u200f\u200b\u00ad\ufeff"
)


def test_format_characters_leave_the_stored_text_and_its_redacted_copy(tmp_path):
    """U+202E and friends would reverse what a reader sees in the PDF ("edoc" for "code")."""
    path = tmp_path / "bidi.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "text"])
        writer.writerow(
            ["b-1", "2026-11-10T10:00:00Z", "Verification \u202ecode\u202c never \u2066came\u2069"]
        )
        writer.writerow(
            ["b-2", "2026-11-10T11:00:00Z", "mail me at jane\u200e@example.com \u200fplease"]
        )
        writer.writerow(["b-3", "2026-11-10T12:00:00Z", "family \U0001f468\u200d\U0001f469 ok"])
    con = connect(tmp_path / "pulse.duckdb")
    try:
        [report] = ingest_paths(
            con, [path], source="plain", mappings_file=PLAIN, now=NOW, timezone="UTC"
        )
        assert report.rows_loaded == 3
        rows = dict(
            con.execute(
                "select external_id, [text, text_redacted] from feedback order by 1"
            ).fetchall()
        )
    finally:
        con.close()
    for external_id, texts in rows.items():
        for text in texts:
            assert not set(text) & set(FORMAT_CHARACTERS), (external_id, text)
    assert rows["b-1"][0] == "Verification code never came"
    assert "[email]" in rows["b-2"][1] and "example.com" not in rows["b-2"][1]
    assert "\u200d" in rows["b-3"][0]  # the joiner inside an emoji sequence stays


@pytest.mark.slow
def test_template_syntax_in_a_taxonomy_label_prints_literally(demo_env, tmp_path, monkeypatch):
    """A CX label is data: `{{ 7*7 }}` and markup print as typed, never evaluated."""
    con = duckdb.connect(str(demo_env.copy_db(tmp_path / "pulse.duckdb")), read_only=True)
    try:
        [(topic_id,)] = con.execute(
            "select topic_id from ranked_issues where rank = 1 and week = $week "
            "order by run_id desc limit 1",
            {"week": str(demo_env.week)},
        ).fetchall()
    finally:
        con.close()
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(
        f"topics:\n  - id: {topic_id}\n    label: \"{{{{ 7*7 }}}} <b>bold</b> {{% raw %}}\"\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PULSE_TAXONOMY", str(taxonomy))
    monkeypatch.setenv("PULSE_DB_PATH", str(tmp_path / "pulse.duckdb"))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))

    assert main(["--quiet", "report", "--week", str(demo_env.week)]) == 0
    folder = Path(tmp_path / "outputs" / str(demo_env.week))
    text = " ".join(pdf_text(folder / "report.pdf").split())
    assert "{{ 7*7 }} <b>bold</b> {% raw %}" in text
    assert " 49 <b>" not in text
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }} &lt;b&gt;bold&lt;/b&gt; {% raw %}" in html
