"""What moved the KPIs: per-issue parts of each KPI's change, against hand-worked numbers.

The arithmetic sits in comments beside each assertion (tests/test_queries.py style). The
fixture throughout: CSAT answers by issue in W06 (last week) and W07 (this week)

    issue        W06 answers  sum  rate   W07 answers  sum  rate
    1 Billing        10        40   4.0       30        90   3.0
    2 Login          20        80   4.0       10        40   4.0
    rest             10        50   5.0       10        50   5.0
    week             40       170   4.25      50       180   3.6     change -0.65

weights W06 1/4, 1/2, 1/4 and W07 3/5, 1/5, 1/5; the centre c = (4.25 + 3.6) / 2 = 3.925.
"""

from __future__ import annotations

import random
import warnings
from datetime import datetime
from fractions import Fraction

import pytest

from pulse.db import connect, fetch_dicts, run_query
from pulse.report.formatting import kpi_move_line, kpi_move_top
from pulse.report.kpi_moves import (
    KPIS,
    VOLUME,
    Move,
    RatioPart,
    describe_move,
    kpi_moves,
    round_parts,
    shift_share,
)
from pulse.report.model import KpiMove, ShownPart
from pulse.report.render import make_environment
from pulse.stages import append_run_rows

CSAT_PARTS = [
    RatioPart(1, numerator=90, denominator=30, prev_numerator=40, prev_denominator=10),
    RatioPart(2, numerator=40, denominator=10, prev_numerator=80, prev_denominator=20),
    RatioPart(None, numerator=50, denominator=10, prev_numerator=50, prev_denominator=10),
]
LABELS = {1: "Billing", 2: "Login", 3: "Refunds"}
CSAT = next(spec for spec in KPIS if spec.key == "csat")


def test_csat_change_splits_into_each_issues_mix_and_rate_by_hand():
    delta, moves = shift_share(CSAT_PARTS)
    assert delta == Fraction(-65, 100)  # 180/50 - 170/40 = 3.6 - 4.25
    billing, login, rest = moves
    # Billing: mix (3/5 - 1/4) * ((4 + 3)/2 - 3.925) = 0.35 * -0.425 = -0.14875
    #          rate (3 - 4) * (1/4 + 3/5)/2 = -0.425; it grew and got worse: CSAT fell
    assert billing.mix == Fraction("-0.14875") and billing.rate == Fraction("-0.425")
    # Login: mix (1/5 - 1/2) * (4 - 3.925) = -0.0225; rate 0 (4.0 both weeks)
    assert login.mix == Fraction("-0.0225") and login.rate == 0
    # rest: mix (1/5 - 1/4) * (5 - 3.925) = -0.05375: fewer of the happy answers
    assert rest.mix == Fraction("-0.05375") and rest.rate == 0
    # -0.57375 - 0.0225 - 0.05375 = -0.65, exactly
    assert sum(m.total for m in moves) == delta


def test_uncentred_form_gives_each_issue_its_own_term_and_the_same_sum():
    delta, moves = shift_share(CSAT_PARTS, centre=Fraction(0))
    billing, login, rest = moves
    # mix + rate = w' r' - w r: Billing 3/5 * 3 - 1/4 * 4 = 0.8 (mix 0.35 * 3.5 = 1.225)
    assert billing.mix == Fraction("1.225") and billing.total == Fraction("0.8")
    assert login.total == Fraction("-1.2")  # 1/5 * 4 - 1/2 * 4
    assert rest.total == Fraction("-0.25")  # 1/5 * 5 - 1/4 * 5
    assert sum(m.total for m in moves) == delta == Fraction("-0.65")


def test_an_issue_new_this_week_or_gone_is_all_mix_and_the_sum_stays_exact():
    # W06: Billing 10 texts 5 negative, Login 10 texts 1 negative; W07: Billing 10 texts
    # 5 negative, Refunds (new) 10 texts 9 negative. Login is gone.
    parts = [
        RatioPart(1, 5, 10, 5, 10),
        RatioPart(2, 0, 0, 1, 10),
        RatioPart(3, 9, 10, 0, 0),
    ]
    delta, moves = shift_share(parts)
    assert delta == Fraction(14, 20) - Fraction(6, 20)  # 0.7 - 0.3 = 0.4
    billing, login, refunds = moves
    c = Fraction(1, 2)  # (0.7 + 0.3) / 2
    # Billing: weight 1/2 both weeks, rate 0.5 both weeks: no part
    assert billing.total == 0
    # Login: rate taken as last week's 0.1 this week too; mix (0 - 1/2) * (0.1 - 0.5) = 0.2
    assert login.rate == 0 and login.mix == Fraction(-1, 2) * (Fraction(1, 10) - c)
    # Refunds: rate 0.9 both weeks by convention; mix (1/2 - 0) * (0.9 - 0.5) = 0.2
    assert refunds.rate == 0 and refunds.mix == Fraction(1, 2) * (Fraction(9, 10) - c)
    assert sum(m.total for m in moves) == delta  # 0 + 0.2 + 0.2 = 0.4


