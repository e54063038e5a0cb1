"""Everything the report shows, read from the database into one typed `Report`.

Every number and sentence is decided here (and in the modules it calls); the template
only lays it out, through `formatting`'s filters, so the PDF, the HTML, the CSV and
summary.json can never disagree. Reads only: the marts were materialised by the run.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from pulse.db import fetch_dicts, run_query
from pulse.report.changes import week_changes
from pulse.report.issues import PERSISTENT_WEEKS, listed_issues, since_last_week
from pulse.report.kpi_moves import kpi_moves
from pulse.report.languages import language_mix
from pulse.report.model import (
    ActionVerdict,
    Coverage,
    DataWeeks,
    KpiAbsent,
    KpiDetails,
    KpiTile,
    Report,
    SourceCoverage,
    ValuePair,
)
from pulse.report.verdicts import action_verdicts
from pulse.report.wording import METHOD
from pulse.run import RunContext, data_weeks, metric_params
from pulse.topics.praise import without_praise

#: The data stops inside the week when the days after its last one held this many texts
#: the week before (at this week's rate): none of 3 expected is a 5% chance (Poisson).
DATA_END_EXPECTED = 3


def build_context(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> Report:
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
    ranked = listed_issues(con, ctx, weeks) if week_row.get("volume") else []
    # An export that stops mid-week is a partial week too, though the week is over.
    ends = data_ends(con, ctx) if week_row.get("volume") else None
    if ctx.partial_through is not None or ends is not None:
        for issue in ranked:
            issue.is_improving = False
    # The ranked list stops at top_issues; an emerging or improving topic below that line
    # is still listed with the movers (a fading issue rarely ranks high).
    issues = [i for i in ranked if i.rank <= ctx.settings.top_issues]
    kpis, kpis_absent = _kpis(kpi_rows, ticket_channels, weeks)
    last_week_had_texts = len(weeks) > 1 and bool((kpi_rows.get(weeks[-2]) or {}).get("volume"))
    labels = _topic_labels(con, ctx.run_id) if last_week_had_texts else {}
    return Report(
        week=week,
        week_start=ctx.week.monday.isoformat(),
        week_end=ctx.week.sunday.isoformat(),
        timezone=ctx.settings.timezone,
        generated_at=None,
        page_size=ctx.settings.page_size,
        top_issues=ctx.settings.top_issues,
        partial_days=_partial_days(ctx),
        data_ends=f"{ends:%A} {ends.day} {ends:%B}" if ends else None,
        data_weeks=_data_weeks(con, ctx),
        # "no earlier week" may be said only when the data has no texts before this week
        has_earlier_week=any((kpi_rows.get(w) or {}).get("volume") for w in weeks[:-1]),
        kpis=kpis,
        kpis_absent=kpis_absent,
        kpi_details=_kpi_details(kpi_rows, weeks),
        changes=week_changes(con, ctx, labels) if last_week_had_texts else {},
        # each KPI's change split by issue, mix and rate apart (pulse.report.kpi_moves)
        kpi_moves=(
            kpi_moves(con, ctx.run_id, week, str(ctx.week.shift(-1)), labels)
            if last_week_had_texts else {}
        ),
        issues=issues,
        # actions CX ops recorded, each with its before/after verdict
        actions=(
            [ActionVerdict(**row) for row in action_verdicts(con, ctx)]
            if week_row.get("volume") else []
        ),
        detail_issues=ctx.settings.detail_issues,
        since_last_week=since_last_week(con, ctx, ranked) if last_week_had_texts else None,
        # top issues without an owner that have stayed in the top for weeks
        unowned_persistent=[
            i for i in issues
            if i.rank <= ctx.settings.detail_issues and not i.owner
            and (i.weeks_in_top or 0) >= PERSISTENT_WEEKS
        ],
        emerging=[i for i in ranked if i.is_emerging],
        improving=[i for i in ranked if i.is_improving],
        coverage=_coverage(con, ctx, week_row, kpi_rows, weeks),
        method=dict(METHOD),
        run={
            "run_id": ctx.run_id,
            "week": week,
            "parameters": ctx.counts.get("parameters", {}),
            "timings": ctx.timings,
            "counts": {k: v for k, v in ctx.counts.items() if k != "parameters"},
        },
    )


def _topic_labels(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[int, str]:
    """Each topic's label; one the run ranked without a praise mark a later run gave it."""
    return {
        row["topic_id"]: without_praise(row["label"]) if row["is_ranked"] else row["label"]
        for row in fetch_dicts(con, "topic_labels", {"run_id": run_id})
    }


def _coverage(
    con: duckdb.DuckDBPyConnection,
    ctx: RunContext,
    week_row: dict[str, Any],
    kpi_rows: dict[str, dict],
    weeks: list[str],
) -> Coverage:
    """What each source delivered, how many of the week's texts fit no issue, their languages."""
    week_start, week_end = ctx.bounds(ctx.week)
    assigned = fetch_dicts(
        con,
        "week_assignment_counts",
        {"run_id": ctx.run_id, "week_start": week_start, "week_end": week_end},
    )[0]
    unassigned, texts = assigned["unassigned_count"], assigned["text_count"]
    window_start, window_end = ctx.bounds(ctx.window[0], ctx.week)
    sources = fetch_dicts(
        con,
        "source_coverage",
        {"window_start": window_start, "window_end": window_end, "week_start": week_start},
    )
    return Coverage(
        sources=[SourceCoverage(**row) for row in sources],
        total_texts_week=int(week_row.get("volume") or 0),
        unassigned=int(unassigned or 0),
        unassigned_share=(unassigned / texts) if texts else None,
        weeks_of_history=sum(1 for w in weeks if w in kpi_rows),
        languages=language_mix(con, week_start, week_end),
    )


