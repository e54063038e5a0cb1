"""Loading one batch: steps 1-6 of `pulse.ingest.load`, in one transaction.

Steps 1-5 stage the batch in temporary tables (read, map, type and check, clean and
redact, decide each row's fate); step 6 writes rejects, upserts the good rows and
records the files. A PulseError leaves the database as it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict

import duckdb
import pyarrow as pa

from pulse.db import fetch_dicts, run_query
from pulse.errors import PulseError
from pulse.ingest.clean import PLAIN_CHARSET, REJECTED_RAW_MAX_CHARS
from pulse.ingest.language import CHUNK_TEXTS, detect_languages, warm_detector
from pulse.ingest.mappings import Mapping
from pulse.ingest.plan import LoadOptions, PendingFile
from pulse.ingest.project import build_input_view, check_required
from pulse.ingest.reasons import MAX_ID_CHARS, MAX_MINUTES, MAX_REACH, ReasonCount, explain
from pulse.ingest.reports import FileReport
from pulse.ingest.scrub import clean_and_redact, table_from_arrow
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
from pulse.ingest.times import MAX_OFFSET_MINUTES
from pulse.redact import ANY_GATE
from pulse.workers import map_chunks, start_in_worker

#: How many kinds of rejection the summary of a mostly-rejected file shows.
REJECT_SUMMARY_REASONS = 5
#: Good rows from which a file's write skips DuckDB's string compression (see below).
UNCOMPRESSED_MIN_ROWS = 100_000


def _explain_rejections(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, load: LoadOptions
) -> None:
    """Give each rejected row of `ingest_rows` its full reason: the value, the fault, the fix.

    Only the distinct (kind, value) pairs reach Python: few, even when a wrong date
    format rejects a whole file.
    """
    finish_pending(con)
    pairs = run_query(con, "ingest_reject_kinds").fetchall()
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
        run_query(con, "ingest_set_reasons")
    finally:
        con.unregister("ingest_reasons")


def _detect_languages(con: duckdb.DuckDBPyConnection) -> None:
    """`ingest_languages` (line, language): each loading row's language from its redacted text.

    A large batch's chunks are shared with the worker process (idle since redaction), which
    started loading the model when the batch's row counts were known.
    """
    finish_pending(con)
    texts = run_query(con, "ingest_language_texts").to_arrow_table()
    parts = map_chunks(
        detect_languages, (texts.column("text_redacted").to_pylist(),), chunk_size=CHUNK_TEXTS
    )
    languages = pa.array([code for part in parts for code in part], pa.string())
    table = pa.table({"line": texts.column("line"), "language": languages})
    table_from_arrow(con, "ingest_languages", table)


def _store_uncompressed(con: duckdb.DuckDBPyConnection, rows: int) -> str | None:
    """Write a large file's rows without compression; return the setting to restore.

    DuckDB analyses and compresses every string column it writes (DICT_FSST), and for
    `feedback`'s two text columns and its sha256 hashes that is most of a large load's
    write; the price of skipping it is disk (docs/TUNING.md, "Ingest"). Small files, the
    usual weekly case, keep the compact default; the setting is global to the database,
    so it is put back as soon as the file is written.
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
    con: duckdb.DuckDBPyConnection, batch: Sequence[PendingFile], load: LoadOptions, laps: _Laps
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
    # The zone of times without an offset, set before the views that parse them: DuckDB 1.5
    # binds a relation's timestamptz casts to the zone in force when the view is made.
    con.execute("set TimeZone = $zone", {"zone": mapping.timezone or load.timezone})
    build_input_view(con, first.path, mapping, columns, is_json, is_csv)
    set_aside = 0
    if mapping.staging:
        set_aside = run_query(con, "ingest_set_aside_count").fetchone()[0]
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
    if sum(int(row["rows_loaded"]) for row in counts) >= 2 * CHUNK_TEXTS:
        start_in_worker(warm_detector)  # its share of _detect_languages needs the model
    if is_csv:
        stage(
            con,
            "ingest_physical_lines",
            "stg_ingest_csv_lines",
            {"header_lines": 1 if options.get("header", True) else 0},
        )
        narrow_csv_raw_text(con, columns)
    else:
        run_query(con, "ingest_no_physical_lines")
    for table in ("ingest_typed", "ingest_messy_cleaned", "ingest_redacted"):
        con.execute(f"drop table {table}")
    reasons: dict[int, list[ReasonCount]] = {}
    for file_no, kind, rows, line, example in run_query(
        con, "stg_ingest_reject_summary", {"top": REJECT_SUMMARY_REASONS}
    ).fetchall():
        reasons.setdefault(int(file_no), []).append(ReasonCount(kind, int(rows), line, example))
    laps("dedupe")
    _detect_languages(con)
    laps("language")
    return counts, reasons, int(set_aside)


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Sequence[PendingFile],
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


def load_batch(
    con: duckdb.DuckDBPyConnection, batch: Sequence[PendingFile], load: LoadOptions
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
