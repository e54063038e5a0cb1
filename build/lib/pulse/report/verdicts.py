"""Did it work? Each recorded action's before/after effect on its issue, and a verdict.

CX ops record actions in the taxonomy file (`pulse topics action`); executives want to
know which ones moved the numbers. The comparison is deliberately plain: the issue's weekly
volume after the action's week against up to eight weeks before it, with the issue's own
week-to-week noise as the yardstick, so a fall no larger than the issue's usual wobble is
not called a success. The arithmetic is in plain functions (tested on hand-computed
fixtures); `action_verdicts` only gathers the weekly series and the actions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from pulse.db import fetch_dicts
from pulse.demo import demo_actions
from pulse.report.formatting import signed_fixed
from pulse.run import RunContext
from pulse.topics.taxonomy import TopicAction, read_taxonomy
from pulse.weeks import IsoWeek

WORKED, NO_CLEAR_CHANGE, WORSE = "worked", "no clear change yet", "worse"
MAX_WEEKS_BEFORE = 8
# Fewer weeks than these and the noise (before) or the new level (after) is a guess.
MIN_WEEKS_BEFORE = 2
MIN_WEEKS_AFTER = 2
CONFIDENCE = 0.95

@dataclass(frozen=True)
class VolumeEffect:
    """The change in an issue's weekly volume across an action, with its 95% range.

    `low`, `high`, `noise_sd` and `p_value` are None when there are too few weeks
    on either side to measure the issue's noise or its new level.
    """

    weeks_before: int
    weeks_after: int
    before_mean: float | None
    after_mean: float | None
    effect: float | None
    low: float | None = None
    high: float | None = None
    noise_sd: float | None = None
    p_value: float | None = None


def split_weeks(
    weeks: Sequence[str], action_week: str, last_week: str, max_before: int = MAX_WEEKS_BEFORE
) -> tuple[list[str], list[str]]:
    """The weeks before an action (the newest `max_before`) and after it, up to `last_week`.

    The action's own week is in neither: part of it ran before the action and part after.
    Weeks are ISO week names ('2026-W45'), which sort in time order as text.
    """
    ordered = sorted(set(weeks))
    before = [w for w in ordered if w < action_week][-max_before:] if max_before > 0 else []
    after = [w for w in ordered if action_week < w <= last_week]
    return before, after


def volume_effect(before: Sequence[float], after: Sequence[float]) -> VolumeEffect:
    """Mean weekly volume after minus before, with a t interval on the issue's own noise.

    The noise is the sample variance of the weeks before, floored at the average weekly
    count of all the weeks (Poisson): weekly counts vary at least that much, and a run of
    near-equal weeks must not make any small change look certain. The variance is assumed
    the same after the action (it is estimated where the issue was undisturbed), so the
    interval has len(before) - 1 degrees of freedom.
    """
    from scipy import stats

    n_before, n_after = len(before), len(after)
    before_mean = sum(before) / n_before if n_before else None
    after_mean = sum(after) / n_after if n_after else None
    effect = (
        after_mean - before_mean if before_mean is not None and after_mean is not None else None
    )
    if n_before < MIN_WEEKS_BEFORE or n_after < MIN_WEEKS_AFTER:
        return VolumeEffect(n_before, n_after, before_mean, after_mean, effect)
    sample_variance = sum((v - before_mean) ** 2 for v in before) / (n_before - 1)
    poisson_variance = (sum(before) + sum(after)) / (n_before + n_after)
    noise_variance = max(sample_variance, poisson_variance)
    standard_error = math.sqrt(noise_variance * (1 / n_before + 1 / n_after))
    df = n_before - 1
    if standard_error == 0:  # every week zero on both sides: nothing happened
        return VolumeEffect(n_before, n_after, before_mean, after_mean, 0.0, 0.0, 0.0, 0.0, 1.0)
    half_width = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * standard_error
    p_value = float(2 * stats.t.sf(abs(effect) / standard_error, df))
    return VolumeEffect(
        n_before,
        n_after,
        before_mean,
        after_mean,
        effect,
        effect - half_width,
        effect + half_width,
        math.sqrt(noise_variance),
        p_value,
    )


def verdict(effect: VolumeEffect) -> tuple[str, str]:
    """The verdict and one plain sentence saying why, for an executive reading the table."""
    if effect.weeks_after < MIN_WEEKS_AFTER:
        weeks = "1 week" if effect.weeks_after == 1 else f"{effect.weeks_after} weeks"
        return NO_CLEAR_CHANGE, f"Too early: {weeks} of evidence since the action; 2 are needed."
    if effect.weeks_before < MIN_WEEKS_BEFORE or effect.low is None or effect.high is None:
        weeks = "1 week" if effect.weeks_before == 1 else f"{effect.weeks_before} weeks"
        return NO_CLEAR_CHANGE, (
            f"Too little history: {weeks} before the action in the report's window, so the "
            "issue's usual ups and downs are unknown."
        )
    size = abs(effect.effect or 0.0)
    if effect.high < 0:
        return WORKED, (
            f"Volume fell by {size:.1f} texts a week (95% range {-effect.high:.1f} to "
            f"{-effect.low:.1f} fewer), more than its usual week-to-week swings explain."
        )
    if effect.low > 0:
        return WORSE, (
            f"Volume rose by {size:.1f} texts a week (95% range {effect.low:.1f} to "
            f"{effect.high:.1f} more), more than its usual week-to-week swings explain."
        )
    change = effect.effect or 0.0
    direction = "fell" if change < 0 else "rose" if change > 0 else "held"
    amount = f" by {size:.1f} texts a week" if change else ""
    return NO_CLEAR_CHANGE, (
        f"Volume {direction}{amount}, within its usual week-to-week swings "
        f"(95% range {signed_fixed(effect.low)} to {signed_fixed(effect.high)})."
    )


def pooled_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float | None:
    """Sum over sum (share negative, mean CSAT over the weeks); None when nothing was counted."""
    total = sum(denominators)
    return sum(numerators) / total if total else None


def all_actions(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> list[TopicAction]:
    """The taxonomy file's actions, plus the demo's own when the database holds the demo."""
    return [*read_taxonomy().actions, *demo_actions(con, ctx.run_id, ctx.settings.demo_dir)]


def action_verdicts(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, actions: list[TopicAction] | None = None
) -> list[dict[str, Any]]:
    """Every action up to the run's week, newest first, with its effect and verdict.

    Rows as dicts (the fields of model.ActionVerdict), as `pulse topics show` prints and
    dumps them; the report's model types them. Actions dated after the report's week are
    left out (the report predates them), as are actions on hidden topics (the report
    leaves those topics out). A partial run's own week is not evidence: its counts are
    low by construction.
    """
    actions = all_actions(con, ctx) if actions is None else actions
    report_week = str(ctx.week)
    shown = [a for a in actions if str(IsoWeek.of(a.on)) <= report_week]
    if not shown:
        return []
    topics = {
        row["topic_id"]: row
        for row in fetch_dicts(
            con, "acted_topics", {"topic_ids": sorted({a.topic_id for a in shown})}
        )
    }
    series: dict[int, dict[str, dict]] = {}
    for row in fetch_dicts(
        con, "acted_topic_weeks", {"run_id": ctx.run_id, "topic_ids": sorted(topics)}
    ):
        series.setdefault(row["topic_id"], {})[row["week"]] = row
    last_week = str(ctx.week.shift(-1)) if ctx.partial_through is not None else report_week
    results = []
    for action in shown:
        topic = topics.get(action.topic_id)
        if topic is None or not topic["is_visible"]:
            continue
        results.append(_verdict_row(action, topic, series.get(action.topic_id, {}), last_week))
    results.sort(key=lambda r: (r["issue"] or "", r["action"]))
    results.sort(key=lambda r: r["on"], reverse=True)  # stable: newest first, then by issue
    return results


def _verdict_row(
    action: TopicAction, topic: dict[str, Any], weeks: dict[str, dict], last_week: str
) -> dict[str, Any]:
    """One action's line of the report: the fields of model.ActionVerdict."""
    action_week = str(IsoWeek.of(action.on))
    before, after = split_weeks(list(weeks), action_week, last_week)
    effect = volume_effect(
        [weeks[w]["volume"] for w in before], [weeks[w]["volume"] for w in after]
    )
    said, why = verdict(effect)

    def pooled(numerator: str, denominator: str, chosen: list[str]) -> float | None:
        return pooled_ratio(
            [weeks[w][numerator] for w in chosen], [weeks[w][denominator] for w in chosen]
        )

    return {
        "topic_id": action.topic_id,
        "issue_id": topic["issue_id"],
        "issue": topic["label"],
        "merged_into": topic["merged_into"],
        "action": action.action,
        "owner": action.owner or topic["owner"],
        "on": action.on.isoformat(),
        "action_week": action_week,
        "weeks_before": effect.weeks_before,
        "weeks_after": effect.weeks_after,
        "volume_before": effect.before_mean,
        "volume_after": effect.after_mean,
        "effect": effect.effect,
        "effect_low": effect.low,
        "effect_high": effect.high,
        "effect_share": (
            effect.effect / effect.before_mean
            if effect.effect is not None and effect.before_mean
            else None
        ),
        "p_value": effect.p_value,
        "negative_share_before": pooled("negative_count", "sentiment_count", before),
        "negative_share_after": pooled("negative_count", "sentiment_count", after),
        "csat_before": pooled("csat_sum", "csat_count", before),
        "csat_after": pooled("csat_sum", "csat_count", after),
        "csat_count_before": sum(weeks[w]["csat_count"] for w in before),
        "csat_count_after": sum(weeks[w]["csat_count"] for w in after),
        "verdict": said,
        "verdict_note": why,
        "is_too_early": effect.weeks_after < MIN_WEEKS_AFTER,
    }
