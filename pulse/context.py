"""Everything the report shows, read from the database into one plain dict.

The template only formats; every number and sentence is decided here, so the
PDF, the HTML, the CSV and summary.json can never disagree.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

from pulse.db import fetch_dicts
from pulse.kpi_moves import UNASSIGNED_LABEL, kpi_moves
from pulse.run import RunContext, metric_params
from pulse.verdicts import METHOD_TEXT as ACTIONS_METHOD
from pulse.verdicts import action_verdicts
from pulse.weeks import IsoWeek

QUOTES_PER_ISSUE = 3
ISSUE_SECTIONS = 5
# Below this many texts a share or mean is shown with its 95% range (is_small_sample).
SMALL_SAMPLE = 30
# The week's change is named by its largest issues; the rest is one "other" figure.
CHANGE_PARTS = 3
# An issue's page lists at most this many sub-themes; the rest are one row, so it adds up.
SUB_THEMES_SHOWN = 6


def build_context(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    """The report's whole content for one run of one week."""
    weeks = [str(w) for w in ctx.window]
    week = str(ctx.week)
    kpi_rows = {r["week"]: r for r in fetch_dicts(con, "weekly_kpis", metric_params(ctx))}
    ticket_channels = {
        r["week"]: r for r in fetch_dicts(con, "weekly_ticket_channels", metric_params(ctx))
    }
    week_row = kpi_rows.get(week, {})
    # A week with no texts has no issues to rank (only ones that fell to nothing), and a
    # partial week's counts are lower by construction, so it calls nothing improving.
    ranked = _issues(con, ctx, weeks) if week_row.get("volume") else []
    if ctx.partial_through is not None:
        for issue in ranked:
            issue["is_improving"] = False
    # The ranked list stops at top_issues; an emerging or improving topic below that line
    # is still listed with the movers (a fading issue rarely ranks high).
    issues = [i for i in ranked if i["rank"] <= ctx.settings.top_issues]
    unassigned = con.execute(
        """
        select count(*) filter (where d.topic_id is null), count(*)
        from doc_topics as d
        inner join feedback as f using (feedback_id)
        where d.run_id = $run_id and f.created_at >= $start and f.created_at < $end
        """,
        {"run_id": ctx.run_id, **dict(zip(("start", "end"), ctx.bounds(ctx.week), strict=True))},
    ).fetchone()
    window_start, window_end = ctx.bounds(ctx.window[0], ctx.week)
    sources = fetch_dicts(
        con,
        "source_coverage",
        {
            "window_start": window_start,
            "window_end": window_end,
            "week_start": ctx.bounds(ctx.week)[0],
        },
    )
    kpis, kpis_absent = _kpis(kpi_rows, ticket_channels, weeks)
    last_week_had_texts = len(weeks) > 1 and bool((kpi_rows.get(weeks[-2]) or {}).get("volume"))
    return {
        "week": week,
        "week_start": ctx.week.monday.isoformat(),
        "week_end": ctx.week.sunday.isoformat(),
        "timezone": ctx.settings.timezone,
        "generated_at": None,
        "page_size": ctx.settings.page_size,
        "top_issues": ctx.settings.top_issues,
        "partial_days": _partial_days(ctx),
        "data_weeks": _data_weeks(con, ctx),
        # "no earlier week" may be said only when the data has no texts before this week
        "has_earlier_week": any((kpi_rows.get(w) or {}).get("volume") for w in weeks[:-1]),
        "kpis": kpis,
        "kpis_absent": kpis_absent,
        "kpi_details": _kpi_details(kpi_rows, weeks),
        "changes": _week_changes(con, ctx) if last_week_had_texts else {},
        # each KPI's change split by issue, mix and rate apart (pulse.kpi_moves)
        "kpi_moves": _kpi_moves(con, ctx) if last_week_had_texts else {},
        "issues": issues,
        # actions CX ops recorded, each with its before/after verdict (pulse.verdicts)
        "actions": action_verdicts(con, ctx) if week_row.get("volume") else [],
        "detail_issues": ctx.settings.detail_issues,
        "since_last_week": _since_last_week(con, ctx, ranked) if last_week_had_texts else {},
        # top issues without an owner that have stayed in the top for weeks
        "unowned_persistent": [
            i for i in issues
            if i["rank"] <= ctx.settings.detail_issues and not i["owner"]
            and (i["weeks_in_top"] or 0) >= PERSISTENT_WEEKS
        ],
        "emerging": [i for i in ranked if i["is_emerging"]],
        "improving": [i for i in ranked if i["is_improving"]],
        "coverage": {
            "sources": sources,
            "total_texts_week": int(week_row.get("volume") or 0),
            "unassigned": int(unassigned[0] or 0),
            "unassigned_share": (unassigned[0] / unassigned[1]) if unassigned[1] else None,
            "weeks_of_history": sum(1 for w in weeks if w in kpi_rows),
        },
        "method": METHOD,
        "run": {
            "run_id": ctx.run_id,
            "week": week,
            "parameters": ctx.counts.get("parameters", {}),
            "timings": ctx.timings,
            "counts": {k: v for k, v in ctx.counts.items() if k != "parameters"},
        },
    }


