"""The ranked issues a report lists, read from one run's materialised marts.

Each issue comes with its 12-week history, sub-themes, channel and tier mix and a few
representative quotes; `since_last_week` says which issues came into the top, which left
and why. Reads only (queries/report/*.sql); nothing here writes to the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from pulse.db import fetch_dicts
from pulse.embed import load_vectors
from pulse.report.model import EnteredTop, Issue, LeftTop, Quote, RankMover, SinceLastWeek, SubTheme
from pulse.report.wording import summary_sentence, why_it_ranks
from pulse.run import RunContext
from pulse.topics.languages import ENGLISH, language_code
from pulse.topics.praise import without_praise
from pulse.weeks import IsoWeek

QUOTES_PER_ISSUE = 3
# Candidates per issue for the quote picker (topic_quotes.sql ranks them).
QUOTE_CANDIDATES = 20
# Below this many texts a share or mean is shown with its 95% range (is_small_sample).
SMALL_SAMPLE = 30
# An issue's page lists at most this many sub-themes; the rest are one row, so it adds up.
SUB_THEMES_SHOWN = 6
#: In the top issues this many weeks in a row, with no owner: page one calls it out.
PERSISTENT_WEEKS = 3


def listed_issues(con: duckdb.DuckDBPyConnection, ctx: RunContext, weeks: list[str]) -> list[Issue]:
    """The run's ranked issues down to `top_issues`, and any emerging or improving below."""
    rows = fetch_dicts(
        con, "listed_issues", {"run_id": ctx.run_id, "limit": ctx.settings.top_issues}
    )
    if not rows:
        return []
    weights = vars(ctx.settings.weights)
    history = _history(con, ctx, [r["topic_id"] for r in rows])
    start, end = ctx.bounds(ctx.week)
    quotes = _quotes(con, ctx, start, end)
    mix = _mix(con, ctx, start, end)
    sub_themes = _sub_themes(con, ctx, weeks)
    issues = []
    for row in rows:
        topic_id = row["topic_id"]
        volumes = [history.get((topic_id, w), {}).get("volume", 0) for w in weeks]
        issue = _issue(row, weights)
        issue.history = volumes
        issue.negative_history = [
            history.get((topic_id, w), {}).get("negative_share") for w in weeks
        ]
        issue.channel_mix = mix.get((topic_id, "channel"), {})
        issue.tier_mix = mix.get((topic_id, "tier"), {})
        issue.quotes = quotes.get(topic_id, [])
        issue.sub_themes = sub_themes.get(topic_id, [])
        # the first week with texts: the registry's, or earlier in this run's window
        # (a registry made by a later first run registers old issues late)
        issue.first_seen_week = _first_week(row["first_seen_week"], weeks, volumes)
        issue.weeks_seen = _weeks_since(issue.first_seen_week, ctx.week) + 1
        # Owners have no history (the taxonomy file holds today's), so an issue without
        # one has gone without for as long as it has been seen.
        issue.weeks_without_owner = 0 if row["owner"] else issue.weeks_seen
        issue.why = why_it_ranks(issue)
        issue.summary = summary_sentence(issue)
        issues.append(issue)
    return issues


