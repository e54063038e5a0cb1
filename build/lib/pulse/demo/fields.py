"""What a ticket or a post carries besides its text: outcomes, ids, links and reach.

A theme's severity decides how its tickets end (CSAT, response and resolution times,
escalation, status); ids are shaped like the platforms' own (Zendesk numbers, Twitter
snowflakes, Facebook post ids) so they sort by time as real ones do.
"""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, timedelta

from pulse.demo.corpus import SEVERITIES, Theme


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    """One key of `weights`, drawn in proportion to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def iso(moment: datetime) -> str:
    """`moment` as the exports write it: ISO 8601, seconds, "Z"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ticket_fields(
    theme: Theme, rng: random.Random, created: datetime, weeks_old: int, angry: bool,
    channel: str,
) -> dict[str, object]:
    """CSAT, timings, escalation and status: how this theme's tickets tend to end."""
    severity = SEVERITIES[theme.severity]
    tier = weighted(rng, theme.tiers)

    if weeks_old == 0:
        status = rng.choices(["solved", "pending", "open"], weights=[55, 20, 25])[0]
    elif weeks_old == 1:
        status = rng.choices(["solved", "pending", "open"], weights=[82, 10, 8])[0]
    else:
        solved = severity.solved_rate
        status = rng.choices(["solved", "pending", "open"],
                             weights=[solved, (1 - solved) * 0.6, (1 - solved) * 0.4])[0]

    median = 3.0 if channel == "chat" else severity.first_response_median
    if tier != "free":
        median *= 0.6  # paying members are routed to a faster queue
    first_response = max(1, round(rng.lognormvariate(math.log(median), 0.8)))

    resolution: int | None = None
    if status == "solved":
        res_median = severity.resolution_median * (1.4 if angry else 1.0)
        resolution = max(first_response,
                         round(rng.lognormvariate(math.log(res_median), 0.9)))

    escalation = severity.escalation_rate * (2.5 if angry else 1.0)
    is_escalated = rng.random() < escalation

    csat_rate = 0.63 if status == "solved" else 0.2
    if theme.key == "noise":
        csat_rate *= 0.3  # auto-replies and spam rarely answer a survey
    weights = list(severity.csat_weights)
    if angry:
        weights = [w * f for w, f in zip(weights, (3.0, 2.0, 1.0, 0.5, 0.3), strict=True)]
    if is_escalated:
        weights = [w * f for w, f in zip(weights, (1.6, 1.3, 1.0, 0.8, 0.6), strict=True)]
    csat = rng.choices([1, 2, 3, 4, 5], weights=weights)[0] if rng.random() < csat_rate else None
    nps: int | None = None
    if rng.random() < 0.2:
        anchor_score = {1: 1, 2: 3, 3: 6, 4: 8, 5: 9}[csat] if csat else rng.choice([2, 5, 7, 8])
        nps = min(10, max(0, anchor_score + rng.randint(-2, 2)))

    last_touch = resolution if resolution is not None else first_response + rng.randint(0, 600)
    updated = created + timedelta(minutes=last_touch, seconds=rng.randrange(60))

    tags = rng.sample(theme.tags, k=rng.randint(1, len(theme.tags)))
    if tier != "free" and tier not in tags:
        tags.append(tier)
    if is_escalated:
        tags.append("escalated")
    if channel == "mobile":
        tags.append(rng.choice(["ios", "android"]))

    return {
        "updated_at": iso(updated),
        "channel": channel,
        "member_tier": tier,
        "csat": "" if csat is None else str(csat),
        "nps": "" if nps is None else str(nps),
        "first_response_minutes": str(first_response),
        "resolution_minutes": "" if resolution is None else str(resolution),
        "is_escalated": "true" if is_escalated else "false",
        "status": status,
        "tags": ";".join(tags),
    }


_TWITTER_EPOCH_MS = 1288834974657


def post_id(platform: str, rng: random.Random, created: datetime) -> str:
    """A post id shaped like `platform`'s own, drawn around the post's time."""
    epoch_ms = int((created - datetime(1970, 1, 1)).total_seconds() * 1000) + rng.randrange(1000)
    if platform == "twitter":
        # Shaped like a real snowflake id, so ids sort by time as the platform's do.
        return f"tw-{((epoch_ms - _TWITTER_EPOCH_MS) << 22) | rng.randrange(1 << 22)}"
    if platform == "facebook":
        page = rng.randint(100000000, 999999999)
        return f"fb-100064{page}_{epoch_ms // 1000}{rng.randrange(100)}"
    return f"forum-{(epoch_ms // 1000 - 1_700_000_000) // 60 + rng.randrange(60)}"


def post_url(platform: str, post_id: str, handle: str, text: str) -> str:
    """The link to a post, as the platform would give it."""
    number = post_id.split("-", 1)[1]
    if platform == "twitter":
        return f"https://twitter.com/{handle.lstrip('@')}/status/{number}"
    if platform == "facebook":
        page, post = number.split("_")
        return f"https://www.facebook.com/ProNet/posts/{post}?comment_id={page[-8:]}"
    words = re.findall(r"[a-z0-9]+", re.sub(r"@\w+", " ", text.lower()))
    slug = "-".join(words[:6]) or "post"
    return f"https://community.pronet.com/t/{slug}/{number}"


def reach(platform: str, rng: random.Random) -> int:
    """Followers or impressions: most posts reach a few hundred, a few reach very many."""
    if platform == "twitter":
        value = rng.lognormvariate(5.3, 1.7)
        if rng.random() < 0.01:
            value *= 200
    elif platform == "facebook":
        value = rng.lognormvariate(4.6, 1.4)
    else:
        value = rng.lognormvariate(4.0, 1.1)
    return max(1, round(value))
