"""The marts' DDL (queries/schema/schema_marts.sql) against the mart queries that fill them."""

from __future__ import annotations

import re
import warnings
from datetime import datetime

import pytest

from pulse.db import connect, query_path, run_query
from pulse.stages import MART_TABLES, append_run_rows

MONDAY = datetime(2026, 1, 5)
EMPTY_WINDOW = {"tz": "UTC", "window_start": MONDAY, "window_end": MONDAY}  # no texts
RANK_PARAMS = {
    "weeks": ["2026-W02"], "week": "2026-W02", "prev_week": "2026-W01", "top_n": 5,
    "w_volume": 1.0, "w_negativity": 1.0, "w_growth": 1.0, "w_severity": 1.0, "w_reach": 1.0,
}  # fmt: skip
_ADDED = re.compile(r"alter table (\w+) add column if not exists (\w+)")


def _columns(con, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"describe {table}").fetchall()]


def _mart_result(con, table: str):
    params = {
        "weekly_kpis": EMPTY_WINDOW,
        "topic_week_metrics": {**EMPTY_WINDOW, "run_id": "r1"},
        "ranked_issues": {**RANK_PARAMS, "run_id": "r1"},
    }[table]
    with warnings.catch_warnings():  # duckdb notes that the arrow result is a copy
        warnings.simplefilter("ignore", UserWarning)
        return run_query(con, table, params).to_arrow_table()


@pytest.mark.parametrize("table", MART_TABLES)
def test_every_column_a_mart_query_returns_is_declared_with_its_type_and_place(tmp_path, table):
    con = connect(tmp_path / "pulse.duckdb")
    result = _mart_result(con, table)
    con.register("result_rows", result)
    con.execute("create table as_computed as select 'r1' as run_id, * from result_rows limit 0")

    assert _columns(con, table) == _columns(con, "as_computed")
    append_run_rows(con, table, result, "r1")  # and the stage's insert takes it
    con.close()


def test_a_database_made_before_the_marts_gained_columns_gets_them_at_connect(tmp_path):
    db_path = tmp_path / "pulse.duckdb"
    con = connect(db_path)
    fresh = {table: _columns(con, table) for table in MART_TABLES}
    added = _ADDED.findall(query_path("schema_marts").read_text(encoding="utf-8"))
    assert added, "schema_marts.sql adds no column: this test would prove nothing"
    for table, column in added:  # the tables as their first version made them
        con.execute(f"alter table {table} drop column {column}")
    con.close()

    con = connect(db_path)
    assert {table: sorted(_columns(con, table)) for table in MART_TABLES} == {
        table: sorted(columns) for table, columns in fresh.items()
    }
    for table in MART_TABLES:
        append_run_rows(con, table, _mart_result(con, table), "r1")
    con.close()


def test_only_a_mart_takes_run_rows(tmp_path):
    con = connect(tmp_path / "pulse.duckdb")
    with pytest.raises(ValueError, match="not a mart; the marts are weekly_kpis"):
        append_run_rows(con, "topics", None, "r1")
    con.close()
