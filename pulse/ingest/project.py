"""A mapping applied to a staged batch: `ingest_input` (one text column per feedback field)
and `ingest_input_times` (its timestamps parsed); and which mapping fits a file.

Column names come from the mapping and are checked against the file's own columns
before they are quoted into SQL; every value (JSON paths, constants, value maps,
date patterns) is a `$name` parameter.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pulse.db import run_query, sql_text
from pulse.errors import PulseError
from pulse.ingest.files import detect_format, open_bytes
from pulse.ingest.mapping_rules import FIELDS, REQUIRED_FIELDS
from pulse.ingest.mappings import Mapping
from pulse.ingest.staging import (
    CSV_MAX_LINE_BYTES,
    finish_pending,
    first_line,
    json_path,
    quote_ident,
)
from pulse.ingest.times import timestamp_sql

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


def _column_expr(name: str, columns: list[str], nested: bool = True) -> str | None:
    """SQL for a mapped column: an existing column or a struct path into one (Parquet)."""
    if name in columns:
        return f"cast({quote_ident(name)} as varchar)"
    head, _, rest = name.partition(".")
    if nested and rest and head in columns:
        return "cast(" + ".".join(quote_ident(p) for p in name.split(".")) + " as varchar)"
    return None


def build_input_view(
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
            params[key] = json_path(name)
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
        elif field_name == "id" and mapping.row_key:
            expr = _row_key_expr(columns, is_json and not mapping.staging)
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
    # A typed null: DuckDB 1.5 types a bare `null` column INTEGER, which the reason CASE
    # of stg_ingest_typed.sql then refuses to mix with its words.
    selects.append(
        (
            _json_fault_expr(mapping, params)
            if is_json and not mapping.staging
            else "cast(null as varchar)"
        )
        + " as json_fault"
    )
    finish_pending(con)
    con.sql(f"select {', '.join(selects)} from {base}", params=params or None).create_view(
        "ingest_input"
    )
    _build_times_view(con, mapping)
    return params


def _row_key_expr(columns: list[str], is_json: bool) -> str:
    """SQL for the id of a file without one: the digest of the row's every column, then
    which copy of that row it is in its file (the file's number is in `line` above bit
    32), so identical rows stay apart and a file loaded again gives the same ids."""
    fields = ["doc"] if is_json else [c for c in columns if c != "line"]
    # chr(30) marks a missing value, chr(31) separates: (a, null) and (null, a) differ.
    digest = (
        "md5(concat_ws(chr(31), "
        + ", ".join(f"coalesce(cast({quote_ident(c)} as varchar), chr(30))" for c in fields)
        + "))"
    )
    copy = f"row_number() over (partition by {digest}, line >> 32 order by line)"
    return f"{digest} || '-' || cast({copy} as varchar)"


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
            params[key] = json_path(name)
            allowed_sql = ", ".join(f"'{t}'" for t in (*allowed, "NULL"))
            branches.append(
                f"when json_type(doc, ${key}) not in ({allowed_sql}) then "
                f"'{field_name} is ' || {kinds.format(path='$' + key)} || ', not a string'"
            )
    return f"case {' '.join(branches)} end" if branches else "cast(null as varchar)"


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
    finish_pending(con)
    con.sql(
        f"select *, {', '.join(columns)} from ("
        "select *, nullif(trim(created_at_raw), '') as created_at_text, "
        "nullif(trim(updated_at_raw), '') as updated_at_text from ingest_input)",
        params=params,
    ).create_view("ingest_input_times")


def check_required(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping,
    columns: list[str],
    is_json: bool,
    is_csv: bool = False,
) -> None:
    """Fail the whole file when it lacks columns the mapping cannot do without."""
    if is_json:
        records = run_query(con, "ingest_raw_count").fetchone()[0]
        if records == 0:
            return
        missing = []
        for field_name in REQUIRED_FIELDS:
            for name in mapping.columns.get(field_name, []):
                present = run_query(
                    con, "ingest_raw_json_path_count", {"path": json_path(name)}
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


def _csv_columns(con: duckdb.DuckDBPyConnection, path: Path, options: dict) -> list[str]:
    """The columns a CSV's header names, read with `options`' encoding and delimiter."""
    params: dict[str, object] = {"path": str(path), "line": CSV_MAX_LINE_BYTES}
    extra = ""
    for key in ("encoding", "delim"):
        if key in options:
            extra += f", {key} = ${key}"
            params[key] = str(options[key])
    query = (
        "describe select * from read_csv($path, all_varchar = true, header = true, "
        f"max_line_size = $line{extra})"
    )
    return [d[0] for d in con.execute(query, params).fetchall()]


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
            try:
                keys = set(_csv_columns(con, path, options))
            except duckdb.Error:
                if "encoding" in options:
                    raise
                # No mapping is chosen yet, so neither is its encoding: the columns of a file
                # that is not UTF-8 (a Latin-1 export) are read as Latin-1, where any byte is
                # a character; the chosen mapping's encoding then reads the rows.
                keys = set(_csv_columns(con, path, {**options, "encoding": "latin-1"}))
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
        raise PulseError(f"{path}: cannot read it ({first_line(exc)})") from None
    best: tuple[int, str] | None = None
    for name, mapping in mappings.items():
        needed = mapping.required_columns() or [
            n for f in REQUIRED_FIELDS for n in mapping.columns.get(f, [])
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
            # the user's own mappings win a tie with the ready-made ones
            own = 0 if mapping.origin.endswith("sources.toml") else 50
            score = len(needed) * 100 + own + mapped
            if best is None or score > best[0]:
                best = (score, name)
    if best is None:
        raise PulseError(
            f"{path}: no mapping fits its columns; name one with --mapping NAME "
            f"({', '.join(sorted(mappings))}), or write your own and give it with "
            "--mappings FILE (README: 'Loading your own exports')"
        )
    return mappings[best[1]]
