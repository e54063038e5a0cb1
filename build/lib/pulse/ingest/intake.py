"""What a run loads: the exports named for it, or the sources pulse.toml declares.

With neither, the caller says what loads instead (`fallback`): the weekly run passes the
demo's loader (`pulse.demo.demo_fallback`), which loads the demo data only into a database
that holds nothing else, or when asked for (`--demo`). `pulse status` says when a
database mixes sources, and `remove_sources` takes a source's rows out again.

A file of which most rows were rejected is a wrong mapping or date format, not a
successful load: `check_rejections` turns it into an error (exit 1) that carries a
summary of the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from pulse.config import Settings, SourceSpec
from pulse.db import run_query
from pulse.errors import PulseError
from pulse.ingest.files import check_text_file, detect_format, expand_paths
from pulse.ingest.load import ingest_paths
from pulse.ingest.mappings import load_mappings
from pulse.ingest.project import detect_mapping
from pulse.ingest.reasons import format_summary
from pulse.ingest.reports import FileReport

#: What loads when a run names no sources and pulse.toml declares none.
Fallback = Callable[[duckdb.DuckDBPyConnection], list[FileReport]]


class MostlyRejected(PulseError):
    """A file lost more than `max_rejected_share` of its rows: the load did not succeed.

    Not bad usage but a failed load (exit 1); the message holds the summary of reasons.
    """


def specs_from_arguments(
    paths: Sequence[str] | None, mapping: str | None, mappings: str | None
) -> list[SourceSpec]:
    """`--source PATH… [--mapping NAME] [--mappings FILE]` as source specs."""
    if not paths:
        if mapping or mappings:
            raise PulseError(
                "--mapping and --mappings describe the files named with --source PATH; "
                "add --source, or declare [[pulse.sources]] in pulse.toml"
            )
        return []
    return [SourceSpec(path=str(p), mapping=mapping or "", mappings=mappings or "") for p in paths]


def preflight(specs: Sequence[SourceSpec]) -> list[tuple[Path, str]]:
    """Check every named path and mapping now, before a run starts Prefect and the models.

    Returns each file with the mapping that will read it. Raises the same PulseError the
    load would (a missing path, an unknown mapping, a file no mapping fits, an empty file)
    within a second instead of half a minute into a run.
    """
    plan: list[tuple[Path, str]] = []
    con = duckdb.connect()
    try:
        for spec in specs:
            mappings_file = Path(spec.mappings) if spec.mappings else None
            mappings = load_mappings(mappings_file)
            if spec.mapping and spec.mapping not in mappings:
                raise PulseError(
                    f"unknown mapping {spec.mapping!r}; known mappings: "
                    f"{', '.join(sorted(mappings))}"
                    + ("" if mappings_file else " (give your own with --mappings FILE)")
                )
            for path in expand_paths([spec.path]):
                sniffed = check_text_file(path, detect_format(path), {})
                if spec.mapping:
                    plan.append((path, spec.mapping))
                else:
                    plan.append((path, detect_mapping(con, path, mappings, sniffed).name))
    finally:
        con.close()
    return plan


def source_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Each source with texts in the database, and how many."""
    return [
        (source, int(count))
        for source, count in run_query(con, "ingest_source_rows").fetchall()
    ]


def load_for_run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    specs: Sequence[SourceSpec] | None = None,
    fallback: Fallback | None = None,
) -> list[FileReport]:
    """Load what a run should read; raise MostlyRejected when a file lost most of its rows.

    Named specs win, then the sources pulse.toml declares; with neither, `fallback`
    loads what it will (the weekly run's is the demo's), and without one nothing loads:
    a database of user data is reported on as it is.
    """
    specs = list(specs or settings.sources)
    reports: list[FileReport] = []
    if specs:
        for spec in specs:
            reports.extend(
                ingest_paths(
                    con,
                    [spec.path],
                    source=spec.mapping or None,
                    mappings_file=Path(spec.mappings) if spec.mappings else None,
                    brand_handles=settings.brand_handles,
                    timezone=settings.timezone,
                    max_text_chars=settings.max_text_chars,
                )
            )
    elif fallback is not None:
        reports = fallback(con)
    check_rejections(reports, settings.max_rejected_share)
    return reports


def check_rejections(reports: Sequence[FileReport], max_share: float) -> None:
    """Raise MostlyRejected naming every file that lost more than `max_share` of its rows."""
    failed = [r for r in reports if r.rejected_share > max_share]
    if not failed:
        return
    summaries = [
        format_summary(
            r.file,
            *r.rows_judged,
            r.reject_reasons,
            note=" when it was loaded (its bytes are unchanged)" if r.skipped else "",
        )
        for r in failed
    ]
    raise MostlyRejected(
        "\n".join(summaries)
        + f"\nmore than {max_share:.0%} of the rows were rejected (max_rejected_share); fix "
        "the mapping as the reasons say and load the file again (`pulse rejected` lists "
        "every row)"
    )


#: The tables `remove_sources` deletes from, in order (queries/ingest/ingest_remove_*.sql).
_REMOVED_TABLES = (
    "sentiment", "doc_topics", "topic_doc_memory", "feedback", "rejected_rows", "loaded_files",
)  # fmt: skip


def remove_sources(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> dict[str, int]:
    """Delete sources' texts and what hangs off them, in one transaction; counts per table.

    Sentiment, topic assignments and topic memory of those texts go with them, and the
    files and rejections recorded for the sources, so loading them again starts afresh.
    Embeddings stay: they are keyed by text, shared, and cost nothing to keep.
    """
    known = {source for source, _ in source_rows(con)} | {
        row[0] for row in run_query(con, "ingest_loaded_sources").fetchall()
    }
    unknown = sorted(set(names) - known)
    if unknown:
        raise PulseError(
            f"no source named {', '.join(unknown)} in this database; its sources are: "
            f"{', '.join(sorted(known)) or '(none)'}"
        )
    params = {"sources": list(names)}
    removed: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        # what hangs off a text goes first: its query finds the texts by their source
        for table in _REMOVED_TABLES:
            removed[table] = run_query(con, f"ingest_remove_{table}", params).fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return removed
