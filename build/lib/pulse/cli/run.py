"""`pulse run`, `pulse report` and `pulse deliver`: a week's run, its re-render, its e-mail.

`pulse run` runs the Prefect flow (flows/weekly_report.py, loaded from its file as Prefect
loads it) and hears its progress through `pulse.run.use_reporter`; `pulse report` calls
the stage the flow's render step calls (`pulse.stages.rerender_week`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from pulse.cli.progress import CliReporter
from pulse.config import REPO_ROOT, Settings, load_settings
from pulse.errors import PulseError
from pulse.run import release_frames, use_reporter
from pulse.weeks import IsoWeek, week_range

FLOW_FILE = REPO_ROOT / "flows" / "weekly_report.py"


class RunFailed(Exception):
    """The work itself failed (exit 1), as opposed to bad input (exit 2)."""


def load_flow_module() -> ModuleType:
    """Import flows/weekly_report.py, which lives beside the package, not inside it."""
    spec = importlib.util.spec_from_file_location("pulse_flows_weekly_report", FLOW_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_flow() -> Any:
    """The weekly flow (a Prefect `Flow`): call it with the flow's parameters to run a week."""
    return load_flow_module().weekly_report


def quiet_libraries(args: argparse.Namespace) -> None:
    """Keep library chatter (Prefect's log lines, model-loading bars) off a cron mail.

    The CLI reports errors itself, as one line; `--debug` restores everything.
    """
    if args.debug:
        return
    # Read by transformers when it is first imported (by the embedding stage, later).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.CRITICAL + 1)


def cmd_run(args: argparse.Namespace) -> int:
    """One week, or a backfill of weeks in order; stops at the first week that fails."""
    settings = load_settings()
    if args.from_week or args.to_week:
        if not (args.from_week and args.to_week):
            raise PulseError(
                "give both --from and --to for a backfill, e.g. --from 2026-W30 --to 2026-W46"
            )
        if args.week:
            raise PulseError("give either --week or --from/--to, not both")
        weeks = week_range(IsoWeek.parse(args.from_week), IsoWeek.parse(args.to_week))
    else:
        weeks = [IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete()]
    from pulse import weeks as calendar_weeks
    from pulse.ingest import preflight, specs_from_arguments
    from pulse.run import check_week_started

    # An unfinished week is refused in a second, before Prefect starts.
    today = calendar_weeks.today_in(settings.timezone)
    if args.partial and len(weeks) > 1:
        raise PulseError("--partial reports the current week only; give --week, not --from/--to")
    for week in weeks:
        check_week_started(week, today, args.partial)

    # Every named path and mapping is checked now, not half a minute into the run.
    specs = specs_from_arguments(args.sources, args.mapping, args.mappings)
    if specs and args.demo:
        raise PulseError("--demo loads the demo data instead of --source; give one or the other")
    preflight(specs or settings.sources)
    weekly_report = load_flow()
    quiet_libraries(args)  # again: loading the flow imported Prefect, which adds handlers
    with CliReporter(args.quiet, weeks=len(weeks)) as reporter, use_reporter(reporter):
        for week in weeks:
            started = time.perf_counter()
            reporter.start_week(week)
            pdf = Path(_run_week(weekly_report, week, args)).resolve()
            seconds = time.perf_counter() - started
            reporter.finish_week(week, pdf, seconds)
            if not args.quiet:
                _print_timings(settings, week, seconds)
            print(pdf, flush=True)
    return 0


def _run_week(weekly_report: Any, week: IsoWeek, args: argparse.Namespace) -> str:
    """One week through the flow; its PDF's path. A failure that is not bad input is RunFailed."""
    try:
        return weekly_report(
            week=str(week),
            sources=args.sources or None,
            mappings=args.mappings,
            mapping=args.mapping,
            demo=args.demo,
            rebuild_topics=args.rebuild_topics,
            output_dir=str(args.output_dir) if args.output_dir else None,
            partial=args.partial,
        )
    except PulseError as exc:
        release_frames(exc)
        raise
    except Exception as exc:
        release_frames(exc)
        raise RunFailed(f"week {week} failed: {type(exc).__name__}: {exc}") from exc


def _print_timings(settings: Settings, week: IsoWeek, total: float) -> None:
    from pulse.db import connect, run_query

    with connect(settings.db_path, read_only=True) as con:
        row = run_query(con, "latest_ok_run", {"week": str(week)}).fetchone()
    if not row:
        return
    timings = json.loads(row[1] or "{}")
    print(f"  {'stage':<10} {'seconds':>8}", file=sys.stderr)
    for stage, seconds in timings.items():
        print(f"  {stage:<10} {seconds:>8.1f}", file=sys.stderr)
    print(f"  {'total':<10} {total:>8.1f}", file=sys.stderr, flush=True)


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a week from its newest run: taxonomy edits apply, nothing is re-clustered."""
    from pulse.db import connect, require_database, run_lock
    from pulse.stages import rerender_week

    settings = load_settings()
    week = IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete()
    require_database(settings.db_path)  # a re-render never makes an empty database
    lock = run_lock(settings.db_path, settings.lock_timeout_seconds)
    with lock, connect(settings.db_path) as con:
        paths = rerender_week(con, settings, week, Path(args.output_dir or settings.output_dir))
    print(Path(paths["pdf"]).resolve())
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    """E-mail a week's finished report again (for a failed or a new delivery)."""
    from pulse.publish.delivery import record_delivery, send_report

    settings = load_settings()
    if not settings.smtp.enabled:
        raise PulseError("e-mail delivery is off; set [pulse.smtp] enabled = true in pulse.toml")
    week = IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete()
    folder = Path(args.output_dir or settings.output_dir) / str(week)
    pdf = folder / "report.pdf"
    if not pdf.exists():
        raise PulseError(f"{pdf} does not exist; run `pulse run --week {week}` first")
    outcome = send_report(settings.smtp, str(week), pdf)
    record_delivery(folder / "run.json", outcome)
    if outcome["status"] != "sent":
        raise RunFailed(f"the report was not e-mailed: {outcome.get('error') or outcome}")
    if not args.quiet:
        print(f"e-mailed {pdf} to {', '.join(outcome['recipients'])}")
    return 0
