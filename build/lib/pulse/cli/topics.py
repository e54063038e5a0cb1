"""`pulse topics …`: CX operations' view of the topic registry and their edits to it.

Every edit goes into the taxonomy file (`topics/taxonomy.yaml`, or `$PULSE_TAXONOMY`)
rather than the database, so it is reviewable, versioned with the project and
re-applied after every re-clustering. Edits keep the file's comments: it is
edited by a YAML round-trip (ruamel.yaml), checked as a whole, and only then
written, so a bad edit leaves the file as it was. The file is first read as the
run reads it (`pulse.topics.taxonomy.parse_taxonomy`: size, encoding, no anchors), so the
editor never loads a file the run would refuse, and text given on the command
line is cleaned of control and bidi characters as the file's own text is.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

import duckdb

from pulse.config import load_settings
from pulse.db import run_query
from pulse.errors import PulseError
from pulse.topics.edits import (
    edit_taxonomy,
    record_action,
    split_examples,
    split_topic,
    undo_last,
)
from pulse.topics.history import history_text
from pulse.topics.taxonomy import taxonomy_path
from pulse.weeks import IsoWeek

QUOTE_CHARS = 100
_LIST_COLUMNS = (
    "topic_id", "label", "status", "merged_into", "keywords", "volume", "quote", "level",
    "parent_id",
)  # fmt: skip


# --- reading the registry ---------------------------------------------------------------


def _run_for(con: duckdb.DuckDBPyConnection, week: IsoWeek | None) -> tuple[str, IsoWeek] | None:
    """The run whose assignment a listing reads: the week's newest, else the newest overall."""
    if week is not None:
        from pulse.run import latest_run

        return latest_run(con, week), week
    row = run_query(con, "newest_ok_run").fetchone()
    return (row[1], IsoWeek.parse(row[0])) if row else None


def list_topics(
    con: duckdb.DuckDBPyConnection, week: IsoWeek | None = None, timezone: str = "UTC"
) -> list[dict[str, Any]]:
    """Every issue, each followed by its sub-themes, with texts in the week and a sample quote.

    Volume counts as the report does (topic_rollup): a merged topic's texts count under
    the topic it was merged into, so the merged topic itself shows none of its own, and
    an issue's texts are its sub-themes' texts.
    """
    chosen = _run_for(con, week)
    run_id, week = chosen if chosen else (None, week)
    start, end = week.bounds_utc(timezone) if week else (None, None)
    rows = [
        dict(zip(_LIST_COLUMNS, r, strict=True))
        for r in run_query(
            con, "cli_topic_list", {"run_id": run_id, "start": start, "end": end}
        ).fetchall()
    ]
    # issues by volume, each followed by its sub-themes; a sub-theme with no issue stands alone
    issues = {r["topic_id"] for r in rows if r["level"] == "issue"}
    children: dict[int, list[dict]] = {}
    for row in rows:
        if row["level"] == "theme" and row["parent_id"] in issues:
            children.setdefault(row["parent_id"], []).append(row)
    ordered: list[dict[str, Any]] = []
    for row in rows:
        if row["level"] == "issue" or row["parent_id"] not in issues:
            ordered.append(row)
            ordered.extend(children.get(row["topic_id"], []))
    return ordered


def show_topic(
    con: duckdb.DuckDBPyConnection, topic_id: int, timezone: str = "UTC", quotes: int = 3
) -> dict[str, Any]:
    """One topic: its registry row, weekly volume over the newest run's window, quotes."""
    row = run_query(con, "cli_topic_row", {"id": topic_id}).fetchone()
    if not row:
        raise PulseError(f"topic {topic_id} does not exist; see `pulse topics list`")
    keys = (
        "topic_id label auto_label status keywords first_seen_week last_seen_week "
        "merged_into owner notes"
    ).split()
    topic = dict(zip(keys, row, strict=True))
    chosen = _run_for(con, None)
    topic["weekly_volume"], topic["quotes"], topic["merged_from"] = [], [], []
    topic["sub_themes"] = []
    if not chosen:
        return topic
    run_id, _ = chosen
    merged_from, sub_themes = run_query(con, "cli_topic_relatives", {"id": topic_id}).fetchone()
    topic["merged_from"], topic["sub_themes"] = merged_from or [], sub_themes or []
    # the texts that count under it (an issue's: all its sub-themes'), as the report counts
    members = [
        r[0] for r in run_query(con, "cli_topic_members", {"id": topic_id}).fetchall()
    ] or [topic_id, *topic["merged_from"]]
    topic["weekly_volume"] = run_query(
        con, "cli_topic_weekly_volume", {"tz": timezone, "run_id": run_id, "members": members}
    ).fetchall()
    topic["quotes"] = run_query(
        con, "cli_topic_quotes", {"run_id": run_id, "members": members, "n": quotes}
    ).fetchall()
    return topic


