"""The weekly e-mail's two bodies, plain text and HTML, written from the week's summary.json.

A leader reads the e-mail, not the PDF: so it carries what page one carries (the week's
measures and their changes, the top issues with their flags and owners) in the report's
own words and number formats, and says where the full report is. It reads summary.json
only, which holds redacted text and no quotes are shown: nothing here can reach raw text.

Both bodies come from one view (`digest_view`), so they never say different things. The
HTML is Jinja2 with autoescape on (issue names come from customers' words), styled inline
(mail clients drop style sheets) and fetches nothing: no images, fonts or links but the
report's own URL. Pure: reads nothing, writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pulse.report.formatting import (
    date_range,
    format_num,
    format_pct,
    kpi_change_shown,
    kpi_value_text,
    number,
)
from pulse.report.model import Issue, KpiTile
from pulse.report.view import kpi_direction, whole_week
from pulse.report.wording import change_text, kpi_basis, no_comparison
from pulse.weeks import IsoWeek

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Issues the e-mail lists; the PDF ranks more, and the e-mail says how many.
EMAIL_TOP_ISSUES = 5


@dataclass(frozen=True)
class ReportLocation:
    """Where a reader finds the full PDF.

    Attributes:
        path: The PDF on the machine that ran Pulse.
        attached_as: The attachment's file name, or None when the e-mail carries no PDF.
        url: Where readers can open it (`[pulse.smtp] report_url`), or "".
    """

    path: Path
    attached_as: str | None = None
    url: str = ""


def _tile(kpi: Mapping[str, Any]) -> KpiTile:
    """The page-one tile a summary.json KPI was written from (it holds every field)."""
    return KpiTile(**{f.name: kpi.get(f.name) for f in fields(KpiTile) if f.name in kpi})


def _kpi_line(
    kpi: Mapping[str, Any], has_earlier_week: bool, whole_week: bool = True
) -> dict[str, str]:
    """One measure as page one words it: '+22% vs last week', 'worse'."""
    tile = _tile(kpi)
    direction = kpi_direction(tile, whole_week)
    if direction["arrow"]:
        change = f"{kpi_change_shown(tile)} vs last week"
    else:
        change = no_comparison(tile, has_earlier_week)
    return {
        "key": tile.key,
        "label": tile.label,
        "value": kpi_value_text(tile),
        "change": change,
        "judgement": "" if direction["judgement"] == "neutral" else direction["judgement"],
        "counts_note": direction["counts_note"],
        # how many texts or answers a measure other than the week's volume rests on
        "basis": kpi_basis(tile) if tile.key != "volume" else "",
    }


def _issue_line(issue: Mapping[str, Any], has_earlier_week: bool) -> dict[str, Any]:
    """One top issue: rank, name, volume and change, flags and owner, as the report words them."""
    shape = Issue(
        rank=issue.get("rank"),
        topic_id=issue.get("topic_id"),
        label=issue.get("label") or "",
        volume=issue.get("volume"),
        prev_volume=issue.get("prev_volume"),
        history=list(issue.get("history") or []),
    )
    flags = [
        word
        for key, word in (
            ("is_new", "New"),
            ("is_emerging", "Emerging"),
            ("is_improving", "Improving"),
        )
        if issue.get(key)
    ]
    csat = number(issue.get("mean_csat"))
    return {
        "rank": issue.get("rank"),
        "label": shape.label,
        "volume": format_num(issue.get("volume")),
        "texts": "text" if number(issue.get("volume")) == 1 else "texts",
        "change": change_text(shape, has_earlier_week),
        "negative": format_pct(issue.get("negative_share")),
        "csat": format_num(csat, 1) if csat is not None else "",
        "flags": flags,
        "owner": issue.get("owner") or "",
        "owner_text": f"Owner: {issue['owner']}" if issue.get("owner") else "No owner",
    }


def digest_view(
    summary: Mapping[str, Any] | None, week: str, location: ReportLocation
) -> dict[str, Any]:
    """What both bodies say, from summary.json (None when it could not be read).

    Measures are the ones page one shows: a measure the week's sources lack is left out,
    never shown empty. Issues are the top `EMAIL_TOP_ISSUES` of the ranking.
    """
    summary = summary or {}
    iso_week = IsoWeek.parse(week)
    has_earlier_week = bool(summary.get("has_earlier_week"))
    whole = whole_week(summary.get("partial_days"), summary.get("data_ends"))
    kpis = [
        _kpi_line(kpi, has_earlier_week, whole)
        for kpi in summary.get("kpis") or []
        if number(kpi.get("value")) is not None and kpi.get("count") != 0
    ]
    issues = list(summary.get("issues") or [])
    emerging, improving = summary.get("emerging") or [], summary.get("improving") or []
    return {
        "week": week,
        "week_title": f"Week {iso_week.week}, {iso_week.year}",
        "date_range": date_range(
            summary.get("week_start") or iso_week.monday.isoformat(),
            summary.get("week_end") or iso_week.sunday.isoformat(),
        ),
        "has_summary": bool(summary),
        "partial_days": summary.get("partial_days") or "",
        "data_ends": summary.get("data_ends") or "",
        "kpis": kpis,
        "issues": [_issue_line(issue, has_earlier_week) for issue in issues[:EMAIL_TOP_ISSUES]],
        "issue_count": len(issues),
        "emerging_count": len(emerging),
        "improving_count": len(improving),
        "pages": summary.get("pages"),
        "pdf_path": str(location.path),
        "attached_as": location.attached_as or "",
        "report_url": location.url,
    }


def _environment() -> Environment:
    # .html escaped, .txt not: a plain-text body shows a name as it is written.
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_bodies(view: Mapping[str, Any]) -> tuple[str, str]:
    """The plain-text and the HTML body of the e-mail, from `digest_view`."""
    env = _environment()
    text = env.get_template("email.txt").render(**view)
    html = env.get_template("email.html").render(**view)
    return text, html
