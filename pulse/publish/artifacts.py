"""What a finished run shows in Prefect's UI: the top issues, the ranking, the PDF's link.

Read from the week's summary.json, the same numbers the PDF shows; keyed by week
(`voc-2026-w46-…`), so each run of a week adds a version of the same three artifacts.
"""

from __future__ import annotations

import json
from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from pulse.weeks import IsoWeek


def publish_artifacts(week: IsoWeek, paths: dict[str, str]) -> None:
    """The top issues and KPIs in markdown, the ranking table and the PDF's link."""
    summary = json.loads(Path(paths["summary"]).read_text(encoding="utf-8"))
    issues = summary.get("issues", [])
    lines = [f"# Pulse — {week}", ""]
    for kpi in summary.get("kpis", []):
        change = kpi.get("delta_display") or ""
        lines.append(f"- **{kpi['label']}**: {kpi.get('display') or '–'} {change}".rstrip())
    lines += ["", "## Top issues", ""]
    for issue in issues[:5]:
        owner = f"owner: {issue['owner']}" if issue.get("owner") else "**no owner**"
        lines.append(f"{issue['rank']}. **{issue['label']}** ({owner}) — {issue.get('why') or ''}")
    key = f"voc-{str(week).lower()}"
    create_markdown_artifact("\n".join(lines), key=f"{key}-summary", description="Top issues")
    create_table_artifact(
        [
            {
                "rank": i["rank"],
                "label": i["label"],
                "owner": i.get("owner") or "no owner",
                "volume": i["volume"],
                "negative_share": i.get("negative_share"),
                "priority": i["priority"],
            }
            for i in issues
        ],
        key=f"{key}-ranking",
        description="Ranked issues",
    )
    create_link_artifact(
        Path(paths["pdf"]).resolve().as_uri(), link_text="report.pdf", key=f"{key}-pdf"
    )
