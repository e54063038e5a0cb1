"""The analysts' queries (`queries/analyst/`): their header, and parameters checked by type.

An analyst query says what it returns and what it takes in its first comment lines:

    -- one row per ranked issue of week $week, from that week's newest successful run
    -- param week: week — ISO week like 2026-W46
    -- param min_volume: integer — keep the issues with at least this many texts

The first line is the query's description (its grain); each `-- param NAME: TYPE — TEXT`
line declares one `$NAME` the SQL uses (`--` or `-` may stand for the dash). Types are
DuckDB's `varchar`, `integer`, `bigint`, `double`, `boolean`, `date`, `timestamp`, and
`week`: an ISO week, checked here and passed as varchar. Internal queries (ingest,
staging, run bookkeeping) live in the other folders of `queries/` and are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pulse.config import QUERIES_DIR
from pulse.db.queries import params_in, query_path
from pulse.errors import PulseError
from pulse.weeks import IsoWeek

ANALYST_DIR = QUERIES_DIR / "analyst"

_PARAM_LINE_RE = re.compile(
    r"^--\s*param\s+(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<type>\w+)\s*(?:—|–|--|-)\s*(?P<text>\S.*)$"
)
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise ValueError(value)
    return lowered in _TRUE


def _week(value: str) -> str:
    return str(IsoWeek.parse(value))


# Each type: how a command-line value becomes the Python value DuckDB binds, and an example.
TYPES: dict[str, tuple[Callable[[str], Any], str]] = {
    "varchar": (str, "any text"),
    "integer": (int, "a whole number like 20"),
    "bigint": (int, "a whole number like 20"),
    "double": (float, "a number like 0.2"),
    "boolean": (_boolean, "true or false"),
    "date": (date.fromisoformat, "a date like 2026-11-09"),
    "timestamp": (datetime.fromisoformat, "a time like 2026-11-09 or 2026-11-09T08:00 (UTC)"),
    "week": (_week, "an ISO week like 2026-W46"),
}


@dataclass(frozen=True)
class Param:
    """One declared `$name`: its type and what it means."""

    name: str
    type: str
    description: str

    def __str__(self) -> str:
        return f"{self.name}: {self.type} — {self.description}"


@dataclass(frozen=True)
class AnalystQuery:
    """A query an analyst runs: its SQL, one line of description and its declared parameters."""

    name: str
    sql: str
    description: str
    params: tuple[Param, ...]
    source: str  # the query's name, the .sql file, or "literal SQL"

    def bind(self, given: dict[str, str]) -> dict[str, Any]:
        """The `--param` values as typed DuckDB parameters; a PulseError lists what is declared.

        Refuses a declared parameter not given, one given that the query does not declare,
        and a value its type cannot read, naming every declared parameter in each case.
        """
        declared = {p.name: p for p in self.params}
        missing = [name for name in declared if name not in given]
        unknown = sorted(set(given) - set(declared))
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(unknown)}")
        bound: dict[str, Any] = {}
        for name, value in given.items():
            if name in declared:
                convert, example = TYPES[declared[name].type]
                try:
                    bound[name] = convert(value)
                except (ValueError, PulseError):
                    problems.append(f"{name}={value!r} is not {example}")
        if problems:
            raise PulseError(
                f"{self.source}: {'; '.join(problems)}; it takes {self.signature()} "
                f"(give each as --param NAME=VALUE)"
            )
        return bound

    def signature(self) -> str:
        """The declared parameters in one line, or `no parameters`."""
        if not self.params:
            return "no parameters"
        return "; ".join(str(p) for p in self.params)


def parse_query(name: str, sql: str, source: str, strict: bool) -> AnalystQuery:
    """Read a query's header; `strict` (the analyst folder) requires every `$name` declared.

    A file or literal SQL without declarations takes each `$name` it uses as varchar.
    """
    lines = sql.splitlines()
    description = ""
    params: list[Param] = []
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        if re.match(r"^--\s*param\b", stripped):
            match = _PARAM_LINE_RE.match(stripped)
            if not match or match["type"].lower() not in TYPES:
                raise PulseError(
                    f"{source}: cannot read the declaration {stripped!r}; write "
                    f"`-- param NAME: TYPE — description` with TYPE one of {', '.join(TYPES)}"
                )
            params.append(Param(match["name"], match["type"].lower(), match["text"].strip()))
        elif not description:
            description = stripped.lstrip("-").strip()
    used = params_in(sql)
    declared = {p.name for p in params}
    if strict or params:
        if used != declared:
            raise PulseError(
                f"{source}: the header declares {sorted(declared)} but the SQL uses "
                f"{sorted(used)}; declare each $name with `-- param NAME: TYPE — description`"
            )
        if strict and not description:
            raise PulseError(
                f"{source}: the first line should say what one row is (`-- one row per …`)"
            )
    else:
        params = [Param(p, "varchar", "(undeclared)") for p in sorted(used)]
    return AnalystQuery(name, sql, description, tuple(params), source)


def analyst_queries() -> list[AnalystQuery]:
    """Every query of `queries/analyst/`, by name."""
    return [_analyst(path) for path in sorted(ANALYST_DIR.glob("*.sql"))]


def _analyst(path: Path) -> AnalystQuery:
    from pulse.db.queries import sql_text

    relative = path.relative_to(QUERIES_DIR.parent)
    return parse_query(path.stem, sql_text(path.stem), str(relative), strict=True)


def resolve_query(text: str) -> AnalystQuery:
    """An analyst query by name, a `.sql` file by path, or literal SQL, header read."""
    stripped = text.strip()
    path = query_path(stripped) if re.fullmatch(r"\w+", stripped) else None
    if path is not None and path.parent == ANALYST_DIR:
        return _analyst(path)
    if re.fullmatch(r"\w+", stripped):
        internal = f" ({path.relative_to(QUERIES_DIR.parent)} is internal)" if path else ""
        raise PulseError(
            f"no analyst query named {stripped!r}{internal}; `pulse sql --list` lists them, "
            "or give a .sql file or the SQL itself"
        )
    if stripped.endswith(".sql") and "\n" not in stripped:
        file = Path(stripped)
        if not file.is_file():
            raise PulseError(f"there is no SQL file {file}; give a query's name, a file or SQL")
        sql = file.read_text(encoding="utf-8")
        return parse_query(file.stem, sql, str(file), strict=False)
    return parse_query("sql", text, "literal SQL", strict=False)
