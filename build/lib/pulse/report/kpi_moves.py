"""What moved the KPIs: each headline KPI's weekly change split into per-issue parts.

An executive who sees CSAT fall asks which issues did it, and whether they grew (more of
the week's answers came from a bad issue) or got worse (the same issue scored lower). A
ratio KPI R = Σ num_i / Σ den_i is Σ w_i r_i with weights w_i = den_i / Σ den and rates
r_i = num_i / den_i, so its change is Σ (w_i' r_i' - w_i r_i). Each issue's part splits in
the midpoint (Bennet) form

    mix  = (w_i' - w_i) · ((r_i + r_i') / 2 - c)   the issue's share of answers moved
    rate = (r_i' - r_i) · (w_i + w_i') / 2         the issue's own rate moved

With c = 0 mix + rate is the issue's term w_i' r_i' - w_i r_i exactly. We centre the mix
on c = (R + R') / 2 instead: the weights add up to 1 in both weeks, so Σ (w_i' - w_i) c = 0
and the parts still add up to the change exactly, but an issue that grows only pulls the
KPI its way when its rate is below (or above) the average. Uncentred, every growing issue
of a KPI near 4 of 5 shows a large "+" for CSAT, which is true of the algebra and false to
a reader. The arithmetic is done in fractions of whole counts, so the parts add up to the
change exactly, not nearly; a row for the texts in no visible issue (kpi_moves.sql) makes
the sum weekly_kpis' change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import duckdb

from pulse.db import fetch_dicts
from pulse.report.model import KpiContribution, KpiMove, ShownPart

# How many issues the line beside a tile names; the rest is one "other" figure.
TOP_PARTS = 3
# What the texts no visible issue holds are called, here and in the week's change split.
UNASSIGNED_LABEL = "texts in no issue"


@dataclass(frozen=True)
class KpiSpec:
    """How one KPI is read from kpi_moves.sql's rows and how its change is written.

    `digits` is one more decimal than the tile shows its change with, so the parts of a
    change the tile rounds to ±0 can still be told apart, and the line never contradicts
    the tile (its total rounds to the tile's figure).
    """

    key: str
    name: str
    unit: str
    digits: int
    scale: int
    better: str  # "up" or "down": which way is good, for the table's words
    numerator: tuple[str, ...]  # the first column less the others (NPS: P - D)
    denominator: str


VOLUME = KpiSpec(
    key="volume", name="Feedback volume", unit="texts", digits=0, scale=1, better="down",
    numerator=("volume",), denominator="volume",
)  # fmt: skip
# The ratio KPIs, by their tile keys in pulse.report.context; weekly_kpis defines each one.
KPIS = (
    KpiSpec(
        key="negative_share", name="Share negative", unit="pts", digits=1, scale=100,
        better="down", numerator=("negative_count",), denominator="sentiment_count",
    ),
    KpiSpec(
        key="csat", name="CSAT", unit="", digits=2, scale=1, better="up",
        numerator=("csat_sum",), denominator="csat_count",
    ),
    # 100 * (promoters - detractors) / answers
    KpiSpec(
        key="nps", name="NPS", unit="pts", digits=1, scale=100, better="up",
        numerator=("nps_promoter_count", "nps_detractor_count"), denominator="nps_count",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class RatioPart:
    """One issue's (or the rest's) numerator and denominator in both weeks."""

    key: Any
    numerator: int | Fraction
    denominator: int | Fraction
    prev_numerator: int | Fraction
    prev_denominator: int | Fraction


@dataclass(frozen=True)
class Move:
    """One issue's part of a ratio's change: mix + rate == total, exactly."""

    key: Any
    mix: Fraction
    rate: Fraction
    weight_change: Fraction  # w' - w: did the issue hold more or less of the answers

    @property
    def total(self) -> Fraction:
        return self.mix + self.rate


def shift_share(
    parts: Sequence[RatioPart], centre: Fraction | None = None
) -> tuple[Fraction, list[Move]] | None:
    """Split the change of Σ num / Σ den between two weeks into per-part mix and rate.

    `centre` is c in the module's formula: None for the mean of the two weeks' ratios
    (what the report shows), 0 for the textbook form where mix + rate is w' r' - w r.

    A part with no denominator in one week has no rate there; it is taken to be its rate
    in the other week, so rate is 0 and its whole part is mix (w' (r' - c) or -w (r - c)):
    the issue arriving or leaving is a change in who answered, and the sum stays exact. A
    part with no denominator in either week has no term and is left out.

    Returns:
        (the ratio's change, the parts' moves in the order given), or None when either
        week has no denominator at all (no KPI that week, so no change to split).
    """
    total = sum((Fraction(p.denominator) for p in parts), Fraction(0))
    prev_total = sum((Fraction(p.prev_denominator) for p in parts), Fraction(0))
    if total <= 0 or prev_total <= 0:
        return None
    ratio = sum((Fraction(p.numerator) for p in parts), Fraction(0)) / total
    prev_ratio = sum((Fraction(p.prev_numerator) for p in parts), Fraction(0)) / prev_total
    centre = (ratio + prev_ratio) / 2 if centre is None else Fraction(centre)
    moves = []
    for p in parts:
        if not p.denominator and not p.prev_denominator:
            continue
        weight = Fraction(p.denominator) / total
        prev_weight = Fraction(p.prev_denominator) / prev_total
        rate = Fraction(p.numerator) / p.denominator if p.denominator else None
        prev_rate = Fraction(p.prev_numerator) / p.prev_denominator if p.prev_denominator else None
        rate = prev_rate if rate is None else rate
        prev_rate = rate if prev_rate is None else prev_rate
        moves.append(
            Move(
                p.key,
                mix=(weight - prev_weight) * ((rate + prev_rate) / 2 - centre),
                rate=(rate - prev_rate) * (weight + prev_weight) / 2,
                weight_change=weight - prev_weight,
            )
        )
    return ratio - prev_ratio, moves


def round_parts(values: Sequence[float | Fraction], digits: int) -> tuple[int, list[int]]:
    """Round parts to `digits` decimals so the rounded parts add up to the rounded total.

    Largest remainder: each part is rounded down in units of 10^-digits, then the units
    the total still needs go to the parts with the largest remainders. A page that says
    "-0.3: Billing -0.2, Login -0.1" must add up as printed.

    Returns:
        (the total, each part), in units of 10^-digits.
    """
    scaled = [Fraction(v) * 10**digits for v in values]
    total = round(sum(scaled, Fraction(0)))
    floors = [math.floor(v) for v in scaled]
    needed = min(max(total - sum(floors), 0), len(values))
    by_remainder = sorted(range(len(values)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in by_remainder[:needed]:
        floors[i] += 1
    return total, floors


def kpi_moves(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    week: str,
    prev_week: str,
    labels: dict[int, str],
) -> dict[str, KpiMove]:
    """Each KPI's change from `prev_week` to `week`, split by issue, for page one's tiles.

    Reads kpi_moves.sql (the materialised topic_week_metrics and weekly_kpis of the run).
    A KPI is left out when either week has no answers for it, or, for NPS, when the run's
    issue rows predate the NPS columns; volume is always there.

    Args:
        con: the Pulse database.
        run_id: the run whose materialised metrics to read.
        week, prev_week: ISO weeks ('2026-W07'), the week and the one compared with.
        labels: issue labels by topic_id; an issue missing here is 'Topic <id>'.

    Returns:
        Each KPI's move by tile key ('volume', 'negative_share', 'csat', 'nps'); see
        describe_move.
    """
    rows = fetch_dicts(con, "kpi_moves", {"run_id": run_id, "week": week, "prev_week": prev_week})

    def label(topic_id: int | None) -> str:
        if topic_id is None:
            return UNASSIGNED_LABEL
        return labels.get(topic_id, f"Topic {topic_id}")

    moves: dict[str, KpiMove] = {}
    # a count's change is its parts' changes: all of it "mix" (more or fewer texts)
    volume_moves = [
        Move(
            r["topic_id"],
            Fraction(r["volume"] - r["prev_volume"]),
            Fraction(0),
            weight_change=Fraction(r["volume"] - r["prev_volume"]),
        )
        for r in rows
        if r["volume"] or r["prev_volume"]
    ]
    volume = sum(r["volume"] for r in rows)
    prev_volume = sum(r["prev_volume"] for r in rows)
    moves["volume"] = describe_move(
        VOLUME, Fraction(volume - prev_volume), volume_moves, label, volume, prev_volume
    )
    nps_known = all(r["is_nps_split_known"] for r in rows)
    for spec in KPIS:
        if spec.key == "nps" and not nps_known:
            continue
        parts = [_ratio_part(spec, r) for r in rows]
        split = shift_share(parts)
        if split is None:
            continue
        value = Fraction(sum(p.numerator for p in parts), sum(p.denominator for p in parts))
        prev_value = Fraction(
            sum(p.prev_numerator for p in parts), sum(p.prev_denominator for p in parts)
        )
        delta, issue_moves = split
        moves[spec.key] = describe_move(
            spec,
            delta * spec.scale,
            [
                Move(m.key, m.mix * spec.scale, m.rate * spec.scale, m.weight_change)
                for m in issue_moves
            ],
            label,
            value * spec.scale,
            prev_value * spec.scale,
        )
    return moves


def _ratio_part(spec: KpiSpec, row: dict[str, Any]) -> RatioPart:
    def numerator(prefix: str) -> int:
        first, *subtracted = spec.numerator
        return int(row[prefix + first]) - sum(int(row[prefix + c]) for c in subtracted)

    return RatioPart(
        row["topic_id"],
        numerator(""),
        int(row[spec.denominator]),
        numerator("prev_"),
        int(row["prev_" + spec.denominator]),
    )


def describe_move(
    spec: KpiSpec,
    delta: Fraction,
    moves: list[Move],
    label: Callable[[Any], str],
    value: float | Fraction,
    prev_value: float | Fraction,
) -> KpiMove:
    """One KPI's split as the report shows it: largest parts first, rounded to add up.

    Largest by size whichever their sign, so a fall that offsets a rise is named too.
    The tile's line (formatting.kpi_move_line) names the top parts; their shown figures
    plus "other" are rounded together so they add up to the shown total, and a part that
    rounds to zero is not named. "driver" says, for a table, whether the issue moved the
    KPI mostly by its number of texts or by its own rate, in words a reader needs no
    formula for.
    """
    ordered = sorted(moves, key=lambda m: (-abs(m.total), m.key is None, m.key or 0))
    ordered = [m for m in ordered if m.total or m.mix or m.rate]
    named = ordered[:TOP_PARTS]
    other = sum((m.total for m in ordered[TOP_PARTS:]), Fraction(0))
    shown_total, shown = round_parts([m.total for m in named] + [other], spec.digits)
    return KpiMove(
        key=spec.key,
        name=spec.name,
        unit=spec.unit,
        digits=spec.digits,
        total=float(delta),
        value=float(value),
        prev_value=float(prev_value),
        contributions=[
            KpiContribution(
                topic_id=m.key,
                label=label(m.key),
                mix=float(m.mix),
                rate=float(m.rate),
                total=float(m.total),
                driver=_driver(spec, m),
            )
            for m in ordered
        ],
        shown_total=shown_total,
        shown_parts=[
            ShownPart(label(m.key), units) for m, units in zip(named, shown[:-1], strict=True)
        ],
        shown_other=shown[-1],
    )


def _driver(spec: KpiSpec, move: Move) -> str:
    if abs(move.mix) >= abs(move.rate):
        return "more texts" if move.weight_change > 0 else "fewer texts"
    return "better rate" if (move.rate > 0) == (spec.better == "up") else "worse rate"
