"""Load export files into `feedback`: read, check, clean, redact, upsert; one transaction per file.

The work per file is a short chain of DuckDB steps over temporary tables:

1. read the file into `ingest_file` (every column as text; unparseable CSV lines
   and broken JSON lines go to `ingest_reader_rejects` with their line number),
2. project it through the source's mapping into `ingest_input` (one column per
   feedback field, still text),
3. type and check every row in SQL (`queries/stg_ingest_typed.sql`): the first
   problem found becomes the row's `reason`; plain texts are cleaned there too and
   screened with the redaction gates (`pulse.redact.PASS_GATES`),
4. clean the other texts in batched Python, find the texts with a redaction gate open
   (`queries/stg_ingest_redact_candidates.sql`, a few percent) and redact only those,
   running only their open passes (the plain texts' redaction starts first, so a
   worker process redacts them while this one cleans),
5. decide each row's fate (`queries/stg_ingest_rows.sql`): load, reject or duplicate,
6. write rejects, upsert the good rows (newer `updated_at` wins), record the file.

Only step 4 touches rows in Python, and only the rows that need it. A file that
cannot be read at all rolls its transaction back and raises PulseError, leaving the
database as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pulse.db import fetch_dicts, query_params, run_query, sql_text
from pulse.errors import PulseError
from pulse.ingest.clean import (
    PARALLEL_MIN_TEXTS,
    PLAIN_CHARSET,
    REJECTED_RAW_MAX_CHARS,
    clean_texts,
    start_redaction,
    warm_pool,
)
from pulse.ingest.files import (
    check_csv_header,
    check_text_file,
    detect_format,
    expand_paths,
    fingerprint,
    open_bytes,
    suffixes,
)
from pulse.ingest.mappings import FIELDS, REQUIRED_FIELDS, Mapping, load_mappings
from pulse.ingest.reasons import MAX_ID_CHARS, MAX_MINUTES, MAX_REACH, ReasonCount, explain
from pulse.ingest.times import MAX_OFFSET_MINUTES, OFFSET_MACROS, timestamp_sql
from pulse.redact import ANY_GATE, GATE_CHARSET, PASS_GATES

_INPUT_COLUMNS = {
    "id": "external_id",
    "created_at": "created_at_raw",
    "updated_at": "updated_at_raw",
    "text": "text_raw",
    "channel": "channel_raw",
    "member_tier": "member_tier_raw",
    "csat": "csat_raw",
    "nps": "nps_raw",
    "first_response_minutes": "first_response_raw",
    "resolution_minutes": "resolution_raw",
    "is_escalated": "is_escalated_raw",
    "reach": "reach_raw",
    "url": "url_raw",
}
_JSON_MAX_OBJECT_BYTES = 256 * 1024 * 1024
#: The longest CSV record DuckDB will read. A record over DuckDB's default (2 MB) fails the
#: whole file with a wrong line number, so the reader takes records up to this size and a
#: text over `max_text_chars` rejects its own row instead.
CSV_MAX_LINE_BYTES = 64 * 1024 * 1024
#: How many kinds of rejection the summary of a mostly-rejected file shows.
REJECT_SUMMARY_REASONS = 5


@dataclass
class FileReport:
    """What happened to one file; the CLI prints one line of these per file.

    The books balance for every file that was read:
    ``rows_in == rows_loaded + rows_rejected + rows_duplicate``. `rows_in` counts
    feedback candidates: a mapping's staging can set aside records that are not
    feedback at all (TWCS brand replies), counted in `rows_filtered` and not in
    `rows_in`. `rows_loaded` includes rows already present and unchanged; of
    them, `rows_new` were inserted and `rows_updated` replaced an older version.
    """

    file: str
    source: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    skipped: bool = False
    seconds: float = 0.0
    error: str | None = None
    rows_filtered: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    reject_reasons: list[ReasonCount] = field(default_factory=list)
    #: A skipped file's (rows_in, rows_rejected) when it was loaded, so its verdict stands.
    earlier_rows: tuple[int, int] | None = None

    @property
    def rows_judged(self) -> tuple[int, int]:
        """(rows in, rows rejected) of this reading, or of the earlier one a skip stands on."""
        if self.skipped and self.earlier_rows:
            return self.earlier_rows
        return self.rows_in, self.rows_rejected

    @property
    def rejected_share(self) -> float:
        """The share of the file's rows that were rejected (at its earlier load if skipped)."""
        rows_in, rows_rejected = self.rows_judged
        return rows_rejected / rows_in if rows_in else 0.0


@dataclass(frozen=True)
class LoadOptions:
    """What every file of one load shares (from the settings unless a caller says otherwise).

    Attributes:
        brand_handles: The brand's own handles, which redaction leaves visible.
        now: The load time (naive UTC); rows dated after it (plus an hour) are rejected.
        timezone: The zone of times written without an offset, unless the mapping names one.
        max_text_chars: A longer text rejects its row (its reason says how to raise this).
    """

    brand_handles: tuple[str, ...]
    now: datetime
    timezone: str = "UTC"
    max_text_chars: int = 100_000


class IngestError(PulseError):
    """A whole file could not be loaded; `reports` holds the files handled before it."""

    def __init__(self, message: str, reports: list[FileReport]):
        super().__init__(message)
        self.reports = reports


# ---------------------------------------------------------------------------- files


