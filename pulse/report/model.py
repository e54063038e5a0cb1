"""The weekly report's content as typed records: what `build_context` reads from DuckDB.

Numbers stay numbers here; every figure a reader sees is written by `formatting` (through
the template's filters, and for summary.json by `outputs`), so it is formatted once. The
sentences that are decisions rather than figures (why an issue ranks, an action's verdict
and its reason) are decided when the model is built and travel with it.

The records are plain mutable dataclasses: tests build and edit them like the dicts they
replace, and `dataclasses.asdict` gives summary.json the same keys the dicts had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class KpiTile:
    """One measure of page one: this week's value, last week's, and its 12-week history.

    `prev` is None when last week had no texts or answers for the measure; the share
    negative also carries the counts behind it (`numerator_count`), because a falling share
    of a much larger week can hide many more negative texts.
    """

    key: str
    label: str
    value: float | None
    better: str | None  # "up", "down" or None: which way is good news
    count: int  # the texts or answers this week's value rests on
    prev_count: int = 0
    prev: float | None = None
    delta: float | None = None
    history: list[float | None] = field(default_factory=list)
    numerator_count: int | None = None
    prev_numerator_count: int | None = None
    numerator_noun: str | None = None


@dataclass
class KpiAbsent:
    """A measure this week's sources do not have, and how many it had last week."""

    key: str
    label: str
    prev_count: int


@dataclass
class ValuePair:
    """A breakdown's figure this week and last week (None: not known)."""

    value: float | None
    prev: float | None


@dataclass
class KpiDetails:
    """The week's breakdowns behind the tiles: CSAT 1-5, NPS groups, channels, P90s."""

    csat_distribution: dict[str, ValuePair]
    nps_groups: dict[str, ValuePair]
    volume_by_kind: dict[str, ValuePair]
    volume_by_channel: dict[str, ValuePair]
    first_response_p90_minutes: ValuePair
    resolution_median_minutes: ValuePair
    resolution_p90_minutes: ValuePair
    social_reach: ValuePair


@dataclass
class ChangePart:
    """One named part of the week's change (topic_id None: the texts in no issue)."""

    topic_id: int | None
    label: str
    delta: int


@dataclass
class IssueChange:
    """One issue's count this week and last, and its part of the change."""

    topic_id: int | None
    label: str
    count: int
    prev_count: int
    delta: int


@dataclass
class ChangeSplit:
    """The week's change in one count, its largest parts named and the rest as "other".

    The named parts plus `other_delta` equal `delta`; `by_issue` lists every part.
    """

    total: int
    prev_total: int
    delta: int
    parts: list[ChangePart]
    other_delta: int
    other_count: int  # issues in "other"
    other_has_unassigned: bool  # whether "other" holds the texts in no issue
    by_issue: list[IssueChange]


@dataclass
class KpiContribution:
    """One issue's part of a KPI's change: mix (its share of answers) plus rate."""

    topic_id: int | None
    label: str
    mix: float
    rate: float
    total: float
    driver: str  # "more texts", "fewer texts", "better rate" or "worse rate"


@dataclass
class ShownPart:
    """A part as the tile's line shows it: in units of 10^-digits, rounded to add up."""

    label: str
    units: int


@dataclass
class KpiMove:
    """One KPI's change split by issue (pulse.report.kpi_moves), largest parts first.

    The line under a tile is written from `shown_total`, `shown_parts` and `shown_other`,
    rounded together so the printed figures add up (`formatting.kpi_move_*`).
    """

    key: str
    name: str
    unit: str
    digits: int
    total: float
    value: float
    prev_value: float
    contributions: list[KpiContribution]
    shown_total: int
    shown_parts: list[ShownPart]
    shown_other: int


@dataclass
class Quote:
    """A redacted text shown under an issue."""

    feedback_id: str
    text: str
    channel: str | None
    created_at: str  # the day, ISO
    language: str | None = None  # ISO 639-1 (None: unknown); never translated, named if not en


@dataclass
class SubTheme:
    """A sub-theme of an issue (topic_id None: the smallest ones summed into one row)."""

    topic_id: int | None
    label: str
    volume: int
    prev_volume: int
    volume_delta: int
    negative_count: int
    history: list[int]


