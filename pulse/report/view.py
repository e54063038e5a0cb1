"""What the templates need from a `Report`: judgements, phrases and charts, per section.

Kept apart from the templates so every decision the report prints (better or worse, which
rank to name, which parts to list) is made (and testable) in Python; the templates lay it
out and write its figures through `formatting`'s filters.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pulse.errors import PulseError
from pulse.report.charts import issue_trend, sparkline
from pulse.report.formatting import date_range, format_timestamp, kpi_change_is_zero, number
from pulse.report.formatting import week_labels as chart_week_labels
from pulse.report.languages import language_line
from pulse.report.model import ChangeSplit, DataWeeks, Issue, KpiTile, Report, SubTheme
from pulse.report.wording import (
    COMPONENT_LABELS,
    COMPONENT_ORDER,
    absent_note,
    age_text,
    change_text,
    counts_note,
    kpi_basis,
    no_comparison,
    priority_parts,
    rank_change,
    since_phrases,
    unowned_text,
    verdict_counts,
)
from pulse.topics.languages import ENGLISH, language_code, language_name
from pulse.weeks import IsoWeek

PAGE_SIZES = ("A4", "Letter")
DEFAULT_DETAIL_ISSUES = 5
DEFAULT_TOP_ISSUES = 15
#: A quote longer than this is cut at a word and ends with "…", so an issue fits a page.
QUOTE_MAX_CHARS = 320
QUOTES_SHOWN = 3


def top_n(report: Report) -> int:
    """How many issues the report ranks (settings.top_issues)."""
    return int(report.top_issues) if report.top_issues else DEFAULT_TOP_ISSUES


def kpi_direction(tile: KpiTile, whole_week: bool = True) -> dict[str, str]:
    """A tile's direction (arrow + word) and judgement (better/worse), as page one prints them.

    Direction and judgement are separate on purpose: a fall in first-response time
    is good news, and a grayscale print must still say so in words. A share whose
    count moved the other way (a smaller share negative of a much larger week, so more
    negative texts) gets no judgement and shows both counts: "better" would mislead.
    Nor does the volume of a week the run or the data cut short (`whole_week` False): it
    is part of a week against a whole one; shares and averages still compare. The e-mail
    (`pulse.publish`) words its KPIs from this too.
    """
    delta = number(tile.delta)
    if delta is None:
        arrow, direction, judgement = "", "flat", "neutral"
    elif kpi_change_is_zero(tile):
        # A change that rounds to zero at the precision shown ("-0.0") is no change:
        # calling it "worse" would send a reader after noise.
        arrow, direction, judgement = "►", "no change", "neutral"
    else:
        rising = delta > 0
        arrow, direction = ("▲", "up") if rising else ("▼", "down")
        if tile.better in ("up", "down"):
            judgement = "better" if (tile.better == "up") == rising else "worse"
        else:
            judgement = "neutral"
    note, note_judgement = counts_note(tile, direction)
    if note or (not whole_week and tile.key == "volume"):
        judgement = "neutral"
    return {
        "arrow": arrow,
        "direction": direction,
        "judgement": judgement,
        "counts_note": note,
        "counts_judgement": note_judgement,
    }


def whole_week(partial_days: str | None, data_ends: str | None) -> bool:
    """Whether a report covers its whole week: neither the run (a partial week's days) nor
    the data (the day it ends) cut it short. Page one and the e-mail judge by this."""
    return not (partial_days or data_ends)


def _kpi_view(
    tile: KpiTile, index: int, has_earlier_week: bool, whole_week: bool = True
) -> dict[str, Any]:
    """A KPI tile with its direction, judgement, small print and sparkline."""
    return {
        "tile": tile,
        "key": tile.key,
        "label": tile.label,
        **kpi_direction(tile, whole_week),
        "no_comparison": no_comparison(tile, has_earlier_week),
        "basis": kpi_basis(tile),
        "sparkline": sparkline(
            list(tile.history), from_zero=tile.key == "volume", width_in=2.2, height_in=0.32,
            chart_id=f"kpi-{index}",
        ),
    }


def _bar_width(fraction: float) -> float:
    """A CSS width in percent, clamped so a bad number cannot draw past its cell."""
    return round(min(max(fraction, 0.0), 1.0) * 100, 2)


def _contributions(issue: Issue) -> list[dict[str, Any]]:
    """Each component's share of the priority, for the stacked bar and the table."""
    total_weight = sum(
        number(issue.weights.get(name)) or 0.0 for name in COMPONENT_ORDER
    ) or 1.0
    rows = []
    for name in COMPONENT_ORDER:
        score = number(issue.components.get(name))
        weight = number(issue.weights.get(name))
        contribution = (score or 0.0) * (weight or 0.0) / total_weight
        rows.append({
            "key": name,
            "label": COMPONENT_LABELS[name],
            "score": score,
            "weight": weight,
            "contribution": contribution,
            "width_pct": _bar_width(contribution),
        })
    return rows


def _mix_rows(mix: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for name, share in mix.items():
        known = number(share)
        if known is None:
            continue
        rows.append({"name": str(name), "share": known, "width_pct": _bar_width(known)})
    rows.sort(key=lambda row: (-row["share"], row["name"]))
    return rows


def _split_view(split: ChangeSplit | None, noun: str) -> dict[str, Any] | None:
    """A change split by issue as parts the template lists, or None when there is none."""
    if split is None or number(split.prev_total) in (None, 0.0):
        return None
    parts = [{"label": part.label, "delta": part.delta, "note": ""} for part in split.parts]
    others = split.other_count
    if others or split.other_has_unassigned:
        held = [f"{others} {'issue' if others == 1 else 'issues'}"] if others else []
        if split.other_has_unassigned:
            held.append("texts in no issue")
        parts.append({"label": "other", "delta": split.other_delta,
                      "note": f"({' and '.join(held)})"})
    return {
        "noun": noun,
        "delta": split.delta,
        "total": split.total,
        "prev_total": split.prev_total,
        "parts": parts,
    }


def _sub_theme_rows(themes: list[SubTheme], index: int, keep: int) -> list[dict[str, Any]]:
    """An issue's sub-themes for its page, only when it has more than one."""
    if len(themes) < 2:
        return []
    return [
        {
            "label": theme.label,
            "volume": theme.volume,
            "volume_delta": theme.volume_delta,
            "sparkline": sparkline(
                list(theme.history)[-keep:], from_zero=True, width_in=1.1,
                height_in=0.22, chart_id=f"sub-{index}-{position}",
            ),
        }
        for position, theme in enumerate(themes)
    ]


def _short(text: str, limit: int) -> str:
    """`text` cut at the last word break before `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + " …"


def _language_shown(code: str | None) -> str | None:
    """A quote's language as its attribution says it ("German"); nothing for English."""
    code = language_code(code)
    return None if code in (None, ENGLISH) else language_name(code)


def _fields(record: Any) -> dict[str, Any]:
    """A record's fields as a dict, shallow: the values are shared, not copied."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _weeks_before_data(week: IsoWeek, length: int, data: DataWeeks | None) -> int:
    """How many of a chart's `length` weeks up to `week` come before the data's first week.

    The charts leave them out: a week before the data began is not a week with no texts,
    and a bar of 0 beside "no earlier week" would say it was.
    """
    try:
        oldest = IsoWeek.parse(data.oldest) if data else None
    except ValueError:
        oldest = None
    if oldest is None:
        return 0
    gap = (oldest.monday - week.shift(1 - length).monday).days // 7
    return max(0, min(gap, length - 1))


def _issue_view(
    issue: Issue, index: int, labels: list[str], detailed: bool, top: int,
    has_earlier_week: bool, detail_top: int = DEFAULT_DETAIL_ISSUES,
) -> dict[str, Any]:
    """`labels` are the chart's weeks, oldest first: the histories' last weeks are drawn."""
    keep = len(labels)
    contributions = _contributions(issue)
    view = {
        **_fields(issue),
        "rank_change": rank_change(issue, top),
        "change_text": change_text(issue, has_earlier_week),
        "contributions": contributions,
        "sparkline": sparkline(
            list(issue.history)[-keep:], from_zero=True, width_in=1.1, height_in=0.3,
            chart_id=f"spark-{index}",
        ),
        "quotes": [
            {
                **_fields(quote),
                "text": _short(quote.text or "", QUOTE_MAX_CHARS),
                "language_name": _language_shown(quote.language),
            }
            for quote in issue.quotes[:QUOTES_SHOWN]
        ],
        "age_text": age_text(issue, detail_top),
        "priority_parts": priority_parts(contributions),
        "anchor": f"issue-{issue.topic_id}",
        "detailed": detailed,
    }
    if detailed:
        history = list(issue.history)[-keep:]
        view["chart_weeks"] = len(history)
        view["trend_chart"] = issue_trend(
            history, list(issue.negative_history)[-keep:], labels[-len(history):],
            chart_id=f"trend-{index}",
        )
        view["channel_rows"] = _mix_rows(issue.channel_mix)
        view["tier_rows"] = _mix_rows(issue.tier_mix)
        view["sub_theme_rows"] = _sub_theme_rows(issue.sub_themes, index, keep)
    return view


def _brief(issue: Issue, has_earlier_week: bool) -> dict[str, Any]:
    """The few fields the emerging/improving lists show, each present even if unknown."""
    keys = ("rank", "topic_id", "label", "volume", "prev_volume", "volume_change",
            "negative_share", "why", "is_new")
    return {**{key: getattr(issue, key) for key in keys},
            "change_text": change_text(issue, has_earlier_week)}


def build_view(report: Report, detail_issues: int) -> dict[str, Any]:
    """Turn the report's model into what the templates need, charts included.

    Raises:
        PulseError: the page size is not A4 or Letter, or the report has no week.
    """
    if report.page_size not in PAGE_SIZES:
        raise PulseError(
            f"page_size must be A4 or Letter, not {report.page_size!r}; fix pulse.toml"
        )
    if not report.week:
        raise PulseError("the report context has no week; run the pipeline for a week first")
    week = IsoWeek.parse(report.week)
    issues = report.issues
    history_len = max([12, *(len(issue.history) for issue in issues)])
    labels = chart_week_labels(week, history_len)
    labels = labels[_weeks_before_data(week, history_len, report.data_weeks) :]
    top = top_n(report)
    has_earlier_week = report.has_earlier_week
    issue_views = [
        _issue_view(
            issue, index, labels, index < detail_issues, top, has_earlier_week, detail_issues
        )
        for index, issue in enumerate(issues)
    ]
    for view in issue_views:
        view["actions"] = [a for a in report.actions if a.issue_id == view["topic_id"]]
    # a tile only for a measure the week has: never a "no data" tile
    whole = whole_week(report.partial_days, report.data_ends)
    kpis = [
        _kpi_view(tile, index, has_earlier_week, whole)
        for index, tile in enumerate(report.kpis)
        if number(tile.value) is not None and tile.count != 0
    ]
    coverage = report.coverage
    sources = []
    for source in coverage.sources:
        loaded = number(source.rows_loaded) or 0
        rejected = number(source.rows_rejected) or 0
        total = loaded + rejected
        sources.append({**_fields(source), "rejected_share": rejected / total if total else None})
    return {
        "week": str(week),
        "week_number": week.week,
        "week_year": week.year,
        "date_range": date_range(report.week_start or week.monday.isoformat(),
                                 report.week_end or week.sunday.isoformat()),
        "timezone": report.timezone or "UTC",
        "generated_at": format_timestamp(report.generated_at),
        "generated_iso": str(report.generated_at or ""),
        "page_size": report.page_size,
        "kpis": kpis,
        "absent_note": absent_note(report.kpis_absent),
        "kpi_moves": report.kpi_moves,
        "actions": report.actions,
        "verdict_counts": verdict_counts(report.actions),
        "volume_split": _split_view(report.changes.get("texts"), "texts"),
        "negative_split": _split_view(report.changes.get("negative_texts"), "negative texts"),
        "top_n": top,
        "has_earlier_week": has_earlier_week,
        "show_csat": any(number(issue.csat_count) for issue in issues),
        "issues": issue_views,
        "top_three": issue_views[:3],
        "detail_issues": [view for view in issue_views if view["detailed"]],
        "detail_top": detail_issues,
        "since": since_phrases(report.since_last_week),
        "unowned": [
            {"label": i.label, "text": unowned_text(i, detail_issues)}
            for i in report.unowned_persistent
        ],
        "emerging": [_brief(i, has_earlier_week) for i in report.emerging],
        "improving": [_brief(i, has_earlier_week) for i in report.improving],
        "coverage": {
            **_fields(coverage),
            "sources": sources,
            "language_line": language_line(coverage.languages),
        },
        "method": dict(report.method),
        "run": dict(report.run),
        "has_data": bool(issues) or bool(kpis),
        # an empty ranking says where the week's complaints went when there were some
        "week_negative": next(
            (
                t.numerator_count
                for t in report.kpis
                if t.key == "negative_share" and t.count and number(t.value) is not None
            ),
            None,
        ),
        "partial_days": report.partial_days,
        "data_ends": report.data_ends,
        "data_weeks": report.data_weeks,
        "component_labels": [COMPONENT_LABELS[name] for name in COMPONENT_ORDER],
        "component_keys": list(COMPONENT_ORDER),
    }
