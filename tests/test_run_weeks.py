"""Which weeks a run accepts (issue 18, point 2).

The clock is pinned to Thursday of the session demo's last week (2026-W46), so "the
current week" is a week that has data; everything else is the real flow on a copy of
the session's database.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from pypdf import PdfReader

import pulse.errors
import pulse.weeks
from pulse.cli.main import main
from pulse.weeks import IsoWeek
from tests.output_readers import pdf_text
from tests.test_run_atomic import table_digests

THURSDAY = date(2026, 11, 12)  # in 2026-W46, the demo's newest week


@pytest.fixture
def week_env(demo_run, tmp_path, monkeypatch):
    """A copy of the session database; today is Thursday of the demo's newest week."""
    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.setattr(pulse.weeks, "today_in", lambda tz: THURSDAY)
    return db_path


def _runs(db_path) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("select week, outcome, error from runs order by started_at").fetchall()
    finally:
        con.close()


def test_the_current_week_is_refused_at_once_without_partial(week_env, capsys):
    runs_before = _runs(week_env)
    assert main(["run", "--week", "2026-W46"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "2026-W46 is not over yet" in err[0]
    assert "--partial" in err[0] and "2026-W45" in err[0]
    assert _runs(week_env) == runs_before  # refused before the run began


def test_partial_is_only_for_the_current_week(week_env, capsys):
    assert main(["run", "--week", "2026-W44", "--partial"]) == 2
    assert "--partial is for the current week, 2026-W46" in capsys.readouterr().err


@pytest.mark.slow
def test_a_partial_week_says_so_on_page_one_and_flags_nothing_improving(week_env, capsys):
    import json
    from pathlib import Path

    assert main(["--quiet", "run", "--week", "2026-W46", "--partial"]) == 0
    pdf = Path(capsys.readouterr().out.strip())
    first_page = PdfReader(pdf).pages[0].extract_text()
    assert "Partial week: Mon–Thu" in first_page
    summary = json.loads((pdf.parent / "summary.json").read_text(encoding="utf-8"))
    assert summary["partial_days"] == "Mon–Thu"
    assert not any(issue["is_improving"] for issue in summary["issues"])
    assert summary["issues"], "a partial week with texts still ranks its issues"
    # only the days so far count: the demo's Friday-to-Sunday texts of the week do not
    con = duckdb.connect(str(week_env), read_only=True)
    try:
        start, end = IsoWeek.parse("2026-W46").bounds_utc("Europe/London")
        through_thursday, whole_week = con.execute(
            "select count(*) filter (where created_at < $start + interval 4 day), count(*) "
            "from feedback where created_at >= $start and created_at < $end",
            {"start": start, "end": end},
        ).fetchone()
    finally:
        con.close()
    volume = next(k for k in summary["kpis"] if k["key"] == "volume")
    assert through_thursday < whole_week
    assert volume["value"] == through_thursday

    # a re-render of the partial run stays partial
    assert main(["--quiet", "report", "--week", "2026-W46"]) == 0
    again = Path(capsys.readouterr().out.strip())
    assert "Partial week: Mon–Thu" in PdfReader(again).pages[0].extract_text()


@pytest.mark.slow
@pytest.mark.parametrize("week", ["2026-W47", "2026-W53", "2031-W01"])
def test_a_week_after_the_newest_data_is_refused_naming_the_newest_week(
    week_env, capsys, week
):
    before = table_digests(week_env)
    assert main(["run", "--week", week]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"pulse: week {week} ")
    assert "the newest week with data is 2026-W46" in err[-1]
    assert "Traceback" not in "\n".join(err)
    assert table_digests(week_env) == before
    assert _runs(week_env)[-1][:2] == (week, "failed")


def test_week_53_exists_only_in_long_years():
    assert IsoWeek.parse("2026-W53").sunday == date(2027, 1, 3)
    with pytest.raises(pulse.errors.PulseError, match="2025 has no week 53"):
        IsoWeek.parse("2025-W53")


@pytest.mark.slow
def test_an_empty_week_inside_the_data_gives_a_short_honest_report(week_env, capsys):
    """Texts of 2026-W40 are removed: the week is inside the data's range with none."""
    from pathlib import Path

    start, end = IsoWeek.parse("2026-W40").bounds_utc("UTC")
    con = duckdb.connect(str(week_env))
    try:
        con.execute(
            "delete from feedback where created_at >= $start - interval 1 day "
            "and created_at < $end + interval 1 day",
            {"start": start, "end": end},
        )
        topics_before = con.execute("select * from topics order by topic_id").fetchall()
    finally:
        con.close()

    assert main(["--quiet", "run", "--week", "2026-W40"]) == 0
    pdf = Path(capsys.readouterr().out.strip())
    text = pdf_text(pdf)
    assert "No data for this week" in text
    assert "The data holds texts from 2026-W35 to 2026-W46" in " ".join(text.split())
    assert "Ranked issues" in text and "No issues to rank this week." in text
    assert len(PdfReader(pdf).pages) <= 3
    con = duckdb.connect(str(week_env), read_only=True)
    try:
        # nothing to cluster: the registry stays as the last week with texts left it
        assert con.execute("select * from topics order by topic_id").fetchall() == topics_before
    finally:
        con.close()
