"""The SQL files of `queries/`, found by name and run with checked `$name` parameters.

SQL lives in `queries/<layer>/` (one file per result set) and is always run with
DuckDB's `$name` parameters, never string-formatted: ticket text is untrusted.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pulse.config import QUERIES_DIR
from pulse.errors import PulseError

_PARAM_RE = re.compile(r"(?<![:$\w])\$([A-Za-z_]\w*)")
_COMMENT_RE = re.compile(r"--[^\n]*")


@cache
def _query_index() -> dict[str, Path]:
    """Every `queries/<layer>/<name>.sql` by name: names are unique across the layers."""
    index: dict[str, Path] = {}
    for path in sorted(QUERIES_DIR.rglob("*.sql")):
        if path.stem in index:
            raise PulseError(f"two queries named {path.stem!r}: {index[path.stem]} and {path}")
        index[path.stem] = path
    return index


def schema_files() -> list[str]:
    """The DDL files of `queries/schema/`, by name in sorted order: each is idempotent and
    run at every connect, so a table's definition lives in exactly one of them."""
    return sorted(name for name, path in _query_index().items() if path.parent.name == "schema")


def query_path(name: str) -> Path | None:
    """The file of the query `name` (in whichever layer folder of `queries/`), or None."""
    return _query_index().get(name)


@cache
def _read_sql(name: str) -> str:
    path = query_path(name)
    if path is None:
        raise PulseError(f"no query named {name!r} under {QUERIES_DIR}")
    return path.read_text(encoding="utf-8")


def sql_text(name: str) -> str:
    """The text of the query file `name` (`queries/<layer>/<name>.sql`)."""
    return _read_sql(name)


def params_in(sql: str) -> set[str]:
    """The `$names` a piece of SQL uses (comments ignored)."""
    return set(_PARAM_RE.findall(_COMMENT_RE.sub("", sql)))


def query_params(name: str) -> set[str]:
    """The `$names` a query file expects (comments ignored)."""
    return params_in(_read_sql(name))


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute the query file `name` (`queries/<layer>/<name>.sql`) with named parameters.

    The parameters given and the `$names` in the file must agree exactly, so a
    renamed parameter fails here with both lists rather than deep in DuckDB.
    """
    params = params or {}
    expected = query_params(name)
    if expected != set(params):
        missing = sorted(expected - set(params))
        extra = sorted(set(params) - expected)
        raise PulseError(
            f"{query_path(name)}: parameters do not match (missing: {missing}, unexpected: {extra})"
        )
    return con.execute(_read_sql(name), params) if params else con.execute(_read_sql(name))


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
) -> list[dict]:
    """Run a query file and return its rows as dicts keyed by column name."""
    cursor = run_query(con, name, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
