"""Realistic reports for tests and the render benchmark, as `pulse.report.model.Report`.

The shape follows what `build_context` hands to ``pulse.report.render_report``: a
week of a professional network's support feedback with KPIs, up to 15 ranked
issues (each with 12 weeks of history, mixes, keywords and redacted quotes),
emerging and improving subsets, coverage and method notes. Numbers come from a
seeded generator so every call with the same arguments gives the same report.
"""

from __future__ import annotations

import copy
import random
from typing import Any, TypeVar

from pulse.report.changes import change_split
from pulse.report.model import (
    ChangeSplit,
    Coverage,
    Issue,
    KpiAbsent,
    KpiTile,
    Quote,
    Report,
    SourceCoverage,
    SubTheme,
)

Record = TypeVar("Record")


def update(record: Record, **values: Any) -> Record:
    """Set fields of a model record, refusing a name it does not have (a typo fails)."""
    for name, value in values.items():
        if not hasattr(record, name):
            raise AttributeError(f"{type(record).__name__} has no field {name!r}")
        setattr(record, name, value)
    return record

WEEK = "2026-W46"
WEIGHTS = {"volume": 0.30, "negativity": 0.25, "growth": 0.25, "severity": 0.15, "reach": 0.05}

ISSUE_SEEDS: list[tuple[str, list[str], list[str]]] = [
    ("Invite all contacts sent by mistake",
     ["invite", "contacts", "imported", "address book", "spam", "embarrassing"],
     ["The app sent an invite to every contact in my address book without asking. "
      "I have had to apologise to my former manager.",
      "Why did [NAME] get an invitation from me? I never clicked invite all.",
      "Your import tool spammed 600 people in my name. Turn this off."]),
    ("Cannot log in after password reset",
     ["password", "reset", "login", "link expired", "locked"],
     ["Reset link says expired the second I click it, I am locked out for three days now.",
      "Changed my password and now the app just loops back to the sign-in page."]),
    ("Premium charge after cancelling",
     ["charged", "premium", "cancel", "refund", "subscription"],
     ["I cancelled Premium on the 1st and was charged again on the 9th. I want a refund.",
      "Billing took [AMOUNT] after I cancelled my trial, support has not replied."]),
    ("Job alerts stopped arriving",
     ["job alerts", "email", "notifications", "saved search"],
     ["My saved job search alerts stopped coming in two weeks ago.",
      "No job alert emails since the update, settings say they are on."]),
    ("Recruiter InMail credits missing",
     ["inmail", "credits", "recruiter", "balance"],
     ["Our recruiter seat shows 0 InMail credits after renewal.",
      "Credits vanished overnight, we have outreach planned this week."]),
    ("Profile photo upload fails on mobile",
     ["photo", "upload", "mobile", "crop", "error"],
     ["Upload spinner forever on Android when I try to change my photo."]),
    ("Account restricted without reason",
     ["restricted", "account", "verification", "id"],
     ["My account was restricted with no reason given, I uploaded my ID twice."]),
    ("Feed shows same posts repeatedly",
     ["feed", "repeat", "posts", "refresh"],
     ["The feed shows the same five posts every time I refresh."]),
    ("Messages not syncing between devices",
     ["messages", "sync", "desktop", "phone"],
     ["Messages I read on desktop still show unread on my phone."]),
    ("Two-factor codes arrive late",
     ["two-factor", "sms", "code", "delay"],
     ["2FA text arrives after the code has already expired."]),
    ("Endorsements from strangers",
     ["endorsements", "strangers", "skills"],
     ["People I do not know keep endorsing me for skills I never listed."]),
    ("Company page admin access lost",
     ["company page", "admin", "access"],
     ["I lost admin access to our company page after the owner left."]),
    ("Learning course video will not play",
     ["course", "video", "playback", "buffering"],
     ["Course videos stop at 0:03 and never buffer."]),
    ("Search results ignore location filter",
     ["search", "location", "filter", "results"],
     ["I filter for London and get results from Texas."]),
    ("Dark mode unreadable in settings",
     ["dark mode", "settings", "contrast"],
     ["In dark mode the settings text is grey on black, impossible to read."]),
]

