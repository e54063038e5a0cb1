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
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pulse.db import fetch_dicts, run_query
from pulse.errors import PulseError
from pulse.ingest.clean import PLAIN_CHARSET, REJECTED_RAW_MAX_CHARS
from pulse.ingest.files import (
    check_csv_header,
    check_text_file,
    detect_format,
    expand_paths,
    fingerprint,
    read_head,
)
from pulse.ingest.mappings import Mapping, load_mappings
from pulse.ingest.project import build_input_view, check_required, detect_mapping
from pulse.ingest.reasons import MAX_ID_CHARS, MAX_MINUTES, MAX_REACH, ReasonCount, explain
from pulse.ingest.reports import FileReport, format_report_table
from pulse.ingest.scrub import clean_and_redact
from pulse.ingest.staging import (
    drop_temp,
    finish_pending,
    first_line,
    narrow_csv_raw_text,
    read_csv,
    read_json,
    read_parquet,
    stage,
    start_batch,
)
from pulse.ingest.times import MAX_OFFSET_MINUTES, OFFSET_MACROS
from pulse.redact import ANY_GATE

__all__ = ["FileReport", "IngestError", "LoadOptions", "format_report_table", "ingest_paths"]

#: How many kinds of rejection the summary of a mostly-rejected file shows.
REJECT_SUMMARY_REASONS = 5
#: A file this small may share a batch with others of its source and layout.
BATCH_FILE_BYTES = 1 << 20
#: At most this many files, and bytes, in one batch.
BATCH_MAX_FILES = 500
BATCH_MAX_BYTES = 64 << 20

#: DuckDB's memory limit while files load (pulse.db.MEMORY_LIMIT the rest of the time):
#: a million-row file's dedupe and write ran at half speed under 1 GB; this process
#: peaked at 2.8 GB with no limit at all (`python bench/ingest.py`).
INGEST_MEMORY_LIMIT = "3GB"

#: Good rows from which a file's write skips DuckDB's string compression (see below).
UNCOMPRESSED_MIN_ROWS = 100_000


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


@dataclass(frozen=True)
class _Pending:
    """A file to load: how it is read, and what `loaded_files` will remember it by."""

    path: Path
    mapping: Mapping
    options: dict
    file_format: str
    file_sha256: str
    key: str
    size: int

    def batch_shape(self) -> tuple | None:
        """Files of one shape may be read together; None: this one goes alone."""
        if (
            self.size > BATCH_FILE_BYTES
            or self.mapping.staging
            or self.file_format not in ("csv", "jsonl")
        ):
            return None
        head = read_head(self.path, 4096).split(b"\n", 1)[0] if self.file_format == "csv" else b""
        return (self.mapping.name, self.file_format, sorted(self.options.items()), head)


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


# ---------------------------------------------------------------------------- one batch


def _explain_rejections(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, load: LoadOptions
) -> None:
    """Give each rejected row of `ingest_rows` its full reason: the value, the fault, the fix.

    Only the distinct (kind, value) pairs reach Python: few, even when a wrong date
    format rejects a whole file.
    """
    finish_pending(con)
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


class _Laps:
    """Wall and CPU seconds per step of a batch: on a busy machine the CPU says where work is."""

    def __init__(self) -> None:
        self.started = self.clock = time.perf_counter()
        self.cpu_clock = time.process_time()
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, step: str) -> None:
        now_clock, now_cpu = time.perf_counter(), time.process_time()
        self.wall[step] = round(now_clock - self.clock, 4)
        self.cpu[step] = round(now_cpu - self.cpu_clock, 4)
        self.clock, self.cpu_clock = now_clock, now_cpu


