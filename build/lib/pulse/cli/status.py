"""`pulse status`, `pulse restore` and `pulse config`: what the database and settings hold."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pulse.cli.ingest import mixed_demo_warning
from pulse.config import load_settings
from pulse.weeks import IsoWeek


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs and their outcome, row counts, and the newest week the data covers.

    Reads the live database when it is free; while a run holds it, reads the
    snapshot of the last successful run instead (and says so) rather than wait.
    """
    import duckdb

    from pulse.db import DatabaseBusy, connect, run_lock_holder, run_query, snapshot_path
    from pulse.ingest import source_rows

    settings = load_settings()
    db_path = settings.db_path
    if not db_path.exists():  # said, not raised: "nothing yet" is a status like any other
        print(f"no database yet at {db_path.absolute()}; make one with `pulse run`")
        return 0
    source = db_path
    try:
        con = connect(db_path, read_only=True, timeout=args.wait)
    except DatabaseBusy as busy:  # not a damaged file: that is no reason to show the snapshot
        snap = snapshot_path(db_path)
        if not snap.exists():
            holder = run_lock_holder(db_path)
            if holder:
                print(
                    f"a run is in progress (process {holder}) and is writing {db_path}; "
                    "its status shows here when it lets go (after a first successful run, "
                    "a snapshot is shown meanwhile)"
                )
                return 0
            raise busy from None
        source = snap
        con = duckdb.connect(str(snap), read_only=True)
    try:
        runs = run_query(con, "run_history", {"limit": args.limit}).fetchall()
        newest = run_query(con, "feedback_time_range").fetchone()[1:]
        sources = source_rows(con)
        tables = {
            name: con.execute(f"select count(*) from {name}").fetchone()[0]
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_name in "
                "('feedback', 'rejected_rows', 'embeddings', 'sentiment', 'topics', "
                "'doc_topics', 'ranked_issues') order by table_name"
            ).fetchall()
        }
    finally:
        con.close()
    if source != db_path:
        print(f"(a run is writing {db_path}; showing the snapshot {source})")
    holder = run_lock_holder(db_path)
    if holder:
        print(f"a run is in progress (process {holder})")
    print(f"{'week':<9} {'outcome':<8} {'started (UTC)':<19} {'seconds':>8} {'issues':>6}  run id")
    for run_id, week, outcome, started, finished, counts in runs:
        seconds = f"{(finished - started).total_seconds():.0f}" if finished and started else ""
        issues = json.loads(counts).get("ranked_issues", "") if counts else ""
        if outcome == "running" and not holder:
            outcome = "crashed"  # nothing holds the run lock: its process is gone
        print(
            f"{week:<9} {outcome:<8} {started:%Y-%m-%d %H:%M:%S} {seconds:>8} {issues!s:>6}  "
            f"{run_id}"
        )
    if not runs:
        print("no runs yet; start one with `pulse run`")
    print("rows: " + ", ".join(f"{name} {count}" for name, count in tables.items()))
    if sources:
        print("texts by source: " + ", ".join(f"{name} {count:,}" for name, count in sources))
    warning = mixed_demo_warning(dict(sources))
    if warning:
        print(warning)
    if newest[0]:
        latest = IsoWeek.of(newest[0].date())
        print(
            f"{newest[1]} texts loaded; newest text {newest[0]:%Y-%m-%d %H:%M} UTC "
            f"(newest week available: {latest})"
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put the snapshot of the last successful run back in place of a damaged database."""
    from pulse.db import connect, restore_snapshot, run_query, snapshot_path

    settings = load_settings()
    db_path = settings.db_path
    kept = restore_snapshot(db_path, settings.lock_timeout_seconds, force=args.force)
    with connect(db_path, read_only=True) as con:
        newest = run_query(con, "newest_ok_run").fetchone()
    print(f"restored {db_path} from {snapshot_path(db_path)}")
    if kept:
        print(f"the file it replaced is kept as {kept}")
    if newest:
        print(f"its newest run: week {newest[0]} ({newest[1]}); rerun later weeks with `pulse run`")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """The effective settings: pulse.toml, then PULSE_* environment overrides.

    Under "prefect", what Prefect itself reads in this process: the API and UI a run or
    `pulse trigger` talks to, and whether any of its telemetry is on (never, from Pulse).
    """
    settings = load_settings()
    path = Path(os.environ.get("PULSE_CONFIG", "pulse.toml"))
    origin = f"{path} + environment" if path.exists() else f"defaults + environment (no {path})"
    print(f"# effective settings ({origin})", file=sys.stderr)
    print(json.dumps({**settings.as_dict(), "prefect": prefect_settings()}, indent=2, default=str))
    return 0


def prefect_settings() -> dict:
    """Prefect's own view of the settings Pulse cares about, as Prefect's settings read them."""
    from prefect.analytics import is_telemetry_enabled
    from prefect.settings import get_current_settings

    prefect = get_current_settings()
    return {
        "api_url": prefect.api.url,
        "ui_url": prefect.ui_url,
        "server_analytics_enabled": prefect.server.analytics_enabled,
        "sdk_telemetry_enabled": is_telemetry_enabled(),
        "cloud_orchestration_telemetry": prefect.cloud.enable_orchestration_telemetry,
        "resource_metrics_enabled": prefect.telemetry.enable_resource_metrics,
    }

