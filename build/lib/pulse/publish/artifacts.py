"""What a finished run shows in Prefect's UI: the top issues, the ranking, the PDF.

Read from the week's summary.json, the same numbers the PDF shows, and written the way the
PDF writes them ("1,234", "42%", "+31"; `pulse.report.formatting`), never as raw floats.
Keyed by week (`voc-2026-w46-…`), so each run of a week adds a version of the same three
artifacts. The PDF's artifact is a link when the outputs folder is served over http
(`pulse serve`: `outputs_http`); otherwise its path as plain text, since a browser will
not open a `file://` link from a web page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from pulse.publish.outputs_http import report_link
from pulse.report.formatting import format_num, format_pct, signed
from pulse.weeks import IsoWeek


def duration_text(seconds: float) -> str:
    """A run's wall time as a person says it: '42 s', '3.1 min', '1.2 h'."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def summary_markdown(week: IsoWeek, summary: dict[str, Any], run_seconds: float | None) -> str:
    """The KPIs with their changes and the top five issues, as the PDF's page one words them."""
    lines = [f"# Pulse — {week}", ""]
    for kpi in summary.get("kpis", []):
        change = kpi.get("delta_display") or ""
        lines.append(f"- **{kpi['label']}**: {kpi.get('display') or '–'} {change}".rstrip())
    lines += ["", "## Top issues", ""]
    for issue in summary.get("issues", [])[:5]:
        owner = f"owner: {issue['owner']}" if issue.get("owner") else "**no owner**"
        figures = f"{format_num(issue.get('volume'))} texts"
        if issue.get("negative_share") is not None:
            figures += f", {format_pct(issue['negative_share'])} negative"
        why = f" — {issue['why']}" if issue.get("why") else ""
        lines.append(f"{issue['rank']}. **{issue['label']}** ({owner}; {figures}){why}")
    if run_seconds is not None:
        lines += ["", f"Run took {duration_text(run_seconds)}."]
    return "\n".join(lines)


def ranking_rows(issues: list[dict[str, Any]]) -> list[dict[str, str | int]]:
    """The ranking table, one row per issue, every figure formatted as the PDF's table has it."""
    return [
        {
            "rank": issue["rank"],
            "issue": issue["label"],
            "owner": issue.get("owner") or "no owner",
            "texts": format_num(issue.get("volume")),
            "vs last week": "new" if issue.get("is_new") else signed(issue.get("volume_delta")),
            "negative": format_pct(issue.get("negative_share")),
            "CSAT": format_num(issue.get("mean_csat"), 1),
            "priority": format_num(issue.get("priority")),
        }
        for issue in issues
    ]


def pdf_markdown(pdf: Path) -> str:
    """The PDF's artifact when no http route serves it: the path, to copy, not to click."""
    return (
        f"The report's PDF is at\n\n`{pdf}`\n\non the machine that ran Pulse "
        "(served over http while `pulse serve` runs)."
    )


def publish_artifacts(
    week: IsoWeek,
    paths: dict[str, str],
    *,
    output_dir: Path | None = None,
    reports_url: str = "",
    run_seconds: float | None = None,
) -> None:
    """The top issues and KPIs in markdown, the ranking table and the PDF's link or path.

    Args:
        week: The run's week (the artifacts' keys).
        paths: The render stage's files (`summary`, `pdf`).
        output_dir: The folder `reports_url` serves; the PDF is linked only inside it.
        reports_url: Where the outputs folder is served (the `reports_url` setting).
        run_seconds: The run's wall time, shown under the summary.
    """
    summary = json.loads(Path(paths["summary"]).read_text(encoding="utf-8"))
    key = f"voc-{str(week).lower()}"
    create_markdown_artifact(
        summary_markdown(week, summary, run_seconds), key=f"{key}-summary", description="Top issues"
    )
    create_table_artifact(
        ranking_rows(summary.get("issues", [])), key=f"{key}-ranking", description="Ranked issues"
    )
    pdf = Path(paths["pdf"]).resolve()
    link = report_link(pdf, output_dir or pdf.parent.parent, reports_url)
    if link:
        create_link_artifact(link, link_text=f"report.pdf ({week})", key=f"{key}-pdf")
    else:
        create_markdown_artifact(pdf_markdown(pdf), key=f"{key}-pdf", description="The PDF")