CHANNELS = ["email", "web", "mobile", "chat", "twitter", "forum"]


def _mix(rng: random.Random, names: list[str]) -> dict[str, float]:
    raw = [rng.random() ** 2 + 0.02 for _ in names]
    total = sum(raw)
    return {name: round(value / total, 3) for name, value in zip(names, raw, strict=True)}


def sample_issue(rank: int, seed: int = 46) -> Issue:
    """One ranked issue, shaped like the pipeline's, deterministic in (rank, seed)."""
    rng = random.Random(seed * 1000 + rank)
    label, keywords, texts = ISSUE_SEEDS[(rank - 1) % len(ISSUE_SEEDS)]
    base = max(8, int(140 / rank ** 0.7))
    history = [max(0, int(base * (0.35 + 0.5 * rng.random()))) for _ in range(11)]
    growing = rank in (1, 4)
    improving = rank in (6, 11)
    if growing:
        volume = int(base * 1.6)
    elif improving:
        volume = int(base * 0.3)
    else:
        volume = int(base * (0.7 + 0.5 * rng.random()))
    if rank == 3:
        history[-3:] = [0, 0, 0]
    history.append(volume)
    prev_volume = history[-2]
    negative_count = round(volume * 0.7)
    prev_negative_count = round(prev_volume * 0.6)
    negative_history: list[float | None] = [
        round(0.4 + 0.4 * rng.random(), 3) for _ in range(12)
    ]
    negative_history[2] = None  # a week with too few texts to judge
    negative_share = round(0.55 + 0.35 * rng.random(), 3)
    negative_history[-1] = negative_share
    components = {
        "volume": round(min(1.0, volume / 150), 3),
        "negativity": negative_share,
        "growth": round(1.0 if growing else rng.random() * 0.5, 3),
        "severity": round(rng.random(), 3),
        "reach": round(rng.random() * 0.6, 3),
    }
    priority = round(100 * sum(WEIGHTS[k] * v for k, v in components.items()) / sum(
        WEIGHTS.values()), 1)
    has_csat = rank % 5 != 0
    quotes = [
        Quote(
            feedback_id=f"demo_tickets:ZD-{1000 + rank * 37 + index}",
            text=text,
            channel=CHANNELS[(rank + index) % len(CHANNELS)],
            created_at=f"2026-11-{10 + index:02d}",
        )
        for index, text in enumerate(texts)
    ]
    # the top issue was 24th last week: outside last week's top 15
    prev_rank = 24 if rank == 1 else (
        None if rank in (4, 9) else max(1, rank + rng.choice([-2, -1, 0, 1, 3]))
    )
    return Issue(
        rank=rank,
        prev_rank=prev_rank,
        topic_id=100 + rank,
        label=label,
        volume=volume,
        prev_volume=prev_volume,
        volume_change=None if prev_volume == 0 else round(volume / prev_volume - 1, 3),
        volume_delta=volume - prev_volume,
        negative_count=negative_count,
        negative_delta=negative_count - prev_negative_count,
        negative_share=negative_share,
        sentiment_count=volume,
        mean_csat=round(1.6 + 2.5 * rng.random(), 2) if has_csat else None,
        csat_count=int(volume * 0.4) if has_csat else 0,
        mean_sentiment=round(-0.2 - 0.5 * rng.random(), 3),
        priority=priority,
        components=components,
        weights=dict(WEIGHTS),
        is_new=rank in (4, 9),
        is_emerging=growing,
        is_improving=improving,
        history=history,
        negative_history=negative_history,
        channel_mix=_mix(rng, ["email", "web", "mobile", "chat", "twitter"]),
        tier_mix=_mix(rng, ["free", "premium", "recruiter"]),
        keywords=keywords,
        quotes=quotes,
        sub_themes=sample_sub_themes(label, history, rank),
        why=(
            "Volume jumped far above its usual level and most of it is angry."
            if growing else
            "Far fewer complaints than its usual level, so it drops down the list."
            if improving else
            "Steady volume, but low satisfaction and slow resolutions keep it high."
        ),
    )