def _stage_batch(
    con: duckdb.DuckDBPyConnection, batch: Sequence[_Pending], load: LoadOptions, laps: _Laps
) -> tuple[list[dict], dict[int, list[ReasonCount]], int]:
    """Steps 1-5 for one batch: its per-file counts, reject reasons, and records set aside."""
    first = batch[0]
    mapping, options, file_format = first.mapping, first.options, first.file_format
    files = [p.path for p in batch]
    start_batch(con, [(str(p.path), p.file_sha256, p.key) for p in batch])
    if file_format == "csv":
        columns = read_csv(con, files, options)
    elif file_format == "parquet":
        columns = read_parquet(con, first.path)
    else:
        columns = read_json(con, files, file_format, mapping.records, options)
    laps("read")
    is_json, is_csv = file_format in ("json", "jsonl"), file_format == "csv"
    check_required(con, first.path, mapping, columns, is_json, is_csv)
    build_input_view(con, first.path, mapping, columns, is_json, is_csv)
    set_aside = 0
    if mapping.staging:
        set_aside = con.execute(
            "select (select count(*) from ingest_file) - (select count(*) from ingest_input)"
        ).fetchone()[0]
    con.execute("set TimeZone = $zone", {"zone": mapping.timezone or load.timezone})
    stage(
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
    laps("map_and_check")
    clean_and_redact(con, mapping.kind == "ticket", load.brand_handles)
    laps("clean_and_redact")
    stage(con, "ingest_rows", "stg_ingest_rows", {"source": mapping.name})
    _explain_rejections(con, mapping, load)
    counts = fetch_dicts(con, "ingest_row_counts")
    if is_csv:
        stage(
            con,
            "ingest_physical_lines",
            "stg_ingest_csv_lines",
            {"header_lines": 1 if options.get("header", True) else 0},
        )
        narrow_csv_raw_text(con, columns)
    else:
        con.execute(
            "create temp table ingest_physical_lines "
            "(record_kind varchar, line bigint, physical_line bigint)"
        )
    for table in ("ingest_typed", "ingest_messy_cleaned", "ingest_redacted"):
        con.execute(f"drop table {table}")
    reasons: dict[int, list[ReasonCount]] = {}
    for file_no, kind, rows, line, example in run_query(
        con, "stg_ingest_reject_summary", {"top": REJECT_SUMMARY_REASONS}
    ).fetchall():
        reasons.setdefault(int(file_no), []).append(ReasonCount(kind, int(rows), line, example))
    laps("dedupe")
    return counts, reasons, int(set_aside)


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Sequence[_Pending],
    reports: list[FileReport],
    load: LoadOptions,
) -> None:
    """Step 6 in one transaction: rejects, the upsert, and a `loaded_files` row per file."""
    mapping = batch[0].mapping
    loaded = sum(r.rows_loaded for r in reports)
    all_new = sum(r.rows_new for r in reports) == loaded
    compression = _store_uncompressed(con, loaded)
    feedback_params = {"now": load.now, "feedback_type": mapping.feedback_type}
    con.execute("begin transaction")
    try:
        # The same bytes read again under a changed mapping: this reading's rejections
        # replace the last one's, so `pulse rejected` shows what is still wrong.
        run_query(con, "ingest_forget_rejected", {"source": mapping.name})
        run_query(
            con,
            "ingest_insert_rejected",
            {"source": mapping.name, "raw_max_chars": REJECTED_RAW_MAX_CHARS},
        )
        if not all_new:
            # Updates first: a row inserted now must not be compared with itself.
            run_query(con, "ingest_update_feedback", feedback_params)
        run_query(
            con,
            "ingest_insert_new_feedback" if all_new else "ingest_insert_feedback",
            {**feedback_params, "source": mapping.name, "kind": mapping.kind},
        )
        for pending, report in zip(batch, reports, strict=True):
            run_query(
                con,
                "ingest_record_file",
                {
                    "fingerprint": pending.key,
                    "file_sha256": pending.file_sha256,
                    "source": mapping.name,
                    "file": report.file,
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
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        _restore_compression(con, compression)


def _load_batch(
    con: duckdb.DuckDBPyConnection, batch: Sequence[_Pending], load: LoadOptions
) -> list[FileReport]:
    """Load one batch in one transaction; a PulseError leaves the database as it was."""
    laps = _Laps()
    try:
        counts, reasons, set_aside = _stage_batch(con, batch, load, laps)
        reports = []
        for number, pending in enumerate(batch):
            row = counts[number]
            report = FileReport(
                file=str(pending.path),
                source=pending.mapping.name,
                rows_in=int(row["rows_in"]),
                rows_loaded=int(row["rows_loaded"]),
                rows_rejected=int(row["rows_rejected"]),
                rows_duplicate=int(row["rows_duplicate"]),
                rows_filtered=set_aside if number == 0 else 0,
                rows_new=int(row["rows_new"]),
                rows_updated=int(row["rows_updated"]),
                reject_reasons=reasons.get(number, []),
            )
            if report.rows_in != report.rows_loaded + report.rows_rejected + report.rows_duplicate:
                raise PulseError(
                    f"{pending.path}: row counts do not add up ({report}); this is a Pulse bug"
                )
            reports.append(report)
        seconds = (time.perf_counter() - laps.started) / len(batch)
        for report in reports:
            report.seconds = seconds
        _write_batch(con, batch, reports, load)
        laps("write")
    except duckdb.Error as exc:
        raise PulseError(f"{batch[0].path}: could not be loaded ({first_line(exc)})") from None
    finally:
        drop_temp(con)
    seconds = (time.perf_counter() - laps.started) / len(batch)
    for report in reports:
        report.seconds = seconds
        report.stage_seconds = laps.wall
        report.stage_cpu_seconds = laps.cpu
    return reports


# ---------------------------------------------------------------------------- many files


def _pending(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping,
    options: dict,
    load: LoadOptions,
) -> _Pending | FileReport:
    """The file ready to load, or its report when the same reading was loaded before."""
    file_sha256 = fingerprint(path)
    key = load_key(file_sha256, mapping, load, options)
    prior = fetch_dicts(con, "ingest_loaded_file", {"fingerprint": key})
    if prior:
        # Skipped, but its earlier verdict stands: a file that lost most of its rows is not
        # made good by loading it again unchanged.
        earlier = prior[0]
        return FileReport(
            file=str(path),
            source=mapping.name,
            skipped=True,
            earlier_rows=(int(earlier["rows_in"] or 0), int(earlier["rows_rejected"] or 0)),
            reject_reasons=[
                ReasonCount(**reason) for reason in json.loads(earlier["reject_summary"] or "[]")
            ],
        )
    file_format = detect_format(path, mapping)
    options = check_text_file(path, file_format, options)
    if file_format == "csv":
        check_csv_header(path, options)
    return _Pending(path, mapping, options, file_format, file_sha256, key, path.stat().st_size)


def _batches(pending: Sequence[_Pending]) -> list[list[_Pending]]:
    """Runs of files of one shape, in load order, within the batch limits."""
    batches: list[list[_Pending]] = []
    shape_of_last = None
    for item in pending:
        shape = item.batch_shape()
        last = batches[-1] if batches else None
        if (
            last is not None
            and shape is not None
            and shape == shape_of_last
            and len(last) < BATCH_MAX_FILES
            and sum(p.size for p in last) + item.size <= BATCH_MAX_BYTES
        ):
            last.append(item)
        else:
            batches.append([item])
        shape_of_last = shape
    return batches


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
    for macro in OFFSET_MACROS:
        con.execute(macro)
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
    slots: list[FileReport | _Pending] = []
    done: dict[str, FileReport] = {}

    def fail(path: Path, exc: PulseError) -> FileReport:
        if not keep_going:
            handled = (done.get(str(s.path)) if isinstance(s, _Pending) else s for s in slots)
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
            slots.append(_pending(con, path, mapping, options, load))
        except PulseError as exc:
            slots.append(fail(path, exc))
    pending = [item for item in slots if isinstance(item, _Pending)]
    for batch in _batches(pending):
        try:
            loaded = _load_batch(con, batch, load)
        except PulseError as exc:
            if len(batch) == 1:
                done[str(batch[0].path)] = fail(batch[0].path, exc)
                continue
            loaded = []
            for item in batch:  # one by one, so the error names its file
                try:
                    loaded.extend(_load_batch(con, [item], load))
                except PulseError as single:
                    done[str(item.path)] = fail(item.path, single)
        done.update((report.file, report) for report in loaded)
    reports.extend(done[str(item.path)] if isinstance(item, _Pending) else item for item in slots)


def ingest_demo(con: duckdb.DuckDBPyConnection, demo_dir: Path, **kwargs) -> list[FileReport]:
    """Load the demo generator's `tickets.csv` and `social.jsonl` from `demo_dir`.

    The demo brand's handles stay visible in its quotes, besides any the caller names.
    """
    from pulse.demo import BRAND_HANDLES

    kwargs["brand_handles"] = (*(kwargs.get("brand_handles") or ()), *BRAND_HANDLES)
    demo_dir = Path(demo_dir)
    reports: list[FileReport] = []
    for name, source in (("tickets.csv", "demo_tickets"), ("social.jsonl", "demo_social")):
        path = demo_dir / name
        if not path.exists():
            raise PulseError(f"{path} is missing; run `pulse demo` to generate the demo data")
        reports.extend(ingest_paths(con, [path], source=source, **kwargs))
    return reports


def rejected(con: duckdb.DuckDBPyConnection, file: str | None = None) -> list[dict]:
    """Rows that did not load (file, line, reason, raw, status …), newest first."""
    return fetch_dicts(con, "rejected_rows_list", {"file": file or ""})