def load_key(file_sha256: str, mapping: Mapping, load: LoadOptions, options: dict) -> str:
    """What `loaded_files` remembers a reading by: the bytes and everything that read them.

    The same bytes are skipped only when they would be read the same way again; a fixed
    mapping (a date pattern added, a time zone named) reads them anew.
    """
    reading = repr(
        (
            file_sha256,
            replace(mapping, origin=""),
            sorted(options.items()),
            mapping.timezone or load.timezone,
            load.max_text_chars,
        )
    )
    return hashlib.sha256(reading.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- reading


def _finish_pending(con: duckdb.DuckDBPyConnection) -> None:
    """Close the last execute() result: DuckDB 2 refuses relation work while one is open."""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def _create_temp_table(
    con: duckdb.DuckDBPyConnection, name: str, query: str, params: dict | None = None
) -> None:
    """`create temp table NAME as QUERY` with `$name` parameters.

    DuckDB cannot prepare a CREATE ... AS statement, so the parameterised query
    becomes a relation (parameters bound, never pasted) and the table is built
    from it.
    """
    _finish_pending(con)
    con.sql(query, params=params or None).create_view(f"{name}_query")
    try:
        con.execute(f"create temp table {name} as select * from {name}_query")
    finally:
        con.execute(f"drop view if exists {name}_query")


def _stage(
    con: duckdb.DuckDBPyConnection, table: str, query_name: str, params: dict | None = None
) -> None:
    """`create temp table TABLE as queries/QUERY_NAME.sql`, parameters checked as run_query does."""
    params = params or {}
    expected = query_params(query_name)
    if expected != set(params):
        raise PulseError(
            f"queries/{query_name}.sql: parameters do not match (missing: "
            f"{sorted(expected - set(params))}, unexpected: {sorted(set(params) - expected)})"
        )
    _create_temp_table(con, table, sql_text(query_name), params)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for view in (
        "ingest_input_times",
        "ingest_input",
        "ingest_multiline_raw",
        "ingest_file",
        "ingest_raw_text",
    ):
        con.execute(f"drop view if exists {view}")
    for table in (
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
        "ingest_physical_lines",
    ):
        con.execute(f"drop table if exists {table}")


def _read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, options: dict
) -> list[str]:
    """Read a CSV (any delimiter, quoted newlines, BOM, gzip) with every column as text."""
    params: dict[str, object] = {"path": str(path), "max_line_size": CSV_MAX_LINE_BYTES}
    settings = ["all_varchar = true", "store_rejects = true", "max_line_size = $max_line_size"]
    settings += ["rejects_table = 'ingest_reject_errors'", "rejects_scan = 'ingest_reject_scans'"]
    settings.append("header = $header")
    params["header"] = bool(options.get("header", True))
    for key in ("delim", "quote", "escape", "encoding"):
        if key in options:
            settings.append(f"{key} = ${key}")
            params[key] = str(options[key])
    call = f"read_csv($path, {', '.join(settings)})"
    try:
        _create_temp_table(con, "ingest_raw", f"select * from {call}", params)
    except duckdb.Error as exc:
        raise PulseError(f"{path}: cannot read it as CSV ({_first_line(exc)})") from None
    # rowid follows file order; the header is line 1. Lines are exact unless a
    # quoted field spans lines or a line was unreadable (those carry DuckDB's own line).
    header_lines = 2 if params["header"] else 1
    con.execute(
        f"create temp view ingest_file as select rowid + {header_lines} as line, * from ingest_raw"
    )
    _stage(con, "ingest_reader_rejects", "stg_ingest_reader_rejects")
    columns = [row[0] for row in con.execute("describe ingest_raw").fetchall()]
    raw_expr = _csv_raw_expr(columns)
    con.execute(
        f"create temp view ingest_raw_text as select line, {raw_expr} as raw from ingest_file"
    )
    # Records with a line break in some field: only they move the file's line numbers.
    spans_lines = " or ".join(f"contains({_quote_ident(c)}, chr(10))" for c in columns)
    con.execute(
        "create temp view ingest_multiline_raw as "
        f"select line, {raw_expr} as raw from ingest_file where {spans_lines or 'false'}"
    )
    return columns


def _csv_raw_expr(columns: list[str]) -> str:
    """A CSV record as one text (its fields joined by commas), for `rejected_rows.raw`."""
    return "concat_ws(',', " + ", ".join(f"coalesce({_quote_ident(c)}, '')" for c in columns) + ")"


def _narrow_csv_raw_text(con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    """Redefine `ingest_raw_text` over the rejected records only, once they are known.

    `ingest_insert_rejected.sql` joins it to the rejected rows, but DuckDB builds every
    record's text before the join: 0.5-0.9 s of a million-row load, for the ~1% it
    keeps. Reading the rejected lines first builds only theirs. (The line count that
    `stg_ingest_csv_lines.sql` takes from the view is taken before this.)
    """
    con.execute(
        "create or replace temp view ingest_raw_text as "
        f"select line, {_csv_raw_expr(columns)} as raw from ingest_file "
        "semi join (select line from ingest_rows where status in ('reject', 'duplicate')) "
        "as rejects using (line)"
    )


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    source = path
    scratch = None
    if suffixes(path)[1]:
        # DuckDB reads gzip CSV and JSON itself, but Parquet compresses inside the file.
        scratch = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)
        with gzip.open(path, "rb") as packed, scratch:
            shutil.copyfileobj(packed, scratch)
        source = Path(scratch.name)
    try:
        _create_temp_table(
            con, "ingest_raw", "select * from read_parquet($path)", {"path": str(source)}
        )
    except duckdb.Error as exc:
        raise PulseError(f"{path}: cannot read it as Parquet ({_first_line(exc)})") from None
    finally:
        if scratch is not None:
            Path(scratch.name).unlink(missing_ok=True)
    con.execute("create temp view ingest_file as select rowid + 1 as line, * from ingest_raw")
    con.execute(
        "create temp table ingest_reader_rejects (line bigint, reason varchar, raw varchar)"
    )
    con.execute(
        "create temp view ingest_raw_text as "
        "select f.line, to_json(r)::varchar as raw from ingest_raw as r "
        "join ingest_file as f on f.line = r.rowid + 1"
    )
    return [row[0] for row in con.execute("describe ingest_raw").fetchall()]