def _issue(row: dict[str, Any], weights: dict[str, float]) -> Issue:
    """One listed_issues.sql row as an Issue: its figures, tests, owner and keywords."""
    return Issue(
        rank=int(row["rank"]),
        prev_rank=int(row["prev_rank"]) if row["prev_rank"] is not None else None,
        topic_id=int(row["topic_id"]),
        # ranked in this run, so not praise in its week, whatever the registry's mark
        # says today (a later run's tone; `pulse report` re-renders old weeks)
        label=without_praise(row["label"]),
        volume=int(row["volume"]),
        prev_volume=int(row["prev_volume"]) if row["prev_volume"] is not None else None,
        baseline_volume=_float(row["baseline_volume"]),
        volume_change=_float(row["volume_change"]),
        volume_delta=_delta(row, "volume_delta", "volume", row["prev_volume"]),
        negative_delta=_delta(row, "negative_delta", "negative_count", None),
        week_share=_float(row.get("week_share")),
        baseline_share=_float(row.get("baseline_share")),
        negative_share=_float(row["negative_share"]),
        negative_count=int(row["negative_count"]),
        sentiment_count=int(row["sentiment_count"]),
        negative_share_low=_float(row["negative_share_low"]),
        negative_share_high=_float(row["negative_share_high"]),
        mean_csat=_float(row["csat_mean"]),
        csat_count=int(row["csat_count"]),
        csat_low=_float(row["csat_low"]),
        csat_high=_float(row["csat_high"]),
        paid_share=_float(row["paid_share"]),
        paid_share_low=_float(row["paid_share_low"]),
        paid_share_high=_float(row["paid_share_high"]),
        tier_known_count=int(row["tier_known_count"]),
        escalated_share=_float(row["escalated_share"]),
        escalated_count=int(row["escalated_count"]),
        repeat_contact_share=_float(row["repeat_contact_share"]),
        repeat_contact_count=int(row["repeat_contact_count"]),
        resolution_median_minutes=_float(row["resolution_median_minutes"]),
        resolution_count=int(row["resolution_count"]),
        reach_sum=int(row["reach_sum"] or 0),
        baseline_week_count=int(row["baseline_week_count"] or 0),
        baseline_2w_volume=_float(row["baseline_2w_volume"]),
        p_value_up=_float(row["p_value_up"]),
        p_value_down=_float(row["p_value_down"]),
        p_value_negative_up=_float(row["p_value_negative_up"]),
        p_value_negative_down=_float(row["p_value_negative_down"]),
        p_value_share_up=_float(row.get("p_value_share_up")),
        p_value_negative_share_up=_float(row.get("p_value_negative_share_up")),
        is_small_sample=int(row["sentiment_count"]) < SMALL_SAMPLE,
        mean_sentiment=_float(row["sentiment_mean"]),
        priority=round(_float(row["priority"]) or 0.0, 1),
        growth_z=_float(row["growth_z"]),
        components={
            "volume": _float(row["volume_component"]),
            "negativity": _float(row["negativity_component"]),
            "growth": _float(row["growth_component"]),
            "severity": _float(row["severity_component"]),
            "reach": _float(row["reach_component"]),
        },
        weights=weights,
        is_new=bool(row["is_new"]),
        is_emerging=bool(row["is_emerging"]),
        is_improving=bool(row["is_improving"]),
        keywords=list(row["keywords"] or [])[:8],
        owner=row["owner"],
        notes=row["notes"],
        weeks_in_top=None if row.get("weeks_in_top") is None else int(row["weeks_in_top"]),
    )


def _first_week(registered: str | None, weeks: list[str], volumes: list[int]) -> str | None:
    with_texts = next((w for w, v in zip(weeks, volumes, strict=True) if v), None)
    known = [w for w in (registered, with_texts) if w]
    return min(known) if known else None