SUB_THEME_WORDS = ("on the app", "by e-mail", "after the update", "for new members")


def sample_sub_themes(label: str, history: list[int], rank: int) -> list[SubTheme]:
    """An issue's sub-themes, splitting its history so every week adds up to the issue's.

    Issues ranked 1-3 have three sub-themes, rank 4 has one (its page lists none).
    """
    count = 3 if rank <= 3 else 1
    parts: list[list[int]] = [[] for _ in range(count)]
    for volume in history:
        left = volume
        for index in range(count):
            share = left if index == count - 1 else volume * (count - index) // (2 * count)
            share = min(share, left)
            parts[index].append(share)
            left -= share
    themes = [
        SubTheme(
            topic_id=1000 + rank * 10 + index,
            label=f"{label} {SUB_THEME_WORDS[index]}",
            volume=series[-1],
            prev_volume=series[-2],
            volume_delta=series[-1] - series[-2],
            negative_count=series[-1] // 2,
            history=series,
        )
        for index, series in enumerate(parts)
    ]
    themes.sort(key=lambda t: (-t.volume, -t.prev_volume, t.label))
    return themes


def _kpi(key: str, label: str, value: float | None, prev: float | None,
         better: str | None, history: list[float | None], count: int) -> KpiTile:
    return KpiTile(
        key=key, label=label, value=value, prev=prev,
        delta=None if value is None or prev is None else round(value - prev, 4),
        better=better, history=history, count=count,
    )


def sample_kpis() -> list[KpiTile]:
    """The six headline measures, with one missing a week of history."""
    return [
        _kpi("volume", "Feedback volume", 1234, 1102, None,
             [980, 1010, 1050, 990, 1100, 1080, 1120, 1060, 1090, 1150, 1102, 1234], 1234),
        _kpi("csat", "CSAT (1–5)", 3.6, 3.9, "up",
             [4.0, 3.9, 4.1, 4.0, 3.9, 3.8, 4.0, 3.9, 3.9, 3.8, 3.9, 3.6], 412),
        _kpi("nps", "NPS", 21.0, 18.0, "up",
             [15, 16, None, 18, 17, 19, 20, 18, 17, 19, 18, 21], 188),
        _kpi("first_response", "First response (median)", 95.0, 130.0, "down",
             [150, 145, 160, 140, 138, 150, 132, 128, 140, 135, 130, 95], 980),
        update(
            _kpi("negative_share", "Share negative", 0.41, 0.37, "down",
                 [0.35, 0.36, 0.34, 0.36, 0.38, 0.37, 0.35, 0.36, 0.37, 0.38, 0.37, 0.41],
                 1234),
            numerator_count=506, prev_numerator_count=408, numerator_noun="negative texts",
        ),
        _kpi("mobile_share", "From mobile", 0.33, 0.33, None,
             [0.3, 0.31, 0.31, 0.32, 0.31, 0.32, 0.33, 0.32, 0.33, 0.33, 0.33, 0.33], 1234),
    ]


METHOD = {
    "topics": "Complaints are grouped by meaning, not by keyword: each text is turned into "
              "numbers that capture what it is about, and texts that sit close together form "
              "an issue. An issue keeps its name and number from week to week.",
    "sentiment": "Each text is scored from very negative to very positive by an automatic "
                 "reader of tone; 'share negative' is the part scored clearly negative.",
    "significance": "An issue is called emerging or improving only when this week differs "
                    "from its own previous weeks by more than ordinary week-to-week noise.",
    "priority": "Priority (0–100) adds up volume, negativity, growth, severity (low "
                "satisfaction, slow resolution, escalations) and reach (social amplification, "
                "paid members), each scored 0 to 1 and weighted as configured.",
}