def data_ends(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> date | None:
    """The last day with texts when the data stops before the run's week ends, else None.

    It stops when the days after that one held texts the week before: at least
    DATA_END_EXPECTED of them at this week's rate, where this week has none. A source
    that is quiet at weekends, or a run's last week that ends on a quiet Sunday, is not
    cut short; an export that ends on a Wednesday is (its week is 3 days of 7). Nor is a
    week that later texts follow (a past week rerun): its quiet days were quiet.
    """
    if ctx.partial_through is not None:
        return None
    previous_start, _ = ctx.bounds(ctx.week.shift(-1))
    week_start, week_end = ctx.bounds(ctx.week)
    counts: dict[bool, dict[int, int]] = {True: {}, False: {}}
    rows = run_query(
        con,
        "week_weekdays",
        {
            "tz": ctx.settings.timezone,
            "previous_start": previous_start,
            "week_start": week_start,
            "week_end": week_end,
        },
    ).fetchall()
    for this_week, weekday, texts, later in rows:
        if later:
            return None
        counts[bool(this_week)][int(weekday)] = int(texts)
    if not counts[True]:
        return None
    last = max(counts[True])
    before = sum(n for day, n in counts[False].items() if day <= last)
    after = sum(n for day, n in counts[False].items() if day > last)
    if last == 7 or not before:
        return None
    expected = sum(counts[True].values()) * after / before
    return ctx.week.monday + timedelta(days=last - 1) if expected >= DATA_END_EXPECTED else None


def _partial_days(ctx: RunContext) -> str | None:
    """The days a partial run covers, such as "Mon–Thu"; None for a complete week."""
    if ctx.partial_through is None:
        return None
    first = ctx.week.monday.strftime("%a")
    last = min(ctx.partial_through, ctx.week.sunday).strftime("%a")
    return first if first == last else f"{first}–{last}"


def _data_weeks(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> DataWeeks | None:
    """The oldest and newest weeks with texts: what a week without texts is told."""
    found = data_weeks(con, ctx.settings.timezone)
    return DataWeeks(oldest=str(found[0]), newest=str(found[1])) if found else None


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
) -> tuple[list[KpiTile], list[KpiAbsent]]:
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
    tiles, absent = [], []
    for key, label, column, better, count_column in _KPI_SPECS:
        count = int(current.get(count_column) or 0)
        value = _float(current.get(column))
        prev_count = int(previous.get(count_column) or 0)
        if count == 0 or value is None:
            if key not in ("volume", "complaint_share"):
                absent.append(KpiAbsent(key=key, label=label, prev_count=prev_count))
            continue
        # a week without the measure has no value to compare with
        prev = _float(previous.get(column)) if previous.get(count_column) else None
        tile = KpiTile(
            key=key,
            label=label,
            value=value,
            better=better,
            count=count,
            prev_count=prev_count,
            prev=prev,
            delta=value - prev if prev is not None else None,
            history=[
                _float(rows[w][column]) if w in rows and rows[w].get(count_column) else None
                for w in weeks
            ],
        )
        if key == "negative_share":
            # the counts behind the share: a falling share of a much larger week can hide
            # many more negative texts, and the report must say so beside the share
            tile.numerator_count = int(current.get("negative_count") or 0)
            tile.prev_numerator_count = (
                int(previous.get("negative_count") or 0) if prev is not None else None
            )
            tile.numerator_noun = "negative texts"
        tiles.append(tile)
    return tiles, absent


_CHANNELS = (
    "email", "web", "mobile", "chat", "phone", "twitter", "facebook", "forum", "app_review",
    "other_channel",
)


def _kpi_details(rows: dict[str, dict], weeks: list[str]) -> KpiDetails:
    """The week's breakdowns behind the tiles: CSAT 1-5, NPS groups, channels, P90s.

    Each entry holds this week's and last week's value, so any of them can be shown with
    its change; every count is the number of texts or answers it rests on.
    """
    current = rows.get(weeks[-1], {})
    previous = rows.get(weeks[-2], {}) if len(weeks) > 1 else {}

    def pair(column: str) -> ValuePair:
        return ValuePair(value=_float(current.get(column)), prev=_float(previous.get(column)))

    return KpiDetails(
        csat_distribution={str(n): pair(f"csat_{n}_count") for n in range(1, 6)},
        nps_groups={
            "promoters": pair("nps_promoter_count"),
            "passives": pair("nps_passive_count"),
            "detractors": pair("nps_detractor_count"),
        },
        volume_by_kind={"ticket": pair("ticket_count"), "social": pair("social_count")},
        volume_by_channel={
            name.removesuffix("_channel"): pair(f"{name}_count")
            for name in _CHANNELS
            if current.get(f"{name}_count") or previous.get(f"{name}_count")
        },
        first_response_p90_minutes=pair("first_response_p90_minutes"),
        resolution_median_minutes=pair("resolution_median_minutes"),
        resolution_p90_minutes=pair("resolution_p90_minutes"),
        social_reach=pair("social_reach"),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
