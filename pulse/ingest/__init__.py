"""Ingestion: export files in, `feedback` rows out, every row accounted for.

The CLI and the flow call these; see `pulse.ingest.load` for how a file is
loaded and `pulse/sources.toml` for the ready-made source mappings.
"""

from pulse.ingest.clean import EMBED_MAX_CHARS, clean_text
from pulse.ingest.load import (
    FileReport,
    IngestError,
    expand_paths,
    format_report_table,
    ingest_demo,
    ingest_paths,
    rejected,
)
from pulse.ingest.mappings import Mapping, get_mapping, load_mappings

__all__ = [
    "EMBED_MAX_CHARS",
    "FileReport",
    "IngestError",
    "Mapping",
    "clean_text",
    "expand_paths",
    "format_report_table",
    "get_mapping",
    "ingest_demo",
    "ingest_paths",
    "load_mappings",
    "rejected",
]