def test_a_kpi_without_answers_in_either_week_has_no_split():
    assert shift_share([RatioPart(1, 0, 0, 0, 0), RatioPart(None, 0, 0, 0, 0)]) is None
    # answers last week only: this week has no CSAT, so there is no change to split
    assert shift_share([RatioPart(1, 0, 0, 40, 10)]) is None
    # an issue without answers in either week is left out, not given a zero part
    _, moves = shift_share([RatioPart(1, 0, 0, 0, 0), RatioPart(2, 8, 2, 3, 1)])
    assert [m.key for m in moves] == [2]


@pytest.mark.parametrize("seed", range(20))
def test_parts_add_up_to_the_change_exactly_on_random_weeks(seed):
    rng = random.Random(seed)
    parts = []
    for key in [*range(rng.randint(1, 12)), None]:
        # about one issue in five absent in a week, as new and fading issues are
        denominator = 0 if rng.random() < 0.2 else rng.randint(1, 500)
        prev_denominator = 0 if rng.random() < 0.2 else rng.randint(1, 500)
        parts.append(
            RatioPart(
                key,
                rng.randint(-2, 10) * denominator // 2,  # NPS-like: numerators can be < 0
                denominator,
                rng.randint(0, 10) * prev_denominator // 3,
                prev_denominator,
            )
        )
    if not any(p.denominator for p in parts) or not any(p.prev_denominator for p in parts):
        parts.append(RatioPart("pad", 1, 1, 1, 1))
    for centre in (None, Fraction(0)):
        delta, moves = shift_share(parts, centre)
        assert sum(m.total for m in moves) == delta
        assert abs(sum(float(m.total) for m in moves) - float(delta)) < 1e-9
        for m in moves:
            assert m.mix + m.rate == m.total


def test_rounded_parts_add_up_to_the_rounded_total():
    # -57.375, -5.375, -2.25 hundredths: naive rounding -57, -5, -2 = -64, not -65
    total, shown = round_parts([Fraction("-0.57375"), Fraction("-0.05375"), -0.0225], 2)
    assert total == -65 and shown == [-57, -6, -2] and sum(shown) == total
    rng = random.Random(7)
    for _ in range(200):
        values = [rng.uniform(-3, 3) for _ in range(rng.randint(1, 5))]
        total, shown = round_parts(values, 1)
        assert sum(shown) == total
        assert total == round(Fraction(sum(Fraction(v) for v in values)) * 10)
        assert all(abs(s - v * 10) < 1 for s, v in zip(shown, values, strict=True))


def test_the_tile_line_names_the_largest_parts_in_plain_words_and_adds_up():
    delta, moves = shift_share(CSAT_PARTS)
    move = describe_move(
        CSAT, delta, moves, lambda k: LABELS.get(k, "texts in no issue"), 3.6, 4.25
    )
    # Billing -0.57375, rest -0.05375, Login -0.0225 by size: -0.57 - 0.06 - 0.02 = -0.65
    assert kpi_move_line(move) == "CSAT −0.65: Billing −0.57, texts in no issue −0.06, Login −0.02"
    assert kpi_move_top(move) == ["Billing −0.57", "texts in no issue −0.06", "Login −0.02"]
    assert [c.driver for c in move.contributions] == [
        "worse rate",  # |rate| 0.425 > |mix| 0.149
        "fewer texts",  # the rest held 1/5 of the answers, not 1/4
        "fewer texts",
    ]
    assert "mix" not in kpi_move_line(move) and "rate" not in kpi_move_line(move)


def test_beyond_three_issues_the_rest_is_one_other_figure_and_zeros_are_not_named():
    moves = [Move(k, Fraction(d), Fraction(0), Fraction(d)) for k, d in enumerate([5, -3, 2, 1, 1])]
    move = describe_move(VOLUME, Fraction(6), moves, lambda k: f"Issue {k}", 10, 4)
    assert kpi_move_line(move) == (
        "Feedback volume +6 texts: Issue 0 +5, Issue 1 −3, Issue 2 +2, other +2"
    )
    flat = describe_move(VOLUME, Fraction(0), [], lambda k: "", 4, 4)
    assert kpi_move_line(flat) == "Feedback volume ±0 texts" and kpi_move_top(flat) == []


