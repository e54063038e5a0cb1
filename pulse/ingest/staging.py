"""Reading a batch of export files into DuckDB's temporary staging tables.

A batch is one file, or many small files of one source and one layout read together
(a folder of daily exports): DuckDB reads them in one call and every later step runs
once for the batch, not once per file. Each file has a number in `ingest_batch_files`,
and every record's `line` carries it in the bits above 32 (`file_no << 32 | line`), so
the steps keyed by line need not know about batches; the writes split the line again
into the file and its own line.

After a read, the batch is in:
- `ingest_file` (line, the file's columns as text; JSON: line, doc),
- `ingest_reader_rejects` (line, reason, raw): records the reader could not parse,
- `ingest_raw_text` (line, raw): each record as text, for `rejected_rows.raw`,
- `ingest_multiline_raw` (CSV): the records whose fields span lines.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pulse.db import finish_pending, query_params, query_path, run_query, sql_text
from pulse.errors import PulseError
from pulse.ingest.files import suffixes

#: The longest CSV record DuckDB will read. A record over DuckDB's default (2 MB) fails the
#: whole file with a wrong line number, so the reader takes records up to this size and a
#: text over `max_text_chars` rejects its own row instead.
CSV_MAX_LINE_BYTES = 64 * 1024 * 1024
_JSON_MAX_OBJECT_BYTES = 256 * 1024 * 1024
#: A record's line keeps its file's number above this bit (ingest_batch_files.file_no).
LINE_BITS = 32
_FILE_COLUMN = "_pulse_file"

_VIEWS = ("ingest_input_times", "ingest_input", "ingest_multiline_raw", "ingest_file")
_TABLES = (
    "ingest_raw",
    "ingest_json_lines",
    "ingest_json_docs",
    "ingest_json_objects",
    "ingest_reader_rejects",
    "ingest_reject_errors",
    "ingest_reject_scans",
    "ingest_typed",
    "ingest_messy_cleaned",
    "ingest_redacted",
    "ingest_rows",
    "ingest_languages",
    "ingest_physical_lines",
    "ingest_batch_files",
)


def create_temp_table(
    con: duckdb.DuckDBPyConnection, name: str, query: str, params: dict | None = None
) -> None:
    """`create temp table NAME as QUERY` with `$name` parameters.

    DuckDB cannot prepare a CREATE ... AS statement, so the parameterised query
    becomes a relation (parameters bound, never pasted) and the table is built
    from it.
    """
    finish_pending(con)
    con.sql(query, params=params or None).create_view(f"{name}_query")
    try:
        con.execute(f"create temp table {name} as select * from {name}_query")
    finally:
        con.execute(f"drop view if exists {name}_query")


def stage(
    con: duckdb.DuckDBPyConnection, table: str, query_name: str, params: dict | None = None
) -> None:
    """`create temp table TABLE as queries/QUERY_NAME.sql`, parameters checked as run_query does."""
    params = params or {}
    expected = query_params(query_name)
    if expected != set(params):
        raise PulseError(
            f"{query_path(query_name)}: parameters do not match (missing: "
            f"{sorted(expected - set(params))}, unexpected: {sorted(set(params) - expected)})"
        )
    create_temp_table(con, table, sql_text(query_name), params)


def quote_ident(name: str) -> str:
    """A column name as a quoted SQL identifier: a file's own names are never trusted."""
    return '"' + name.replace('"', '""') + '"'


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (DuckDB's messages run to several)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def json_path(name: str) -> str:
    """A dotted field name as a JSON path with each part quoted (`a.b` -> `$."a"."b"`)."""
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in name.split("."))


def drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every staging view and table, so the next batch starts clean."""
    con.execute("drop view if exists ingest_raw_text")
    for view in _VIEWS:
        con.execute(f"drop view if exists {view}")
    for table in _TABLES:
        con.execute(f"drop table if exists {table}")


def start_batch(con: duckdb.DuckDBPyConnection, files: Sequence[tuple[str, str, str]]) -> None:
    """Number the batch's files: `ingest_batch_files(file_no, file, file_sha256, fingerprint)`.

    Each entry is (file, sha256 of its bytes, the reading's fingerprint).
    """
    drop_temp(con)
    run_query(con, "ingest_batch_files_table")
    con.executemany(
        sql_text("ingest_add_batch_file"),
        [
            {"file_no": number, "file": file, "file_sha256": sha256, "fingerprint": key}
            for number, (file, sha256, key) in enumerate(files)
        ],
    )


def _numbered_lines(first_line_offset: int, many: bool) -> str:
    """SQL for `ingest_file`'s line: the record's place in its file, under the file's number."""
    if not many:
        return f"rowid + {first_line_offset} as line"
    return (
        f"(files.file_no << {LINE_BITS}) + raw.rowid - min(raw.rowid) over (partition by "
        f"raw.{_FILE_COLUMN}) + {first_line_offset} as line"
    )


def _from_batch(table: str, many: bool) -> str:
    if not many:
        return f"from {table}"
    return (
        f"from {table} as raw inner join ingest_batch_files as files "
        f"on files.file = raw.{_FILE_COLUMN}"
    )


def read_csv(con: duckdb.DuckDBPyConnection, files: Sequence[Path], options: dict) -> list[str]:
    """Read CSV files (any delimiter, quoted newlines, BOM, gzip) with every column as text."""
    many = len(files) > 1
    params: dict[str, object] = {
        "path": [str(p) for p in files] if many else str(files[0]),
        "max_line_size": CSV_MAX_LINE_BYTES,
        "header": bool(options.get("header", True)),
    }
    settings = ["all_varchar = true", "store_rejects = true", "max_line_size = $max_line_size"]
    settings += ["rejects_table = 'ingest_reject_errors'", "rejects_scan = 'ingest_reject_scans'"]
    settings.append("header = $header")
    if many:
        settings.append(f"filename = '{_FILE_COLUMN}'")
    for key in ("delim", "quote", "escape", "encoding"):
        if key in options:
            settings.append(f"{key} = ${key}")
            params[key] = str(options[key])
    call = f"read_csv($path, {', '.join(settings)})"
    try:
        create_temp_table(con, "ingest_raw", f"select * from {call}", params)
    except duckdb.Error as exc:
        where = files[0] if not many else f"{files[0]} (or another of {len(files)} files)"
        raise PulseError(f"{where}: cannot read it as CSV ({first_line(exc)})") from None
    # rowid follows file order; the header is line 1. Lines are exact unless a
    # quoted field spans lines or a line was unreadable (those carry DuckDB's own line).
    header_lines = 2 if params["header"] else 1
    columns = [
        row[0] for row in con.execute("describe ingest_raw").fetchall() if row[0] != _FILE_COLUMN
    ]
    selected = ", ".join(f"raw.{quote_ident(c)}" if many else quote_ident(c) for c in columns)
    con.execute(
        f"create temp view ingest_file as select {_numbered_lines(header_lines, many)}, "
        f"{selected} {_from_batch('ingest_raw', many)}"
    )
    stage(con, "ingest_reader_rejects", "stg_ingest_reader_rejects")
    raw_expr = csv_raw_expr(columns)
    con.execute(
        f"create temp view ingest_raw_text as select line, {raw_expr} as raw from ingest_file"
    )
    # Records with a line break in some field: only they move the file's line numbers.
    spans_lines = " or ".join(f"contains({quote_ident(c)}, chr(10))" for c in columns)
    con.execute(
        "create temp view ingest_multiline_raw as "
        f"select line, {raw_expr} as raw from ingest_file where {spans_lines or 'false'}"
    )
    return columns


def csv_raw_expr(columns: list[str]) -> str:
    """A CSV record as one text (its fields joined by commas), for `rejected_rows.raw`."""
    return "concat_ws(',', " + ", ".join(f"coalesce({quote_ident(c)}, '')" for c in columns) + ")"


def narrow_csv_raw_text(con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    """Redefine `ingest_raw_text` over the records that did not load, once they are known.

    `ingest_insert_rejected.sql` joins it to the rejected rows, but DuckDB builds every
    record's text before the join, for the ~1% it keeps (docs/TUNING.md, "Ingest").
    Reading the rejected lines first builds only theirs. (The line count that
    `stg_ingest_csv_lines.sql` takes from the view is taken before this.)
    """
    con.execute(
        "create or replace temp view ingest_raw_text as "
        f"select line, {csv_raw_expr(columns)} as raw from ingest_file "
        "semi join (select line from ingest_rows where status in ('reject', 'duplicate')) "
        "as rejects using (line)"
    )


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Read one Parquet file (gzip-compressed or not) with its own column types."""
    source = path
    scratch = None
    if suffixes(path)[1]:
        # DuckDB reads gzip CSV and JSON itself, but Parquet compresses inside the file.
        scratch = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)
        with gzip.open(path, "rb") as packed, scratch:
            shutil.copyfileobj(packed, scratch)
        source = Path(scratch.name)
    try:
        stage(con, "ingest_raw", "stg_ingest_parquet", {"path": str(source)})
    except duckdb.Error as exc:
        raise PulseError(f"{path}: cannot read it as Parquet ({first_line(exc)})") from None
    finally:
        if scratch is not None:
            Path(scratch.name).unlink(missing_ok=True)
    run_query(con, "ingest_file_from_parquet")
    run_query(con, "ingest_no_reader_rejects")
    run_query(con, "ingest_raw_text_from_parquet")
    return [row[0] for row in con.execute("describe ingest_raw").fetchall()]


def read_json(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    file_format: str,
    records: str | None,
    options: dict,
) -> list[str]:
    """Read JSON Lines line by line (one bad line is one reject), or one whole JSON document."""
    if file_format == "jsonl":
        _read_json_lines(con, files, options)
    else:
        _read_json_document(con, files[0])
    records_path = json_path(records or "pulse: no records array")
    stage(
        con,
        "ingest_raw",
        "stg_ingest_json_records",
        {"records_path": records_path, "records_items": records_path + "[*]"},
    )
    run_query(con, "ingest_file_from_json")
    run_query(con, "ingest_raw_text_from_json")
    return ["doc"]


def _read_json_lines(con: duckdb.DuckDBPyConnection, files: Sequence[Path], options: dict) -> None:
    many = len(files) > 1
    # Valid JSON never holds a raw control character, so \x01 never splits a line.
    call = (
        "read_csv($path, columns = {'doc': 'VARCHAR'}, header = false, delim = '\x01', "
        "quote = '', escape = '', auto_detect = false, store_rejects = true, "
        "max_line_size = $max_line_size, "
        "rejects_table = 'ingest_reject_errors', rejects_scan = 'ingest_reject_scans'"
    )
    params: dict[str, object] = {
        "path": [str(p) for p in files] if many else str(files[0]),
        "max_line_size": CSV_MAX_LINE_BYTES,
    }
    if many:
        call += f", filename = '{_FILE_COLUMN}'"
    if "encoding" in options:
        call += ", encoding = $encoding"
        params["encoding"] = str(options["encoding"])
    try:
        create_temp_table(con, "ingest_json_lines", f"select * from {call})", params)
    except duckdb.Error as exc:
        raise PulseError(f"{files[0]}: cannot read it as JSON Lines ({first_line(exc)})") from None
    con.execute(
        "create or replace temp table ingest_json_lines as "
        f"select {_numbered_lines(1, many)}, doc {_from_batch('ingest_json_lines', many)}"
    )
    stage(con, "ingest_reader_rejects", "stg_ingest_reader_rejects")
    finish_pending(con)
    checked = run_query(con, "stg_ingest_json_lines").to_arrow_table()
    con.register("ingest_checked_lines", checked)
    try:
        run_query(con, "ingest_add_json_line_rejects")
        run_query(con, "ingest_json_docs_from_lines")
    finally:
        con.unregister("ingest_checked_lines")


def _read_json_document(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        stage(
            con,
            "ingest_json_objects",
            "stg_ingest_json_objects",
            {"path": str(path), "max_bytes": _JSON_MAX_OBJECT_BYTES},
        )
        run_query(con, "ingest_json_docs_from_document")
    except duckdb.Error as exc:
        raise PulseError(
            f"{path}: not valid JSON ({first_line(exc)}); fix the file or export it again"
        ) from None
    run_query(con, "ingest_no_reader_rejects")
