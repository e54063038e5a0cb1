"""Load export files into `feedback`: read, check, clean, redact, upsert; one transaction a batch.

A batch is one file, or many small files of one source and one layout read together
(`pulse.ingest.staging`): a folder of five thousand one-row exports is a few batches,
not five thousand transactions. The work per batch is a short chain of DuckDB steps
over temporary tables:

1. read the files into `ingest_file` (every column as text; unparseable CSV lines
   and broken JSON lines go to `ingest_reader_rejects` with their line number),
2. project them through the source's mapping into `ingest_input` (one column per
   feedback field, still text) and parse the timestamps (`pulse.ingest.project`),
3. type and check every row in SQL (`queries/ingest/stg_ingest_typed.sql`): the first
   problem found becomes the row's `reason`; plain texts are cleaned there too and
   screened with the redaction gates (`pulse.redact.PASS_GATES`),
4. clean the other texts in batched Python and redact only those with a gate open
   (`pulse.ingest.scrub`),
5. decide each row's fate (`queries/ingest/stg_ingest_rows.sql`): load, reject or duplicate,
   and give each rejection its full reason (`pulse.ingest.reasons`),
6. write rejects, upsert the good rows (newer `updated_at` wins), record the files.

A batch that cannot be read rolls its transaction back; a batch of several files is
then loaded file by file, so the error names the file and the good files load.

`pulse.ingest.plan` decides which files load and which share a batch; `pulse.ingest.batch`
runs the steps for one batch; this module loads a list of paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pulse.db import fetch_dicts, run_query
from pulse.errors import PulseError
from pulse.ingest.batch import load_batch
from pulse.ingest.files import check_text_file, detect_format, expand_paths
from pulse.ingest.language import warm_detector
from pulse.ingest.mappings import Mapping, load_mappings
from pulse.ingest.plan import LoadOptions, PendingFile, batches, pending_file
from pulse.ingest.project import detect_mapping
from pulse.ingest.reports import FileReport

#: DuckDB's memory limit while files load (pulse.db.MEMORY_LIMIT the rest of the time):
#: a large file's dedupe and write would spill under the usual one (docs/TUNING.md, "Ingest").
INGEST_MEMORY_LIMIT = "3GB"


class IngestError(PulseError):
    """A whole file could not be loaded; `reports` holds the files handled before it."""

    def __init__(self, message: str, reports: list[FileReport]):
        super().__init__(message)
        self.reports = reports


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
    """Load export files into `feedback`, small files of one shape together.

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
    load = LoadOptions(tuple(brand_handles), now, timezone, max_text_chars)
    mappings = load_mappings(mappings_file)
    if source is not None and source not in mappings:
        raise PulseError(
            f"unknown mapping {source!r}; known mappings: {', '.join(sorted(mappings))} "
            "(add your own in a mappings TOML file, given with --mappings)"
        )
    run_query(con, "schema_ingest")
    warm_detector()  # the language model loads while the files are read
    files = expand_paths(paths)
    forced: dict[str, object] = {}
    if encoding:
        forced["encoding"] = encoding.lower().replace("latin1", "latin-1")
    if delimiter:
        forced["delim"] = delimiter
    # Times without an offset are read in the session zone, set per batch to the mapping's.
    session_zone = con.execute("select current_setting('TimeZone')").fetchone()[0]
    session_limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    con.execute("set memory_limit = $limit", {"limit": INGEST_MEMORY_LIMIT})
    run_query(con, "ingest_offset_minutes_macro")  # the timestamp SQL uses it
    reports: list[FileReport] = []
    try:
        _ingest_files(con, files, mappings, source, load, forced, keep_going, reports)
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
    forced: dict[str, object],
    keep_going: bool,
    reports: list[FileReport],
) -> None:
    """Check every file, then load the pending ones batch by batch, reports in file order."""
    slots: list[FileReport | PendingFile] = []
    done: dict[str, FileReport] = {}

    def fail(path: Path, exc: PulseError) -> FileReport:
        if not keep_going:
            handled = (done.get(str(s.path)) if isinstance(s, PendingFile) else s for s in slots)
            reports.extend(r for r in handled if r is not None)
            raise IngestError(str(exc), reports) from None
        return FileReport(file=str(path), source=source or "?", error=str(exc))

    for path in files:
        try:
            # An empty or UTF-16 file is refused (or its BOM honoured) before anything reads it.
            sniffed = check_text_file(path, detect_format(path), forced)
            mapping = mappings[source] if source else detect_mapping(con, path, mappings, sniffed)
            options = {**mapping.options, **forced}
            if "encoding" not in options and "encoding" in sniffed:
                options["encoding"] = sniffed["encoding"]
            slots.append(pending_file(con, path, mapping, options, load))
        except PulseError as exc:
            slots.append(fail(path, exc))
    pending = [item for item in slots if isinstance(item, PendingFile)]
    for batch in batches(pending):
        try:
            loaded = load_batch(con, batch, load)
        except PulseError as exc:
            if len(batch) == 1:
                done[str(batch[0].path)] = fail(batch[0].path, exc)
                continue
            loaded = []
            for item in batch:  # one by one, so the error names its file
                try:
                    loaded.extend(load_batch(con, [item], load))
                except PulseError as single:
                    done[str(item.path)] = fail(item.path, single)
        done.update((report.file, report) for report in loaded)
    reports.extend(
        done[str(item.path)] if isinstance(item, PendingFile) else item for item in slots
    )


def rejected(con: duckdb.DuckDBPyConnection, file: str | None = None) -> list[dict]:
    """Rows that did not load (file, line, reason, raw, status …), newest first."""
    return fetch_dicts(con, "rejected_rows_list", {"file": file or ""})
