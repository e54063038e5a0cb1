"""`pulse`: the analyst's and CX operations' command line.

Exit codes: 0 ok; 1 the work failed (a run, a delivery, a database held too
long by another process); 2 bad usage or input (argparse's usage errors, and
every PulseError a user can fix: a bad week, file or setting). Errors print as
one line without a traceback; `--debug` shows it.
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

from pulse.cli_topics import add_topics_parser
from pulse.config import REPO_ROOT, load_settings
from pulse.errors import PulseError
from pulse.run import latest_run, rerun_context
from pulse.weeks import IsoWeek, week_range


class RunFailed(Exception):
    """The work itself failed (exit 1), as opposed to bad input (exit 2)."""


def _load_flow_module():
    """Import flows/weekly_report.py, which lives beside the package, not inside it."""
    path = REPO_ROOT / "flows" / "weekly_report.py"
    spec = importlib.util.spec_from_file_location("pulse_flows_weekly_report", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_flow():
    return _load_flow_module().weekly_report


class _CliReporter:
    """Stage names and embedding progress on stderr; a live bar only on a terminal."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.embed_progress_bar = self.tty and not quiet
        self.index = 0

    def stage(self, name: str) -> None:
        self.index += 1
        if not self.quiet:
            print(f"  [{self.index}/6] {name} …", file=sys.stderr, flush=True)

    def embed_batch(self, done: int, total: int) -> None:
        if not self.quiet and not self.tty:
            print(f"        embedded {done}/{total} new texts", file=sys.stderr, flush=True)


