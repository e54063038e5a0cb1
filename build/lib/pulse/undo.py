"""A run changes what it decides only when it completes.

The topic stage rewrites the registry (labels, statuses, the documents' memory, the
merge grain, the seeds) and later stages may still fail: a render that cannot read a
number, a full disk, a kill. Before the topic stage writes anything, `save` copies the
registry tables into the `pulse_undo` schema, in the stage's own transaction. A run
that finishes drops the copy in the transaction that marks it ok (`discard`); a run
that fails, or that a later run finds crashed, gets the copy back and loses its
run-keyed rows (`restore`). Loaded rows, embeddings and sentiment are caches keyed by
content and keep whatever was committed.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

SCHEMA = "pulse_undo"
# Tables a run rewrites in place: copied whole before the topic stage writes.
REGISTRY_TABLES = ("topics", "topic_doc_memory", "topic_meta", "topic_seeds")
# Tables whose rows carry the run's id: a failed run's rows are deleted.
RUN_TABLES = (
    "doc_topics",
    "run_topic_parents",
    "weekly_kpis",
    "topic_week_metrics",
    "ranked_issues",
    "embedder_choices",
)
SEQUENCE = "topic_id_seq"


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = $schema",
            {"schema": schema},
        ).fetchall()
    }


def saved_run(con: duckdb.DuckDBPyConnection) -> str | None:
    """The run whose copy is kept, or None when there is none."""
    if "saved" not in _tables(con, SCHEMA):
        return None
    row = con.execute(f"select run_id from {SCHEMA}.saved").fetchone()
    return row[0] if row else None


def save(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Copy the registry as it stands before `run_id` changes it (call inside its transaction).

    Idempotent for one run: the first copy is the state before the run. A copy left by
    another run belongs to one that finished outside the flow (a bench or a test calling
    the stages directly) or was restored already, and is replaced.
    """
    kept = saved_run(con)
    if kept == run_id:
        return
    if kept is not None:
        discard(con)
    present = _tables(con, "main")
    con.execute(f"create schema {SCHEMA}")
    sequence = (last_topic_id(con),)
    con.execute(
        f"create table {SCHEMA}.saved as select $run_id as run_id, "
        "$tables::varchar[] as tables, $last::bigint as last_topic_id",
        {
            "run_id": run_id,
            "tables": [t for t in REGISTRY_TABLES if t in present],
            "last": sequence[0],
        },
    )
    for table in REGISTRY_TABLES:
        if table in present:
            con.execute(f"create table {SCHEMA}.{table} as select * from main.{table}")


def discard(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the copy: the run that made it finished."""
    con.execute(f"drop schema if exists {SCHEMA} cascade")


def restore(con: duckdb.DuckDBPyConnection, run_ids: Iterable[str]) -> bool:
    """Undo what the failed runs `run_ids` decided; True when a saved registry came back.

    Call inside a transaction. Rows keyed by the runs go; the registry returns to its
    copy when the copy was made by one of these runs (a table the run created is
    dropped), and the topic id sequence goes back to where it stood.
    """
    run_ids = list(run_ids)
    present = _tables(con, "main")
    for table in RUN_TABLES:
        if table in present and run_ids:
            con.execute(f"delete from main.{table} where run_id in $ids", {"ids": run_ids})
    kept = saved_run(con)
    if kept is None or kept not in run_ids:
        return False
    tables, last = con.execute(f"select tables, last_topic_id from {SCHEMA}.saved").fetchone()
    for table in REGISTRY_TABLES:
        if table in tables:
            con.execute(f"delete from main.{table}")
            con.execute(f"insert into main.{table} by name select * from {SCHEMA}.{table}")
        elif table in present:
            con.execute(f"drop table main.{table}")
    if last is not None:
        con.execute(f"create or replace sequence {SEQUENCE} start {int(last) + 1}")
    discard(con)
    return True


def last_topic_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The topic id sequence's last value (None when the sequence does not exist)."""
    row = con.execute(
        "select coalesce(last_value, start_value - 1) from duckdb_sequences() "
        "where sequence_name = $name and schema_name = 'main'",
        {"name": SEQUENCE},
    ).fetchone()
    return None if row is None else int(row[0])


def reset_sequence(con: duckdb.DuckDBPyConnection, last: int | None) -> None:
    """Put the topic id sequence back to `last`: DuckDB does not roll a sequence back with
    the transaction that drew from it, so a failed topic stage would otherwise skip ids."""
    if last is not None and last_topic_id(con) != last:
        con.execute(f"create or replace sequence {SEQUENCE} start {int(last) + 1}")
