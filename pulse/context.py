"""Everything the report shows, read from the database into one plain dict.

The template only formats; every number and sentence is decided here, so the
PDF, the HTML, the CSV and summary.json can never disagree.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

from pulse.db import fetch_dicts
from pulse.pipeline import RunContext, metric_params

QUOTES_PER_ISSUE = 4
ISSUE_SECTIONS = 5
# Below this many texts a share or mean is shown with its 95% range (is_small_sample).
SMALL_SAMPLE = 30


def build_context(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    """The report's whole content for one run of one week."""
    weeks = [str(w) for w in ctx.window]
    week = str(ctx.week)
    kpi_rows = {r["week"]: r for r in fetch_dicts(con, "weekly_kpis", metric_params(ctx))}
    ranked = _issues(con, ctx, weeks)
    # The ranked list stops at top_issues; an emerging or improving topic below that line
    # is still listed with the movers (a fading issue rarely ranks high).
    issues = [i for i in ranked if i["rank"] <= ctx.settings.top_issues]
    week_row = kpi_rows.get(week, {})
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
    return {
        "week": week,
        "week_start": ctx.week.monday.isoformat(),
        "week_end": ctx.week.sunday.isoformat(),
        "timezone": ctx.settings.timezone,
        "generated_at": None,
        "page_size": ctx.settings.page_size,
        "kpis": _kpis(kpi_rows, weeks),
        "kpi_details": _kpi_details(kpi_rows, weeks),
        "issues": issues,
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
}


def _kpis(rows: dict[str, dict], weeks: list[str]) -> list[dict[str, Any]]:
    current = rows.get(weeks[-1], {})
    previous = rows.get(weeks[-2], {}) if len(weeks) > 1 else {}
    specs = [
        ("volume", "Feedback volume", "volume", "down", "volume", _fmt_int, _pct_change),
        ("csat", "CSAT (1-5)", "csat_mean", "up", "csat_count", _fmt_1, _abs_change(1)),
        ("nps", "NPS", "nps", "up", "nps_count", _fmt_signed, _abs_change(0, " pts")),
        (
            "first_response",
            "Median first response",
            "first_response_median_minutes",
            "down",
            "first_response_count",
            _fmt_minutes,
            _pct_change,
        ),
        (
            "negative_share",
            "Share negative",
            "negative_share",
            "down",
            "volume",
            _fmt_pct,
            _pp_change,
        ),
        (
            "mobile_share",
            "Mobile share of tickets",
            "mobile_share",
            None,
            "ticket_count",
            _fmt_pct,
            _pp_change,
        ),
    ]
    tiles = []
    for key, label, column, better, count_column, fmt, change in specs:
        value, prev = current.get(column), previous.get(column)
        value = float(value) if value is not None else None
        prev = float(prev) if prev is not None else None
        delta = value - prev if value is not None and prev is not None else None
        tiles.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "display": fmt(value) if value is not None else "–",
                "prev": prev,
                "delta": delta,
                "delta_display": change(value, prev) if delta is not None else "",
                "better": better,
                "history": [
                    float(rows[w][column]) if w in rows and rows[w][column] is not None else None
                    for w in weeks
                ],
                "count": int(current.get(count_column) or 0),
            }
        )
    return tiles


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


def _fmt_signed(v: float) -> str:
    return f"{v:+.0f}"


def _fmt_pct(v: float) -> str:
    return f"{100 * v:.0f}%"


def _fmt_minutes(v: float) -> str:
    return f"{v:.0f} min" if v < 120 else f"{v / 60:.1f} h"


def _pct_change(v: float, p: float) -> str:
    return f"{100 * (v - p) / p:+.0f}%" if p else ""


def _pp_change(v: float, p: float) -> str:
    return f"{100 * (v - p):+.0f} pts"


def _abs_change(digits: int, unit: str = ""):
    def change(v: float, p: float) -> str:
        return f"{v - p:+.{digits}f}{unit}"

    return change


def _issues(con: duckdb.DuckDBPyConnection, ctx: RunContext, weeks: list[str]) -> list[dict]:
    weights = vars(ctx.settings.weights)
    ranked = con.execute(
        """
        select r.*, t.label, t.keywords, t.first_seen_week, t.owner, t.notes
        from ranked_issues as r
        inner join topics as t using (topic_id)
        where r.run_id = $run_id and (r.rank <= $limit or r.is_emerging or r.is_improving)
        order by r.rank
        """,
        {"run_id": ctx.run_id, "limit": ctx.settings.top_issues},
    )
    columns = [d[0] for d in ranked.description]
    rows = [dict(zip(columns, r, strict=True)) for r in ranked.fetchall()]
    if not rows:
        return []
    topic_ids = [r["topic_id"] for r in rows]
    history = _history(con, ctx, topic_ids, weeks)
    start, end = ctx.bounds(ctx.week)
    quotes = _quotes(con, ctx, start, end)
    mix = _mix(con, ctx, start, end)
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
            "is_small_sample": int(row["sentiment_count"]) < SMALL_SAMPLE,
            "mean_sentiment": _float(row["sentiment_mean"]),
            "priority": round(float(row["priority"]), 1),
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
            "owner": row["owner"],
            "notes": row["notes"],
        }
        issue["why"] = why_it_ranks(issue)
        issue["summary"] = summary_sentence(issue)
        issues.append(issue)
    return issues


def _float(value) -> float | None:
    return None if value is None else float(value)


def _history(con, ctx: RunContext, topic_ids: list[int], weeks: list[str]) -> dict:
    rows = con.execute(
        """
        select topic_id, week, volume, negative_share
        from topic_week_metrics
        where run_id = $run_id and list_contains($topic_ids, topic_id)
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
    """One plain sentence naming the parts that put the issue where it is."""
    weights = issue["weights"]
    total = sum(weights.values()) or 1.0
    contributions = {
        name: (issue["components"].get(name) or 0.0) * weights[name] / total for name in weights
    }
    top = sorted(contributions, key=lambda n: (-contributions[n], n))[:2]
    parts = []
    if issue["is_emerging"] and issue.get("baseline_volume") is not None:
        parts.append(
            f"{issue['volume']} texts against a usual {issue['baseline_volume']:.0f} a week"
        )
    elif issue["is_improving"] and issue.get("baseline_2w_volume") is not None:
        parts.append(
            f"{issue['volume']} texts this week, down from a usual "
            f"{issue['baseline_2w_volume']:.0f} a week"
        )
    else:
        parts.append(f"{issue['volume']} texts this week")
    if issue["negative_share"] is not None:
        text = f"{100 * issue['negative_share']:.0f}% negative"
        low, high = issue.get("negative_share_low"), issue.get("negative_share_high")
        if issue.get("sentiment_count", SMALL_SAMPLE) < SMALL_SAMPLE and low is not None:
            text += f" (95% range {100 * low:.0f}-{100 * high:.0f}%)"
        parts.append(text)
    if issue["mean_csat"] is not None and issue["csat_count"] >= 3:
        text = f"CSAT {issue['mean_csat']:.1f} from {issue['csat_count']} ratings"
        low, high = issue.get("csat_low"), issue.get("csat_high")
        if issue["csat_count"] < SMALL_SAMPLE and low is not None:
            text += f" (95% range {low:.1f}-{high:.1f})"
        parts.append(text)
    drivers = " and ".join(_COMPONENT_WORDS[n] for n in top)
    return f"Ranks #{issue['rank']} mainly for {drivers}: " + ", ".join(parts) + "."


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