def _week_totals_from(
    issues: list[Issue], kpis: list[KpiTile], unassigned: tuple[int, int]
) -> None:
    """Make the volume and negative tiles the issues' sums plus a few texts in no issue,
    as the pipeline's are (this week, last week).
    """
    volume = next(k for k in kpis if k.key == "volume")
    total = sum(i.volume for i in issues) + unassigned[0]
    prev = sum(i.prev_volume for i in issues) + unassigned[1]
    update(
        volume, value=total, prev=prev, delta=total - prev, count=total,
        history=[round(v * prev / volume.prev) for v in volume.history[:-2]] + [prev, total],
    )
    negative = next(k for k in kpis if k.key == "negative_share")
    count = sum(i.negative_count for i in issues) + unassigned[0] // 2
    prev_count = sum(i.negative_count - i.negative_delta for i in issues) + (
        unassigned[1] // 2
    )
    update(
        negative, value=round(count / total, 4), prev=round(prev_count / prev, 4),
        delta=round(count / total - prev_count / prev, 4), count=total,
        numerator_count=count, prev_numerator_count=prev_count,
        history=[*negative.history[:-2], round(prev_count / prev, 4), round(count / total, 4)],
    )


def sample_changes(issues: list[Issue], kpis: list[KpiTile]) -> dict[str, ChangeSplit]:
    """The week's change split by issue, as week_change_by_issue.sql gives it.

    The texts in no issue (topic_id None) take up what the issues leave of the week's
    totals, so the split adds up to the volume tile's change, as the query guarantees.
    """
    volume = next(k for k in kpis if k.key == "volume")
    negative = next(k for k in kpis if k.key == "negative_share")
    rows = [
        {
            "topic_id": issue.topic_id,
            "volume": issue.volume,
            "prev_volume": issue.prev_volume,
            "volume_delta": issue.volume_delta,
            "negative_count": issue.negative_count,
            "prev_negative_count": issue.negative_count - issue.negative_delta,
            "negative_delta": issue.negative_delta,
        }
        for issue in issues
    ]
    rest = {
        "topic_id": None,
        "volume": int(volume.value) - sum(r["volume"] for r in rows),
        "prev_volume": int(volume.prev) - sum(r["prev_volume"] for r in rows),
        "negative_count": negative.numerator_count - sum(r["negative_count"] for r in rows),
        "prev_negative_count": negative.prev_numerator_count
        - sum(r["prev_negative_count"] for r in rows),
    }
    rest["volume_delta"] = rest["volume"] - rest["prev_volume"]
    rest["negative_delta"] = rest["negative_count"] - rest["prev_negative_count"]
    rows.append(rest)
    labels = {issue.topic_id: issue.label for issue in issues}
    return {
        "texts": change_split(rows, labels, "volume", "prev_volume", "volume_delta"),
        "negative_texts": change_split(
            rows, labels, "negative_count", "prev_negative_count", "negative_delta"
        ),
    }


def sample_context(issue_count: int = 12, *, page_size: str = "A4", seed: int = 46) -> Report:
    """A full week: KPIs, `issue_count` ranked issues, movers, coverage and method."""
    issues = [sample_issue(rank, seed) for rank in range(1, issue_count + 1)]
    kpis = sample_kpis()
    if issues:
        _week_totals_from(issues, kpis, unassigned=(37, 40))
    return Report(
        week=WEEK,
        week_start="2026-11-09",
        week_end="2026-11-15",
        timezone="Europe/London",
        generated_at="2026-11-16T06:00:00Z",
        page_size=page_size,
        top_issues=15,
        has_earlier_week=True,
        kpis=kpis,
        kpis_absent=[],
        changes=sample_changes(issues, kpis) if issues else {},
        issues=issues,
        emerging=[copy.deepcopy(i) for i in issues if i.is_emerging],
        improving=[copy.deepcopy(i) for i in issues if i.is_improving],
        coverage=Coverage(
            sources=[
                SourceCoverage(source="demo_tickets", rows_loaded=3000, rows_rejected=2),
                SourceCoverage(source="demo_social", rows_loaded=1450, rows_rejected=31),
            ],
            total_texts_week=1234,
            unassigned=37,
            unassigned_share=0.03,
            weeks_of_history=12,
        ),
        method=dict(METHOD),
        run={
            "run_id": "run-2026-W46-0001",
            "week": WEEK,
            "parameters": {"top_issues": 15, "page_size": page_size},
            "code_version": "0.1.0+test",
            "timings": {"render": None},
            "counts": {"feedback": 4450},
        },
    )