def _partial_days(ctx: RunContext) -> str | None:
    """The days a partial run covers, such as "Mon–Thu"; None for a complete week."""
    if ctx.partial_through is None:
        return None
    first = ctx.week.monday.strftime("%a")
    last = min(ctx.partial_through, ctx.week.sunday).strftime("%a")
    return first if first == last else f"{first}–{last}"


def _data_weeks(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, str] | None:
    """The oldest and newest weeks with texts: what a week without texts is told."""
    from pulse.run import data_weeks

    found = data_weeks(con, ctx.settings.timezone)
    return {"oldest": str(found[0]), "newest": str(found[1])} if found else None


METHOD = {
    "topics": (
        "Each week Pulse groups the last twelve weeks of tickets and posts by meaning: every text "
        "is turned into a sentence embedding (all-MiniLM-L6-v2, run locally), similar texts are "
        "clustered with BERTopic (UMAP + HDBSCAN, fixed random seed), and texts left over join "
        "the closest topic when they are similar enough. Each cluster is matched to last week's "
        "topics by the similarity of their centres, so an issue keeps its number and name from "
        "week to week; CX operations can rename, merge and hide topics in topics/taxonomy.yaml."
    ),
    "sentiment": (
        "Every text is labelled negative, neutral or positive with a score from -1 to 1 by a "
        "model that runs offline; 'share negative' is the share of a topic's texts labelled "
        "negative."
    ),
    "significance": (
        "Emerging, improving and new are decided by a significance test, so noise does not "
        "make headlines. Emerging: this week's count of texts (or of negative texts) is "
        "compared with the topic's own baseline, the average of up to eight earlier weeks, by "
        "a one-sided negative-binomial test whose variance is the larger of the baseline "
        "average (Poisson) and the topic's own week-to-week variability, widened for the "
        "uncertainty of a short baseline; it flags a topic when the chance of a count this "
        "high with nothing changed is below 1 in 1,000, the count is at least 8, it is at "
        "least 1.5 times the baseline, and the baseline has at least 4 weeks. Improving: "
        "the same test in the other direction on this week and last week together (one quiet "
        "week is not a trend), below 1 in 100, with this week at most two thirds of a "
        "baseline of at least 8 a week. New: the topic was first seen this week. Shares "
        "and averages based on few texts are shown with a 95% range (Wilson interval for "
        "shares, Student t interval for mean CSAT)."
    ),
    "priority": (
        "Priority (0-100) is a weighted sum of five parts, each scaled 0-1: volume (log-scaled "
        "against the week's biggest topic), negativity (share negative), growth (how far above "
        "its baseline), severity (the average of low CSAT, share escalated, resolution time "
        "against three days, and share of repeat contacts: texts saying the member has been "
        "in touch before) and reach (share of paid members and social audience, log-scaled). "
        "The weights are set in pulse.toml."
    ),
    "actions": ACTIONS_METHOD,
}