def _read_json(
    con: duckdb.DuckDBPyConnection, path: Path, file_format: str, mapping: Mapping, options: dict
) -> list[str]:
    """Read JSON Lines line by line (so one bad line is one reject) or a whole JSON document."""
    if file_format == "jsonl":
        # Valid JSON never holds a raw control character, so \x01 never splits a line.
        call = (
            "read_csv($path, columns = {'doc': 'VARCHAR'}, header = false, delim = '\x01', "
            "quote = '', escape = '', auto_detect = false, store_rejects = true, "
            "max_line_size = $max_line_size, "
            "rejects_table = 'ingest_reject_errors', rejects_scan = 'ingest_reject_scans'"
        )
        params: dict[str, object] = {"path": str(path), "max_line_size": CSV_MAX_LINE_BYTES}
        if "encoding" in options:
            call += ", encoding = $encoding"
            params["encoding"] = str(options["encoding"])
        try:
            _create_temp_table(con, "ingest_json_lines", f"select * from {call})", params)
        except duckdb.Error as exc:
            raise PulseError(f"{path}: cannot read it as JSON Lines ({_first_line(exc)})") from None
        con.execute(
            "create or replace temp table ingest_json_lines as "
            "select rowid + 1 as line, doc from ingest_json_lines"
        )
        _stage(con, "ingest_reader_rejects", "stg_ingest_reader_rejects")
        _finish_pending(con)
        checked = con.sql(sql_text("stg_ingest_json_lines")).to_arrow_table()
        con.register("ingest_checked_lines", checked)
        try:
            con.execute(
                "insert into ingest_reader_rejects "
                "select line, reason, doc from ingest_checked_lines where reason is not null"
            )
            con.execute(
                "create temp table ingest_json_docs as "
                "select line, doc::json as doc from ingest_checked_lines where reason is null"
            )
        finally:
            con.unregister("ingest_checked_lines")
    else:
        try:
            _create_temp_table(
                con,
                "ingest_json_objects",
                "select json from read_json_objects($path, format = 'auto', "
                "maximum_object_size = $max_bytes)",
                {"path": str(path), "max_bytes": _JSON_MAX_OBJECT_BYTES},
            )
            con.execute(
                "create temp table ingest_json_docs as "
                "select rowid + 1 as line, json as doc from ingest_json_objects"
            )
        except duckdb.Error as exc:
            raise PulseError(
                f"{path}: not valid JSON ({_first_line(exc)}); fix the file or export it again"
            ) from None
        con.execute(
            "create temp table ingest_reader_rejects (line bigint, reason varchar, raw varchar)"
        )
    records_path = _json_path(mapping.records or "pulse: no records array")
    _stage(
        con,
        "ingest_raw",
        "stg_ingest_json_records",
        {"records_path": records_path, "records_items": records_path + "[*]"},
    )
    con.execute("create temp view ingest_file as select line, doc from ingest_raw")
    con.execute(
        "create temp view ingest_raw_text as select line, doc::varchar as raw from ingest_raw"
    )
    return ["doc"]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------- mapping


def _json_path(name: str) -> str:
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in name.split("."))


def _column_expr(name: str, columns: list[str], nested: bool = True) -> str | None:
    """SQL for a mapped column: an existing column or a struct path into one (Parquet)."""
    if name in columns:
        return f"cast({_quote_ident(name)} as varchar)"
    head, _, rest = name.partition(".")
    if nested and rest and head in columns:
        return "cast(" + ".".join(_quote_ident(p) for p in name.split(".")) + " as varchar)"
    return None


