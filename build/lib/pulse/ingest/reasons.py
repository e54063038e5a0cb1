"""Why a row did not load, in words a user can act on.

The SQL checks (`queries/ingest/stg_ingest_typed.sql`) give each failing row a short *kind*
("unparseable created_at") and the value it is about; this module turns the pair into
the message `pulse rejected` shows (the value, what is wrong, the fix), and groups a
file's rejections by kind for the summary that `pulse ingest` and `pulse run` print
when most of a file was refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulse.ingest.mappings import Mapping
from pulse.ingest.times import MAX_OFFSET_MINUTES, explain_unparseable

MAX_ID_CHARS = 256
#: Ten years: the longest a ticket can plausibly wait for a reply or a resolution.
MAX_MINUTES = 10 * 366 * 24 * 60
#: Far above any platform's audience; a larger reach is a unit or parsing error.
MAX_REACH = 1e12


def _shown(value: str, limit: int = 60) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def explain(kind: str, value: str | None, mapping: Mapping, max_text_chars: int) -> str:
    """The full reason for a rejected row of `kind` about `value` (None: no value).

    It opens with the kind, so reasons group and search alike, then shows the value and
    says what to change.
    """
    shown = f'"{_shown(value)}"' if value is not None else ""
    field = kind.split(" ")[-1] if kind.startswith(("unparseable", "missing")) else ""
    field = field or kind.split(" ")[0]
    if kind.startswith("unparseable ") and field in ("created_at", "updated_at"):
        detail = explain_unparseable(field, value or "", field in mapping.time_formats)
        return f"{kind} {shown}: {detail}"
    if kind.endswith("offset too large"):
        return (
            f"{kind} {shown}: beyond ±{MAX_OFFSET_MINUTES // 60:02d}:00, which no time zone "
            "has; fix the export"
        )
    if kind.endswith("in the future"):
        return (
            f"{kind} {shown}: if the export writes local times without an offset, name their "
            'zone in the mapping, e.g. timezone = "America/New_York"'
        )
    if kind == "created_at before 2000":
        return (
            f"{kind} {shown}: if the year has two digits, name the pattern in the mapping, "
            'e.g. created_at_format = "%d-%m-%y"'
        )
    if kind == "id too long":
        return f"{kind}: {int(value or 0):,} characters, over the {MAX_ID_CHARS} an id may have"
    if kind == "text too long":
        return (
            f"{kind}: {int(value or 0):,} characters, over max_text_chars ({max_text_chars:,}); "
            "raise max_text_chars in pulse.toml to load it"
        )
    if kind.startswith("missing ") and field in mapping.columns:
        return f"{kind}: the mapped column {', '.join(mapping.columns[field])} is empty here"
    if kind.endswith("out of range") and field.endswith("_minutes"):
        return f"{kind} {shown}: minutes must be between 0 and {MAX_MINUTES:,} (ten years)"
    if value is not None:
        return f"{kind} {shown}"
    return kind


@dataclass(frozen=True)
class ReasonCount:
    """One kind of rejection in a file: how many rows, and the first as an example."""

    kind: str
    rows: int
    line: int | None
    example: str


def format_summary(
    file: str, rows_in: int, rejected: int, reasons: list[ReasonCount], note: str = ""
) -> str:
    """A few lines: the share rejected, then each top reason with its count and an example."""
    share = rejected / rows_in if rows_in else 0.0
    lines = [f"{file}: {rejected:,} of {rows_in:,} rows rejected ({share:.0%}){note}; reasons:"]
    for reason in reasons:
        where = f"line {reason.line}: " if reason.line is not None else ""
        lines.append(f"  {reason.rows:>8,} x  {where}{reason.example}")
    return "\n".join(lines)
