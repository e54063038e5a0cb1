"""Loading the demo into a database: the files written if missing, then read as any export.

The demo data is a fixture for a first look: a run loads it only into a database that
holds nothing else, or when asked for (`--demo`), because its texts would join every
report's counts and topics. `demo_fallback` is what the weekly run hands
`pulse.ingest.load_for_run` for the case where no sources are named.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from pulse.config import Settings, SourceSpec
from pulse.db import run_query
from pulse.demo.corpus import BRAND_HANDLES, DEMO_SOURCES
from pulse.demo.generate import ensure_demo
from pulse.errors import PulseError
from pulse.ingest import Fallback, FileReport, ingest_paths
from pulse.weeks import IsoWeek


def has_user_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database holds texts from any source other than the demo's."""
    return bool(
        run_query(con, "demo_has_user_data", {"demo_sources": list(DEMO_SOURCES)}).fetchone()[0]
    )


def ingest_demo(
    con: duckdb.DuckDBPyConnection, demo_dir: Path, **kwargs: Any
) -> list[FileReport]:
    """Load the demo generator's `tickets.csv` and `social.jsonl` from `demo_dir`.

    `kwargs` go to `pulse.ingest.ingest_paths`; the demo brand's handles stay visible in
    its quotes, besides any the caller names.
    """
    kwargs["brand_handles"] = (*(kwargs.get("brand_handles") or ()), *BRAND_HANDLES)
    demo_dir = Path(demo_dir)
    reports: list[FileReport] = []
    for name, source in zip(("tickets.csv", "social.jsonl"), DEMO_SOURCES, strict=True):
        path = demo_dir / name
        if not path.exists():
            raise PulseError(f"{path} is missing; run `pulse demo` to generate the demo data")
        reports.extend(ingest_paths(con, [path], source=source, **kwargs))
    return reports


def load_demo(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[FileReport]:
    """Write the demo files the settings ask for (when missing) and load them."""
    anchor = IsoWeek.parse(settings.demo_anchor) if settings.demo_anchor else None
    demo_dir = ensure_demo(settings.demo_dir, anchor=anchor, scale=settings.demo_scale)
    return ingest_demo(con, demo_dir, brand_handles=settings.brand_handles)


def demo_fallback(
    settings: Settings, specs: Sequence[SourceSpec] | None = None, requested: bool = False
) -> Fallback:
    """What a run loads when it names no sources: `pulse.ingest.load_for_run`'s `fallback`.

    The demo loads into a database with no user data, or when `requested` (`--demo`);
    into a database of user data nothing loads, and the report reads it as it is.

    Raises:
        PulseError: When the demo is requested and the run names sources, or pulse.toml
            declares some.
    """
    if requested and (specs or settings.sources):
        raise PulseError("--demo loads the demo data instead of sources; give one or the other")

    def fallback(con: duckdb.DuckDBPyConnection) -> list[FileReport]:
        if requested or not has_user_data(con):
            return load_demo(con, settings)
        return []

    return fallback
