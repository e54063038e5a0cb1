"""Praise: topics whose texts are mostly positive and that draw fewer complaints than the
rest, marked in their name (pure).

The ranking leaves them out of the issues (queries/marts/ranked_issues.sql, by the same
counts and the same test), and the mark says why a large topic is not ranked. Mostly
positive alone is not enough: in product reviews every topic is, and its complaints
still have to rank. So a topic is praise only when its complaints are also significantly
fewer than the window's rate (measured in docs/TUNING.md, "Praise"). A name's words stay
from week to week (pulse.topics.labels); the mark follows the window's tone.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Praise draws significantly fewer complaints than the window: the chance of this few
#: at the window's rate (exact binomial lower tail) is under this. The ranking's SQL
#: holds the same figure (`alpha_praise`).
PRAISE_ALPHA = 0.01


def window_negative_share(tones: Sequence[str | None]) -> float:
    """The share of a window's texts (those in a topic) that are negative."""
    return tones.count("negative") / len(tones) if tones else 0.0


def is_praise(tones: Sequence[str | None], window_share: float = 0.0) -> bool:
    """Praise, which the ranking leaves out of the issues: mostly positive texts, and
    complaints significantly fewer than `window_share` of them (the window's rate; at 0,
    a window without complaints, mostly positive is enough)."""
    positive, negative = tones.count("positive"), tones.count("negative")
    if not (positive >= 0.5 * len(tones) and positive > negative):
        return False
    if window_share <= 0.0:
        return True
    from scipy.stats import binom

    return float(binom.cdf(negative, len(tones), min(window_share, 1.0))) < PRAISE_ALPHA


PRAISE_PREFIX = "Praise: "


def praise_label(label: str, praise: bool) -> str:
    """Praise is marked in its name: the ranking leaves praise (`is_praise`) out.

    A published label keeps its words from week to week, but the mark follows the
    window's tone: a topic that was praise and now draws complaints loses it (and the
    other way), so a ranked issue never reads "Praise: ...". A word spelt with capitals
    ("UI", "iOS") keeps them after the mark.
    """
    base = without_praise(label)
    if not praise:
        return base
    head, _, rest = base.partition(" ")
    if head[:1].isupper() and head[1:] == head[1:].lower():
        head = head[:1].lower() + head[1:]
    return f"{PRAISE_PREFIX}{head}{' ' if rest else ''}{rest}"


def without_praise(label: str) -> str:
    """The label without its praise mark, in sentence case again ("Praise: good app" ->
    "Good app"; "Praise: iOS update" -> "iOS update")."""
    if not label.startswith(PRAISE_PREFIX):
        return label
    base = label[len(PRAISE_PREFIX) :]
    head = base.split(" ", 1)[0]
    return base[:1].upper() + base[1:] if head == head.lower() else base
