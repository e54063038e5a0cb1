"""The sentences and labels a reader of the report sees, apart from the figures in them.

Figures inside a sentence are written by `formatting`, so a number reads the same in a
sentence, a tile and a table. Sentences that the model carries (why an issue ranks, its
one-line summary) are made when the model is built; the rest are made for the template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulse.report.formatting import format_delta, format_num, number, whole_pct
from pulse.report.model import (
    ActionVerdict,
    Issue,
    KpiAbsent,
    KpiTile,
    SinceLastWeek,
)

COMPONENT_ORDER = ("volume", "negativity", "growth", "severity", "reach")
COMPONENT_LABELS = {
    "volume": "Volume",
    "negativity": "Negativity",
    "growth": "Growth",
    "severity": "Severity",
    "reach": "Reach",
}
_COMPONENT_WORDS = {
    "volume": "its size",
    "negativity": "how negative members are",
    "growth": "its growth",
    "severity": "its severity (CSAT, escalations, resolution time)",
    "reach": "its reach",
}

ACTIONS_METHOD = (
    "For each action recorded in the taxonomy file, Pulse compares the issue's weekly number "
    "of texts in the weeks after the action's week (up to this report's week) with up to "
    "eight weeks before it; the action's own week counts in neither. The effect is the change "
    "in the weekly average, with a 95% range from a Student t interval whose noise is the "
    "issue's own week-to-week variance before the action (at least the Poisson variance of "
    "its average weekly count, with degrees of freedom from the weeks before). The verdict "
    "is 'worked' when the whole range is below zero, 'worse' when it is wholly above, and "
    "otherwise, or with fewer than two weeks before or after, 'no clear change yet'; share "
    "negative and CSAT are shown before and after without a test."
)

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
        "The weights are set in pulse.toml. Praise is not ranked: a topic whose texts are "
        "mostly positive and that draws far fewer complaints than the rest of the twelve "
        "weeks (fewer than 1 in 100 odds at their rate) is marked 'Praise:' instead; a mostly "
        "positive topic whose complaints come at the usual rate is ranked with them."
    ),
    "actions": ACTIONS_METHOD,
}


# --- what the model carries ---------------------------------------------------------------


def why_it_ranks(issue: Issue) -> str:
    """One plain sentence naming the parts that put the issue where it is.

    The figures themselves are said once, beside it (texts against last week, share
    negative, CSAT); repeating them here against another baseline only confused readers.
    """
    weights = issue.weights
    total = sum(weights.values()) or 1.0
    contributions = {
        name: (issue.components.get(name) or 0.0) * weights[name] / total for name in weights
    }
    top = sorted(contributions, key=lambda n: (-contributions[n], n))[:2]
    drivers = " and ".join(_COMPONENT_WORDS[n] for n in top)
    return f"Ranks #{issue.rank} mainly for {drivers}."


def summary_sentence(issue: Issue) -> str:
    """What the issue is, how big, what changed: the line on page one."""
    change = ""
    if issue.prev_volume:
        ratio = issue.volume / issue.prev_volume
        if ratio >= 1.5:
            change = f", {ratio:.1f}× last week's {issue.prev_volume}"
        elif ratio <= 0.67:
            change = f", down from {issue.prev_volume} last week"
        else:
            change = f", about level with last week ({issue.prev_volume})"
    elif issue.prev_volume == 0:
        change = ", none last week"
    status = " Emerging." if issue.is_emerging else (" New." if issue.is_new else "")
    negative = (
        f"; {whole_pct(issue.negative_share)} negative"
        if issue.negative_share is not None
        else ""
    )
    return f"{issue.label}: {issue.volume} texts{change}{negative}.{status}"


# --- what the template shows --------------------------------------------------------------


def weeks(count: int) -> str:
    """'1 week', '9 weeks'."""
    return f"{count} week" if count == 1 else f"{count} weeks"


def rank_change(issue: Issue, top_n: int) -> dict[str, str]:
    """The move since last week, naming last week's rank only if last week's report showed it.

    An issue that ranked below the top `top_n` (or not at all) was not in last week's
    report, so "up 23 (last week #24)" would point at a rank nobody saw.
    """
    prev, rank = issue.prev_rank, issue.rank
    if issue.is_new:
        return {"arrow": "", "text": "new", "kind": "new"}
    if rank is None:
        return {"arrow": "", "text": "", "kind": "none"}
    if prev is None or int(prev) > top_n:
        # no break inside "top 15": the table's narrow rank cell wraps after "new in"
        return {"arrow": "", "text": f"new in top\u00a0{top_n}", "kind": "entered"}
    if prev == rank:
        return {"arrow": "=", "text": "same", "kind": "same"}
    moved = abs(int(prev) - int(rank))
    if rank < prev:
        return {"arrow": "▲", "text": f"up {moved}", "kind": "up"}
    return {"arrow": "▼", "text": f"down {moved}", "kind": "down"}


def change_text(issue: Issue, has_earlier_week: bool) -> str:
    """'+443% from 7', 'none last week' or, only when the data has no earlier week at all,
    'no earlier week'.
    """
    prev = number(issue.prev_volume)
    if prev is None and has_earlier_week:
        # the data has earlier weeks, so last week's count is known: the history's
        history = list(issue.history)
        prev = number(history[-2]) if len(history) > 1 else None
        prev = prev or 0.0
    if prev is None:
        return "no earlier week"
    if prev == 0:
        return "none last week"
    volume = number(issue.volume) or 0.0
    return f"{format_delta(volume / prev - 1)} from {format_num(prev)}"


def age_text(issue: Issue, detail_top: int) -> str:
    """'in the top 5 for 9 weeks · first seen 2026-W39': how long leadership has had it."""
    parts = []
    in_top = issue.weeks_in_top
    if in_top and in_top > 1:
        parts.append(f"in the top {detail_top} for {weeks(int(in_top))}")
    elif in_top == 1:
        parts.append(f"new in the top {detail_top}")
    if issue.first_seen_week:
        parts.append(f"first seen {issue.first_seen_week}")
    return " · ".join(parts)


def priority_parts(contributions: Sequence[dict[str, Any]]) -> str:
    """'volume 30, negativity 25, growth 25, severity 3, reach 4': what adds up to the
    priority, in one line instead of a table."""
    return ", ".join(
        f"{part['label'].lower()} {part['contribution'] * 100:.0f}" for part in contributions
    )


def unowned_text(issue: Issue, detail_top: int) -> str:
    """'in the top 5 for 9 weeks': why an issue without an owner is called out."""
    return f"in the top {detail_top} for {weeks(int(issue.weeks_in_top or 0))}"


def counts_note(tile: KpiTile, direction: str) -> tuple[str, str]:
    """'1,210 negative texts, up from 430' when a share and its count moved apart.

    The rule reads the counts, not a threshold: whenever the share went one way and the
    number of texts it counts went the other, the share alone tells the wrong story.
    Returns the note and its judgement (by the count), or two empty strings.
    """
    count = number(tile.numerator_count)
    prev = number(tile.prev_numerator_count)
    if count is None or prev is None or count == prev or direction not in ("up", "down"):
        return "", ""
    count_rising = count > prev
    if count_rising == (direction == "up"):
        return "", ""
    noun = str(tile.numerator_noun or "texts")
    note = f"{format_num(count)} {noun}, {'up' if count_rising else 'down'} from {format_num(prev)}"
    if tile.better in ("up", "down"):
        return note, "better" if (tile.better == "up") == count_rising else "worse"
    return note, "neutral"


def no_comparison(tile: KpiTile, has_earlier_week: bool) -> str:
    """What a tile without a change says: never "no earlier week" when there is one."""
    if not has_earlier_week:
        return "no earlier week to compare with"
    if tile.key == "volume":
        return "no texts last week"
    return "none last week to compare with"


def kpi_basis(tile: KpiTile) -> str:
    """The small print under a tile: how many texts or answers the figure rests on."""
    count = number(tile.count)
    if not count:
        return ""
    if tile.key == "negative_share" and number(tile.numerator_count) is not None:
        return (f"{format_num(tile.numerator_count)} of {format_num(count)} texts "
                "negative in tone")
    if tile.key == "complaint_share":
        return f"{format_num(count)} texts from sources that hold only complaints"
    if tile.key == "mobile_share":
        return f"of {format_num(count)} {'ticket' if count == 1 else 'tickets'} with a channel"
    if tile.key in ("csat", "nps"):
        return f"based on {format_num(count)} {'answer' if count == 1 else 'answers'}"
    return f"based on {format_num(count)} {'text' if count == 1 else 'texts'}"


def absent_note(absent: Sequence[KpiAbsent]) -> str:
    """One line naming the measures this week's sources do not have, instead of empty tiles.

    A measure that had texts or answers last week is named with last week's count: a
    tile that vanished is news (an export lost a column), one that never was is not.
    """
    names = {
        "negative_share": "tone", "csat": "CSAT", "nps": "NPS",
        "first_response": "first-response times", "mobile_share": "ticket channels",
    }

    def listed(items: list[str]) -> str:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]

    never = [names.get(m.key, m.label) for m in absent if not number(m.prev_count)]
    dropped = [
        f"{names.get(m.key, m.label)} ({format_num(m.prev_count)} last week)"
        for m in absent if number(m.prev_count)
    ]
    sentences = []
    if dropped:
        sentences.append(f"No {listed(dropped)} this week, so no tile.")
    if never:
        sentences.append(f"This week's sources have no {listed(never)}, so there is no tile "
                         "for them.")
    return " ".join(sentences)


def verdict_counts(actions: Sequence[ActionVerdict]) -> str:
    """'1 worked, 1 no clear change yet': the actions' verdicts for page one."""
    order = ("worked", "no clear change yet", "worse")
    counts = {v: sum(1 for a in actions if a.verdict == v) for v in order}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def since_phrases(since: SinceLastWeek | None) -> dict[str, Any] | None:
    """Since last week, as three short lists of phrases (empty lists are left out)."""
    if since is None:
        return None
    entered = [
        f"{i.label} (#{i.rank}" + (f", was #{i.prev_rank})" if i.prev_rank else ", new)")
        for i in since.entered
    ]
    words = {"resolved": "resolved: no texts this week", "faded": "faded",
             "overtaken": "overtaken by others", "merged": "merged"}
    left = []
    for i in since.left:
        if i.change == "merged":
            left.append(f"{i.label} (merged into {i.merged_into_label})")
        elif i.change == "resolved":
            left.append(f"{i.label} ({words['resolved']})")
        else:
            left.append(
                f"{i.label} ({words.get(i.change, i.change)}, #{i.prev_rank} → #{i.rank}, "
                f"{format_num(i.prev_volume)} → {format_num(i.volume)} texts)"
            )
    movers = [
        f"{m.label} {'up' if m.moved > 0 else 'down'} {abs(m.moved)} "
        f"(#{m.prev_rank} → #{m.rank})"
        for m in since.movers
    ]
    return {"top": since.top, "entered": entered, "left": left, "movers": movers}
