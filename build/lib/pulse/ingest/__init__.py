"""Ingestion: export files in, `feedback` rows out, every row accounted for.

The CLI and the flow call these; see `pulse.ingest.load` for how a file is
loaded, `pulse.ingest.intake` for what a run loads, and `pulse/sources.toml`
for the ready-made source mappings (`pulse.ingest.mappings` reads them).
"""

from pulse.ingest.clean import EMBED_MAX_CHARS, clean_text
from pulse.ingest.files import expand_paths
from pulse.ingest.intake import (
    Fallback,
    MostlyRejected,
    check_rejections,
    load_for_run,
    preflight,
    remove_sources,
    source_rows,
    specs_from_arguments,
)
from pulse.ingest.language import detect_languages
from pulse.ingest.language_backfill import fill_missing_languages
from pulse.ingest.load import IngestError, ingest_paths, rejected
from pulse.ingest.mappings import Mapping, get_mapping, load_mappings
from pulse.ingest.reports import FileReport, format_report_table

__all__ = [
    "EMBED_MAX_CHARS",
    "Fallback",
    "FileReport",
    "IngestError",
    "Mapping",
    "MostlyRejected",
    "check_rejections",
    "clean_text",
    "detect_languages",
    "expand_paths",
    "fill_missing_languages",
    "format_report_table",
    "get_mapping",
    "ingest_paths",
    "load_for_run",
    "load_mappings",
    "preflight",
    "rejected",
    "remove_sources",
    "source_rows",
    "specs_from_arguments",
]
