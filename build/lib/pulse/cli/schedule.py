"""`pulse serve` and `pulse trigger`: the weekly schedule from this process, and ad hoc runs."""

from __future__ import annotations

import argparse
import os
import sys

from pulse.config import load_settings
from pulse.weeks import IsoWeek


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the weekly schedule (and ad hoc runs) until Ctrl-C or SIGTERM."""
    import signal

    from pulse.serve import serve_weekly

    load_settings()  # refuse to start on a bad pulse.toml, not at 06:00 on Monday
    # Flow runs are subprocesses that inherit this: their progress in the serve log,
    # without model-loading bars.
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING" if args.quiet else "INFO"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

    def terminate(signum, frame):  # SIGTERM (systemd, docker stop) ends like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)

    def ready(api_url: str, cron: str, timezone: str | None, reports_url: str) -> None:
        print(f"pulse serve: schedule {cron!r} ({timezone or 'UTC'}) against {api_url}")
        print(f"  Prefect UI: {api_url.removesuffix('/api')}; reports: {reports_url}")
        print(
            "  ad hoc run: `pulse trigger --week 2026-W40`; stop with Ctrl-C "
            + (
                "(the schedule stays active)"
                if args.keep_schedule_active
                else "(the schedule is paused on exit)"
            ),
            flush=True,
        )

    try:
        serve_weekly(
            keep_schedule_active=args.keep_schedule_active,
            cron=args.cron,
            timezone=args.timezone,
            week=args.week,
            on_ready=ready,
            reports_port=args.reports_port,
        )
    except KeyboardInterrupt:
        print("pulse serve: stopped", file=sys.stderr)
    return 0


def cmd_trigger(args: argparse.Namespace) -> int:
    """Queue an ad hoc run on the serving process (the `adhoc` deployment)."""
    from pulse.ingest import preflight, specs_from_arguments
    from pulse.serve import trigger_adhoc

    if args.week:
        IsoWeek.parse(args.week)  # a bad week is bad input here, not a failed run later
    preflight(specs_from_arguments(args.sources, args.mapping, args.mappings))
    name, url = trigger_adhoc(
        args.week,
        rebuild_topics=args.rebuild_topics,
        sources=args.sources,
        mappings=args.mappings,
        mapping=args.mapping,
    )
    print(trigger_message(name, url), flush=True)
    return 0


def trigger_message(name: str, url: str | None) -> str:
    """What `pulse trigger` prints: the run's name and where to watch it."""
    lines = [f"queued flow run {name}"]
    if url:
        lines.append(f"  in the Prefect UI: {url}")
    lines.append("  follow it with `pulse status`; its PDF's link is among the run's artifacts")
    return "\n".join(lines)