def _build_input_view(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping,
    columns: list[str],
    is_json: bool,
    is_csv: bool = False,
) -> dict[str, object]:
    """Create `ingest_input`: the mapping applied, one text column per feedback field.

    Column names come from the mapping and are checked against the file's own
    columns before they are quoted into SQL; every value (JSON paths, constants,
    value maps) is a `$name` parameter.
    """
    params: dict[str, object] = {}
    base = "ingest_file"
    if mapping.staging:
        base = f"({sql_text(mapping.staging)})"
        columns = [row[0] for row in con.execute(f"describe select * from {base}").fetchall()]

    def source_expr(field_name: str, name: str, index: int) -> str | None:
        if is_json and not mapping.staging:
            key = f"path_{field_name}_{index}"
            params[key] = _json_path(name)
            return f"json_extract_string(doc, ${key})"
        return _column_expr(name, columns, nested=not is_csv)

    missing: list[str] = []
    selects = ["line"]
    exprs: dict[str, str] = {}
    for field_name in FIELDS:
        names = mapping.columns.get(field_name, [])
        parts = []
        for index, name in enumerate(names):
            expr = source_expr(field_name, name, index)
            if expr is None:
                missing.append(name)
            else:
                parts.append(expr)
        if len(parts) > 1 and field_name != "text":
            # A key of several columns, or a date column and a time column: all of them,
            # or no value at all.
            joiner = "|" if field_name == "id" else " "
            expr = (
                "case when "
                + " or ".join(f"nullif(trim({p}), '') is null" for p in parts)
                + f" then null else concat_ws('{joiner}', "
                + ", ".join(f"trim({p})" for p in parts)
                + ") end"
            )
        elif len(parts) > 1:
            params["text_separator"] = mapping.text_separator
            expr = (
                "concat_ws($text_separator, "
                + ", ".join(f"nullif(trim({p}), '')" for p in parts)
                + ")"
            )
        elif parts:
            expr = parts[0]
        else:
            expr = "cast(null as varchar)"
        table = mapping.values.get(field_name)
        if table and parts:
            cases = []
            for index, (raw, stored) in enumerate(sorted(table.items())):
                params[f"value_{field_name}_{index}"] = raw
                params[f"stored_{field_name}_{index}"] = stored
                cases.append(
                    f"when ${'value_' + field_name + '_' + str(index)} "
                    f"then ${'stored_' + field_name + '_' + str(index)}"
                )
            expr = f"case lower(trim({expr})) {' '.join(cases)} else {expr} end"
        if field_name == "channel" and mapping.channel_value:
            params["channel_value"] = mapping.channel_value
            expr = f"coalesce(nullif(trim({expr}), ''), $channel_value)"
        if field_name == "url" and mapping.url_prefix and not parts:
            params["url_prefix"] = mapping.url_prefix
            expr = f"$url_prefix || {exprs['id']}"
        exprs[field_name] = expr
        selects.append(f"{expr} as {_INPUT_COLUMNS[field_name]}")
    if missing and not is_json:
        raise PulseError(
            f"{path}: missing column(s) {', '.join(sorted(set(missing)))} that source "
            f"{mapping.name!r} needs; the file has: {', '.join(columns) or '(none)'}"
        )
    selects.append(
        (_json_fault_expr(mapping, params) if is_json and not mapping.staging else "null")
        + " as json_fault"
    )
    _finish_pending(con)
    con.sql(f"select {', '.join(selects)} from {base}", params=params or None).create_view(
        "ingest_input"
    )
    _build_times_view(con, mapping)
    return params


def _json_fault_expr(mapping: Mapping, params: dict[str, object]) -> str:
    """SQL naming the first mapped JSON value of the wrong kind, or null.

    `json_extract_string` would hand back an object's JSON text as if it were the
    customer's words; such a record is rejected instead. Ids and times may be numbers.
    """
    wanted = {
        "id": ("VARCHAR", "BIGINT", "UBIGINT", "DOUBLE"),
        "created_at": ("VARCHAR", "BIGINT", "UBIGINT", "DOUBLE"),
        "text": ("VARCHAR",),
    }
    kinds = (
        "case json_type(doc, {path}) when 'OBJECT' then 'an object' when 'ARRAY' then 'an array' "
        "when 'BOOLEAN' then 'true/false' else 'a number' end"
    )
    branches = []
    for field_name, allowed in wanted.items():
        for index, name in enumerate(mapping.columns.get(field_name, [])):
            key = f"jtype_{field_name}_{index}"
            params[key] = _json_path(name)
            allowed_sql = ", ".join(f"'{t}'" for t in (*allowed, "NULL"))
            branches.append(
                f"when json_type(doc, ${key}) not in ({allowed_sql}) then "
                f"'{field_name} is ' || {kinds.format(path='$' + key)} || ', not a string'"
            )
    return f"case {' '.join(branches)} end" if branches else "null"


