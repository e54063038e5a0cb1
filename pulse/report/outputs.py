"""The report's machine-readable files: ranked_issues.csv, summary.json and run.json.

Written from the same `Report` as the PDF, with figures formatted by `formatting`, so what
a chat bot posts from summary.json is what the PDF says.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pulse.report.formatting import (
    kpi_change_text,
    kpi_move_line,
    kpi_move_other,
    kpi_move_top,
    kpi_value_text,
    signed,
)
from pulse.report.model import Issue, KpiMove, KpiTile, Report, SinceLastWeek
from pulse.report.view import top_n
from pulse.report.wording import COMPONENT_ORDER

CSV_COLUMNS = (
    "rank", "prev_rank", "topic_id", "label", "volume", "prev_volume", "volume_change",
    "volume_delta", "negative_count", "negative_delta", "negative_share", "mean_csat",
    "csat_count", "mean_sentiment", "priority",
    *(f"component_{name}" for name in COMPONENT_ORDER),
    "is_new", "is_emerging", "is_improving",
    "negative_share_low", "negative_share_high", "csat_low", "csat_high",
    "baseline_volume", "p_value_up", "p_value_down", "keywords", "sub_themes", "why",
    "owner", "notes", "first_seen_week", "weeks_seen", "weeks_in_top", "weeks_without_owner",
)
# A spreadsheet treats a cell starting with one of these as a formula; labels and
# keywords come from customer text, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Every ranked issue in summary.json with its figures, components and (redacted) quotes.
_SUMMARY_ISSUE_KEYS = (
    "rank", "prev_rank", "topic_id", "label", "volume", "prev_volume",
    "volume_change", "volume_delta", "negative_count", "negative_delta",
    "week_share", "baseline_share", "sub_themes", "baseline_volume", "negative_share",
    "mean_csat", "csat_count",
    "mean_sentiment", "priority", "components", "weights", "is_new", "is_emerging",
    "is_improving", "history", "channel_mix", "tier_mix", "keywords", "quotes",
    "negative_share_low", "negative_share_high", "csat_low", "csat_high",
    "p_value_up", "p_value_down", "is_small_sample", "why", "summary",
    "owner", "notes", "first_seen_week", "weeks_seen", "weeks_in_top",
    "weeks_without_owner",
)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Sums in SQL can differ in the last bit between runs; nine significant
        # digits keep a rerun's CSV byte-identical and lose nothing an analyst uses.
        return f"{value:.9g}"
    return "" if value is None else value


def write_ranked_csv(issues: Sequence[Issue], path: Path) -> None:
    """One row per ranked issue, for analysts who want the numbers behind the PDF."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for issue in issues:
            row = {
                **{key: getattr(issue, key, None) for key in CSV_COLUMNS},
                **{f"component_{name}": issue.components.get(name) for name in COMPONENT_ORDER},
                "keywords": "; ".join(str(word) for word in issue.keywords),
                "sub_themes": "; ".join(
                    f"{theme.label}: {theme.volume} ({signed(theme.volume_delta)})"
                    for theme in issue.sub_themes
                ),
            }
            writer.writerow([_csv_cell(row[key]) for key in CSV_COLUMNS])


def _kpi_summary(tile: KpiTile) -> dict[str, Any]:
    return {
        **asdict(tile),
        "display": kpi_value_text(tile),
        "delta_display": kpi_change_text(tile),
    }


def _move_summary(move: KpiMove) -> dict[str, Any]:
    return {
        "key": move.key,
        "name": move.name,
        "total": move.total,
        "unit": move.unit,
        "value": move.value,
        "prev_value": move.prev_value,
        "contributions": [asdict(part) for part in move.contributions],
        "top": kpi_move_top(move),
        "other": kpi_move_other(move),
        "line": kpi_move_line(move),
    }


def _since_summary(since: SinceLastWeek | None) -> dict[str, Any]:
    if since is None:
        return {}
    left = []
    for issue in since.left:
        row = asdict(issue)
        if issue.change != "merged":
            del row["merged_into_label"]  # only a merged issue has a target
        left.append(row)
    return {
        "top": since.top,
        "entered": [asdict(issue) for issue in since.entered],
        "left": left,
        "movers": [asdict(mover) for mover in since.movers],
    }


def summary(report: Report, pages: int) -> dict[str, Any]:
    """A small machine-readable digest: what a chat bot or dashboard would post."""
    issues = [asdict(issue) for issue in report.issues]
    return {
        "week": report.week,
        "week_start": report.week_start,
        "week_end": report.week_end,
        "partial_days": report.partial_days,
        "data_ends": report.data_ends,
        "generated_at": report.generated_at,
        "run_id": report.run.get("run_id"),
        "pages": pages,
        "kpis": [_kpi_summary(tile) for tile in report.kpis],
        "issues": [{key: issue[key] for key in _SUMMARY_ISSUE_KEYS} for issue in issues],
        "issue_count": len(report.issues),
        "top_issues": top_n(report),
        "has_earlier_week": bool(report.has_earlier_week),
        # measures this week's sources do not have (no tile in the PDF)
        "kpis_absent": [asdict(absent) for absent in report.kpis_absent],
        # the week's change in texts and in negative texts, split by issue (adds up)
        "changes": {name: asdict(split) for name, split in report.changes.items()},
        # each KPI's change split by issue into mix and rate parts that add up
        "kpi_moves": {key: _move_summary(move) for key, move in report.kpi_moves.items()},
        # each recorded action with its before/after figures and verdict
        "actions": [asdict(action) for action in report.actions],
        "since_last_week": _since_summary(report.since_last_week),
        "unowned_persistent": [
            {"topic_id": i.topic_id, "label": i.label, "rank": i.rank,
             "weeks_in_top": i.weeks_in_top}
            for i in report.unowned_persistent
        ],
        "emerging": [issue.topic_id for issue in report.emerging],
        "improving": [issue.topic_id for issue in report.improving],
        "coverage": asdict(report.coverage),
    }


def dump_json(value: Any, path: Path) -> None:
    """Write `value` as sorted, indented UTF-8 JSON (unknown types as their text)."""
    path.write_text(
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
        encoding="utf-8",
    )
