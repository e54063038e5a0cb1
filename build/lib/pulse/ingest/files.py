"""Export files: which paths to read, what they hold, and refusals before any byte is parsed.

Only regular files are read: a device, a FIFO or a socket would hang the reader or feed it
without end, so each is refused at once, by name. A file that cannot be read as it is
(empty, UTF-16 without a byte order mark, a header naming a column twice) is refused with
the fix, before DuckDB sees it and answers with a message about the wrong line.
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pulse.errors import PulseError
from pulse.ingest.mappings import Mapping

EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: Bytes read from a file's start to judge its encoding and header.
_HEAD_BYTES = 1 << 16
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _refuse_irregular(path: Path) -> None:
    """Refuse anything but a regular file (a link is judged by what it points to)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise PulseError(f"{path}: cannot read it ({exc.strerror}); check the path") from None
    if stat.S_ISREG(mode):
        return
    what = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
    raise PulseError(f"{path} is {what}, not a file; point at an export file")


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Turn files, folders and glob patterns into a sorted list of regular files.

    A folder contributes every file under it whose extension Pulse can read
    (optionally `.gz`); a pattern that matches nothing is an error, because a
    silent empty load looks like success. A named path, or an export-named entry of a
    folder or pattern, that is not a regular file is refused by name.
    """
    files: list[Path] = []
    for entry in paths:
        text = str(entry)
        if any(ch in text for ch in "*?["):
            matches = [
                Path(m)
                for m in sorted(glob.glob(text, recursive=True))
                if not Path(m).is_dir() or Path(m).is_symlink()
            ]
            if not matches:
                raise PulseError(f"no files match {text}; check the pattern")
            for match in matches:
                _refuse_irregular(match)
            files.extend(matches)
            continue
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if known_format(p) and not p.is_dir())
            if not found:
                raise PulseError(
                    f"{path} holds no CSV, JSON Lines, JSON or Parquet files; "
                    "point at the export files"
                )
            for match in found:
                _refuse_irregular(match)
            files.extend(found)
        elif path.exists() or path.is_symlink():
            _refuse_irregular(path)
            files.append(path)
        else:
            raise PulseError(f"{path} does not exist; check the path")
    unique: dict[str, Path] = {}
    for path in files:
        unique.setdefault(str(path.resolve()), path)
    return list(unique.values())


def suffixes(path: Path) -> tuple[str, bool]:
    """The format-giving extension (lower case) and whether the file is gzip-compressed."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    return Path(name).suffix, compressed


def known_format(path: Path) -> bool:
    """Whether the file's extension (after any `.gz`) names a format Pulse reads."""
    return suffixes(path)[0] in EXTENSION_FORMATS


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when it is `.gz`."""
    return gzip.open(path, "rb") if suffixes(path)[1] else open(path, "rb")


def read_head(path: Path, size: int = _HEAD_BYTES) -> bytes:
    """The first `size` bytes of the file's content (after gzip)."""
    try:
        with open_bytes(path) as handle:
            return handle.read(size)
    except (OSError, EOFError) as exc:
        raise PulseError(f"{path}: cannot read the file ({exc}); export it again") from None


def detect_format(path: Path, mapping: Mapping | None = None) -> str:
    """csv, jsonl, json or parquet: from the extension, else the mapping's format.

    A `.json` file holding one object per line is JSON Lines, so a `.json` file
    is peeked at: two complete JSON values on the first two lines mean lines.
    """
    suffix, _ = suffixes(path)
    file_format = EXTENSION_FORMATS.get(suffix)
    if file_format is None:
        # Only a file without any extension takes the mapping's word for its format;
        # an .xlsx or .zip named as a CSV source is still not a CSV.
        if not suffix and mapping is not None and mapping.format != "auto":
            return mapping.format
        raise PulseError(
            f"{path}: unknown format {suffix or '(no extension)'}; use .csv, .jsonl, .json "
            "or .parquet (optionally .gz), or give the source a format in its mapping"
        )
    if file_format == "json":
        lines = [line for line in read_head(path).splitlines() if line.strip()]
        if len(lines) >= 2 and lines[0].lstrip()[:1] == b"{" and lines[0].rstrip()[-1:] == b"}":
            try:
                json.loads(lines[0])
                return "jsonl"
            except ValueError:
                return "json"
    return file_format


def fingerprint(path: Path) -> str:
    """sha256 of the file's bytes: the same export under another name is the same file."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise PulseError(
            f"{path}: cannot read the file ({exc.strerror}); check permissions"
        ) from None
    return digest.hexdigest()


def check_text_file(path: Path, file_format: str, options: dict) -> dict:
    """Refuse an empty or undeclared-UTF-16 file; return the options with a BOM's encoding.

    A UTF-16 byte order mark names the encoding itself, so it is honoured without being
    declared. Text that is UTF-16 without one (every other byte NUL) would read as
    garbage column names, so it is refused with the option to set.
    """
    if file_format == "parquet":
        return options
    head = read_head(path, 4096)
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise PulseError(
            f"{path} is empty{' (0 bytes)' if not head else ''}: nothing to load; export it "
            "again, or move it out of the folder"
        )
    declared = str(options.get("encoding", "")).lower()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if declared and declared != "utf-16":
            raise PulseError(
                f"{path} starts with a UTF-16 byte order mark but the mapping says "
                f'encoding = "{declared}"; set encoding = "utf-16"'
            )
        return {**options, "encoding": "utf-16"}
    sample = head[:512]
    if declared != "utf-16" and len(sample) >= 4:
        odd_nuls = sample[1::2].count(0) / max(len(sample[1::2]), 1)
        even_nuls = sample[0::2].count(0) / max(len(sample[0::2]), 1)
        if max(odd_nuls, even_nuls) > 0.3:
            raise PulseError(
                f"{path} looks like UTF-16 text without a byte order mark; set "
                'encoding = "utf-16" in the mapping\'s [NAME.options] (or pass --encoding utf-16)'
            )
    return options


def check_csv_header(path: Path, options: dict) -> None:
    """Refuse a CSV whose header names a column twice (DuckDB would rename one silently)."""
    if options.get("header", True) is False:
        return
    encoding = str(options.get("encoding", "utf-8"))
    codec = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "utf-16": "utf-16"}.get(encoding, "utf-8")
    text = read_head(path).decode(codec, errors="replace")
    first = text.split("\n", 1)[0].rstrip("\r")
    delim = str(options.get("delim") or "")
    if not delim:
        counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
        delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    quote = str(options.get("quote", '"')) or '"'
    names = [name.strip() for name in next(csv.reader([first], delimiter=delim, quotechar=quote))]
    seen: dict[str, str] = {}
    repeated = []
    for name in names:
        key = name.lower()
        if key in seen and name:
            repeated.append(name if seen[key] == name else f"{seen[key]}/{name}")
        seen.setdefault(key, name)
    if repeated:
        raise PulseError(
            f"{path}: the header names column(s) {', '.join(sorted(set(repeated)))} more than "
            "once; rename them in the export so each column has its own name"
        )
