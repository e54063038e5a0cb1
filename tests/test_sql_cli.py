"""`pulse sql`: the analysts' queries, their declared parameters, and which file is read.

Each test works on a private copy of the session's demo run (database and snapshot).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pulse.cli.main import main
from pulse.db import run_lock, snapshot_path
from pulse.db.analyst import analyst_queries, parse_query
from pulse.errors import PulseError

REPO = Path(__file__).resolve().parents[1]
WEEK = "2026-W46"


@pytest.fixture
def analyst(demo_run, tmp_path, monkeypatch):
    """A folder with a copy of the demo run's database and snapshot; settings point at it."""
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    shutil.copy(snapshot_path(demo_run.db_path), snapshot_path(db_path))
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.chdir(tmp_path)
    return db_path


def sql(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["sql", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def ranking(db_path: Path) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select rank, topic_id, volume from ranked_issues where week = $week order by rank",
            {"week": WEEK},
        ).fetchall()
    finally:
        con.close()


def test_every_analyst_query_declares_its_parameters_and_what_a_row_is():
    queries = {q.name: q for q in analyst_queries()}
    assert {"issue_ranking", "issue_trends", "week_kpis", "topic_language_mix"} <= set(queries)
    for query in queries.values():
        assert query.description.startswith("one row per"), query.name
        assert all(p.description for p in query.params), query.name
    assert [(p.name, p.type) for p in queries["issue_trends"].params] == [
        ("week", "week"),
        ("min_volume", "integer"),
    ]


def test_a_header_that_leaves_a_parameter_undeclared_is_refused():
    text = "-- one row per x\n-- param week: week — a week\nselect $week, $limit"
    with pytest.raises(PulseError, match=r"declares \['week'\] but the SQL uses"):
        parse_query("x", text, "x.sql", strict=True)
    with pytest.raises(PulseError, match="TYPE one of varchar"):
        parse_query("x", "-- one row\n-- param n: number — n\nselect $n", "x.sql", strict=True)


def test_list_names_each_query_with_its_parameters_types_and_description(analyst, capsys):
    code, out, _ = sql(capsys, "--list")
    assert code == 0
    for query in analyst_queries():
        assert query.name in out and query.description in out
    assert "min_volume: integer — keep the issues with at least" in out
    assert "window_start: timestamp" in out
    assert "run_history" not in out, "internal queries are not listed"


def test_a_query_with_parameters_as_a_table(analyst, capsys):
    code, out, err = sql(capsys, "issue_ranking", "--param", f"week={WEEK}")
    assert code == 0, err
    header = next(line for line in out.splitlines() if "issue_name" in line)
    assert "rank" in header and "priority" in header
    expected = ranking(analyst)
    assert f"{len(expected)} rows from {analyst}" in out
    assert sum(1 for line in out.splitlines() if f"│ {WEEK} │" in line) == len(expected)


def test_the_same_query_as_csv_and_json_gives_the_ranking(analyst, capsys):
    expected = [(rank, topic_id, volume) for rank, topic_id, volume in ranking(analyst)]
    code, out, _ = sql(capsys, "issue_ranking", "--param", f"week={WEEK}", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["rank"]), int(r["topic_id"]), int(r["volume"])) for r in rows] == expected
    assert {r["is_emerging"] for r in rows} <= {"True", "False"}
    code, out, _ = sql(capsys, "issue_ranking", "--param", f"week={WEEK}", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["rank"], r["topic_id"], r["volume"]) for r in rows] == expected
    assert all(isinstance(r["is_emerging"], bool) for r in rows)


def test_a_missing_parameter_is_refused_listing_what_the_query_declares(analyst, capsys):
    code, out, err = sql(capsys, "issue_trends", "--param", f"week={WEEK}")
    assert code == 2 and out == ""
    assert "queries/analyst/issue_trends.sql: missing min_volume" in err
    assert "week: week — ISO week like 2026-W46" in err
    assert "min_volume: integer" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "params, expected",
    [
        (["week=2026-46", "min_volume=5"], "week='2026-46' is not an ISO week like 2026-W46"),
        ([f"week={WEEK}", "min_volume=lots"], "min_volume='lots' is not a whole number"),
        ([f"week={WEEK}", "min_volume=5", "language=de"], "unknown language"),
        ([f"week={WEEK}", "min_volume"], "is not NAME=VALUE"),
    ],
)
def test_a_wrong_or_unknown_parameter_is_refused(analyst, capsys, params, expected):
    argv = [arg for param in params for arg in ("--param", param)]
    code, _, err = sql(capsys, "issue_trends", *argv)
    assert code == 2
    assert expected in err


