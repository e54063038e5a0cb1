"""Clean and redact the staged batch's texts, touching in Python only the rows that need it.

Python's per-text cost is what limits a large load. `stg_ingest_typed.sql` cleans plain
texts itself and screens them with the redaction gates; here Python cleans the rest and
redacts only the texts with a gate open (a few percent of an ordinary export), running
only the passes whose gates are open.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from pulse.db import run_query
from pulse.ingest.clean import clean_texts
from pulse.ingest.redaction import start_redaction, warm_redaction
from pulse.ingest.staging import finish_pending
from pulse.redact import ANY_GATE, GATE_CHARSET, PASS_GATES
from pulse.workers import PARALLEL_MIN_TEXTS


def clean_and_redact(
    con: duckdb.DuckDBPyConnection, is_ticket: bool, brand_handles: Sequence[str]
) -> None:
    """Fill `ingest_messy_cleaned` and `ingest_redacted` for the rows that passed the checks.

    Python's per-text cost is what limits a large load, so it only sees the texts that
    need it: `stg_ingest_typed.sql` cleans plain texts itself and screens them with the
    redaction gates, Python cleans the rest (`ingest_messy_cleaned`), and Python
    redacts only the texts with a gate open (a few percent of an ordinary export),
    running only the passes whose gates are open (`ingest_redacted`).

    The plain texts' redaction starts first: on a large file the worker process
    redacts them while this process cleans the other texts, then both finish what
    is left (`pulse.ingest.redaction.start_redaction`).
    """
    # Every Arrow result here is materialised (run_query) rather than streamed from a
    # relation: DuckDB 1.5.6's streamed result of the gates over an 80k-row Arrow table
    # spun for minutes in BatchedBufferedData (a million-row load never finished).
    finish_pending(con)
    plain = run_query(con, "ingest_plain_candidates").to_arrow_table()
    finish_pending(con)
    messy = run_query(con, "ingest_messy_texts").to_arrow_table()
    if max(plain.num_rows, messy.num_rows) >= PARALLEL_MIN_TEXTS:
        warm_redaction()  # its start-up overlaps the plain texts' screening
    brand = tuple(brand_handles)
    plain_job = start_redaction(_redaction_candidates(con.cursor(), typed=plain), brand)
    del plain
    messy_cleaned = pa.table(
        {
            "line": messy.column("line"),
            "text": pa.array(
                clean_texts(messy.column("text_raw").to_pylist(), is_ticket),
                pa.string(),
            ),
        }
    )
    del messy
    table_from_arrow(con, "ingest_messy_cleaned", messy_cleaned)
    messy_job = start_redaction(_redaction_candidates(con.cursor(), messy=messy_cleaned), brand)
    del messy_cleaned
    redacted = pa.concat_tables([messy_job.result(), plain_job.result()])
    table_from_arrow(con, "ingest_redacted", redacted)


_TYPED_CANDIDATES = pa.schema(
    [("line", pa.int64()), ("text", pa.string()), ("is_redaction_candidate", pa.bool_())]
)
_MESSY_CLEANED = pa.schema([("line", pa.int64()), ("text", pa.string())])


def _redaction_candidates(
    cursor: duckdb.DuckDBPyConnection,
    typed: pa.Table | None = None,
    messy: pa.Table | None = None,
) -> pa.Table:
    """`queries/ingest/stg_ingest_redact_candidates.sql` over the given plain or cleaned texts.

    It runs on `cursor` (a connection of its own, which this closes), over these
    tables rather than the file's staging tables, so the plain texts' candidates can
    go to redaction before the other texts are cleaned; together the two calls give
    the query's full result.
    """
    params: dict[str, object] = {"gate_charset": GATE_CHARSET, "any_gate": ANY_GATE}
    params.update({f"gate_{name}": pattern for name, pattern in PASS_GATES.items()})
    try:
        cursor.register(
            "ingest_typed", typed if typed is not None else _TYPED_CANDIDATES.empty_table()
        )
        cursor.register(
            "ingest_messy_cleaned", messy if messy is not None else _MESSY_CLEANED.empty_table()
        )
        return run_query(cursor, "stg_ingest_redact_candidates", params).to_arrow_table()
    finally:
        cursor.close()


def table_from_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Copy an Arrow table into temp table NAME (a registration would not outlive the call)."""
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f"create temp table {name} as select * from {name}_arrow")
    finally:
        con.unregister(f"{name}_arrow")
