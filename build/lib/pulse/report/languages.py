"""The week's language mix, as the data-coverage section says it: "Languages: English 82%, …".

Reads only (`queries/report/week_language_mix.sql`). The first few languages are named,
the rest are "other", and texts whose language could not be told (too short, emoji only,
mixed) are "unclear"; a week in one language is one short sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from pulse.db import fetch_dicts
from pulse.ingest.language import language_names

#: Languages named in the sentence, most texts first; the rest are "other".
NAMED_LANGUAGES = 3
#: A language under this share of the week's texts is counted in "other", not named.
MIN_NAMED_SHARE = 0.01


@dataclass
class LanguageShare:
    """One part of the week's texts: a language, "other" languages, or "unclear"."""

    name: str  # "English", "other" or "unclear"
    text_count: int
    text_share: float
    language: str | None = None  # the ISO 639-1 code of a named language


def language_mix(
    con: duckdb.DuckDBPyConnection, week_start: datetime, week_end: datetime
) -> list[LanguageShare]:
    """The week's texts by language: the named ones, then "other", then "unclear"."""
    rows = fetch_dicts(con, "week_language_mix", {"week_start": week_start, "week_end": week_end})
    names = language_names()
    known = [row for row in rows if row["language"] is not None]
    unclear = [row for row in rows if row["language"] is None]
    named = [
        row
        for position, row in enumerate(known)
        if position == 0 or (position < NAMED_LANGUAGES and row["text_share"] >= MIN_NAMED_SHARE)
    ]
    mix = [
        LanguageShare(
            names.get(row["language"], row["language"]),
            int(row["text_count"]),
            float(row["text_share"]),
            row["language"],
        )
        for row in named
    ]
    for name, group in (("other", known[len(named) :]), ("unclear", unclear)):
        if group:
            count = sum(int(row["text_count"]) for row in group)
            mix.append(LanguageShare(name, count, sum(float(r["text_share"]) for r in group)))
    return mix


def language_line(mix: Sequence[LanguageShare]) -> str | None:
    """The sentence for the coverage section; None for a week without texts."""
    if not mix:
        return None
    languages = sum(1 for part in mix if part.name != "unclear")
    if languages == 0:
        return "The texts' language could not be told (too short, or emoji only)."
    if len(mix) == 1:
        return f"All texts are in {mix[0].name}."
    parts = ", ".join(f"{part.name} {_share(part.text_share)}" for part in mix)
    return f"{'Languages' if languages > 1 else 'Language'}: {parts}."


def _share(share: float) -> str:
    """A whole percentage; a part too small to round to 1% is "under 1%", never "0%"."""
    return "under 1%" if share < 0.005 else f"{100 * share:.0f}%"