@dataclass
class Issue:
    """A ranked issue with the figures, ranges, tests and texts the report shows of it.

    The core fields have no default; the rest default to "not known", as an issue of a
    source without CSAT, tiers or response times has them.
    """

    rank: int
    topic_id: int
    label: str
    volume: int
    prev_rank: int | None = None
    prev_volume: int | None = None
    baseline_volume: float | None = None
    volume_change: float | None = None
    # this week minus last calendar week: the issue's part of the week's change
    volume_delta: int | None = None
    negative_delta: int | None = None
    week_share: float | None = None
    baseline_share: float | None = None
    negative_share: float | None = None
    negative_count: int = 0
    # 95% ranges (Wilson for shares, Student t for mean CSAT) and their counts
    sentiment_count: int = 0
    negative_share_low: float | None = None
    negative_share_high: float | None = None
    mean_csat: float | None = None
    csat_count: int = 0
    csat_low: float | None = None
    csat_high: float | None = None
    paid_share: float | None = None
    paid_share_low: float | None = None
    paid_share_high: float | None = None
    tier_known_count: int = 0
    escalated_share: float | None = None
    escalated_count: int = 0
    repeat_contact_share: float | None = None
    repeat_contact_count: int = 0
    resolution_median_minutes: float | None = None
    resolution_count: int = 0
    reach_sum: int = 0
    baseline_week_count: int = 0
    # the improving test's baseline: the weeks before last week
    baseline_2w_volume: float | None = None
    p_value_up: float | None = None
    p_value_down: float | None = None
    p_value_negative_up: float | None = None
    p_value_negative_down: float | None = None
    p_value_share_up: float | None = None
    p_value_negative_share_up: float | None = None
    is_small_sample: bool = False
    mean_sentiment: float | None = None
    priority: float = 0.0
    growth_z: float | None = None
    components: dict[str, float | None] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    # New: first registered this week and (almost) absent from the weeks before.
    is_new: bool = False
    is_emerging: bool = False
    is_improving: bool = False
    history: list[int] = field(default_factory=list)
    negative_history: list[float | None] = field(default_factory=list)
    channel_mix: dict[str, float] = field(default_factory=dict)
    tier_mix: dict[str, float] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    sub_themes: list[SubTheme] = field(default_factory=list)
    owner: str | None = None
    notes: str | None = None
    first_seen_week: str | None = None
    # weeks in a row in the top `detail_issues`, ranked by this run (None: an older run)
    weeks_in_top: int | None = None
    weeks_seen: int = 0
    weeks_without_owner: int = 0
    why: str = ""  # wording.why_it_ranks
    summary: str = ""  # wording.summary_sentence


@dataclass
class EnteredTop:
    """An issue that came into the top `detail_issues` this week."""

    topic_id: int
    label: str
    rank: int
    prev_rank: int | None
    volume: int
    prev_volume: int | None


@dataclass
class LeftTop:
    """An issue that left the top: resolved, faded, overtaken or merged into another."""

    topic_id: int
    label: str
    rank: int | None
    prev_rank: int
    volume: int | None
    prev_volume: int | None
    change: str
    merged_into_label: str | None = None  # only for change "merged"


@dataclass
class RankMover:
    """One of the biggest rank moves in the ranked list."""

    topic_id: int
    label: str
    rank: int
    prev_rank: int
    moved: int  # positive: up the list


@dataclass
class SinceLastWeek:
    """What changed in the top `top` issues since last week."""

    top: int
    entered: list[EnteredTop]
    left: list[LeftTop]
    movers: list[RankMover]


@dataclass
class ActionVerdict:
    """A recorded action with its issue's volume before and after, and the verdict.

    The keys `_actions.html` reads and `pulse topics show` prints (pulse.report.verdicts).
    """

    topic_id: int
    issue_id: int
    issue: str
    merged_into: int | None
    action: str
    owner: str | None
    on: str  # the action's date, ISO
    action_week: str
    weeks_before: int
    weeks_after: int
    volume_before: float | None
    volume_after: float | None
    effect: float | None
    effect_low: float | None
    effect_high: float | None
    effect_share: float | None
    p_value: float | None
    negative_share_before: float | None
    negative_share_after: float | None
    csat_before: float | None
    csat_after: float | None
    csat_count_before: int
    csat_count_after: int
    verdict: str
    verdict_note: str
    is_too_early: bool


@dataclass
class SourceCoverage:
    """What one source delivered: texts in the window and the week, rows loaded and rejected."""

    source: str
    rows_loaded: int
    rows_rejected: int
    window_text_count: int | None = None
    week_text_count: int | None = None


@dataclass
class Coverage:
    """How much of the week the report rests on."""

    sources: list[SourceCoverage]
    total_texts_week: int
    unassigned: int
    unassigned_share: float | None
    weeks_of_history: int
    languages: list[Any] = field(default_factory=list)  # LanguageShare (report/languages.py)


@dataclass
class DataWeeks:
    """The oldest and newest weeks with texts: what a week without texts is told."""

    oldest: str
    newest: str


@dataclass
class Report:
    """Everything one week's report shows, for the PDF, the HTML, the CSV and summary.json."""

    week: str
    week_start: str
    week_end: str
    timezone: str
    page_size: str
    top_issues: int
    # "no earlier week" may be said only when the data has no texts before this week
    has_earlier_week: bool
    kpis: list[KpiTile]
    issues: list[Issue]
    coverage: Coverage
    method: dict[str, str]
    run: dict[str, Any]  # the run's record, written to run.json as it is
    generated_at: str | None = None
    partial_days: str | None = None  # "Mon–Thu" for a partial week
    data_ends: str | None = None  # "Wednesday 10 December": the data stops inside the week
    data_weeks: DataWeeks | None = None
    kpis_absent: list[KpiAbsent] = field(default_factory=list)
    kpi_details: KpiDetails | None = None
    # the week's change in texts and in negative texts by issue ("texts", "negative_texts")
    changes: dict[str, ChangeSplit] = field(default_factory=dict)
    # each KPI's change split by issue, mix and rate apart, by tile key
    kpi_moves: dict[str, KpiMove] = field(default_factory=dict)
    # actions CX ops recorded, each with its before/after verdict
    actions: list[ActionVerdict] = field(default_factory=list)
    detail_issues: int = 5
    since_last_week: SinceLastWeek | None = None
    # top issues without an owner that have stayed in the top for weeks
    unowned_persistent: list[Issue] = field(default_factory=list)
    emerging: list[Issue] = field(default_factory=list)
    improving: list[Issue] = field(default_factory=list)