def test_typed_parameters_reach_the_query_as_their_type(analyst, capsys):
    code, out, _ = sql(
        capsys, "issue_trends", "--param", f"week={WEEK}", "--param", "min_volume=1000000", "--csv"
    )
    assert code == 0 and out.splitlines() == [
        "topic_id,issue_name,week,volume,share_of_feedback,negative_count,negative_share,"
        "csat_mean,csat_count"
    ]
    code, out, _ = sql(
        capsys, "issue_trends", "--param", f"week={WEEK}", "--param", "min_volume=0", "--json"
    )
    rows = json.loads(out)
    assert rows and {r["week"] for r in rows} >= {WEEK}
    assert len({r["week"] for r in rows}) == 12, "the run's 12-week window"


def test_literal_sql_and_a_sql_file_run_with_their_parameters(analyst, capsys, tmp_path):
    literal = (
        "select week, count(*) as issue_count from ranked_issues where week = $week group by week"
    )
    code, out, err = sql(capsys, literal, "--param", f"week={WEEK}", "--json")
    assert code == 0, err
    assert json.loads(out) == [{"week": WEEK, "issue_count": len(ranking(analyst))}]
    query_file = tmp_path / "texts_since.sql"
    query_file.write_text(
        "-- one row: how many texts were created on or after $since\n"
        "-- param since: date — the first day counted\n"
        "select count(*) as text_count from feedback where created_at >= $since\n"
    )
    code, out, _ = sql(capsys, str(query_file), "--param", "since=2000-01-01", "--csv")
    assert code == 0 and int(out.splitlines()[1]) > 0
    code, _, err = sql(capsys, str(query_file), "--param", "since=yesterday")
    assert code == 2 and "since='yesterday' is not a date like 2026-11-09" in err


def test_internal_queries_and_writes_are_refused(analyst, capsys):
    code, _, err = sql(capsys, "run_record_start")
    assert code == 2 and "no analyst query named 'run_record_start'" in err
    assert "is internal" in err and "pulse sql --list" in err
    code, _, err = sql(capsys, "delete from runs")
    assert code == 2 and "read-only" in err
    assert ranking(analyst), "nothing was deleted"


def test_the_live_file_is_read_when_no_run_holds_it(analyst, capsys):
    con = duckdb.connect(str(analyst))
    con.execute("delete from ranked_issues")  # the live file now differs from the snapshot
    con.close()
    code, out, err = sql(capsys, "issue_ranking", "--param", f"week={WEEK}")
    assert code == 0 and f"0 rows from {analyst}" in out and err == ""


def test_while_a_run_holds_the_run_lock_the_snapshot_is_read(analyst, capsys):
    con = duckdb.connect(str(analyst))
    con.execute("delete from ranked_issues")  # a run midway: its tables half done
    con.close()
    with run_lock(analyst, timeout=0):
        code, out, err = sql(capsys, "issue_ranking", "--param", f"week={WEEK}")
    assert code == 0
    assert f"{len(ranking(snapshot_path(analyst)))} rows from {snapshot_path(analyst)}" in out
    assert "a run (process" in err and f"read the snapshot {snapshot_path(analyst)}" in err


def test_a_file_held_by_another_process_reads_the_snapshot_or_names_the_holder(
    analyst, capsys
):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(30)", str(analyst)],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        code, out, err = sql(capsys, "week_kpis", "--param", f"week={WEEK}", "--wait", "0")
        assert code == 0 and f"12 rows from {snapshot_path(analyst)}" in out
        assert f"{analyst} is in use; read the snapshot" in err
        snapshot_path(analyst).unlink()
        code, out, err = sql(capsys, "week_kpis", "--param", f"week={WEEK}", "--wait", "0")
        assert code == 1 and out == ""
        assert f"{analyst} is in use by process {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