def _build_times_view(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> None:
    """`ingest_input_times`: `ingest_input` with its timestamps parsed (pulse.ingest.times)."""
    params: dict[str, object] = {}
    columns = []
    for stamp in ("created_at", "updated_at"):
        parsed, offset = timestamp_sql(
            f"{stamp}_text",
            mapping.time_formats.get(stamp, ()),
            mapping.time_units.get(stamp),
            stamp,
            params,
        )
        # A naive result is a wall time in the session zone (the mapping's), which the cast applies.
        columns.append(f"cast({parsed} as timestamptz) as {stamp}_tz")
        columns.append(f"{offset} as {stamp}_offset_minutes")
    _finish_pending(con)
    con.sql(
        f"select *, {', '.join(columns)} from ("
        "select *, nullif(trim(created_at_raw), '') as created_at_text, "
        "nullif(trim(updated_at_raw), '') as updated_at_text from ingest_input)",
        params=params,
    ).create_view("ingest_input_times")


def _check_required(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping,
    columns: list[str],
    is_json: bool,
    is_csv: bool = False,
) -> None:
    """Fail the whole file when it lacks columns the mapping cannot do without."""
    if is_json:
        records = con.execute("select count(*) from ingest_raw").fetchone()[0]
        if records == 0:
            return
        missing = []
        for field_name in REQUIRED_FIELDS:
            for name in mapping.columns.get(field_name, []):
                present = con.execute(
                    "select count(*) from ingest_raw where json_exists(doc, $path)",
                    {"path": _json_path(name)},
                ).fetchone()[0]
                if present == 0:
                    missing.append(name)
        if missing:
            raise PulseError(
                f"{path}: no record has {', '.join(missing)}, which source {mapping.name!r} "
                "needs; check the source name or the mapping"
                + (
                    f" (records are read from the {mapping.records!r} array)"
                    if mapping.records
                    else ""
                )
            )
        return
    wanted = list(mapping.required_columns())
    if not mapping.staging:
        # Name every mapped column the file lacks at once, not one per attempt.
        wanted += [n for names in mapping.columns.values() for n in names if n not in wanted]
    missing = [name for name in wanted if _column_expr(name, columns, nested=not is_csv) is None]
    if missing:
        raise PulseError(
            f"{path}: missing column(s) {', '.join(missing)} that source {mapping.name!r} "
            f"needs; the file has: {', '.join(columns) or '(none)'}"
        )


# ---------------------------------------------------------------------------- cleaning


def _clean_and_redact(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, brand_handles: Sequence[str]
) -> None:
    """Fill `ingest_messy_cleaned` and `ingest_redacted` for the rows that passed the checks.

    Python's per-text cost is what limits a large load, so it only sees the texts that
    need it: `stg_ingest_typed.sql` cleans plain texts itself and screens them with the
    redaction gates, Python cleans the rest (`ingest_messy_cleaned`), and Python
    redacts only the texts with a gate open (a few percent of an ordinary export),
    running only the passes whose gates are open (`ingest_redacted`).

    The plain texts' redaction starts first: on a large file the worker process
    redacts them while this process cleans the other texts, then both finish what
    is left (`pulse.ingest.clean.start_redaction`).
    """
    _finish_pending(con)
    plain = con.sql(
        "select line, text, is_redaction_candidate from ingest_typed where is_redaction_candidate"
    ).to_arrow_table()
    _finish_pending(con)
    messy = con.sql(
        "select line, text_raw from ingest_typed where text_raw is not null"
    ).to_arrow_table()
    if max(plain.num_rows, messy.num_rows) >= PARALLEL_MIN_TEXTS:
        warm_pool()  # its start-up overlaps the plain texts' screening
    brand = tuple(brand_handles)
    plain_job = start_redaction(_redaction_candidates(con.cursor(), typed=plain), brand)
    del plain
    messy_cleaned = pa.table(
        {
            "line": messy.column("line"),
            "text": pa.array(
                clean_texts(messy.column("text_raw").to_pylist(), mapping.kind == "ticket"),
                pa.string(),
            ),
        }
    )
    del messy
    _table_from_arrow(con, "ingest_messy_cleaned", messy_cleaned)
    messy_job = start_redaction(_redaction_candidates(con.cursor(), messy=messy_cleaned), brand)
    del messy_cleaned
    redacted = pa.concat_tables([messy_job.result(), plain_job.result()])
    _table_from_arrow(con, "ingest_redacted", redacted)


_TYPED_CANDIDATES = pa.schema(
    [("line", pa.int64()), ("text", pa.string()), ("is_redaction_candidate", pa.bool_())]
)
_MESSY_CLEANED = pa.schema([("line", pa.int64()), ("text", pa.string())])


def _redaction_candidates(
    cursor: duckdb.DuckDBPyConnection,
    typed: pa.Table | None = None,
    messy: pa.Table | None = None,
) -> pa.Table:
    """`queries/stg_ingest_redact_candidates.sql` over the given plain or cleaned texts.

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
        return cursor.sql(sql_text("stg_ingest_redact_candidates"), params=params).to_arrow_table()
    finally:
        cursor.close()


def _table_from_arrow(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Copy an Arrow table into temp table NAME (a registration would not outlive the call)."""
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f"create temp table {name} as select * from {name}_arrow")
    finally:
        con.unregister(f"{name}_arrow")


def _explain_rejections(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, load: LoadOptions
) -> None:
    """Give each rejected row of `ingest_rows` its full reason: the value, the fault, the fix.

    Only the distinct (kind, value) pairs reach Python: few, even when a wrong date
    format rejects a whole file.
    """
    _finish_pending(con)
    pairs = con.execute(
        "select distinct reason_kind, reason_value from ingest_rows where status = 'reject'"
    ).fetchall()
    if not pairs:
        return
    table = pa.table(
        {
            "kind": [kind for kind, _ in pairs],
            "value": [value for _, value in pairs],
            "reason": [explain(kind, value, mapping, load.max_text_chars) for kind, value in pairs],
        }
    )
    con.register("ingest_reasons", table)
    try:
        con.execute(
            "update ingest_rows set reason = reasons.reason from ingest_reasons as reasons "
            "where ingest_rows.status = 'reject' and ingest_rows.reason_kind = reasons.kind "
            "and ingest_rows.reason_value is not distinct from reasons.value"
        )
    finally:
        con.unregister("ingest_reasons")


# ---------------------------------------------------------------------------- one file