def _short(text: str | None, limit: int = QUOTE_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_topic_list(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'id':>4}  {'status':<10} {'texts':>6}  label — keywords", ""]
    lines.pop()
    for row in rows:
        status = row["status"]
        if row["merged_into"] is not None:
            status = f"→ {row['merged_into']}"
        keywords = ", ".join((row["keywords"] or [])[:5])
        # a sub-theme sits indented under its issue
        nested = "  · " if row.get("level") == "theme" and row.get("parent_id") else ""
        lines.append(
            f"{row['topic_id']:>4}  {status:<10} {row['volume']:>6}  {nested}{row['label']}"
            f" — {keywords}"
        )
        if row["quote"]:
            lines.append(f"{'':>24}“{_short(row['quote'])}”")
    return "\n".join(lines)


def format_topic(topic: dict[str, Any]) -> str:
    lines = [
        f"#{topic['topic_id']} {topic['label']}  [{topic['status']}]",
        f"seen {topic['first_seen_week']} .. {topic['last_seen_week']}"
        + (
            f"; Pulse's own name: {topic['auto_label']}"
            if topic["auto_label"] != topic["label"]
            else ""
        ),
    ]
    if topic["merged_into"] is not None:
        lines.append(f"merged into topic {topic['merged_into']}")
    if topic["merged_from"]:
        lines.append("includes merged topics " + ", ".join(map(str, topic["merged_from"])))
    if topic.get("sub_themes"):
        lines.append("sub-themes: " + ", ".join(map(str, topic["sub_themes"])))
    if topic["owner"]:
        lines.append(f"owner: {topic['owner']}")
    if topic["notes"]:
        lines.append(f"notes: {topic['notes']}")
    lines.append("keywords: " + ", ".join(topic["keywords"] or []))
    if topic["weekly_volume"]:
        lines.append("weekly volume:")
        lines.extend(f"  {week}  {volume:>5}" for week, volume in topic["weekly_volume"])
    if topic.get("actions"):
        lines.append(f"actions, judged as of {topic['actions_week']}:")
        lines.extend(
            f"  {a['on']}  {a['action']}{' (' + a['owner'] + ')' if a['owner'] else ''}: "
            f"{a['verdict']}. {a['verdict_note']}"
            for a in topic["actions"]
        )
    if topic["quotes"]:
        lines.append("quotes:")
        lines.extend(f"  [{fid}] “{_short(text, 200)}”" for fid, text in topic["quotes"])
    return "\n".join(lines)


# --- the command line -------------------------------------------------------------------


def cmd_topics(args: argparse.Namespace) -> int:
    """Run one `pulse topics` command; edits need no database, listings do."""
    from pulse.db import connect, require_database

    settings = load_settings()
    path = taxonomy_path()
    command = args.topics_command
    if command in {"list", "show"}:
        with connect(require_database(settings.db_path)) as con:
            if command == "list":
                week = IsoWeek.parse(args.week) if args.week else None
                print(format_topic_list(list_topics(con, week, settings.timezone)))
            else:
                topic = show_topic(con, args.topic_id, settings.timezone)
                topic["actions_week"], topic["actions"] = _topic_verdicts(
                    con, settings, args.topic_id
                )
                print(format_topic(topic))
        return 0
    if command == "edit":
        from pulse.editor import serve_editor

        return serve_editor(args.host, args.port, args.token)
    if command in {"history", "undo"}:
        print(history_text(path, args.topic) if command == "history" else undo_last(path))
        return 0
    known, examples = None, []
    if command != "seed" and settings.db_path.exists():
        with connect(settings.db_path) as con:
            known = {r[0] for r in run_query(con, "cli_topic_ids").fetchall()}
            chosen = _run_for(con, None) if command == "split" else None
            if chosen and args.topic_id in known:
                examples = split_examples(con, chosen[0], args.topic_id, args.sub_theme, args.texts)
    if command in {"rename", "merge", "hide", "unhide", "unmerge", "owner", "notes"}:
        text = getattr(args, "text", None)
        summary = edit_taxonomy(
            path, command, args.topic_id, label=getattr(args, "name", None),
            into=getattr(args, "into_id", None), owner=text, notes=text, known_topics=known,
        )  # fmt: skip
    elif command == "split":
        summary = split_topic(path, args.topic_id, args.name, examples, args.owner, known)
    elif command == "action":
        summary = record_action(
            path, args.topic_id, args.text, args.on, owner=args.owner, known_topics=known
        )
    else:
        summary = edit_taxonomy(
            path, "seed", label=args.name, examples=args.examples, owner=args.owner
        )
    print(f"{summary} ({path})")
    if command in {"seed", "split"}:
        print("it is tracked from the next run: `pulse run --week W` (other topics keep their ids)")
    elif command == "action":
        print("every report from the action's week on shows its before/after verdict")
    else:
        print("reports show it from the next `pulse run` or `pulse report --week W`")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it year-month-day, like 2026-11-02"
        ) from None


