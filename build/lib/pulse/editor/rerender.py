"""The editor's "re-render this week": exactly what `pulse report --week W` does.

The same function as the CLI's `pulse report` (`pulse.stages.rerender_week`): the week's
newest ok run, the taxonomy applied to the registry, the metrics and the ranking
recomputed, the report rendered. Nothing is re-clustered. It is a write, so unlike the
pages it takes the run lock and the database for the few seconds it needs, and waits at
most a few seconds for a run that holds them rather than hang the page.
"""

from __future__ import annotations

from pathlib import Path

from pulse.weeks import IsoWeek

WAIT_SECONDS = 5.0


def rerender_week(settings, week: IsoWeek, taxonomy: Path) -> Path:
    """Re-render `week` with the taxonomy file as it stands; the new PDF's path."""
    from pulse.db import connect, require_database, run_lock
    from pulse.stages import rerender_week as rerender

    require_database(settings.db_path)  # a re-render never makes an empty database
    wait = min(settings.lock_timeout_seconds, WAIT_SECONDS)
    with run_lock(settings.db_path, wait), connect(settings.db_path, timeout=wait) as con:
        paths = rerender(con, settings, week, Path(settings.output_dir), taxonomy)
    return Path(paths["pdf"])


def report_pdf(settings, week: IsoWeek) -> Path | None:
    """The week's rendered PDF, if there is one (the only file the editor serves)."""
    path = Path(settings.output_dir) / str(week) / "report.pdf"
    return path if path.is_file() else None