def detect_mapping(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mappings: dict[str, Mapping],
    options: dict | None = None,
) -> Mapping:
    """Pick the mapping whose columns the file has (most specific wins)."""
    file_format = detect_format(path)
    options = options or {}
    try:
        if file_format == "csv":
            params: dict[str, object] = {"path": str(path), "line": CSV_MAX_LINE_BYTES}
            extra = ""
            for key in ("encoding", "delim"):
                if key in options:
                    extra += f", {key} = ${key}"
                    params[key] = str(options[key])
            columns = [
                d[0]
                for d in con.execute(
                    "describe select * from read_csv($path, all_varchar = true, header = true, "
                    f"max_line_size = $line{extra})",
                    params,
                ).fetchall()
            ]
            keys = set(columns)
        elif file_format == "parquet":
            keys = {
                d[0]
                for d in con.execute(
                    "describe select * from read_parquet($path)", {"path": str(path)}
                ).fetchall()
            }
        else:
            with open_bytes(path) as handle:
                head = handle.read(1 << 20).decode("utf-8", errors="replace")
            keys = set()
            for mapping in mappings.values():
                for names in mapping.columns.values():
                    for name in names:
                        if f'"{name.split(".")[0]}"' in head:
                            keys.add(name)
    except duckdb.Error as exc:
        raise PulseError(f"{path}: cannot read it ({_first_line(exc)})") from None
    best: tuple[int, str] | None = None
    for name, mapping in mappings.items():
        needed = mapping.required_columns() or [
            n for f in REQUIRED_FIELDS for n in mapping.columns[f]
        ]
        if mapping.staging and not mapping.needs:
            continue
        if file_format in ("csv", "parquet") and mapping.format in ("jsonl", "json"):
            continue
        if file_format in ("jsonl", "json") and mapping.format in ("csv", "parquet"):
            continue

        def has(name: str) -> bool:
            # CSV columns are flat; Parquet and JSON can hold `a.b` as a nested field.
            return name in keys or (file_format != "csv" and name.split(".")[0] in keys)

        if all(has(n) for n in needed):
            mapped = sum(1 for names in mapping.columns.values() for n in names if has(n))
            score = len(needed) * 100 + mapped
            if best is None or score > best[0]:
                best = (score, name)
    if best is None:
        raise PulseError(
            f"{path}: no mapping fits its columns; name one with --mapping NAME "
            f"({', '.join(sorted(mappings))}), or write your own and give it with "
            "--mappings FILE (README: 'Loading your own exports')"
        )
    return mappings[best[1]]


#: DuckDB's memory limit while files load (pulse.db.MEMORY_LIMIT the rest of the time):
#: a million-row file's dedupe and write ran at half speed under 1 GB; this process
#: peaked at 2.8 GB with no limit at all (`python bench/ingest.py`).
INGEST_MEMORY_LIMIT = "3GB"

#: Good rows from which a file's write skips DuckDB's string compression (see below).
UNCOMPRESSED_MIN_ROWS = 100_000


def _store_uncompressed(con: duckdb.DuckDBPyConnection, rows: int) -> str | None:
    """Write a large file's rows without compression; return the setting to restore.

    DuckDB analyses and compresses every string column it writes (DICT_FSST), and for
    `feedback`'s two text columns and its sha256 hashes that is most of a large load's
    write: bench/ingest.py's million rows took about 7 CPU-seconds to write compressed
    and under 3 uncompressed. The price is disk: that database is 654 MiB instead of
    309 MiB. Small files, the usual weekly case, keep the compact default; the setting
    is global to the database, so it is put back as soon as the file is written.
    """
    if rows < UNCOMPRESSED_MIN_ROWS:
        return None
    previous = con.execute("select current_setting('force_compression')").fetchone()[0]
    con.execute("set force_compression = 'uncompressed'")
    return str(previous)


