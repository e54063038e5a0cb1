"""Which files a load reads, how it remembers them, and which of them are read together.

A file whose reading (its bytes, its mapping, its options) was loaded before is skipped
with its earlier verdict; small files of one source and one layout share a batch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb

from pulse.db import fetch_dicts
from pulse.ingest.files import (
    check_csv_header,
    check_text_file,
    detect_format,
    fingerprint,
    read_head,
)
from pulse.ingest.mappings import Mapping
from pulse.ingest.reasons import ReasonCount
from pulse.ingest.reports import FileReport

#: A file this small may share a batch with others of its source and layout.
BATCH_FILE_BYTES = 1 << 20
#: At most this many files, and bytes, in one batch.
BATCH_MAX_FILES = 500
BATCH_MAX_BYTES = 64 << 20


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


@dataclass(frozen=True)
class PendingFile:
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


def pending_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping,
    options: dict,
    load: LoadOptions,
) -> PendingFile | FileReport:
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
    return PendingFile(path, mapping, options, file_format, file_sha256, key, path.stat().st_size)


def batches(pending: Sequence[PendingFile]) -> list[list[PendingFile]]:
    """Runs of files of one shape, in load order, within the batch limits."""
    batches: list[list[PendingFile]] = []
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
