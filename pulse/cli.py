"""`pulse`: the analyst's and CX operations' command line.

Errors a user can fix (PulseError) print as one line and exit 2; anything else
is a failure (exit 1) whose traceback `--debug` shows.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from pulse.config import REPO_ROOT, load_settings
from pulse.errors import PulseError
from pulse.weeks import IsoWeek, week_range


def _load_flow():
    """Import flows/weekly_report.py, which lives beside the package, not inside it."""
    path = REPO_ROOT / "flows" / "weekly_report.py"
    spec = importlib.util.spec_from_file_location("pulse_flows_weekly_report", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.weekly_report


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.from_week or args.to_week:
        if not (args.from_week and args.to_week):
            raise PulseError(
                "give both --from and --to for a backfill, e.g. --from 2026-W30 --to 2026-W46"
            )
        weeks = week_range(IsoWeek.parse(args.from_week), IsoWeek.parse(args.to_week))
    else:
        weeks = [IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete()]
    flow = _load_flow()
    pdf = None
    for week in weeks:
        started = time.perf_counter()
        if not args.quiet:
            print(f"Running week {week} …", flush=True)
        pdf = flow(
            week=str(week),
            sources=args.sources or None,
            rebuild_topics=args.rebuild_topics,
            output_dir=str(args.output_dir) if args.output_dir else None,
        )
        if not args.quiet:
            _print_timings(settings, week, time.perf_counter() - started)
    print(Path(pdf).resolve())
    return 0


def _print_timings(settings, week: IsoWeek, total: float) -> None:
    from pulse.db import connect

    with connect(settings.db_path) as con:
        row = con.execute(
            "select timings, row_counts from runs where week = $week and outcome = 'ok' "
            "order by finished_at desc limit 1",
            {"week": str(week)},
        ).fetchone()
    if not row:
        return
    timings = json.loads(row[0] or "{}")
    print(f"  {'stage':<10} {'seconds':>8}")
    for stage, seconds in timings.items():
        print(f"  {stage:<10} {seconds:>8.1f}")
    print(f"  {'total':<10} {total:>8.1f}")


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a week from its newest run: taxonomy edits apply, nothing is re-clustered."""
    from pulse import pipeline
    from pulse.db import connect
    from pulse.taxonomy import apply_taxonomy

    settings = load_settings()
    week = IsoWeek.parse(args.week) if args.week else IsoWeek.last_complete()
    with connect(settings.db_path) as con:
        run_id = pipeline.latest_run(con, week)
        apply_taxonomy(con)
        ctx = pipeline.RunContext(run_id=run_id, week=week, settings=settings)
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
    from pulse.db import connect
    from pulse.ingest import format_report_table, ingest_paths

    settings = load_settings()
    with connect(settings.db_path) as con:
        reports = ingest_paths(
            con, args.paths, source=args.source, brand_handles=settings.brand_handles
        )
    print(format_report_table(reports))
    return 2 if any(r.error for r in reports) else 0