def _topic_verdicts(
    con: duckdb.DuckDBPyConnection, settings, topic_id: int
) -> tuple[str | None, list[dict]]:
    """The newest run's week and the topic's actions with their verdicts as of that week."""
    from pulse.report.verdicts import action_verdicts
    from pulse.run import RunContext

    chosen = _run_for(con, None)
    if not chosen:
        return None, []
    ctx = RunContext(run_id=chosen[0], week=chosen[1], settings=settings)
    verdicts = action_verdicts(con, ctx)
    return str(chosen[1]), [a for a in verdicts if topic_id in (a["topic_id"], a["issue_id"])]


def add_topics_parser(subparsers) -> argparse.ArgumentParser:
    """Register `pulse topics …` (listings, edits, history, undo, the editor) on the CLI."""
    what = "the topic registry and CX ops' edits to it"
    topics = subparsers.add_parser("topics", help=what, description=what)
    sub = topics.add_subparsers(
        dest="topics_command", required=True, title="commands", metavar="COMMAND"
    )

    def command(name: str, what: str, topic: str | None = None) -> argparse.ArgumentParser:
        # `what` is the command list's line and the top of the command's own --help.
        parser = sub.add_parser(name, help=what, description=what)
        if topic:
            parser.add_argument("topic_id", type=int, metavar="ID", help=topic)
        return parser

    listing = command("list", "every topic: id, label, status, volume, a quote")
    listing.add_argument("--week", help="ISO week like 2026-W46 (default: newest run's week)")
    command("show", "one topic: keywords, quotes, weekly volume, actions", "the topic's id")
    rename = command("rename", "give a topic the name reports show", "the topic's id")
    rename.add_argument("name", help="the new name, e.g. \"Fake company pages\"")
    merge = command("merge", "count a topic under another, history included", "the topic's id")
    merge.add_argument("into_id", type=int, metavar="INTO_ID", help="the topic it counts under")
    command("hide", "leave a topic out of reports (praise, spam)", "the topic's id")
    seed = command("seed", "track a known issue from a few example phrases")
    seed.add_argument("name", help="what reports will call the new topic")
    seed.add_argument(
        "--example",
        dest="examples",
        action="append",
        required=True,
        help="a phrase customers use for it (repeat for several)",
    )
    seed.add_argument("--owner", help="who answers for it")
    command("unhide", "show a hidden topic in reports again", "the topic's id")
    command("unmerge", "count a merged topic on its own again", "the topic's id")
    for name, what in (("owner", "who answers for a topic"), ("notes", "a note on a topic")):
        field = command(name, f"set {what} (leave the text out to clear it)", "the topic's id")
        field.add_argument("text", nargs="?", default="", help=f"the {name}; none clears it")
    split = command(
        "split", "make a sub-theme, or picked texts, a seed of their own", "the topic's id"
    )
    split.add_argument("name", help="what reports will call the new topic")
    picked = split.add_mutually_exclusive_group(required=True)
    picked.add_argument("--sub-theme", type=int, help="a sub-theme of the topic (its id)")
    picked.add_argument("--text", dest="texts", action="append", help="a text's id (repeat)")
    split.add_argument("--owner", help="who answers for it")
    history = command("history", "every saved version of the taxonomy file")
    history.add_argument("--topic", type=int, help="only what changed about this topic")
    command("undo", "put the taxonomy file back as before its last change")
    edit = command("edit", "edit the taxonomy in a web page on this machine")
    edit.add_argument("--port", type=int, default=8765, help="the page's port (default 8765)")
    edit.add_argument("--host", default="127.0.0.1", help="another address needs --token")
    edit.add_argument("--token", help="the access token every request must carry")
    action = command("action", "record what was done about a topic, and when", "the topic's id")
    action.add_argument("text", help='what was done, e.g. "Undo for bulk invites shipped"')
    action.add_argument(
        "--on", type=_day, required=True, help="the day it took effect, e.g. 2026-11-02"
    )
    action.add_argument("--owner", help="who did it (default: the topic's owner)")
    topics.set_defaults(func=cmd_topics)
    return topics
