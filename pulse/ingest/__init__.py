"""Ingestion: export files in, `feedback` rows out, every row accounted for.

The CLI and the flow call these; see `pulse.ingest.load` for how a file is
loaded, `pulse.ingest.intake` for what a run loads, and `pulse/sources.toml`
for the ready-made source mappings.
"""

from pulse.ingest.clean import EMBED_MAX_CHARS, clean_text
from pulse.ingest.files import expand_paths
from pulse.ingest.intake import (
    DEMO_SOURCES,
    MostlyRejected,
    check_rejections,
    has_user_data,
    load_for_run,
    preflight,
    remove_sources,
    source_rows,
    specs_from_arguments,
)
from pulse.ingest.load import (
    FileReport,
    IngestError,
    format_report_table,
    ingest_demo,
    ingest_paths,
    rejected,
)
from pulse.ingest.mappings import Mapping, get_mapping, load_mappings

__all__ = [
    "DEMO_SOURCES",
    "EMBED_MAX_CHARS",
    "FileReport",
    "IngestError",
    "Mapping",
    "MostlyRejected",
    "check_rejections",
    "clean_text",
    "expand_paths",
    "format_report_table",
    "get_mapping",
    "has_user_data",
    "ingest_demo",
    "ingest_paths",
    "load_for_run",
    "load_mappings",
    "preflight",
    "rejected",
    "remove_sources",
    "source_rows",
    "specs_from_arguments",
]