# One tile per measure, in page order: key, label, column, which way is better, and the
# column counting what it rests on (the tile appears only when that count is above 0).
_KPI_SPECS = (
    ("volume", "Feedback volume", "volume", "down", "volume"),
    ("negative_share", "Share negative", "negative_share", "down", "sentiment_count"),
    ("complaint_share", "Complaints", "complaint_share", None, "complaint_count"),
    ("csat", "CSAT (1-5)", "csat_mean", "up", "csat_count"),
    ("nps", "NPS", "nps", "up", "nps_count"),
    (
        "first_response",
        "Median first response",
        "first_response_median_minutes",
        "down",
        "first_response_count",
    ),
    ("mobile_share", "Mobile share of tickets", "mobile_share", None, "ticket_channel_count"),
)


def _kpis(
    rows: dict[str, dict], ticket_channels: dict[str, dict], weeks: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The week's KPI tiles, and the measures this week's sources do not have.

    A tile appears only when this week has texts or answers for its measure: a source
    without CSAT, NPS, response times or channels would otherwise fill page one with empty
    tiles, and a mobile share over tickets that have no channel reads as "0% mobile". The
    absent measures are returned apart so the report can say in one line what is missing.
    """
    # the mobile share over tickets whose channel is known (weekly_kpis divides by all)
    rows = {
        week: {
            **row,
            "ticket_channel_count": (ticket_channels.get(week) or {}).get(
                "ticket_channel_count", 0
            ),
            "mobile_share": (ticket_channels.get(week) or {}).get("mobile_share"),
        }
        for week, row in rows.items()
    }
    current = rows.get(weeks[-1], {})
    previous = rows.get(weeks[-2], {}) if len(weeks) > 1 else {}
    formats = {
        "volume": (_fmt_int, _pct_change),
        "csat": (_fmt_1, _abs_change(1)),
        "nps": (_fmt_signed, _abs_change(0, " pts")),
        "first_response": (_fmt_minutes, _pct_change),
    }
    tiles, absent = [], []
    for key, label, column, better, count_column in _KPI_SPECS:
        count = int(current.get(count_column) or 0)
        value = _float(current.get(column))
        if count == 0 or value is None:
            if key not in ("volume", "complaint_share"):
                absent.append(
                    {"key": key, "label": label,
                     "prev_count": int(previous.get(count_column) or 0)}
                )
            continue
        # a week without the measure has no value to compare with
        prev = _float(previous.get(column)) if previous.get(count_column) else None
        fmt, change = formats.get(key, (_fmt_pct, _pp_change))
        delta = value - prev if prev is not None else None
        tile = {
            "key": key,
            "label": label,
            "value": value,
            "display": fmt(value),
            "prev": prev,
            "delta": delta,
            "delta_display": change(value, prev) if delta is not None else "",
            "better": better,
            "history": [
                _float(rows[w][column]) if w in rows and rows[w].get(count_column) else None
                for w in weeks
            ],
            "count": count,
            "prev_count": int(previous.get(count_column) or 0),
        }
        if key == "negative_share":
            # the counts behind the share: a falling share of a much larger week can hide
            # many more negative texts, and the report must say so beside the share
            tile["numerator_count"] = int(current.get("negative_count") or 0)
            tile["prev_numerator_count"] = (
                int(previous.get("negative_count") or 0) if prev is not None else None
            )
            tile["numerator_noun"] = "negative texts"
        tiles.append(tile)
    return tiles, absent


def _kpi_details(rows: dict[str, dict], weeks: list[str]) -> dict[str, Any]:
    """The week's breakdowns behind the tiles: CSAT 1-5, NPS groups, channels, P90s.

    Each entry holds this week's and last week's value, so any of them can be shown with
    its change; every count is the number of texts or answers it rests on.
    """
    current = rows.get(weeks[-1], {})
    previous = rows.get(weeks[-2], {}) if len(weeks) > 1 else {}

    def pair(column: str) -> dict[str, float | None]:
        return {"value": _float(current.get(column)), "prev": _float(previous.get(column))}

    channels = [
        "email", "web", "mobile", "chat", "phone", "twitter", "facebook", "forum",
        "app_review", "other_channel",
    ]
    return {
        "csat_distribution": {str(n): pair(f"csat_{n}_count") for n in range(1, 6)},
        "nps_groups": {
            "promoters": pair("nps_promoter_count"),
            "passives": pair("nps_passive_count"),
            "detractors": pair("nps_detractor_count"),
        },
        "volume_by_kind": {"ticket": pair("ticket_count"), "social": pair("social_count")},
        "volume_by_channel": {
            name.removesuffix("_channel"): pair(f"{name}_count")
            for name in channels
            if current.get(f"{name}_count") or previous.get(f"{name}_count")
        },
        "first_response_p90_minutes": pair("first_response_p90_minutes"),
        "resolution_median_minutes": pair("resolution_median_minutes"),
        "resolution_p90_minutes": pair("resolution_p90_minutes"),
        "social_reach": pair("social_reach"),
    }


def _fmt_int(v: float) -> str:
    return f"{v:,.0f}"


def _fmt_1(v: float) -> str:
    return f"{v:.2f}"


def _minus(text: str) -> str:
    """A typographic minus, as the rest of the report writes one."""
    return text.replace("-", "−")


def _fmt_signed(v: float) -> str:
    return _minus(f"{v:+.0f}")


def _fmt_pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _fmt_minutes(v: float) -> str:
    return f"{v:.0f} min" if v < 120 else f"{v / 60:.1f} h"


def _pct_change(v: float, p: float) -> str:
    if not p:
        return ""
    if v / p >= 11:
        # "+8,115%" says nothing a reader can picture; "×82" does (as pulse.report writes it)
        return f"×{v / p:,.0f}"
    return _minus(f"{100 * (v - p) / p:+.0f}%")


def _pp_change(v: float, p: float) -> str:
    return _minus(f"{100 * (v - p):+.0f} pts")


def _abs_change(digits: int, unit: str = ""):
    def change(v: float, p: float) -> str:
        return _minus(f"{v - p:+.{digits}f}{unit}")

    return change


def _issues(con: duckdb.DuckDBPyConnection, ctx: RunContext, weeks: list[str]) -> list[dict]:
    weights = vars(ctx.settings.weights)
    rows = fetch_rows(
        con,
        """
        select r.*, t.label, t.keywords, t.first_seen_week, t.owner, t.notes
        from ranked_issues as r
        inner join topics as t using (topic_id)
        where r.run_id = $run_id and (r.rank <= $limit or r.is_emerging or r.is_improving)
        order by r.rank
        """,
        {"run_id": ctx.run_id, "limit": ctx.settings.top_issues},
    )
    if not rows:
        return []
    topic_ids = [r["topic_id"] for r in rows]
    history = _history(con, ctx, topic_ids, weeks)
    start, end = ctx.bounds(ctx.week)
    quotes = _quotes(con, ctx, start, end)
    mix = _mix(con, ctx, start, end)
    sub_themes = _sub_themes(con, ctx, weeks)
    issues = []
    for row in rows:
        topic_id = row["topic_id"]
        volumes = [history.get((topic_id, w), {}).get("volume", 0) for w in weeks]
        issue = {
            "rank": int(row["rank"]),
            "prev_rank": int(row["prev_rank"]) if row["prev_rank"] is not None else None,
            "topic_id": int(topic_id),
            "label": row["label"],
            "volume": int(row["volume"]),
            "prev_volume": int(row["prev_volume"]) if row["prev_volume"] is not None else None,
            "baseline_volume": _float(row["baseline_volume"]),
            "volume_change": _float(row["volume_change"]),
            # this week minus last calendar week: the issue's part of the week's change
            "volume_delta": _delta(row, "volume_delta", "volume", row["prev_volume"]),
            "negative_delta": _delta(row, "negative_delta", "negative_count", None),
            "week_share": _float(row.get("week_share")),
            "baseline_share": _float(row.get("baseline_share")),
            "negative_share": _float(row["negative_share"]),
            "negative_count": int(row["negative_count"]),
            # 95% ranges (Wilson for shares, Student t for mean CSAT) and their counts
            "sentiment_count": int(row["sentiment_count"]),
            "negative_share_low": _float(row["negative_share_low"]),
            "negative_share_high": _float(row["negative_share_high"]),
            "mean_csat": _float(row["csat_mean"]),
            "csat_count": int(row["csat_count"]),
            "csat_low": _float(row["csat_low"]),
            "csat_high": _float(row["csat_high"]),
            "paid_share": _float(row["paid_share"]),
            "paid_share_low": _float(row["paid_share_low"]),
            "paid_share_high": _float(row["paid_share_high"]),
            "tier_known_count": int(row["tier_known_count"]),
            "escalated_share": _float(row["escalated_share"]),
            "escalated_count": int(row["escalated_count"]),
            "repeat_contact_share": _float(row["repeat_contact_share"]),
            "repeat_contact_count": int(row["repeat_contact_count"]),
            "resolution_median_minutes": _float(row["resolution_median_minutes"]),
            "resolution_count": int(row["resolution_count"]),
            "reach_sum": int(row["reach_sum"] or 0),
            "baseline_week_count": int(row["baseline_week_count"] or 0),
            # the improving test's baseline: the weeks before last week
            "baseline_2w_volume": _float(row["baseline_2w_volume"]),
            "p_value_up": _float(row["p_value_up"]),
            "p_value_down": _float(row["p_value_down"]),
            "p_value_negative_up": _float(row["p_value_negative_up"]),
            "p_value_negative_down": _float(row["p_value_negative_down"]),
            "p_value_share_up": _float(row.get("p_value_share_up")),
            "p_value_negative_share_up": _float(row.get("p_value_negative_share_up")),
            "is_small_sample": int(row["sentiment_count"]) < SMALL_SAMPLE,
            "mean_sentiment": _float(row["sentiment_mean"]),
            "priority": round(_float(row["priority"]) or 0.0, 1),
            "growth_z": _float(row["growth_z"]),
            "components": {
                "volume": _float(row["volume_component"]),
                "negativity": _float(row["negativity_component"]),
                "growth": _float(row["growth_component"]),
                "severity": _float(row["severity_component"]),
                "reach": _float(row["reach_component"]),
            },
            "weights": weights,
            # New: first registered this week and (almost) absent from the weeks before.
            "is_new": bool(row["is_new"]),
            "is_emerging": bool(row["is_emerging"]),
            "is_improving": bool(row["is_improving"]),
            "history": volumes,
            "negative_history": [
                history.get((topic_id, w), {}).get("negative_share") for w in weeks
            ],
            "channel_mix": mix.get((topic_id, "channel"), {}),
            "tier_mix": mix.get((topic_id, "tier"), {}),
            "keywords": list(row["keywords"] or [])[:8],
            "quotes": quotes.get(topic_id, []),
            "sub_themes": sub_themes.get(topic_id, []),
            "owner": row["owner"],
            "notes": row["notes"],
            # the first week with texts: the registry's, or earlier in this run's window
            # (a registry made by a later first run registers old issues late)
            "first_seen_week": _first_week(row["first_seen_week"], weeks, volumes),

            # weeks in a row in the top `detail_issues`, ranked by this run (None: an older run)
            "weeks_in_top": None if row.get("weeks_in_top") is None else int(row["weeks_in_top"]),
        }
        issue["weeks_seen"] = _weeks_since(issue["first_seen_week"], ctx.week) + 1
        # Owners have no history (the taxonomy file holds today's), so an issue without
        # one has gone without for as long as it has been seen.
        issue["weeks_without_owner"] = 0 if row["owner"] else issue["weeks_seen"]
        issue["why"] = why_it_ranks(issue)
        issue["summary"] = summary_sentence(issue)
        issues.append(issue)
    return issues


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


#: In the top issues this many weeks in a row, with no owner: page one calls it out.
PERSISTENT_WEEKS = 3


def _since_last_week(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, ranked: list[dict]
) -> dict[str, Any]:
    """What changed in the top `detail_issues` since last week: who came in, who left and
    why (resolved, faded, overtaken, merged), and the biggest rank moves in the ranking.

    Last week's ranks are this run's ranking of last week (the same topics and merges),
    so an issue CX ops merged since then is found through last week's report instead.
    """
    top, listed = ctx.settings.detail_issues, ctx.settings.top_issues
    prev_week = str(ctx.week.shift(-1))
    entered = [
        {"topic_id": i["topic_id"], "label": i["label"], "rank": i["rank"],
         "prev_rank": i["prev_rank"], "volume": i["volume"], "prev_volume": i["prev_volume"]}
        for i in ranked
        if i["rank"] <= top and (i["prev_rank"] is None or i["prev_rank"] > top)
    ]
    left = []
    for row in fetch_rows(
        con,
        """
        select r.topic_id, t.label, r.rank, r.prev_rank, r.volume, r.prev_volume
        from ranked_issues as r
        inner join topics as t using (topic_id)
        where r.run_id = $run_id and r.prev_rank <= $top and r.rank > $top
        order by r.prev_rank
        """,
        {"run_id": ctx.run_id, "top": top},
    ):
        volume, prev = int(row["volume"]), int(row["prev_volume"] or 0)
        change = "resolved" if volume == 0 else "faded" if volume < prev else "overtaken"
        left.append({**row, "change": change})
    merged = fetch_rows(
        con,
        """
        with last_report as (
            select run_id from runs
            where week = $prev_week and outcome = 'ok'
            order by finished_at desc
            limit 1
        )
        select r.topic_id, t.label, r.rank as prev_rank, r.volume as prev_volume,
            target.label as merged_into_label
        from ranked_issues as r
        inner join last_report using (run_id)
        inner join topics as t using (topic_id)
        inner join topics as target on target.topic_id = t.merged_into
        where r.rank <= $top and t.merged_into is not null
        order by r.rank
        """,
        {"prev_week": prev_week, "top": top},
    )
    left += [{**row, "rank": None, "volume": None, "change": "merged"} for row in merged]
    movers = sorted(
        (
            {"topic_id": i["topic_id"], "label": i["label"], "rank": i["rank"],
             "prev_rank": i["prev_rank"], "moved": i["prev_rank"] - i["rank"]}
            for i in ranked
            if i["rank"] <= listed and i["prev_rank"] is not None and i["prev_rank"] <= listed
            and abs(i["prev_rank"] - i["rank"]) >= 2
        ),
        key=lambda m: (-abs(m["moved"]), m["rank"]),
    )[:3]
    return {"top": top, "entered": entered, "left": left, "movers": movers}


def fetch_rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    """The rows of an inline query as dicts."""
    result = con.execute(sql, params)
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def _float(value) -> float | None:
    return None if value is None else float(value)


def _delta(row: dict, column: str, count_column: str, prev: int | None) -> int | None:
    """A ranked row's change against last week; computed for a run made before the column."""
    if row.get(column) is not None:
        return int(row[column])
    return None if prev is None else int(row[count_column]) - int(prev)


def _kpi_moves(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    labels = dict(con.execute("select topic_id, label from topics").fetchall())
    return kpi_moves(con, ctx.run_id, str(ctx.week), str(ctx.week.shift(-1)), labels)


def _week_changes(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    """The week's change in texts and in negative texts, each split by issue.

    An executive who sees volume jump asks what drove it; week_change_by_issue splits the
    change so that the issues, plus the texts in no issue, add up to it exactly.
    """
    rows = fetch_dicts(
        con,
        "week_change_by_issue",
        {"run_id": ctx.run_id, "week": str(ctx.week), "prev_week": str(ctx.week.shift(-1))},
    )
    topic_ids = [r["topic_id"] for r in rows if r["topic_id"] is not None]
    labels = dict(
        con.execute(
            "select topic_id, label from topics where list_contains($topic_ids, topic_id)",
            {"topic_ids": topic_ids},
        ).fetchall()
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
) -> dict[str, Any]:
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
        {
            "topic_id": row["topic_id"],
            "label": UNASSIGNED_LABEL
            if row["topic_id"] is None
            else labels.get(row["topic_id"], f"Topic {row['topic_id']}"),
            "count": int(row[count_key]),
            "prev_count": int(row[prev_key]),
            "delta": int(row[delta_key]),
        }
        for row in rows
    ]
    by_issue.sort(key=lambda r: (-abs(r["delta"]), r["topic_id"] is None, r["topic_id"] or 0))
    moved = [r for r in by_issue if r["delta"]]
    delta = sum(r["delta"] for r in by_issue)
    named = moved[:parts]
    return {
        "total": sum(r["count"] for r in by_issue),
        "prev_total": sum(r["prev_count"] for r in by_issue),
        "delta": delta,
        "parts": [
            {key: r[key] for key in ("topic_id", "label", "delta")} for r in named
        ],
        "other_delta": delta - sum(r["delta"] for r in named),
        # what "other" holds: issues that moved, and whether the texts in no issue did
        "other_count": sum(1 for r in moved[parts:] if r["topic_id"] is not None),
        "other_has_unassigned": any(r["topic_id"] is None for r in moved[parts:]),
        "by_issue": by_issue,
    }


def _sub_themes(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, weeks: list[str]
) -> dict[int, list[dict]]:
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
    out: dict[int, list[dict]] = {}
    for issue_id, themes in series.items():
        listed = []
        for theme in themes.values():
            volume, negative = theme["weeks"].get(week, (0, 0))
            prev = theme["weeks"].get(prev_week, (0, 0))[0] if prev_week else 0
            if not volume and not prev:
                continue
            listed.append({
                "topic_id": theme["topic_id"],
                "label": theme["label"],
                "volume": volume,
                "prev_volume": prev,
                "volume_delta": volume - prev,
                "negative_count": negative,
                "history": [theme["weeks"].get(w, (0, 0))[0] for w in weeks],
            })
        listed.sort(key=lambda t: (-t["volume"], -t["prev_volume"], t["label"], t["topic_id"]))
        if len(listed) > SUB_THEMES_SHOWN:
            rest = listed[SUB_THEMES_SHOWN - 1:]
            listed = listed[: SUB_THEMES_SHOWN - 1] + [{
                "topic_id": None,
                "label": f"{len(rest)} other sub-themes",
                **{key: sum(t[key] for t in rest)
                   for key in ("volume", "prev_volume", "volume_delta", "negative_count")},
                "history": [sum(t["history"][i] for t in rest) for i in range(len(weeks))],
            }]
        out[issue_id] = listed
    return out


def _history(con, ctx: RunContext, topic_ids: list[int], weeks: list[str]) -> dict:
    rows = con.execute(
        """
        select topic_id, week, volume, negative_share
        from topic_week_metrics
        where run_id = $run_id and level = 'issue' and list_contains($topic_ids, topic_id)
        """,
        {"run_id": ctx.run_id, "topic_ids": topic_ids},
    ).fetchall()
    return {(t, w): {"volume": int(v), "negative_share": _float(n)} for t, w, v, n in rows}


def _quotes(con, ctx: RunContext, start, end) -> dict[int, list[dict]]:
    """Representative and mutually different quotes: greedy max-marginal-relevance."""
    from pulse.embed import load_vectors

    candidates = fetch_dicts(
        con,
        "topic_quotes",
        {"run_id": ctx.run_id, "week_start": start, "week_end": end, "per_topic": 20},
    )
    by_topic: dict[int, list[dict]] = {}
    for row in candidates:
        by_topic.setdefault(row["topic_id"], []).append(row)
    chosen: dict[int, list[dict]] = {}
    for topic_id, rows in by_topic.items():
        vectors = load_vectors(con, [r["text_hash"] for r in rows])
        picked: list[int] = []
        while len(picked) < min(QUOTES_PER_ISSUE, len(rows)):
            best, best_score = None, -np.inf
            for i, row in enumerate(rows):
                if i in picked:
                    continue
                redundancy = max((float(vectors[i] @ vectors[j]) for j in picked), default=0.0)
                score = 0.6 * float(row["probability"] or 0) - 0.4 * redundancy
                if score > best_score:
                    best, best_score = i, score
            picked.append(best)
        chosen[topic_id] = [
            {
                "feedback_id": rows[i]["feedback_id"],
                "text": rows[i]["text_redacted"],
                "channel": rows[i]["channel"],
                "created_at": rows[i]["created_at"].date().isoformat(),
            }
            for i in picked
        ]
    return chosen


def _mix(con, ctx: RunContext, start, end) -> dict[tuple[int, str], dict[str, float]]:
    rows = fetch_dicts(
        con, "topic_mix", {"run_id": ctx.run_id, "week_start": start, "week_end": end}
    )
    out: dict[tuple[int, str], dict[str, float]] = {}
    for row in rows:
        out.setdefault((row["topic_id"], row["dimension"]), {})[row["value"]] = float(row["share"])
    return out


_COMPONENT_WORDS = {
    "volume": "its size",
    "negativity": "how negative members are",
    "growth": "its growth",
    "severity": "its severity (CSAT, escalations, resolution time)",
    "reach": "its reach",
}


def why_it_ranks(issue: dict) -> str:
    """One plain sentence naming the parts that put the issue where it is.

    The figures themselves are said once, beside it (texts against last week, share
    negative, CSAT); repeating them here against another baseline only confused readers.
    """
    weights = issue["weights"]
    total = sum(weights.values()) or 1.0
    contributions = {
        name: (issue["components"].get(name) or 0.0) * weights[name] / total for name in weights
    }
    top = sorted(contributions, key=lambda n: (-contributions[n], n))[:2]
    drivers = " and ".join(_COMPONENT_WORDS[n] for n in top)
    return f"Ranks #{issue['rank']} mainly for {drivers}."


def summary_sentence(issue: dict) -> str:
    """What the issue is, how big, what changed: the line on page one."""
    change = ""
    if issue["prev_volume"]:
        ratio = issue["volume"] / issue["prev_volume"]
        if ratio >= 1.5:
            change = f", {ratio:.1f}× last week's {issue['prev_volume']}"
        elif ratio <= 0.67:
            change = f", down from {issue['prev_volume']} last week"
        else:
            change = f", about level with last week ({issue['prev_volume']})"
    elif issue["prev_volume"] == 0:
        change = ", none last week"
    status = " Emerging." if issue["is_emerging"] else (" New." if issue["is_new"] else "")
    negative = (
        f"; {100 * issue['negative_share']:.0f}% negative"
        if issue["negative_share"] is not None
        else ""
    )
    return f"{issue['label']}: {issue['volume']} texts{change}{negative}.{status}"