def _restore_compression(con: duckdb.DuckDBPyConnection, previous: str | None) -> None:
    if previous is not None:
        con.execute("set force_compression = $previous", {"previous": previous})


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping,
    load: LoadOptions,
    options: dict,
) -> FileReport:
    started = time.perf_counter()
    file_name = str(path)
    file_sha256 = fingerprint(path)
    digest = load_key(file_sha256, mapping, load, options)
    prior = fetch_dicts(con, "ingest_loaded_file", {"fingerprint": digest})
    if prior:
        # Skipped, but its earlier verdict stands: a file that lost most of its rows is not
        # made good by loading it again unchanged.
        earlier = prior[0]
        return FileReport(
            file=file_name,
            source=mapping.name,
            skipped=True,
            seconds=time.perf_counter() - started,
            earlier_rows=(int(earlier["rows_in"] or 0), int(earlier["rows_rejected"] or 0)),
            reject_reasons=[
                ReasonCount(**reason) for reason in json.loads(earlier["reject_summary"] or "[]")
            ],
        )
    file_format = detect_format(path, mapping)
    is_json = file_format in ("json", "jsonl")
    options = check_text_file(path, file_format, options)
    if file_format == "csv":
        check_csv_header(path, options)
    # Staging lives in temporary tables, outside the transaction: only the writes
    # to feedback, rejected_rows and loaded_files need to be all-or-nothing.
    stages: dict[str, float] = {}
    stage_cpu: dict[str, float] = {}
    clock = started
    cpu_clock = time.process_time()

    def lap(stage: str) -> None:
        # Wall and CPU (all threads of this process) per stage: on a shared machine the
        # CPU figure is the one that says where the work is.
        nonlocal clock, cpu_clock
        now_clock, now_cpu = time.perf_counter(), time.process_time()
        stages[stage] = round(now_clock - clock, 4)
        stage_cpu[stage] = round(now_cpu - cpu_clock, 4)
        clock, cpu_clock = now_clock, now_cpu

    lap("fingerprint")
    try:
        _drop_temp(con)
        if file_format == "csv":
            columns = _read_csv(con, path, mapping, options)
        elif file_format == "parquet":
            columns = _read_parquet(con, path)
        else:
            columns = _read_json(con, path, file_format, mapping, options)
        lap("read")
        _check_required(con, path, mapping, columns, is_json, file_format == "csv")
        _build_input_view(con, path, mapping, columns, is_json, file_format == "csv")
        raw_records = con.execute("select count(*) from ingest_file").fetchone()[0]
        candidates = con.execute("select count(*) from ingest_input").fetchone()[0]
        con.execute("set TimeZone = $zone", {"zone": mapping.timezone or load.timezone})
        _stage(
            con,
            "ingest_typed",
            "stg_ingest_typed",
            {
                "now": load.now,
                "plain_charset": PLAIN_CHARSET,
                "any_gate": ANY_GATE,
                "max_id_chars": MAX_ID_CHARS,
                "max_text_chars": load.max_text_chars,
                "max_minutes": MAX_MINUTES,
                "max_reach": MAX_REACH,
                "max_offset_minutes": MAX_OFFSET_MINUTES,
            },
        )
        lap("map_and_check")
        _clean_and_redact(con, mapping, load.brand_handles)
        lap("clean_and_redact")
        _stage(con, "ingest_rows", "stg_ingest_rows", {"source": mapping.name})
        _explain_rejections(con, mapping, load)
        counts = fetch_dicts(con, "ingest_row_counts")[0]
        if file_format == "csv":
            _stage(
                con,
                "ingest_physical_lines",
                "stg_ingest_csv_lines",
                {"header_lines": 1 if options.get("header", True) else 0},
            )
            _narrow_csv_raw_text(con, columns)
        else:
            con.execute(
                "create temp table ingest_physical_lines "
                "(record_kind varchar, line bigint, physical_line bigint)"
            )
        for table in ("ingest_typed", "ingest_messy_cleaned", "ingest_redacted"):
            con.execute(f"drop table {table}")
        reasons = [
            ReasonCount(kind, int(rows), line, example)
            for kind, rows, line, example in run_query(
                con, "stg_ingest_reject_summary", {"top": REJECT_SUMMARY_REASONS}
            ).fetchall()
        ]
        lap("dedupe")
    except duckdb.Error as exc:
        _drop_temp(con)
        raise PulseError(f"{path}: could not be read ({_first_line(exc)})") from None
    except PulseError:
        _drop_temp(con)
        raise
    report = FileReport(
        file=file_name,
        source=mapping.name,
        rows_in=int(counts["rows_in"]),
        rows_loaded=int(counts["rows_loaded"]),
        rows_rejected=int(counts["rows_rejected"]),
        rows_duplicate=int(counts["rows_duplicate"]),
        rows_filtered=int(raw_records - candidates) if mapping.staging else 0,
        rows_new=int(counts["rows_new"]),
        rows_updated=int(counts["rows_updated"]),
        reject_reasons=reasons,
    )
    if report.rows_in != report.rows_loaded + report.rows_rejected + report.rows_duplicate:
        _drop_temp(con)
        raise PulseError(f"{path}: row counts do not add up ({report}); this is a Pulse bug")
    compression = _store_uncompressed(con, report.rows_loaded)
    con.execute("begin transaction")
    try:
        # The same bytes read again under a changed mapping: this reading's rejections
        # replace the last one's, so `pulse rejected` shows what is still wrong.
        run_query(
            con,
            "ingest_forget_rejected",
            {"source": mapping.name, "file": file_name, "file_sha256": file_sha256},
        )
        run_query(
            con,
            "ingest_insert_rejected",
            {"source": mapping.name, "file": file_name, "raw_max_chars": REJECTED_RAW_MAX_CHARS},
        )
        all_new = report.rows_new == report.rows_loaded
        if not all_new:
            # Updates first: a row inserted now must not be compared with itself.
            run_query(
                con,
                "ingest_update_feedback",
                {"file": file_name, "now": load.now, "feedback_type": mapping.feedback_type},
            )
        run_query(
            con,
            "ingest_insert_new_feedback" if all_new else "ingest_insert_feedback",
            {
                "source": mapping.name,
                "kind": mapping.kind,
                "file": file_name,
                "now": load.now,
                "feedback_type": mapping.feedback_type,
            },
        )
        report.seconds = time.perf_counter() - started
        run_query(
            con,
            "ingest_record_file",
            {
                "fingerprint": digest,
                "file_sha256": file_sha256,
                "source": mapping.name,
                "file": file_name,
                "rows_in": report.rows_in,
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
                "rows_duplicate": report.rows_duplicate,
                "rows_filtered": report.rows_filtered,
                "rows_new": report.rows_new,
                "rows_updated": report.rows_updated,
                "seconds": report.seconds,
                "now": load.now,
                "reject_summary": json.dumps([asdict(r) for r in report.reject_reasons]),
            },
        )
        con.execute("commit")
        lap("write")
    except (duckdb.Error, PulseError) as exc:
        con.execute("rollback")
        _drop_temp(con)
        if isinstance(exc, PulseError):
            raise
        raise PulseError(f"{path}: could not be loaded ({_first_line(exc)})") from None
    finally:
        _restore_compression(con, compression)
    _drop_temp(con)
    report.stage_seconds = stages
    report.stage_cpu_seconds = stage_cpu
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------------------- public API


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path],
    source: str | None = None,
    mappings_file: Path | None = None,
    brand_handles: Iterable[str] | None = None,
    now: datetime | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    keep_going: bool = False,
    timezone: str | None = None,
    max_text_chars: int | None = None,
) -> list[FileReport]:
    """Load export files into `feedback`, one transaction per file.

    Args:
        con: An open Pulse database (`pulse.db.connect`).
        paths: Files, folders or glob patterns; `.gz` files are read as they are.
        source: The mapping to read them with; None picks, per file, the
            ready-made (or user) mapping whose columns the file has.
        mappings_file: A TOML file of user mappings (same shape as pulse/sources.toml).
        brand_handles: The brand's own handles, which redaction leaves visible
            (default: the settings' `brand_handles`).
        now: The load time; rows dated after it (plus an hour's clock skew) are rejected.
        encoding: CSV/JSON Lines encoding when not UTF-8 (`latin-1`, `utf-16`);
            overrides the mapping's option.
        delimiter: CSV delimiter when the sniffer should not guess it.
        keep_going: Record a whole-file failure in its report and go on with the
            next file, instead of raising.
        timezone: The zone of times without an offset when the mapping names none
            (default: the settings' `timezone`).
        max_text_chars: A longer text rejects its row (default: the settings' value).

    Returns:
        One FileReport per file, in load order.

    Raises:
        IngestError: (a PulseError) for a file that cannot be read at all: unknown
            format, missing columns, unreadable bytes. Its transaction is rolled
            back; files before it stay loaded and are in `.reports`.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    if brand_handles is None or timezone is None or max_text_chars is None:
        from pulse.config import load_settings

        settings = load_settings()
        brand_handles = settings.brand_handles if brand_handles is None else brand_handles
        timezone = timezone or settings.timezone
        max_text_chars = max_text_chars or settings.max_text_chars
    load = LoadOptions(
        brand_handles=tuple(brand_handles),
        now=now,
        timezone=timezone,
        max_text_chars=max_text_chars,
    )
    mappings = load_mappings(mappings_file)
    if source is not None and source not in mappings:
        raise PulseError(
            f"unknown mapping {source!r}; known mappings: {', '.join(sorted(mappings))} "
            "(add your own in a mappings TOML file, given with --mappings)"
        )
    run_query(con, "schema_ingest")
    files = expand_paths(paths)
    reports: list[FileReport] = []
    # Times without an offset are read in the session zone, set per file to the mapping's.
    session_zone = con.execute("select current_setting('TimeZone')").fetchone()[0]
    session_limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    con.execute("set memory_limit = $limit", {"limit": INGEST_MEMORY_LIMIT})
    for macro in OFFSET_MACROS:
        con.execute(macro)
    try:
        _ingest_files(
            con, files, mappings, source, load, encoding, delimiter, keep_going, reports
        )
    finally:
        con.execute("set TimeZone = $zone", {"zone": session_zone})
        con.execute("set memory_limit = $limit", {"limit": session_limit})
    return reports


def _ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    mappings: dict[str, Mapping],
    source: str | None,
    load: LoadOptions,
    encoding: str | None,
    delimiter: str | None,
    keep_going: bool,
    reports: list[FileReport],
) -> None:
    forced: dict[str, object] = {}
    if encoding:
        forced["encoding"] = encoding.lower().replace("latin1", "latin-1")
    if delimiter:
        forced["delim"] = delimiter
    for path in files:
        try:
            # An empty or UTF-16 file is refused (or its BOM honoured) before anything reads it.
            sniffed = check_text_file(path, detect_format(path), forced)
            mapping = (
                mappings[source] if source else detect_mapping(con, path, mappings, sniffed)
            )
            options = {**mapping.options, **forced}
            if "encoding" not in options and "encoding" in sniffed:
                options["encoding"] = sniffed["encoding"]
            reports.append(_load_file(con, path, mapping, load, options))
        except PulseError as exc:
            if not keep_going:
                raise IngestError(str(exc), reports) from None
            reports.append(FileReport(file=str(path), source=source or "?", error=str(exc)))


def ingest_demo(con: duckdb.DuckDBPyConnection, demo_dir: Path, **kwargs) -> list[FileReport]:
    """Load the demo generator's `tickets.csv` and `social.jsonl` from `demo_dir`."""
    demo_dir = Path(demo_dir)
    reports: list[FileReport] = []
    for name, source in (("tickets.csv", "demo_tickets"), ("social.jsonl", "demo_social")):
        path = demo_dir / name
        if not path.exists():
            raise PulseError(f"{path} is missing; run `pulse demo` to generate the demo data")
        reports.extend(ingest_paths(con, [path], source=source, **kwargs))
    return reports


