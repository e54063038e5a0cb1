"""The week's change in texts and in negative texts, split by issue so the parts add up.

An executive who sees volume jump asks what drove it; week_change_by_issue.sql splits the
change so that the issues, plus the texts in no issue, add up to it exactly, and
`change_split` names the largest parts and sums the rest into "other".
"""

from __future__ import annotations

import duckdb

from pulse.db import fetch_dicts
from pulse.report.kpi_moves import UNASSIGNED_LABEL
from pulse.report.model import ChangePart, ChangeSplit, IssueChange
from pulse.run import RunContext

# The week's change is named by its largest issues; the rest is one "other" figure.
CHANGE_PARTS = 3


def week_changes(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, labels: dict[int, str]
) -> dict[str, ChangeSplit]:
    """The week's change against last week in texts and in negative texts, by issue.

    Args:
        con: the Pulse database, with the run's marts materialised.
        ctx: the run.
        labels: issue labels by topic_id (topic_labels.sql).

    Returns:
        {"texts": …, "negative_texts": …}, each split as `change_split` gives it.
    """
    rows = fetch_dicts(
        con,
        "week_change_by_issue",
        {"run_id": ctx.run_id, "week": str(ctx.week), "prev_week": str(ctx.week.shift(-1))},
    )
    return {
        "texts": change_split(rows, labels, "volume", "prev_volume", "volume_delta"),
        "negative_texts": change_split(
            rows, labels, "negative_count", "prev_negative_count", "negative_delta"
        ),
    }


def change_split(
    rows: list[dict],
    labels: dict[int, str],
    count_key: str,
    prev_key: str,
    delta_key: str,
    parts: int = CHANGE_PARTS,
) -> ChangeSplit:
    """Name the largest contributions to a change and sum the rest into "other".

    Largest by size whichever their sign, so a drop that offsets a spike is named too;
    the named parts plus other_delta always equal the total change.

    Args:
        rows: week_change_by_issue's rows; topic_id None is the texts in no issue.
        labels: issue labels by topic_id.
        count_key, prev_key, delta_key: the columns of one measure (texts or negative).
        parts: how many contributions to name.
    """
    by_issue = [
        IssueChange(
            topic_id=row["topic_id"],
            label=UNASSIGNED_LABEL
            if row["topic_id"] is None
            else labels.get(row["topic_id"], f"Topic {row['topic_id']}"),
            count=int(row[count_key]),
            prev_count=int(row[prev_key]),
            delta=int(row[delta_key]),
        )
        for row in rows
    ]
    by_issue.sort(key=lambda r: (-abs(r.delta), r.topic_id is None, r.topic_id or 0))
    moved = [r for r in by_issue if r.delta]
    delta = sum(r.delta for r in by_issue)
    named = moved[:parts]
    return ChangeSplit(
        total=sum(r.count for r in by_issue),
        prev_total=sum(r.prev_count for r in by_issue),
        delta=delta,
        parts=[ChangePart(r.topic_id, r.label, r.delta) for r in named],
        other_delta=delta - sum(r.delta for r in named),
        # what "other" holds: issues that moved, and whether the texts in no issue did
        other_count=sum(1 for r in moved[parts:] if r.topic_id is not None),
        other_has_unassigned=any(r.topic_id is None for r in moved[parts:]),
        by_issue=by_issue,
    )