def _weeks_since(first: str | None, week: IsoWeek) -> int:
    """Whole weeks from ISO week `first` to `week` (0 for the same week or an unknown one)."""
    if not first:
        return 0
    try:
        days = (week.monday - IsoWeek.parse(first).monday).days
    except ValueError:
        return 0
    return max(0, days // 7)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _delta(row: dict, column: str, count_column: str, prev: int | None) -> int | None:
    """A ranked row's change against last week; computed for a run made before the column."""
    if row.get(column) is not None:
        return int(row[column])
    return None if prev is None else int(row[count_column]) - int(prev)


def since_last_week(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, ranked: list[Issue]
) -> SinceLastWeek:
    """What changed in the top `detail_issues` since last week: who came in, who left and
    why (resolved, faded, overtaken, merged), and the biggest rank moves in the ranking.

    Last week's ranks are this run's ranking of last week (the same topics and merges),
    so an issue CX ops merged since then is found through last week's report instead.
    """
    top, listed = ctx.settings.detail_issues, ctx.settings.top_issues
    entered = [
        EnteredTop(i.topic_id, i.label, i.rank, i.prev_rank, i.volume, i.prev_volume)
        for i in ranked
        if i.rank <= top and (i.prev_rank is None or i.prev_rank > top)
    ]
    left = []
    for row in fetch_dicts(con, "top_issue_exits", {"run_id": ctx.run_id, "top": top}):
        volume, prev = int(row["volume"]), int(row["prev_volume"] or 0)
        change = "resolved" if volume == 0 else "faded" if volume < prev else "overtaken"
        left.append(LeftTop(**{**row, "label": without_praise(row["label"])}, change=change))
    merged = fetch_dicts(
        con, "top_issue_merges", {"prev_week": str(ctx.week.shift(-1)), "top": top}
    )
    left += [LeftTop(**row, rank=None, volume=None, change="merged") for row in merged]
    movers = sorted(
        (
            RankMover(i.topic_id, i.label, i.rank, i.prev_rank, i.prev_rank - i.rank)
            for i in ranked
            if i.rank <= listed and i.prev_rank is not None and i.prev_rank <= listed
            and abs(i.prev_rank - i.rank) >= 2
        ),
        key=lambda m: (-abs(m.moved), m.rank),
    )[:3]
    return SinceLastWeek(top=top, entered=entered, left=left, movers=movers)


def _sub_themes(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, weeks: list[str]
) -> dict[int, list[SubTheme]]:
    """Each issue's sub-themes with texts this week or last, largest first.

    Their counts add up to the issue's (a theme counts under one issue); beyond
    SUB_THEMES_SHOWN the smallest are one "other sub-themes" row so the list still does.
    """
    week, prev_week = weeks[-1], weeks[-2] if len(weeks) > 1 else None
    series: dict[int, dict[int, dict]] = {}
    for row in fetch_dicts(con, "issue_subtheme_weeks", {"run_id": ctx.run_id}):
        theme = series.setdefault(row["issue_id"], {}).setdefault(
            row["theme_id"], {"topic_id": int(row["theme_id"]), "label": row["label"], "weeks": {}}
        )
        theme["weeks"][row["week"]] = (int(row["volume"]), int(row["negative_count"]))
    out: dict[int, list[SubTheme]] = {}
    for issue_id, themes in series.items():
        listed = []
        for theme in themes.values():
            volume, negative = theme["weeks"].get(week, (0, 0))
            prev = theme["weeks"].get(prev_week, (0, 0))[0] if prev_week else 0
            if not volume and not prev:
                continue
            listed.append(SubTheme(
                topic_id=theme["topic_id"],
                label=theme["label"],
                volume=volume,
                prev_volume=prev,
                volume_delta=volume - prev,
                negative_count=negative,
                history=[theme["weeks"].get(w, (0, 0))[0] for w in weeks],
            ))
        listed.sort(key=lambda t: (-t.volume, -t.prev_volume, t.label, t.topic_id))
        if len(listed) > SUB_THEMES_SHOWN:
            rest = listed[SUB_THEMES_SHOWN - 1:]
            listed = listed[: SUB_THEMES_SHOWN - 1] + [SubTheme(
                topic_id=None,
                label=f"{len(rest)} other sub-themes",
                volume=sum(t.volume for t in rest),
                prev_volume=sum(t.prev_volume for t in rest),
                volume_delta=sum(t.volume_delta for t in rest),
                negative_count=sum(t.negative_count for t in rest),
                history=[sum(t.history[i] for t in rest) for i in range(len(weeks))],
            )]
        out[issue_id] = listed
    return out


def _history(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, topic_ids: list[int]
) -> dict[tuple[int, str], dict[str, Any]]:
    rows = fetch_dicts(
        con, "issue_week_history", {"run_id": ctx.run_id, "topic_ids": topic_ids}
    )
    return {
        (r["topic_id"], r["week"]): {
            "volume": int(r["volume"]), "negative_share": _float(r["negative_share"])
        }
        for r in rows
    }


def _quotes(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, start: datetime, end: datetime
) -> dict[int, list[Quote]]:
    """Representative and mutually different quotes: greedy max-marginal-relevance.

    An issue in several languages shows one quote of each first (as many as fit), so the
    reader sees one issue across languages; quotes are never translated.
    """
    candidates = fetch_dicts(
        con,
        "topic_quotes",
        {"run_id": ctx.run_id, "week_start": start, "week_end": end,
         "per_topic": QUOTE_CANDIDATES},
    )
    by_topic: dict[int, list[dict]] = {}
    for row in candidates:
        by_topic.setdefault(row["topic_id"], []).append(row)
    chosen: dict[int, list[Quote]] = {}
    for topic_id, rows in by_topic.items():
        vectors = load_vectors(con, [r["text_hash"] for r in rows])
        language = [language_code(r["language"]) or ENGLISH for r in rows]
        picked: list[int] = []
        while len(picked) < min(QUOTES_PER_ISSUE, len(rows)):
            shown = {language[j] for j in picked}
            fresh = any(language[i] not in shown for i in range(len(rows)) if i not in picked)
            best, best_score = None, -np.inf
            for i, row in enumerate(rows):
                if i in picked or (fresh and language[i] in shown):
                    continue
                redundancy = max((float(vectors[i] @ vectors[j]) for j in picked), default=0.0)
                score = 0.6 * float(row["probability"] or 0) - 0.4 * redundancy
                if score > best_score:
                    best, best_score = i, score
            picked.append(best)
        chosen[topic_id] = [
            Quote(
                feedback_id=rows[i]["feedback_id"],
                text=rows[i]["text_redacted"],
                channel=rows[i]["channel"],
                created_at=rows[i]["created_at"].date().isoformat(),
                language=language_code(rows[i]["language"]),
            )
            for i in picked
        ]
    return chosen


def _mix(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, start: datetime, end: datetime
) -> dict[tuple[int, str], dict[str, float]]:
    rows = fetch_dicts(
        con, "topic_mix", {"run_id": ctx.run_id, "week_start": start, "week_end": end}
    )
    out: dict[tuple[int, str], dict[str, float]] = {}
    for row in rows:
        out.setdefault((row["topic_id"], row["dimension"]), {})[row["value"]] = float(row["share"])
    return out