def rejected(con: duckdb.DuckDBPyConnection, file: str | None = None) -> list[dict]:
    """Rejected rows (source, file, line, reason, raw, rejected_at), newest first."""
    return fetch_dicts(con, "rejected_rows_list", {"file": file or ""})


def format_report_table(reports: Sequence[FileReport], max_rejected_share: float = 0.5) -> str:
    """The per-file table the CLI prints after a load (status says when most rows failed)."""
    headers = ("file", "source", "in", "loaded", "new", "rejected", "dupes", "status", "seconds")
    rows = []
    for report in reports:
        status = "error" if report.error else ("skipped" if report.skipped else "ok")
        if not report.error and report.rejected_share > max_rejected_share:
            status = f"FAILED: {report.rejected_share:.0%} rejected"
        rows.append(
            (
                report.file,
                report.source,
                f"{report.rows_in:,}",
                f"{report.rows_loaded:,}",
                f"{report.rows_new:,}",
                f"{report.rows_rejected:,}",
                f"{report.rows_duplicate:,}",
                status,
                f"{report.seconds:.2f}",
            )
        )
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    numeric = {2, 3, 4, 5, 6, 8}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    for report in reports:
        if report.skipped:
            out.append(f"{report.file}: already loaded (same bytes); skipped")
        if report.error:
            out.append(f"{report.file}: {report.error}")
    if any(r.rows_filtered for r in reports):
        filtered = sum(r.rows_filtered for r in reports)
        out.append(
            f"{filtered:,} records were not feedback (e.g. brand replies) and were set aside"
        )
    return "\n".join(out)
