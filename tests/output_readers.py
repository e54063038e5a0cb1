"""Read a run's outputs back the way the rerun and recovery tests compare them."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pypdf import PdfReader


def pdf_text(path: Path) -> str:
    """The PDF's text without what differs between runs by design (run id, render time)."""
    text = "\n".join((page.extract_text() or "") for page in PdfReader(path).pages)
    text = text.replace("\x00", "")
    text = re.sub(r"\d{4}-W\d{2}-\d{8}T\d{6}-[0-9a-f]{6}", "<run>", text)
    return re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC)?", "<time>", text)


def ranked_rows(path: Path) -> list[dict]:
    """ranked_issues.csv with numbers to 9 significant digits.

    DuckDB sums doubles in parallel, so an average can differ in its last bit from
    one run to the next; ranks, labels and every shown figure are unaffected.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: _nine_digits(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _nine_digits(value: str) -> str:
    try:
        return f"{float(value):.9g}" if "." in value else value
    except ValueError:
        return value
