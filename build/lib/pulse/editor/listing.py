"""The editor's list: every topic of the newest run, issues each followed by their sub-themes.

The numbers are counted by the editor's queries over the run's assignment with the
taxonomy file as it stands (`pulse.editor.source`), so a rename or merge shows at once;
the emerging flag is the ranking's, as of the run's last render, since deciding it again
would mean re-running the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pulse.db import fetch_dicts
from pulse.editor.source import RegistryView

STATUS_FILTERS = ("new", "emerging", "hidden", "merged", "dormant", "unowned")
SPARK_WIDTH, SPARK_HEIGHT = 96, 22


@dataclass
class TopicRow:
    """One topic as the list and the topic page show it."""

    topic_id: int
    label: str
    auto_label: str
    level: str  # issue | theme
    issue_id: int | None
    owner: str | None
    notes: str | None
    keywords: list[str]
    merged_into: int | None
    statuses: list[str]
    weeks: list[str]
    weekly_volume: list[int]  # the run's window, oldest first, this week last
    volume: int  # this week, as the next report counts it
    own_volume: int  # this week, the texts the run clustered into it (a merged topic's own)
    negative_count: int
    sentiment_count: int
    first_seen_week: str
    children: list[TopicRow] = field(default_factory=list)

    @property
    def negative_share(self) -> float | None:
        return self.negative_count / self.sentiment_count if self.sentiment_count else None

    @property
    def window_volume(self) -> int:
        return sum(self.weekly_volume)

    @property
    def spark_points(self) -> str:
        """The polyline of an inline SVG sparkline: one point a week, scaled to the peak."""
        peak = max(self.weekly_volume, default=0) or 1
        step = SPARK_WIDTH / max(len(self.weekly_volume) - 1, 1)
        return " ".join(
            f"{i * step:.1f},{SPARK_HEIGHT - 1 - (v / peak) * (SPARK_HEIGHT - 2):.1f}"
            for i, v in enumerate(self.weekly_volume)
        )

    def matches(self, query: str) -> bool:
        """Whether a search matches its id, names, owner, notes or keywords."""
        query = query.strip().casefold().lstrip("#")
        if not query:
            return True
        if query.isdigit():
            return int(query) == self.topic_id
        haystack = [self.label, self.auto_label, self.owner or "", self.notes or ""]
        return any(query in text.casefold() for text in [*haystack, *self.keywords])

    def has_status(self, wanted: str) -> bool:
        if wanted == "unowned":
            return not self.owner and "merged" not in self.statuses
        return wanted in self.statuses


def topic_rows(view: RegistryView) -> dict[int, TopicRow]:
    """Every registry topic by id, with this week's numbers and its 12 weeks."""
    weeks = [str(w) for w in view.ctx.window]
    this_week = str(view.week)
    counts: dict[int, dict[str, dict]] = {}
    for row in fetch_dicts(
        view.con, "editor_topic_weeks", {**view.window_params, "run_id": view.run_id}
    ):
        counts.setdefault(row["topic_id"], {})[row["week"]] = row
    rows = {}
    for topic in fetch_dicts(view.con, "editor_topics", {"run_id": view.run_id, "week": this_week}):
        by_week = counts.get(topic["topic_id"], {})
        now = by_week.get(this_week, {})
        weekly = [by_week.get(w, {}).get("volume", 0) for w in weeks]
        earlier = sum(by_week.get(w, {}).get("own_volume", 0) for w in weeks[:-1])
        rows[topic["topic_id"]] = TopicRow(
            topic_id=topic["topic_id"],
            label=topic["label"],
            auto_label=topic["auto_label"],
            level=topic["level"],
            issue_id=topic["issue_id"],
            owner=topic["owner"],
            notes=topic["notes"],
            keywords=list(topic["keywords"] or []),
            merged_into=topic["merged_into"],
            statuses=_statuses(topic, this_week, earlier),
            weeks=weeks,
            weekly_volume=weekly,
            volume=now.get("volume", 0),
            own_volume=now.get("own_volume", 0),
            negative_count=now.get("negative_count", 0),
            sentiment_count=now.get("sentiment_count", 0),
            first_seen_week=topic["first_seen_week"],
        )
    return rows


def _statuses(topic: dict, this_week: str, earlier_volume: int) -> list[str]:
    """The badges a topic carries: new (as the ranking decides it), emerging, hidden, merged."""
    found = []
    if topic["first_seen_week"] == this_week and earlier_volume <= 2:
        found.append("new")  # the ranking's rule: first seen this week, barely there before
    if topic["is_emerging"]:
        found.append("emerging")
    if topic["status"] in {"hidden", "merged", "dormant"}:
        found.append(topic["status"])
    return found


def grouped(rows: dict[int, TopicRow], query: str = "", status: str = "") -> list[TopicRow]:
    """Issues by this week's volume, each with its sub-themes; a search keeps whole families.

    A sub-theme that matches brings its issue along (as context), and an issue that
    matches brings all its sub-themes, so a hit is never shown out of its place.
    """
    for row in rows.values():
        row.children = []
    tops = []
    for row in sorted(rows.values(), key=lambda r: (-r.volume, -r.own_volume, r.topic_id)):
        parent = rows.get(row.issue_id) if row.issue_id is not None else None
        if row.level == "theme" and parent is not None and parent.level == "issue":
            parent.children.append(row)
        else:
            tops.append(row)

    def keep(row: TopicRow) -> bool:
        return row.matches(query) and (not status or row.has_status(status))

    shown = []
    for top in tops:
        children = top.children if top.matches(query) else [c for c in top.children if keep(c)]
        if status:
            children = [c for c in children if c.has_status(status)]
        if keep(top) or children:
            top.children = children
            shown.append(top)
    return shown
