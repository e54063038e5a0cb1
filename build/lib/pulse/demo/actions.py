"""The actions the demo's CX team recorded, what they did to their themes, and their verdicts.

Two themes carry a dated action: after one the theme falls to about a fifth (a fix that
worked), after the other nothing changes; `pulse.report.verdicts` should say so. The actions name
their theme, not a topic id (ids are known only once a run has clustered), so
`demo_actions` finds the issue that holds the theme's texts in a run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pulse.db import fetch_dicts
from pulse.demo.corpus import DEMO_SOURCES
from pulse.weeks import IsoWeek


@dataclass(frozen=True)
class PlantedAction:
    """An action the demo's CX team recorded, and what it did to its theme's texts.

    The demo's own taxonomy, like its brand handles: topic ids are only known once a run
    has clustered, so the action names its theme and `demo_actions` finds the issue.
    """

    theme: str
    action: str
    owner: str
    weeks_before_anchor: int
    weekday: int  # 0 is Monday
    keep_share: float  # the share of the theme's texts from that day on that still arrive
    expected_verdict: str

    def on(self, anchor: IsoWeek) -> date:
        """The day the action took effect, for a demo ending at `anchor`."""
        return anchor.shift(-self.weeks_before_anchor).monday + timedelta(days=self.weekday)


# A fix that worked (the theme falls to a fifth from the Tuesday three weeks before the
# anchor) and one that changed nothing: the verdicts on the demo can be checked against them.
PLANTED_ACTIONS = (
    PlantedAction("notification_spam", "Weekly cap on notification e-mails shipped", "Growth",
                  3, 1, 0.2, "worked"),
    PlantedAction("login_verification", "Verification codes moved to a new SMS provider",
                  "Identity", 4, 2, 1.0, "no clear change yet"),
)


def dropped_by_actions(
    rng: random.Random, anchor: IsoWeek, tickets: list, posts: list
) -> set[tuple[str, int]]:
    """Which texts a planted action stopped: ("ticket" | "social", position) pairs."""
    dropped: set[tuple[str, int]] = set()
    for planted in PLANTED_ACTIONS:
        if planted.keep_share >= 1:
            continue
        start = planted.on(anchor)
        for kind, items in (("ticket", tickets), ("social", posts)):
            for position, (created, _item, theme_key) in enumerate(items):
                if theme_key == planted.theme and created.date() >= start:
                    if rng.random() >= planted.keep_share:
                        dropped.add((kind, position))
    return dropped


def demo_actions(con: duckdb.DuckDBPyConnection, run_id: str, demo_dir: Path) -> list:
    """The planted actions as taxonomy actions on the issues that hold their themes this run.

    Empty unless the database holds the demo's texts and `demo_dir` its truth file. The
    issue is the one holding most of the theme's texts in the run, as a reader of the
    demo report would pick it; the demo's actions never enter the user's taxonomy file.
    """
    from pulse.topics.taxonomy import TopicAction

    try:
        truth = json.loads((Path(demo_dir) / "truth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    actions = []
    for planted in truth.get("actions") or []:
        external_ids = sorted(d for d, t in truth["doc_theme"].items() if t == planted["theme"])
        rows = fetch_dicts(
            con,
            "demo_theme_issue",
            {"run_id": run_id, "sources": list(DEMO_SOURCES), "external_ids": external_ids},
        )
        if rows:
            actions.append(
                TopicAction(
                    topic_id=rows[0]["issue_id"],
                    action=planted["action"],
                    on=date.fromisoformat(planted["on"]),
                    owner=planted.get("owner"),
                )
            )
    return actions
