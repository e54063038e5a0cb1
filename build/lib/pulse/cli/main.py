"""`pulse`: the analyst's and CX operations' command line; this module is its parser and
its last line of defence.

Each command is a function in a module of this package (`run`, `ingest`, `status`,
`schedule`, `topics`, `sql`) that calls the same `pulse.stages` and `pulse.run` functions as
the weekly flow. Exit codes: 0 ok; 1 the work failed (a run, a delivery, a database held
too long by another process); 2 bad usage or input (argparse's usage errors, and every
PulseError a user can fix: a bad week, file or setting). Errors print as one line without
a traceback; `--debug` shows it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pulse.cli.help import EPILOG, CommandGroupsFormatter
from pulse.cli.ingest import cmd_demo, cmd_ingest, cmd_rejected, cmd_sources
from pulse.cli.run import RunFailed, cmd_deliver, cmd_report, cmd_run, quiet_libraries
from pulse.cli.schedule import cmd_serve, cmd_trigger
from pulse.cli.sql import add_sql_parser
from pulse.cli.status import cmd_config, cmd_restore, cmd_status
from pulse.cli.topics import add_topics_parser
from pulse.config import load_settings
from pulse.errors import PulseError
from pulse.serve import REPORTS_PORT

WEEK_HELP = "ISO week like 2026-W46 (default: the last complete week)"
OUTPUT_DIR_HELP = "folder the week's folder of outputs is in (default: output_dir, outputs/)"


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
        prog="pulse",
        description="Pulse: the weekly voice-of-customer report, from support tickets and "
        "social posts to a ranked PDF for leadership.",
        epilog=EPILOG,
        formatter_class=CommandGroupsFormatter,
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        # The one line of the command list also heads the command's own --help.
        kwargs.setdefault("description", kwargs.get("help"))
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
    run.add_argument("--output-dir", type=Path, help=OUTPUT_DIR_HELP)
    run.add_argument(
        "--partial",
        action="store_true",
        help="report the current, unfinished week on the days so far (page one says so)",
    )
    run.set_defaults(func=cmd_run)

    report = command("report", help="re-render a week's report without re-clustering")
    report.add_argument("--week", help=WEEK_HELP)
    report.add_argument("--output-dir", type=Path, help=OUTPUT_DIR_HELP)
    report.set_defaults(func=cmd_report)

    demo = command("demo", help="write the deterministic demo data")
    demo.add_argument("--anchor", help="last week of the demo data (default: last complete week)")
    demo.add_argument(
        "--out", type=Path, help="folder for the demo's files (default: demo_dir, data/demo)"
    )
    demo.add_argument(
        "--scale", type=float, default=1.0, help="volume multiplier, e.g. 0.3 for a quick run"
    )
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
    sources_sub = sources.add_subparsers(
        dest="sources_command", title="commands", metavar="COMMAND"
    )
    sources.add_argument("--mappings", metavar="FILE", help="also list your own mappings file")
    remove_help = "delete a source's texts and what hangs off them (e.g. the demo's)"
    remove = sources_sub.add_parser("remove", help=remove_help, description=remove_help)
    remove.add_argument("names", nargs="+", metavar="NAME", help="source (mapping) names")
    sources.set_defaults(func=cmd_sources)

    rejected = command("rejected", help="list quarantined rows and why")
    rejected.add_argument("--file", help="only the rows of this file, named as the list shows it")
    rejected.set_defaults(func=cmd_rejected)

    status = command("status", help="last runs, their outcome, row counts, the newest week")
    status.add_argument("--limit", type=int, default=10, help="how many runs (default 10)")
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
    add_sql_parser(sub, common)

    serve = command("serve", help="run the weekly schedule from this process (flow.serve)")
    serve.add_argument(
        "--keep-schedule-active",
        action="store_true",
        help="leave the schedule active on the server when serving stops (default: pause it)",
    )
    serve.add_argument("--cron", help="override prefect.yaml's cron, e.g. '0 6 * * 1'")
    serve.add_argument("--timezone", help="override prefect.yaml's time zone")
    serve.add_argument("--week", help="pin the week every run reports (demos, tests)")
    serve.add_argument(
        "--reports-port",
        type=int,
        default=REPORTS_PORT,
        metavar="N",
        help=f"port of the read-only http route to the outputs folder that the runs' "
        f"artifacts link the PDFs to (default {REPORTS_PORT}; 0: any free port)",
    )
    serve.set_defaults(func=cmd_serve)

    trigger = command("trigger", help="queue an ad hoc run on a running `pulse serve`")
    trigger.add_argument("--week", help="ISO week like 2026-W40 (default: last complete week)")
    trigger.add_argument(
        "--rebuild-topics", action="store_true", help="re-cluster even if unchanged"
    )
    trigger.add_argument(
        "--source", dest="sources", action="append", metavar="PATH", help="an export to load"
    )
    trigger.add_argument("--mappings", metavar="FILE", help="your own mappings for --source")
    trigger.add_argument("--mapping", metavar="NAME", help="the mapping for --source")
    trigger.set_defaults(func=cmd_trigger)

    deliver = command("deliver", help="e-mail a week's finished report ([pulse.smtp])")
    deliver.add_argument("--week", help=WEEK_HELP)
    deliver.add_argument("--output-dir", type=Path, help=OUTPUT_DIR_HELP)
    deliver.set_defaults(func=cmd_deliver)

    config = command("config", help="the settings in effect (pulse.toml, PULSE_* overrides)")
    config_sub = config.add_subparsers(
        dest="config_command", required=True, title="commands", metavar="COMMAND"
    )
    show_help = "print the effective settings as JSON, with Prefect's API and telemetry"
    config_sub.add_parser("show", help=show_help, description=show_help)
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
    quiet_libraries(args)
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