def _quiet_libraries(args: argparse.Namespace) -> None:
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
    module = _load_flow_module()
    module.reporter = _CliReporter(args.quiet)
    _quiet_libraries(args)
    pdf = None
    for week in weeks:
        started = time.perf_counter()
        if not args.quiet:
            print(f"Running week {week} …", file=sys.stderr, flush=True)
        module.reporter.index = 0
        try:
            pdf = module.weekly_report(
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
            module.release_frames(exc)
            raise
        except Exception as exc:
            module.release_frames(exc)
            raise RunFailed(f"week {week} failed: {type(exc).__name__}: {exc}") from exc
        if not args.quiet:
            _print_timings(settings, week, time.perf_counter() - started)
        print(Path(pdf).resolve(), flush=True)
    return 0


def _print_timings(settings, week: IsoWeek, total: float) -> None:
    from pulse.db import connect

    with connect(settings.db_path, read_only=True) as con:
        row = con.execute(
            "select timings, row_counts from runs where week = $week and outcome = 'ok' "
            "order by finished_at desc limit 1",
            {"week": str(week)},
        ).fetchone()
    if not row:
        return
    timings = json.loads(row[0] or "{}")
    print(f"  {'stage':<10} {'seconds':>8}", file=sys.stderr)
    for stage, seconds in timings.items():
        print(f"  {stage:<10} {seconds:>8.1f}", file=sys.stderr)
    print(f"  {'total':<10} {total:>8.1f}", file=sys.stderr, flush=True)


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a week from its newest run: taxonomy edits apply, nothing is re-clustered."""
    from pulse import pipeline
    from pulse.db import connect, require_database, run_lock
    from pulse.taxonomy import apply_taxonomy

    settings = load_settings()
    week = IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete()
    require_database(settings.db_path)  # a re-render never makes an empty database
    lock = run_lock(settings.db_path, settings.lock_timeout_seconds)
    with lock, connect(settings.db_path) as con:
        run_id = latest_run(con, week)
        apply_taxonomy(con)
        ctx = rerun_context(con, run_id, week, settings)
        pipeline.stage_metrics(con, ctx)
        paths = pipeline.stage_report(con, ctx, Path(args.output_dir or settings.output_dir))
    print(Path(paths["pdf"]).resolve())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pulse.demo import generate_demo

    settings = load_settings()
    out = Path(args.out or settings.demo_dir)
    anchor = IsoWeek.parse(args.anchor) if args.anchor else None
    truth = generate_demo(out, anchor=anchor, scale=args.scale)
    print(f"wrote demo data for {truth['weeks'][0]} .. {truth['anchor_week']} to {out}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Load files; exit 1 when a file lost more than max_rejected_share of its rows."""
    from pulse.db import connect, run_lock
    from pulse.ingest import IngestError, check_rejections, format_report_table, ingest_paths

    settings = load_settings()
    with run_lock(settings.db_path, settings.lock_timeout_seconds):
        with connect(settings.db_path) as con:
            try:
                reports = ingest_paths(
                    con,
                    args.paths,
                    source=args.mapping,
                    mappings_file=Path(args.mappings) if args.mappings else None,
                    brand_handles=settings.brand_handles,
                    timezone=settings.timezone,
                    max_text_chars=settings.max_text_chars,
                    encoding=args.encoding,
                    delimiter=args.delimiter,
                )
            except IngestError as exc:
                if exc.reports and not args.quiet:
                    print(format_report_table(exc.reports, settings.max_rejected_share))
                raise
    if not args.quiet:
        print(format_report_table(reports, settings.max_rejected_share))
    check_rejections(reports, settings.max_rejected_share)
    return 0


def cmd_rejected(args: argparse.Namespace) -> int:
    """Every row that did not load (rejected or duplicate), with file, line and reason."""
    from pulse.db import connect, require_database
    from pulse.ingest import rejected

    settings = load_settings()
    with connect(require_database(settings.db_path)) as con:
        rows = rejected(con, args.file)
    kinds = {"rejected": 0, "duplicate": 0}
    for row in rows:
        status = row.get("status") or "rejected"
        kinds[status] = kinds.get(status, 0) + 1
        label = "" if status == "rejected" else f"[{status}] "
        raw = str(row.get("raw") or "").replace("\n", " ")[:80]
        print(f"{row['file']}:{row['line']}  {label}{row['reason']}  {raw}")
    print(f"{kinds['rejected']} rejected row(s), {kinds['duplicate']} duplicate(s)")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    """The mappings there are, the sources in the database, and removing a source's rows."""
    from pulse.db import connect, require_database, run_lock
    from pulse.ingest import load_mappings, remove_sources

    settings = load_settings()
    if args.sources_command == "remove":
        require_database(settings.db_path)
        with run_lock(settings.db_path, settings.lock_timeout_seconds):
            with connect(settings.db_path) as con:
                removed = remove_sources(con, args.names)
        print(
            f"removed {', '.join(args.names)}: "
            + ", ".join(f"{count:,} {table}" for table, count in removed.items())
        )
        print("the next `pulse run` clusters and reports without them")
        return 0
    mappings = load_mappings(Path(args.mappings) if args.mappings else None)
    loaded = dict(_source_rows(settings.db_path))
    print(f"{'mapping':<16} {'kind':<7} {'format':<8} {'texts loaded':>12}  from")
    for name, mapping in sorted(mappings.items()):
        origin = "built in" if mapping.origin.endswith("sources.toml") else mapping.origin
        count = loaded.get(name, 0)
        print(f"{name:<16} {mapping.kind:<7} {mapping.format:<8} {count:>12,}  {origin}")
    for name in sorted(set(loaded) - set(mappings)):
        print(f"{name:<16} {'':<7} {'':<8} {loaded[name]:>12,}  (a mappings file not given here)")
    for spec in settings.sources:
        print(f"pulse.toml source: {spec.path} (mapping {spec.mapping or 'by columns'})")
    warning = _mixed_demo_warning(loaded)
    if warning:
        print(warning)
    return 0


def _source_rows(db_path: Path) -> list[tuple[str, int]]:
    """The database's sources and their text counts; none when there is no database yet."""
    from pulse.db import connect
    from pulse.ingest import source_rows

    if not db_path.exists():
        return []
    with connect(db_path, read_only=True) as con:
        return source_rows(con)


def _mixed_demo_warning(loaded: dict[str, int]) -> str | None:
    """A line for a database that holds the demo data beside a user's own sources."""
    from pulse.demo import DEMO_SOURCES

    demo = [name for name in DEMO_SOURCES if name in loaded]
    if not demo or len(loaded) == len(demo):
        return None
    return (
        f"this database mixes the demo data ({', '.join(demo)}) with your own sources; "
        f"every report counts both. Remove the demo with `pulse sources remove {' '.join(demo)}`"
    )


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs and their outcome, row counts, and the newest week the data covers.

    Reads the live database when it is free; while a run holds it, reads the
    snapshot of the last successful run instead (and says so) rather than wait.
    """
    import duckdb

    from pulse.db import DatabaseBusy, connect, snapshot_path

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
            holder = _run_lock_holder(db_path)
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
        runs = con.execute(
            """
            select run_id, week, outcome, started_at, finished_at, row_counts
            from runs order by started_at desc limit $n
            """,
            {"n": args.limit},
        ).fetchall()
        newest = con.execute("select max(created_at), count(*) from feedback").fetchone()
        sources = con.execute(
            "select source, count(*) from feedback group by source order by source"
        ).fetchall()
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
    holder = _run_lock_holder(db_path)
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
    warning = _mixed_demo_warning(dict(sources))
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
    from pulse.db import connect, restore_snapshot, snapshot_path

    settings = load_settings()
    db_path = settings.db_path
    kept = restore_snapshot(db_path, settings.lock_timeout_seconds, force=args.force)
    with connect(db_path, read_only=True) as con:
        newest = con.execute(
            "select week, run_id from runs where outcome = 'ok' order by finished_at desc limit 1"
        ).fetchone()
    print(f"restored {db_path} from {snapshot_path(db_path)}")
    if kept:
        print(f"the file it replaced is kept as {kept}")
    if newest:
        print(f"its newest run: week {newest[0]} ({newest[1]}); rerun later weeks with `pulse run`")
    return 0


def _run_lock_holder(db_path: Path) -> str | None:
    """The PID of a run holding the run lock right now, if any."""
    import fcntl

    path = Path(f"{db_path}.run.lock")
    if not path.exists():
        return None
    with path.open("r") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
    return None


def cmd_config(args: argparse.Namespace) -> int:
    """The effective settings: pulse.toml, then PULSE_* environment overrides."""
    settings = load_settings()
    path = Path(os.environ.get("PULSE_CONFIG", "pulse.toml"))
    origin = f"{path} + environment" if path.exists() else f"defaults + environment (no {path})"
    print(f"# effective settings ({origin})", file=sys.stderr)
    print(json.dumps(settings.as_dict(), indent=2, default=str))
    return 0


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

    def ready(api_url: str, cron: str, timezone: str | None) -> None:
        print(f"pulse serve: schedule {cron!r} ({timezone or 'UTC'}) against {api_url}")
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
    name = trigger_adhoc(
        args.week,
        rebuild_topics=args.rebuild_topics,
        sources=args.sources,
        mappings=args.mappings,
        mapping=args.mapping,
    )
    print(f"queued flow run {name}; follow it with `pulse status`")
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    """E-mail a week's finished report again (for a failed or a new delivery)."""
    from pulse.delivery import record_delivery, send_report

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


def build_parser() -> argparse.ArgumentParser:
    # --debug and --quiet work before or after the command (`pulse --quiet run`,
    # `pulse run --quiet`); SUPPRESS keeps a subcommand from resetting the other.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks and logs"
    )
    common.add_argument(
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print only results and errors (for cron)",
    )
    parser = argparse.ArgumentParser(
        prog="pulse", description="Pulse weekly voice-of-customer report", parents=[common]
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    run = command("run", help="run the weekly flow for a week or a range of weeks")
    run.add_argument("--week", help="ISO week like 2026-W46 (default: last complete week)")
    run.add_argument("--from", dest="from_week", help="first week of a backfill")
    run.add_argument("--to", dest="to_week", help="last week of a backfill")
    run.add_argument(
        "--source",
        dest="sources",
        action="append",
        metavar="PATH",
        help="an export to load first: file, folder or glob (repeat for more); default the "
        "[[pulse.sources]] of pulse.toml, else the demo data into an empty database",
    )
    run.add_argument(
        "--mappings",
        metavar="FILE",
        help="TOML file of your own mappings for the --source files (see pulse/sources.toml)",
    )
    run.add_argument(
        "--mapping",
        metavar="NAME",
        help="the mapping that reads the --source files (default: the one whose columns fit)",
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="load the demo data even though the database holds other sources",
    )
    run.add_argument("--rebuild-topics", action="store_true", help="re-cluster even if unchanged")
    run.add_argument("--output-dir", type=Path)
    run.add_argument(
        "--partial",
        action="store_true",
        help="report the current, unfinished week on the days so far (page one says so)",
    )
    run.set_defaults(func=cmd_run)

    report = command("report", help="re-render a week's report without re-clustering")
    report.add_argument("--week")
    report.add_argument("--output-dir", type=Path)
    report.set_defaults(func=cmd_report)

    demo = command("demo", help="write the deterministic demo data")
    demo.add_argument("--anchor", help="last week of the demo data (default: last complete week)")
    demo.add_argument("--out", type=Path)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.set_defaults(func=cmd_demo)

    ingest = command("ingest", help="load source files into the database")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="file, folder or glob")
    ingest.add_argument(
        "--mapping",
        "--source",
        dest="mapping",
        metavar="NAME",
        help="the mapping that reads the files (default: the one whose columns fit)",
    )
    ingest.add_argument(
        "--mappings",
        metavar="FILE",
        help="TOML file of your own source mappings, same shape as pulse/sources.toml "
        "(they join the ready-made ones; one with the same name replaces it)",
    )
    ingest.add_argument("--encoding", help="utf-8 (default), latin-1 or utf-16")
    ingest.add_argument("--delimiter", help="CSV delimiter when it should not be guessed")
    ingest.set_defaults(func=cmd_ingest)

    sources = command("sources", help="the mappings, the sources loaded, removing a source")
    sources_sub = sources.add_subparsers(dest="sources_command")
    sources.add_argument("--mappings", metavar="FILE", help="also list your own mappings file")
    remove = sources_sub.add_parser(
        "remove", help="delete a source's texts and what hangs off them (e.g. the demo's)"
    )
    remove.add_argument("names", nargs="+", metavar="NAME", help="source (mapping) names")
    sources.set_defaults(func=cmd_sources)

    rejected = command("rejected", help="list quarantined rows and why")
    rejected.add_argument("--file")
    rejected.set_defaults(func=cmd_rejected)

    status = command("status", help="last runs, their outcome, row counts, the newest week")
    status.add_argument("--limit", type=int, default=10)
    status.add_argument(
        "--wait",
        type=float,
        default=2.0,
        help="seconds to wait for a busy database before reading the snapshot (default 2)",
    )
    status.set_defaults(func=cmd_status)

    restore = command("restore", help="replace a damaged database by the last run's snapshot")
    restore.add_argument(
        "--force", action="store_true", help="restore even though the database reads whole"
    )
    restore.set_defaults(func=cmd_restore)

    add_topics_parser(sub)

    serve = command("serve", help="run the weekly schedule from this process (flow.serve)")
    serve.add_argument(
        "--keep-schedule-active",
        action="store_true",
        help="leave the schedule active on the server when serving stops (default: pause it)",
    )
    serve.add_argument("--cron", help="override prefect.yaml's cron, e.g. '0 6 * * 1'")
    serve.add_argument("--timezone", help="override prefect.yaml's time zone")
    serve.add_argument("--week", help="pin the week every run reports (demos, tests)")
    serve.set_defaults(func=cmd_serve)

    trigger = command("trigger", help="queue an ad hoc run on a running `pulse serve`")
    trigger.add_argument("--week", help="ISO week like 2026-W40 (default: last complete week)")
    trigger.add_argument("--rebuild-topics", action="store_true")
    trigger.add_argument(
        "--source", dest="sources", action="append", metavar="PATH", help="an export to load"
    )
    trigger.add_argument("--mappings", metavar="FILE", help="your own mappings for --source")
    trigger.add_argument("--mapping", metavar="NAME", help="the mapping for --source")
    trigger.set_defaults(func=cmd_trigger)

    deliver = command("deliver", help="e-mail a week's finished report ([pulse.smtp])")
    deliver.add_argument("--week")
    deliver.add_argument("--output-dir", type=Path)
    deliver.set_defaults(func=cmd_deliver)

    config = command("config", help="configuration")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_sub.add_parser("show", help="print the effective settings")
    config.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; whatever goes wrong ends as one line on stderr, never a traceback.

    `--debug` re-raises instead. A reader that stops reading (`pulse rejected | head -1`)
    ends the command quietly, with exit code 1 as Python's own tools do.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.debug = getattr(args, "debug", False)
    args.quiet = getattr(args, "quiet", False)
    _quiet_libraries(args)
    _warn_unknown_environment()
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        print("pulse: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug and not _closed_pipe(exc):
            raise
        return _report_error(exc, args)


def _warn_unknown_environment() -> None:
    from pulse.config import unknown_environment

    for warning in unknown_environment():
        print(f"pulse: warning: {warning}", file=sys.stderr)


def _report_error(exc: Exception, args: argparse.Namespace) -> int:
    """Print `exc` as one line on stderr; return its exit code (1 failure, 2 bad input).

    A full disk or a damaged database deep in a library's exception becomes the
    PulseError that names the file and the fix (`pulse.db.explain`).
    """
    if _closed_pipe(exc):
        _discard_stdout()
        return 1
    explained = _explain(exc, args)
    if explained is not None:
        exc = explained
    if isinstance(exc, PulseError):
        message, code = str(exc), 1 if _is_failure(exc) else 2
    elif isinstance(exc, RunFailed):
        message, code = f"{exc} (rerun with --debug for details)", 1
    else:
        message = f"failed: {type(exc).__name__}: {exc} (rerun with --debug for details)"
        code = 1
    try:
        print("pulse: " + " ".join(message.split()), file=sys.stderr)
    except OSError:
        pass  # stderr itself is gone; the exit code still tells
    return code


def _explain(exc: Exception, args: argparse.Namespace) -> PulseError | None:
    from pulse.db import explain

    try:
        settings = load_settings()
    except PulseError:
        return explain(exc, None, getattr(args, "output_dir", None))
    output_dir = Path(getattr(args, "output_dir", None) or settings.output_dir)
    return explain(exc, settings.db_path, output_dir)


def _closed_pipe(exc: BaseException) -> bool:
    from pulse.errors import chain

    return any(isinstance(link, BrokenPipeError) for link in chain(exc))


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush into the closed pipe is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # not a real file (a test's captured stdout): nothing is flushed at exit


def _is_failure(exc: PulseError) -> bool:
    """A busy database, an unreachable server or a full disk is a failed attempt, not bad input."""
    from pulse.db import DatabaseBusy
    from pulse.errors import DiskFull
    from pulse.ingest import MostlyRejected
    from pulse.serve import ServerUnavailable

    return isinstance(exc, DatabaseBusy | ServerUnavailable | MostlyRejected | DiskFull)


if __name__ == "__main__":
    sys.exit(main())
