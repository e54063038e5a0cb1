"""The whole product path on the session's real flow run: demo data in, ranked PDF out."""

from __future__ import annotations

import csv
import json
import re

import duckdb
import yaml
from pypdf import PdfReader

from pulse.config import REPO_ROOT


def _pdf_text(path) -> str:
    # pypdf spells some subset fonts' text as UTF-16 with NULs between letters
    # (pdftotext reads the same PDF cleanly), so the NULs are dropped.
    pages = PdfReader(path).pages
    return "\n".join((page.extract_text() or "").replace("\x00", "") for page in pages)


def _norm(text: str) -> str:
    """Letters and digits only: PDF text extraction varies in quotes, dashes and line breaks."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def test_flow_writes_every_output_into_the_weeks_folder(demo_run):
    folder = demo_run.pdf.parent
    assert folder.name == "2026-W46"
    for name in ("report.pdf", "report.html", "ranked_issues.csv", "summary.json", "run.json"):
        assert (folder / name).stat().st_size > 0, name


def test_planted_surging_theme_ranks_in_the_top_three(demo_run):
    surging = demo_run.truth["surging_theme"]
    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    try:
        top3 = con.execute(
            """
            select r.topic_id
            from ranked_issues as r
            where r.run_id = (select run_id from runs where outcome = 'ok'
                              order by finished_at desc limit 1)
            order by r.rank limit 3
            """
        ).fetchall()
        themes_of_top = []
        for (topic_id,) in top3:
            ids = con.execute(
                """
                select f.external_id from doc_topics as d
                inner join feedback as f using (feedback_id)
                inner join topic_rollup as r on r.topic_id = d.topic_id
                where r.issue_id = $t and d.run_id = (select run_id from runs where outcome = 'ok'
                                                      order by finished_at desc limit 1)
                """,
                {"t": topic_id},
            ).fetchall()
            counts: dict[str, int] = {}
            for (external_id,) in ids:
                theme = demo_run.truth["doc_theme"][external_id]
                counts[theme] = counts.get(theme, 0) + 1
            themes_of_top.append(max(counts, key=counts.get))
    finally:
        con.close()
    assert surging in themes_of_top


def test_planted_surge_is_flagged_emerging_in_the_pdf(demo_run):
    rows = list(csv.DictReader((demo_run.pdf.parent / "ranked_issues.csv").open()))
    emerging = [r for r in rows if r["is_emerging"] == "true"]
    assert emerging, "the planted surge should be flagged emerging"
    assert int(emerging[0]["rank"]) <= 3


def test_every_listed_issue_has_a_quote_and_the_quotes_are_in_the_pdf(demo_run):
    summary = json.loads((demo_run.pdf.parent / "summary.json").read_text())
    issues = summary["issues"]
    assert len(issues) >= 10
    text = _norm(_pdf_text(demo_run.pdf))
    for issue in issues[:5]:
        assert issue["quotes"], f"issue {issue['label']} has no quote"
        for quote in issue["quotes"]:
            assert _norm(quote["text"])[:40] in text


def test_top_issue_label_is_on_page_one(demo_run):
    summary = json.loads((demo_run.pdf.parent / "summary.json").read_text())
    first_page = _norm(_pdf_text(demo_run.pdf).split("1 of ")[0])
    assert _norm(summary["issues"][0]["label"]) in first_page


def test_labels_read_like_names_not_bertopic_ids(demo_run):
    summary = json.loads((demo_run.pdf.parent / "summary.json").read_text())
    for issue in summary["issues"]:
        assert not re.match(r"^-?\d+_", issue["label"]), issue["label"]
        assert issue["label"][0].isupper()


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
# A phone or card number as planted: digits with spaces, dots, dashes or brackets between.
_NUMBER = re.compile(r"\+?\(?\d[\d\s().-]{7,}\d")


def test_no_planted_personal_data_reaches_any_output(demo_run):
    """Every e-mail, phone and card number the demo planted is absent from every output."""
    planted_kinds = demo_run.truth["pii"]
    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    try:
        texts = dict(con.execute("select external_id, text from feedback").fetchall())
    finally:
        con.close()
    planted: dict[str, set[str]] = {"email": set(), "phone": set(), "card": set()}
    for external_id, kinds in planted_kinds.items():
        text = texts.get(external_id)
        if text is None:
            continue
        if "email" in kinds:
            planted["email"].update(_EMAIL.findall(text))
        for kind in ("phone", "card"):
            if kind in kinds:
                planted[kind].update(m.strip() for m in _NUMBER.findall(text))
    assert all(planted.values()), f"the demo should plant every kind: {planted.keys()}"
    folder = demo_run.pdf.parent
    outputs = {
        "pdf": _pdf_text(demo_run.pdf),
        "html": (folder / "report.html").read_text(),
        "csv": (folder / "ranked_issues.csv").read_text(),
        "summary": (folder / "summary.json").read_text(),
        "run": (folder / "run.json").read_text(),
    }
    for name, body in outputs.items():
        for kind, values in planted.items():
            for value in values:
                assert value not in body, f"planted {kind} {value!r} leaked into {name}"


def test_run_is_recorded_with_timings_and_counts_that_add_up(demo_run):
    run = json.loads((demo_run.pdf.parent / "run.json").read_text())
    assert run["week"] == "2026-W46"
    assert set(run["timings"]) >= {"ingest", "embed", "sentiment", "topics", "rank"}
    ingest = run["counts"]["ingest"]
    assert ingest["rows_in"] == ingest["rows_loaded"] + ingest["rows_rejected"] + ingest.get(
        "rows_duplicate", 0
    )
    assert ingest["rows_loaded"] > 1000


def test_prefect_yaml_deployments_point_at_the_flow(demo_run):
    spec = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    from prefect.flows import load_flow_from_entrypoint

    names = {d["name"] for d in spec["deployments"]}
    assert {"weekly", "adhoc"} <= names
    for deployment in spec["deployments"]:
        path, _, func = deployment["entrypoint"].partition(":")
        flow = load_flow_from_entrypoint(str(REPO_ROOT / path) + ":" + func)
        assert flow.name == "weekly-voc-report"
    weekly = next(d for d in spec["deployments"] if d["name"] == "weekly")
    schedule = weekly["schedules"][0]
    assert schedule["cron"] == "0 6 * * 1"
    assert schedule["timezone"] == "Europe/London"
