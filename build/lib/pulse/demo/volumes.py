"""How many texts each theme gets per week, and when in the week each one is written.

Stable themes get Poisson noise (redrawn beyond 2.5 standard deviations, so nobody
plants a spike by accident); the surging and the fading theme get the planted change.
Tickets follow office hours and weekdays, posts the evenings and weekends.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from pulse.demo.corpus import FADING_THEME, SURGING_THEME, THEMES
from pulse.weeks import IsoWeek

TICKET_DAY_WEIGHTS = [1.25, 1.2, 1.12, 1.08, 0.95, 0.5, 0.45]
SOCIAL_DAY_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15]
SURGE_DAY_WEIGHTS = [0.25, 0.9, 1.5, 1.5, 1.3, 1.1, 1.0]  # the app update shipped on Tuesday
TICKET_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 10, 9, 7, 5, 4, 3, 2,
                       2, 1]
SOCIAL_HOUR_WEIGHTS = [3, 2, 1, 1, 1, 1, 2, 4, 5, 6, 6, 6, 7, 6, 6, 6, 7, 8, 9, 10, 10, 9, 7, 5]
MIN_WEEKLY_MEAN = 4.0  # even at small scales a theme needs a few texts a week to be clusterable
MIN_WEEKLY_COUNT = 3


# Knuth's method compares a product of uniforms with exp(-mean), which underflows to 0
# past a mean of about 745: every draw then came out near 745 whatever the mean, and
# `stable_count` redrew for ever (a 1M-text corpus, scale 21.7, weekly means up to 1,085,
# hung). Larger means are drawn as a sum of Poisson parts no larger than this, which is
# exact (a sum of independent Poisson draws is Poisson) and leaves smaller means' draws,
# and so every smaller corpus, as they were.
POISSON_PART = 500.0


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact, and cheap for means up to POISSON_PART (split above it)."""
    if mean > POISSON_PART:
        parts = math.ceil(mean / POISSON_PART)
        return sum(poisson(rng, mean / parts) for _ in range(parts))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def stable_count(rng: random.Random, mean: float) -> int:
    """Poisson, redrawn beyond 2.5 standard deviations.

    A one-in-a-thousand week would otherwise hand a stable theme a spike that nobody planted,
    and the truth file would call a correct alert wrong.
    """
    spread = 2.5 * math.sqrt(mean)
    while True:
        count = poisson(rng, mean)
        if abs(count - mean) <= spread:
            return count


def weekly_counts(rng: random.Random, weeks: int, scale: float) -> dict[str, list[int]]:
    """Texts per theme per week: stable Poisson noise plus the two planted changes."""
    fade_factors = [0.8, 0.6, 0.42]  # the weeks before the anchor; the anchor is capped below
    counts: dict[str, list[int]] = {}
    for theme in THEMES:
        mean = max(theme.weekly_mean * scale, MIN_WEEKLY_MEAN)
        series: list[int] = []
        for index in range(weeks):
            weeks_to_anchor = weeks - 1 - index
            if theme.key == FADING_THEME and 0 < weeks_to_anchor <= len(fade_factors):
                factor = fade_factors[len(fade_factors) - weeks_to_anchor]
                series.append(max(1, poisson(rng, mean * factor)))
            elif theme.key in (FADING_THEME, SURGING_THEME) and weeks_to_anchor == 0:
                series.append(-1)  # decided once the baseline weeks are known
            else:
                series.append(max(MIN_WEEKLY_COUNT, stable_count(rng, mean)))
        counts[theme.key] = series

    baseline_weeks = max(1, weeks - 1 - len(fade_factors))
    fading = counts[FADING_THEME]
    fade_baseline = sum(fading[:baseline_weeks]) / baseline_weeks
    fading[-1] = max(1, min(poisson(rng, fade_baseline * 0.22), math.floor(0.3 * fade_baseline)))

    surging = counts[SURGING_THEME]
    surge_baseline = sum(surging[:-1]) / (weeks - 1)
    surging[-1] = round(surge_baseline * rng.uniform(3.8, 4.4))
    return counts


def timestamp(rng: random.Random, week: IsoWeek, day_weights: list[float],
              hour_weights: list[int]) -> datetime:
    """A moment in `week`, its day and hour drawn by the weights."""
    day = rng.choices(range(7), weights=day_weights)[0]
    hour = rng.choices(range(24), weights=hour_weights)[0]
    start = datetime.combine(week.monday, datetime.min.time())
    return start + timedelta(days=day, hours=hour, minutes=rng.randrange(60),
                             seconds=rng.randrange(60))
