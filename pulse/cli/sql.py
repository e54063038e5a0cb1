"""`pulse sql`: an analyst's query on the database, as a table, CSV or JSON.

The query is one of `queries/analyst/` by name, a `.sql` file, or literal SQL; its
parameters come as `--param NAME=VALUE` and are checked against the query's header
(`pulse.db.analyst`). It reads the live database when no run is writing it, else the
snapshot of the last successful run (`pulse.db.open_for_reading`), always read-only.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pulse.config import load_settings
from pulse.errors import PulseError


def add_sql_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`pulse sql FILE_OR_QUERY [--param NAME=VALUE …] [--csv | --json]` and `--list`."""
    summary = "run an analyst query, a .sql file or SQL, read-only"
    sql = sub.add_parser("sql", parents=[common], help=summary, description=summary)
    sql.add_argument(
        "query",
        nargs="?",
        metavar="FILE_OR_QUERY",
        help="a query of `pulse sql --list`, a path to a .sql file, or the SQL itself",
    )
    sql.add_argument(
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter the query declares (repeat for more)",
    )
    sql.add_argument("--list", action="store_true", help="list the analyst queries")
    output = sql.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_true", help="print CSV (a header row first)")
    output.add_argument("--json", action="store_true", help="print a JSON list of objects")
    sql.add_argument(
        "--wait",
        type=float,
        default=2.0,
        help="seconds to wait for a busy database before reading the snapshot (default 2)",
    )
    sql.set_defaults(func=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> int:
    """Run the query read-only and print its rows; `--list` prints the analyst queries."""
    from pulse.db.analyst import resolve_query

    if args.list:
        if args.query or args.params:
            raise PulseError("`pulse sql --list` takes no query or parameters")
        _print_list()
        return 0
    if not args.query:
        raise PulseError(
            "give a query: a name of `pulse sql --list`, a .sql file or the SQL itself"
        )
    query = resolve_query(args.query)
    params = query.bind(_parse_params(args.params))
    columns, rows, source = _run(query.sql, params, args.wait)
    if args.csv:
        _print_csv(columns, rows)
    elif args.json:
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=_json))
    else:
        _print_table(columns, rows, source)
    return 0


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise PulseError(f"--param {pair!r} is not NAME=VALUE (e.g. --param week=2026-W46)")
        if name.strip() in params:
            raise PulseError(f"--param {name.strip()} is given twice")
        params[name.strip()] = value
    return params


def _run(sql: str, params: dict[str, Any], wait: float):
    """Columns, rows and the file read; a query DuckDB refuses is one line with its reason."""
    import duckdb

    from pulse.db import open_for_reading

    db_path = load_settings().db_path
    con, source = open_for_reading(db_path, wait)
    try:
        cursor = con.execute(sql, params) if params else con.execute(sql)
        if cursor.description is None:
            return [], [], source
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall(), source
    except duckdb.Error as exc:
        reason = " ".join(str(exc).split())
        raise PulseError(f"the query failed on {source}: {reason}") from None
    finally:
        con.close()
        if source != db_path:
            print(f"({_why_not_live(db_path)}; read the snapshot {source})", file=sys.stderr)


def _why_not_live(db_path) -> str:
    from pulse.db import run_lock_holder

    holder = run_lock_holder(db_path)
    if holder is not None:
        return f"a run (process {holder}) is writing {db_path}"
    if not db_path.exists():
        return f"there is no {db_path}"
    return f"{db_path} is in use"


def _print_list() -> None:
    from rich.table import Table

    from pulse.db.analyst import analyst_queries

    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for heading in ("query", "what one row is", "parameters"):
        table.add_column(heading, overflow="fold")
    for query in analyst_queries():
        params = "\n".join(str(p) for p in query.params) or "(none)"
        table.add_row(query.name, query.description, params)
    _console(table).print(table)
    print("\nrun one with `pulse sql NAME --param NAME=VALUE …` (--csv or --json for files)")


def _print_table(columns: list[str], rows: list[tuple], source) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", show_lines=False)
    numeric = [
        all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows)
        for i in range(len(columns))
    ]
    for column, is_number in zip(columns, numeric, strict=True):
        table.add_column(column, justify="right" if is_number else "left")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    console = _console(table)
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''} from {source}", style="dim")


def _console(table):
    """A console as wide as the table when stdout is no terminal, so pipes get whole rows."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        width = Console(width=10_000).measure(table).maximum
        console = Console(width=max(width, 80))
    return console


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]null[/dim]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    from rich.markup import escape

    return escape(str(value))


def _print_csv(columns: list[str], rows: list[tuple]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else _json(value) for value in row])


def _json(value: Any) -> Any:
    """JSON for DuckDB's values: dates as ISO text, decimals as numbers, lists as lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | dict | int | float | str | bool):
        return value
    return str(value)