def empty_context() -> Report:
    """A week where nothing arrived: KPIs without values, no issues, no history."""
    context = sample_context(0)
    context.kpis = [
        update(kpi, value=None, prev=None, delta=None, history=[None] * 12, count=0)
        for kpi in sample_kpis()
    ]
    context.emerging, context.improving = [], []
    context.coverage = Coverage(sources=[], total_texts_week=0, unassigned=0,
                                unassigned_share=None, weeks_of_history=0)
    return context


SPIKE_ISSUES = [
    # label, this week, last week, negative this week, negative last week
    ("Billing and pricing", 900, 190, 560, 120),
    ("Slow speeds", 520, 170, 300, 100),
    ("Data caps", 330, 110, 160, 70),
    ("Router setup", 150, 120, 60, 50),
    ("Moving house", 90, 75, 40, 35),
]


def spike_context() -> Report:
    """A complaints-only export without CSAT, NPS, response times or channels, in a week
    whose volume tripled while the share negative fell 4 points: 1,210 negative texts,
    up from 430.
    """
    context = sample_context(len(SPIKE_ISSUES))
    weeks = 12
    for issue, (label, volume, prev, negative, prev_negative) in zip(
        context.issues, SPIKE_ISSUES, strict=True
    ):
        history = [prev - 10 + (i * 7) % 20 for i in range(weeks - 2)] + [prev, volume]
        update(
            issue, label=label, volume=volume, prev_volume=prev,
            volume_change=round(volume / prev - 1, 3), volume_delta=volume - prev,
            negative_count=negative, negative_delta=negative - prev_negative,
            negative_share=round(negative / volume, 3), mean_csat=None, csat_count=0,
            csat_low=None, csat_high=None, channel_mix={}, tier_mix={}, history=history,
            sub_themes=sample_sub_themes(label, history, issue.rank),
        )
    # last week's top issue ranked 24th: outside the top 15 last week's report showed
    context.issues[0].prev_rank = 24
    volume_history = [700 + (i * 13) % 40 for i in range(weeks - 2)] + [730, 2200]
    share_history = [0.58 + (i % 3) / 100 for i in range(weeks - 2)] + [430 / 730, 0.55]
    context.kpis = [
        _kpi("volume", "Feedback volume", 2200, 730, "down", volume_history, 2200),
        update(
            _kpi("negative_share", "Share negative", 0.55, 430 / 730, "down", share_history,
                 2200),
            numerator_count=1210, prev_numerator_count=430, numerator_noun="negative texts",
        ),
        _kpi("complaint_share", "Complaints", 1.0, 1.0, None, [1.0] * weeks, 2200),
    ]
    context.kpis_absent = [
        KpiAbsent(key=key, label=label, prev_count=0)
        for key, label in (("csat", "CSAT (1-5)"), ("nps", "NPS"),
                           ("first_response", "Median first response"),
                           ("mobile_share", "Mobile share of tickets"))
    ]
    context.changes = sample_changes(context.issues, context.kpis)
    context.emerging = [copy.deepcopy(context.issues[0])]
    context.improving = []
    context.coverage.total_texts_week = 2200
    return context
