"""Praise: topics whose texts are mostly positive, marked in their name (pure).

The ranking leaves them out of the issues (queries/marts/ranked_issues.sql, by the same
counts), and the mark says why a large topic is not ranked. A name's words stay from
week to week (pulse.topics.labels); the mark follows the window's tone.
"""

from __future__ import annotations

from collections.abc import Sequence


def is_praise(tones: Sequence[str | None]) -> bool:
    """Mostly positive texts: praise, which the ranking leaves out of the issues."""
    positive, negative = tones.count("positive"), tones.count("negative")
    return positive >= 0.5 * len(tones) and positive > negative


PRAISE_PREFIX = "Praise: "


def praise_label(label: str, praise: bool) -> str:
    """Praise is marked in its name: the ranking leaves mostly positive topics out.

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