def cmd_rejected(args: argparse.Namespace) -> int:
    from pulse.db import connect
    from pulse.ingest import rejected

    settings = load_settings()
    with connect(settings.db_path) as con:
        rows = rejected(con, args.file)
    for row in rows:
        print(f"{row['file']}:{row['line']}  {row['reason']}  {str(row.get('raw') or '')[:80]}")
    print(f"{len(rows)} rejected row(s)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pulse.db import connect

    settings = load_settings()
    if not settings.db_path.exists():
        print(f"no database yet at {settings.db_path}; run `pulse run` first")
        return 0
    with connect(settings.db_path) as con:
        runs = con.execute(
            """
            select run_id, week, outcome, started_at, finished_at, row_counts
            from runs order by started_at desc limit $n
            """,
            {"n": args.limit},
        ).fetchall()
        newest = con.execute("select max(created_at), count(*) from feedback").fetchone()
    print(f"{'week':<9} {'outcome':<8} {'started (UTC)':<20} {'seconds':>8}  run id")
    for run_id, week, outcome, started, finished, _counts in runs:
        seconds = f"{(finished - started).total_seconds():.0f}" if finished else ""
        print(f"{week:<9} {outcome:<8} {started:%Y-%m-%d %H:%M:%S}  {seconds:>8}  {run_id}")
    if newest[0]:
        latest = IsoWeek.of(newest[0].date())
        print(
            f"{newest[1]} texts loaded; newest text {newest[0]:%Y-%m-%d %H:%M} UTC (week {latest})"
        )
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from pulse.db import connect

    settings = load_settings()
    with connect(settings.db_path) as con:
        if args.topics_command == "show":
            row = con.execute(
                "select topic_id, label, status, keywords, first_seen_week, last_seen_week "
                "from topics where topic_id = $id",
                {"id": args.topic_id},
            ).fetchone()
            if not row:
                raise PulseError(f"topic {args.topic_id} does not exist; see `pulse topics list`")
            print(f"#{row[0]} {row[1]} [{row[2]}] seen {row[4]} .. {row[5]}")
            print("keywords:", ", ".join(row[3] or []))
            return 0
        rows = con.execute(
            """
            select t.topic_id, t.label, t.status, t.keywords, count(d.feedback_id)
            from topics as t
            left join doc_topics as d
                on d.topic_id = t.topic_id
                and d.run_id = (select run_id from runs where outcome = 'ok'
                                order by finished_at desc limit 1)
            group by all
            order by t.topic_id
            """
        ).fetchall()
    print(f"{'id':>4}  {'status':<8} {'texts':>6}  label — keywords")
    for topic_id, label, status, keywords, volume in rows:
        print(
            f"{topic_id:>4}  {status:<8} {volume:>6}  {label} — {', '.join((keywords or [])[:5])}"
        )
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    print(json.dumps(load_settings().as_dict(), indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulse", description="Pulse weekly voice-of-customer report"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the weekly flow for a week or a range of weeks")
    run.add_argument("--week", help="ISO week like 2026-W46 (default: last complete week)")
    run.add_argument("--from", dest="from_week", help="first week of a backfill")
    run.add_argument("--to", dest="to_week", help="last week of a backfill")
    run.add_argument("--source", dest="sources", action="append", help="file, folder or glob")
    run.add_argument("--rebuild-topics", action="store_true", help="re-cluster even if unchanged")
    run.add_argument("--output-dir", type=Path)
    run.add_argument("--quiet", action="store_true", help="print only the PDF path (for cron)")
    run.set_defaults(func=cmd_run)

    report = sub.add_parser("report", help="re-render a week's report without re-clustering")
    report.add_argument("--week")
    report.add_argument("--output-dir", type=Path)
    report.set_defaults(func=cmd_report)

    demo = sub.add_parser("demo", help="write the deterministic demo data")
    demo.add_argument("--anchor", help="last week of the demo data (default: last complete week)")
    demo.add_argument("--out", type=Path)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.set_defaults(func=cmd_demo)

    ingest = sub.add_parser("ingest", help="load source files into the database")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--source", help="mapping name (default: guessed from the file)")
    ingest.set_defaults(func=cmd_ingest)

    rejected = sub.add_parser("rejected", help="list quarantined rows and why")
    rejected.add_argument("--file")
    rejected.set_defaults(func=cmd_rejected)

    status = sub.add_parser("status", help="last runs, their outcome, the newest data")
    status.add_argument("--limit", type=int, default=10)
    status.set_defaults(func=cmd_status)

    topics = sub.add_parser("topics", help="the topic registry")
    topics_sub = topics.add_subparsers(dest="topics_command", required=True)
    topics_sub.add_parser("list", help="every topic with its status and size")
    show = topics_sub.add_parser("show", help="one topic")
    show.add_argument("topic_id", type=int)
    topics.set_defaults(func=cmd_topics)

    config = sub.add_parser("config", help="configuration")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_sub.add_parser("show", help="print the effective settings")
    config.set_defaults(func=cmd_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except PulseError as exc:
        if args.debug:
            raise
        print(f"pulse: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pulse: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug:
            raise
        print(
            f"pulse: failed: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
