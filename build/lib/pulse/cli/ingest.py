"""`pulse demo`, `pulse ingest`, `pulse rejected` and `pulse sources`: the data going in."""

from __future__ import annotations

import argparse
from pathlib import Path

from pulse.config import load_settings
from pulse.weeks import IsoWeek


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
    warning = mixed_demo_warning(loaded)
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


def mixed_demo_warning(loaded: dict[str, int]) -> str | None:
    """A line for a database that holds the demo data beside a user's own sources."""
    from pulse.demo import DEMO_SOURCES

    demo = [name for name in DEMO_SOURCES if name in loaded]
    if not demo or len(loaded) == len(demo):
        return None
    return (
        f"this database mixes the demo data ({', '.join(demo)}) with your own sources; "
        f"every report counts both. Remove the demo with `pulse sources remove {' '.join(demo)}`"
    )

