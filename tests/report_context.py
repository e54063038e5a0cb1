"""Realistic report contexts for tests and the render benchmark.

The shape follows what the pipeline hands to ``pulse.report.render_report``: a
week of a professional network's support feedback with KPIs, up to 15 ranked
issues (each with 12 weeks of history, mixes, keywords and redacted quotes),
emerging and improving subsets, coverage and method notes. Numbers come from a
seeded generator so every call with the same arguments gives the same context.
"""

from __future__ import annotations

import copy
import random
from typing import Any

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


def sample_issue(rank: int, seed: int = 46) -> dict[str, Any]:
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
        {
            "feedback_id": f"demo_tickets:ZD-{1000 + rank * 37 + index}",
            "text": text,
            "channel": CHANNELS[(rank + index) % len(CHANNELS)],
            "created_at": f"2026-11-{10 + index:02d}",
        }
        for index, text in enumerate(texts)
    ]
    return {
        "rank": rank,
        "prev_rank": None if rank in (4, 9) else max(1, rank + rng.choice([-2, -1, 0, 1, 3])),
        "topic_id": 100 + rank,
        "label": label,
        "volume": volume,
        "prev_volume": prev_volume,
        "volume_change": None if prev_volume == 0 else round(volume / prev_volume - 1, 3),
        "negative_share": negative_share,
        "mean_csat": round(1.6 + 2.5 * rng.random(), 2) if has_csat else None,
        "csat_count": int(volume * 0.4) if has_csat else 0,
        "mean_sentiment": round(-0.2 - 0.5 * rng.random(), 3),
        "priority": priority,
        "components": components,
        "weights": dict(WEIGHTS),
        "is_new": rank in (4, 9),
        "is_emerging": growing,
        "is_improving": improving,
        "history": history,
        "negative_history": negative_history,
        "channel_mix": _mix(rng, ["email", "web", "mobile", "chat", "twitter"]),
        "tier_mix": _mix(rng, ["free", "premium", "recruiter"]),
        "keywords": keywords,
        "quotes": quotes,
        "why": (
            "Volume jumped far above its usual level and most of it is angry."
            if growing else
            "Far fewer complaints than its usual level, so it drops down the list."
            if improving else
            "Steady volume, but low satisfaction and slow resolutions keep it high."
        ),
    }


def _kpi(key: str, label: str, value: float | None, prev: float | None, display: str,
         delta_display: str, better: str | None, history: list[float | None],
         count: int) -> dict[str, Any]:
    return {
        "key": key, "label": label, "value": value, "display": display, "prev": prev,
        "delta": None if value is None or prev is None else round(value - prev, 4),
        "delta_display": delta_display, "better": better, "history": history, "count": count,
    }


def sample_kpis() -> list[dict[str, Any]]:
    """The six headline measures, with one missing a week of history."""
    return [
        _kpi("volume", "Feedback volume", 1234, 1102, "1,234", "+12%", None,
             [980, 1010, 1050, 990, 1100, 1080, 1120, 1060, 1090, 1150, 1102, 1234], 1234),
        _kpi("csat", "CSAT (1–5)", 3.6, 3.9, "3.6", "−0.3", "up",
             [4.0, 3.9, 4.1, 4.0, 3.9, 3.8, 4.0, 3.9, 3.9, 3.8, 3.9, 3.6], 412),
        _kpi("nps", "NPS", 21.0, 18.0, "+21", "+3", "up",
             [15, 16, None, 18, 17, 19, 20, 18, 17, 19, 18, 21], 188),
        _kpi("first_response", "First response (median)", 95.0, 130.0, "1 h 35 min",
             "−27%", "down",
             [150, 145, 160, 140, 138, 150, 132, 128, 140, 135, 130, 95], 980),
        _kpi("negative_share", "Share negative", 0.41, 0.37, "41%", "+4 pts", "down",
             [0.35, 0.36, 0.34, 0.36, 0.38, 0.37, 0.35, 0.36, 0.37, 0.38, 0.37, 0.41], 1234),
        _kpi("mobile_share", "From mobile", 0.33, 0.33, "33%", "±0 pts", None,
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


def sample_context(
    issue_count: int = 12, *, page_size: str = "A4", seed: int = 46
) -> dict[str, Any]:
    """A full week: KPIs, `issue_count` ranked issues, movers, coverage and method."""
    issues = [sample_issue(rank, seed) for rank in range(1, issue_count + 1)]
    return {
        "week": WEEK,
        "week_start": "2026-11-09",
        "week_end": "2026-11-15",
        "timezone": "Europe/London",
        "generated_at": "2026-11-16T06:00:00Z",
        "page_size": page_size,
        "kpis": sample_kpis(),
        "issues": issues,
        "emerging": [copy.deepcopy(i) for i in issues if i["is_emerging"]],
        "improving": [copy.deepcopy(i) for i in issues if i["is_improving"]],
        "coverage": {
            "sources": [
                {"source": "demo_tickets", "rows_loaded": 3000, "rows_rejected": 2},
                {"source": "demo_social", "rows_loaded": 1450, "rows_rejected": 31},
            ],
            "total_texts_week": 1234,
            "unassigned": 37,
            "unassigned_share": 0.03,
            "weeks_of_history": 12,
        },
        "method": dict(METHOD),
        "run": {
            "run_id": "run-2026-W46-0001",
            "week": WEEK,
            "parameters": {"top_issues": 15, "page_size": page_size},
            "code_version": "0.1.0+test",
            "timings": {"render": None},
            "counts": {"feedback": 4450},
        },
    }


def empty_context() -> dict[str, Any]:
    """A week where nothing arrived: KPIs without values, no issues, no history."""
    context = sample_context(0)
    context["kpis"] = [
        {**kpi, "value": None, "display": "", "prev": None, "delta": None,
         "delta_display": "", "history": [None] * 12, "count": 0}
        for kpi in sample_kpis()
    ]
    context["emerging"], context["improving"] = [], []
    context["coverage"] = {"sources": [], "total_texts_week": 0, "unassigned": 0,
                           "unassigned_share": None, "weeks_of_history": 0}
    return context