# --- kpi_moves.sql on a real DuckDB file ------------------------------------------------------

W06, W07 = "2026-W06", "2026-W07"


@pytest.fixture
def moves_con(tmp_path):
    """topic_week_metrics and weekly_kpis with their real columns and hand-chosen rows.

    Billing and Login carry the CSAT table of the module docstring; Refunds is new in
    W07 (5 texts, 4 with sentiment, all negative, no CSAT); the weeks' totals leave a
    rest of texts in no issue.
    """
    con = connect(tmp_path / "pulse.duckdb")
    with warnings.catch_warnings():  # duckdb notes that the arrow result is a copy
        warnings.simplefilter("ignore", UserWarning)
        never = {
            "tz": "UTC",
            "window_start": datetime(2026, 1, 5),
            "window_end": datetime(2026, 1, 5),
        }
        for table, params in [
            ("topic_week_metrics", {**never, "run_id": "none"}),
            ("weekly_kpis", never),
        ]:
            append_run_rows(con, table, run_query(con, table, params).to_arrow_table(), "none")
    issue_rows = [
        # topic, week, volume, sentiment, negative, csat n, csat mean, nps n, promoters, detr.
        (1, W06, 10, 10, 2, 10, 4.0, 5, 2, 1),
        (1, W07, 30, 30, 15, 30, 3.0, 10, 2, 6),
        (2, W06, 20, 20, 4, 20, 4.0, 0, 0, 0),
        (2, W07, 10, 10, 2, 10, 4.0, 0, 0, 0),
        (3, W07, 5, 4, 4, 0, None, 0, 0, 0),
    ]
    for row in issue_rows:
        con.execute(
            """
            insert into topic_week_metrics (run_id, level, topic_id, week, volume,
                sentiment_count, negative_count, csat_count, csat_mean, nps_count,
                nps_promoter_count, nps_detractor_count)
            values ('r1', 'issue', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            row,
        )
    # a theme row must not count twice
    con.execute(
        "insert into topic_week_metrics (run_id, level, topic_id, week, volume) "
        "values ('r1', 'theme', 11, $w, 99)",
        {"w": W07},
    )
    week_rows = [
        # week, volume, sentiment, negative, csat n, csat mean, nps n, promoters, detractors
        (W06, 50, 48, 8, 40, 170 / 40, 10, 5, 2),  # rest: 20 texts, 18, 2; CSAT 10 at 5.0
        (W07, 55, 52, 22, 50, 180 / 50, 15, 5, 7),  # rest: 10 texts, 8, 1; CSAT 10 at 5.0
    ]
    for row in week_rows:
        con.execute(
            """
            insert into weekly_kpis (run_id, week, volume, sentiment_count, negative_count,
                csat_count, csat_mean, nps_count, nps_promoter_count, nps_detractor_count)
            values ('r1', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            row,
        )
    yield con
    con.close()


def test_kpi_moves_query_adds_a_rest_row_so_every_column_sums_to_the_weeks_totals(moves_con):
    rows = fetch_dicts(moves_con, "kpi_moves", {"run_id": "r1", "week": W07, "prev_week": W06})
    assert [r["topic_id"] for r in rows] == [1, 2, 3, None]
    rest = rows[-1]
    # rest = week - issues: 55 - 45 texts, 52 - 44 with sentiment, 22 - 21 negative
    assert (rest["volume"], rest["sentiment_count"], rest["negative_count"]) == (10, 8, 1)
    assert (rest["prev_volume"], rest["prev_sentiment_count"]) == (20, 18)
    # CSAT sums from mean x count: 180 - 90 - 40 = 50, and 170 - 40 - 80 = 50
    assert (rest["csat_sum"], rest["prev_csat_sum"]) == (50, 50)
    assert rows[2]["csat_sum"] == 0  # Refunds: no answers, no mean
    # NPS: 15 - 10 answers, promoters 5 - 2, detractors 7 - 6
    assert (rest["nps_count"], rest["nps_promoter_count"], rest["nps_detractor_count"]) == (5, 3, 1)
    assert all(r["is_nps_split_known"] for r in rows)


def test_kpi_moves_splits_each_kpi_of_the_database_to_its_weekly_kpis_change(moves_con):
    moves = kpi_moves(moves_con, "r1", W07, W06, LABELS)
    assert set(moves) == {"volume", "negative_share", "csat", "nps"}
    volume = moves["volume"]
    # 55 - 50 = +5: Billing +20, Login -10, rest -10, Refunds +5
    assert volume.total == 5 and volume.unit == "texts"
    assert [(c.label, c.total) for c in volume.contributions] == [
        ("Billing", 20),
        ("Login", -10),
        ("texts in no issue", -10),
        ("Refunds", 5),
    ]
    assert (
        kpi_move_line(volume)
        == "Feedback volume +5 texts: Billing +20, Login −10, texts in no issue −10, other +5"
    )
    csat = moves["csat"]
    assert csat.total == pytest.approx(-0.65, abs=1e-12)
    assert [c.topic_id for c in csat.contributions] == [1, None, 2]  # no CSAT: Refunds
    assert kpi_move_line(csat) == "CSAT −0.65: Billing −0.57, texts in no issue −0.06, Login −0.02"
    share = moves["negative_share"]
    # 22/52 - 8/48 = 0.42308 - 0.16667 = +25.6 pts
    assert share.total == pytest.approx(100 * (22 / 52 - 8 / 48), abs=1e-9)
    assert share.unit == "pts"
    refunds = next(c for c in share.contributions if c.topic_id == 3)
    # new: all mix, (4/52) * (100% - c) with c = (42.308 + 16.667) / 2 = 29.487 pts
    centre = 100 * (22 / 52 + 8 / 48) / 2
    assert refunds.rate == 0 and refunds.mix == pytest.approx(4 / 52 * (100 - centre))
    nps = moves["nps"]
    # 100 * (5 - 7) / 15 - 100 * (5 - 2) / 10 = -13.333 - 30 = -43.333 pts
    assert nps.total == pytest.approx(-130 / 3, abs=1e-9)
    billing = next(c for c in nps.contributions if c.topic_id == 1)
    # Billing's NPS went 100 * (2 - 1)/5 = 20 to 100 * (2 - 6)/10 = -40, on weights 1/2
    # then 2/3: rate (-40 - 20) * (1/2 + 2/3) / 2 = -35
    assert billing.rate == pytest.approx(-35) and billing.driver == "worse rate"
    for move in moves.values():
        assert abs(sum(c.total for c in move.contributions) - move.total) < 1e-9
        assert abs(move.value - move.prev_value - move.total) < 1e-9


def test_kpi_moves_leaves_out_nps_for_a_run_from_before_the_issue_nps_counts(moves_con):
    moves_con.execute("update topic_week_metrics set nps_count = null where topic_id = 1")
    moves = kpi_moves(moves_con, "r1", W07, W06, LABELS)
    assert "nps" not in moves and "csat" in moves


def test_kpi_moves_leaves_out_a_kpi_with_no_answers_last_week(moves_con):
    moves_con.execute(
        "update weekly_kpis set csat_count = 0, csat_mean = null where week = $w", {"w": W06}
    )
    moves_con.execute(
        "update topic_week_metrics set csat_count = 0, csat_mean = null where week = $w", {"w": W06}
    )
    assert "csat" not in kpi_moves(moves_con, "r1", W07, W06, LABELS)


# --- report_templates/_kpi_moves.html -----------------------------------------------------------


def _csat_move(label: str) -> KpiMove:
    return KpiMove(
        key="csat", name="CSAT", unit="", digits=2, total=-0.65, value=3.6, prev_value=4.25,
        contributions=[], shown_total=-65, shown_parts=[ShownPart(label, -57)], shown_other=-8,
    )


def test_the_partial_prints_the_line_small_and_escaped_and_nothing_without_a_move():
    template = make_environment().from_string(
        '{% import "_kpi_moves.html" as moves %}'
        "{{ moves.kpi_move_line(move) }}|{{ moves.kpi_move_line(none) }}"
    )
    html = template.render(move=_csat_move("<b>Billing</b>"))
    shown, empty = html.split("|")
    assert '<p class="kpi-move kpi-move-csat">' in shown
    assert "By issue: &lt;b&gt;Billing&lt;/b&gt; −0.57, other −0.08" in shown
    assert "<b>" not in shown
    assert empty.strip() == ""


def test_the_partial_prints_the_whole_line_when_no_part_is_named():
    move = _csat_move("Billing")
    move.shown_parts = [ShownPart("Billing", 0)]  # rounds to zero: not named
    html = make_environment().from_string(
        '{% import "_kpi_moves.html" as moves %}{{ moves.kpi_move_line(move) }}'
    ).render(move=move)
    assert "CSAT −0.65: other −0.08" in html and "By issue" not in html
