"""DuckDB access: one file, the schema, and the SQL files in `queries/`.

SQL lives in `queries/` (one file per result set) and is always run with
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


def connect(db_path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file and make sure the schema exists.

    DuckDB lets one process hold a file; a second process gets a lock error,
    which is turned into a message that says what to do.
    """
    db_path = Path(db_path)
    if read_only and not db_path.exists():
        raise PulseError(f"{db_path} does not exist yet; run `pulse run` or `pulse ingest` first")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise PulseError(
                f"{db_path} is in use by another process ({message.splitlines()[0]}); "
                "wait for that run to finish, or query a copy of the file"
            ) from None
        raise PulseError(f"cannot open {db_path}: {message}") from None
    if not read_only:
        con.execute(sql_text("schema"))
        con.execute(sql_text("schema_ingest"))
    return con


@cache
def _read_sql(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.exists():
        raise PulseError(f"no query named {name!r}: {path} is missing")
    return path.read_text(encoding="utf-8")


def sql_text(name: str) -> str:
    """The text of `queries/<name>.sql`."""
    return _read_sql(name)


def query_params(name: str) -> set[str]:
    """The `$names` a query file expects (comments ignored)."""
    return set(_PARAM_RE.findall(_COMMENT_RE.sub("", _read_sql(name))))


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute `queries/<name>.sql` with named parameters.

    The parameters given and the `$names` in the file must agree exactly, so a
    renamed parameter fails here with both lists rather than deep in DuckDB.
    """
    params = params or {}
    expected = query_params(name)
    if expected != set(params):
        missing = sorted(expected - set(params))
        extra = sorted(set(params) - expected)
        raise PulseError(
            f"queries/{name}.sql: parameters do not match (missing: {missing}, unexpected: {extra})"
        )
    return con.execute(_read_sql(name), params) if params else con.execute(_read_sql(name))


def fetch_dicts(
    con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
) -> list[dict]:
    """Run a query file and return its rows as dicts keyed by column name."""
    cursor = run_query(con, name, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
