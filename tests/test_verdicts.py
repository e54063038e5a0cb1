"""Action verdicts: the before/after test on hand-computed weeks, and the demo's planted truth.

The arithmetic sits in comments beside each assertion. Student t quantiles are from the
table: t(0.975, 7 df) = 2.3646, t(0.975, 3 df) = 3.1824, t(0.995, 7 df) = 3.4995.
Weeks are ISO weeks of 2026 (Monday 2 March is W10).
"""

from __future__ import annotations

import math
import warnings
from datetime import date, datetime

import duckdb
import pytest

from pulse.config import Settings
from pulse.db import connect, run_query
from pulse.report.render import make_environment
from pulse.report.verdicts import (
    NO_CLEAR_CHANGE,
    WORKED,
    WORSE,
    action_verdicts,
    split_weeks,
    verdict,
    volume_effect,
)
from pulse.run import RunContext
from pulse.stages import append_run_rows
from pulse.topics.taxonomy import TopicAction
from pulse.weeks import IsoWeek

WEEKS = [f"2026-W{n:02d}" for n in range(2, 13)]  # W02..W12 have texts; W01 has none

# --- the arithmetic ---------------------------------------------------------------------------


def test_split_weeks_leaves_out_the_action_week_and_keeps_the_newest_eight_before():
    before, after = split_weeks(["2026-W01", *WEEKS], "2026-W10", "2026-W12")
    assert before == WEEKS[:8]  # W02..W09: eight of the nine weeks before W10
    assert after == ["2026-W11", "2026-W12"]
    # weeks after the report's week are not evidence yet
    assert split_weeks(WEEKS, "2026-W10", "2026-W11")[1] == ["2026-W11"]


def test_a_clear_fall_worked_with_its_range_from_the_weeks_before():
    effect = volume_effect([20, 22, 18, 20, 19, 21, 20, 20], [5, 5])
    # before mean 160 / 8 = 20; squares of deviations 0+4+4+0+1+1+0+0 = 10, variance 10/7
    # Poisson floor: all weeks' mean (160 + 10) / 10 = 17 > 10/7, so the noise variance is 17
    # standard error sqrt(17 * (1/8 + 1/2)) = sqrt(10.625) = 3.2596
    # effect 5 - 20 = -15; half-width 2.3646 * 3.2596 = 7.7077 -> range -22.708 .. -7.292
    assert effect.before_mean == 20 and effect.after_mean == 5 and effect.effect == -15
    assert effect.noise_sd == pytest.approx(math.sqrt(17))
    assert effect.low == pytest.approx(-22.708, abs=1e-3)
    assert effect.high == pytest.approx(-7.292, abs=1e-3)
    # t = 15 / 3.2596 = 4.60 > 3.4995, so p < 0.01 (two-sided)
    assert effect.p_value < 0.01
    said, why = verdict(effect)
    assert said == WORKED
    assert why.startswith("Volume fell by 15.0 texts a week (95% range 7.3 to 22.7 fewer)")


def test_a_fall_within_the_issues_own_noise_is_no_clear_change():
    effect = volume_effect([4, 0, 0, 6, 0, 5, 0, 5], [0, 4])
    # before mean 20 / 8 = 2.5; squares 2.25+6.25+6.25+12.25+6.25+6.25+6.25+6.25 = 52,
    # variance 52/7 = 7.4286 (above the Poisson floor 24 / 10 = 2.4)
    # standard error sqrt(7.4286 * 0.625) = 2.1547; effect 2 - 2.5 = -0.5
    # half-width 2.3646 * 2.1547 = 5.0951 -> range -5.595 .. 4.595
    assert effect.low == pytest.approx(-5.595, abs=1e-3)
    assert effect.high == pytest.approx(4.595, abs=1e-3)
    said, why = verdict(effect)
    assert said == NO_CLEAR_CHANGE and "within its usual week-to-week swings" in why


def test_a_rise_above_a_steady_issue_is_worse():
    effect = volume_effect([3] * 8, [12, 14])
    # no spread before: the Poisson floor (24 + 26) / 10 = 5 is the noise variance
    # standard error sqrt(5 * 0.625) = 1.7678; effect 13 - 3 = 10
    # half-width 2.3646 * 1.7678 = 4.1802 -> range 5.820 .. 14.180
    assert (effect.low, effect.high) == pytest.approx((5.820, 14.180), abs=1e-3)
    assert verdict(effect)[0] == WORSE


def test_four_weeks_before_use_three_degrees_of_freedom():
    effect = volume_effect([10, 12, 8, 10], [4, 2])
    # variance (0+4+4+0)/3 = 2.667 < Poisson floor (40 + 6) / 6 = 7.667
    # standard error sqrt(7.667 * (1/4 + 1/2)) = sqrt(5.75) = 2.3979; effect 3 - 10 = -7
    # half-width 3.1824 * 2.3979 = 7.6313 -> range -14.631 .. 0.631: crosses zero
    assert (effect.low, effect.high) == pytest.approx((-14.631, 0.631), abs=1e-3)
    assert verdict(effect)[0] == NO_CLEAR_CHANGE


def test_one_week_after_is_too_early_and_one_week_before_is_too_little_history():
    early = volume_effect([20, 22, 18], [2])
    assert early.effect == pytest.approx(2 - 20) and early.low is None
    assert verdict(early) == (
        NO_CLEAR_CHANGE, "Too early: 1 week of evidence since the action; 2 are needed."
    )  # fmt: skip
    short = volume_effect([20], [2, 3])
    assert short.low is None
    said, why = verdict(short)
    assert said == NO_CLEAR_CHANGE and why.startswith("Too little history: 1 week before")
    nothing = volume_effect([], [])
    assert nothing.effect is None and verdict(nothing)[0] == NO_CLEAR_CHANGE


def test_weeks_of_zeros_on_both_sides_are_no_change_not_a_division_by_zero():
    effect = volume_effect([0, 0, 0], [0, 0])
    assert (effect.effect, effect.low, effect.high, effect.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert verdict(effect)[0] == NO_CLEAR_CHANGE


# --- the query and the report rows, on a hand-made database -----------------------------------


def _add_topic(con, topic_id: int, label: str, **fields) -> None:
    row = {"status": "active", "merged_into": None, "level": "issue", "owner": None, **fields}
    con.execute(
        """
        insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                            status, merged_into, level, owner)
        values ($id, $label, $label, '2026-W02', '2026-W12', $status, $merged_into, $level,
                $owner)
        """,
        {"id": topic_id, "label": label, **row},
    )


@pytest.fixture
def hand_made(tmp_path):
    """weekly_kpis with texts in W02..W12 and hand-chosen issue weeks in topic_week_metrics.

    Issue 1 falls from about 20 a week to 5 after W10 (negative 10 of 20 -> 1 of 5);
    topic 2 is merged into issue 1; issue 3 is absent in most weeks; 4 is hidden.
    """
    con = connect(tmp_path / "pulse.duckdb")
    params = {"tz": "UTC", "window_start": datetime(2026, 1, 5), "window_end": datetime(2026, 1, 5)}
    with warnings.catch_warnings():  # duckdb notes that the arrow result is a copy
        warnings.simplefilter("ignore", UserWarning)
        kpis = run_query(con, "weekly_kpis", params).to_arrow_table()
        metrics = run_query(con, "topic_week_metrics", {**params, "run_id": "none"})
        metrics = metrics.to_arrow_table()
    append_run_rows(con, "weekly_kpis", kpis, "none")
    append_run_rows(con, "topic_week_metrics", metrics, "none")
    for week in WEEKS:
        con.execute("insert into weekly_kpis (run_id, week, volume) values ('r1', $w, 100)",
                    {"w": week})  # fmt: skip
    _add_topic(con, 1, "Notification e-mails", owner="Growth")
    _add_topic(con, 2, "Digest e-mails", status="merged", merged_into=1, level="theme")
    _add_topic(con, 3, "Rare crash")
    _add_topic(con, 4, "Praise", status="hidden")
    issue_1 = [20, 22, 18, 20, 19, 21, 20, 20, 12, 5, 5]  # W02..W12; W10 is the action week
    issue_3 = {"2026-W02": 4, "2026-W05": 6, "2026-W07": 5, "2026-W09": 5, "2026-W12": 4}
    rows = [
        (1, w, v, v // 2 if v >= 12 else 1, 2 if v >= 12 else 0)
        for w, v in zip(WEEKS, issue_1, strict=True)
    ]
    rows += [(3, w, v, 0, 0) for w, v in issue_3.items()]
    rows += [(4, w, 7, 0, 0) for w in WEEKS]
    for topic_id, week, volume, negative, csat_count in rows:
        con.execute(
            """
            insert into topic_week_metrics (run_id, level, topic_id, week, volume,
                negative_count, sentiment_count, csat_mean, csat_count)
            values ('r1', 'issue', $t, $w, $v, $n, $v, 2.0, $c)
            """,
            {"t": topic_id, "w": week, "v": volume, "n": negative, "c": csat_count},
        )
    yield con
    con.close()


def _context(**fields) -> RunContext:
    return RunContext(run_id="r1", week=IsoWeek(2026, 12), settings=Settings(), **fields)


def _action(topic_id: int, on: date, text: str = "Fix shipped", owner=None) -> TopicAction:
    return TopicAction(topic_id=topic_id, action=text, on=on, owner=owner)


def test_action_verdicts_judge_each_action_on_its_issues_weeks(hand_made):
    on = date(2026, 3, 4)  # Wednesday of W10
    actions = [
        _action(1, on, "Weekly cap shipped"),
        _action(2, on, "Digest redesigned", owner="Email team"),
        _action(3, on, "Crash fix released"),
        _action(4, on, "Thank-you page"),  # hidden topic: left out
        _action(1, date(2026, 3, 23), "Later fix"),  # W13: after the report's week
        _action(1, date(2026, 3, 17), "This week's fix"),  # W12: too early
    ]
    rows = action_verdicts(hand_made, _context(), actions)
    assert [(r["on"], r["action"]) for r in rows] == [
        ("2026-03-17", "This week's fix"),
        ("2026-03-04", "Digest redesigned"),  # newest first, then by issue and action
        ("2026-03-04", "Weekly cap shipped"),
        ("2026-03-04", "Crash fix released"),
    ]
    by_action = {r["action"]: r for r in rows}
    cap = by_action["Weekly cap shipped"]
    # the same weeks as test_a_clear_fall_worked_with_its_range_from_the_weeks_before
    assert (cap["weeks_before"], cap["weeks_after"]) == (8, 2)
    assert (cap["volume_before"], cap["volume_after"], cap["effect"]) == (20, 5, -15)
    assert cap["effect_high"] == pytest.approx(-7.292, abs=1e-3)
    assert cap["effect_share"] == pytest.approx(-0.75)  # -15 / 20
    assert cap["verdict"] == WORKED and cap["owner"] == "Growth"  # the issue's owner
    # negative: 10+11+9+10+9+10+10+10 = 79 of 160 before; 1+1 of 10 after
    assert cap["negative_share_before"] == pytest.approx(79 / 160)
    assert cap["negative_share_after"] == pytest.approx(0.2)
    # CSAT: 2 ratings a week before (mean 2.0), none after
    assert (cap["csat_before"], cap["csat_count_before"]) == (2.0, 16)
    assert (cap["csat_after"], cap["csat_count_after"]) == (None, 0)
    merged = by_action["Digest redesigned"]
    assert (merged["topic_id"], merged["issue_id"], merged["merged_into"]) == (2, 1, 1)
    assert merged["issue"] == "Notification e-mails" and merged["owner"] == "Email team"
    assert merged["effect"] == cap["effect"] and merged["verdict"] == WORKED
    rare = by_action["Crash fix released"]
    # absent weeks read 0: the weeks of test_a_fall_within_the_issues_own_noise_is_no_clear_change
    assert (rare["volume_before"], rare["volume_after"]) == (2.5, 2.0)
    assert rare["effect_low"] == pytest.approx(-5.595, abs=1e-3)
    assert rare["verdict"] == NO_CLEAR_CHANGE and rare["negative_share_before"] == 0
    now = by_action["This week's fix"]
    assert now["weeks_after"] == 0 and now["is_too_early"] and now["verdict"] == NO_CLEAR_CHANGE


def test_a_partial_report_week_is_not_evidence(hand_made):
    partial = _context(partial_through=date(2026, 3, 18))
    (row,) = action_verdicts(hand_made, partial, [_action(1, date(2026, 3, 4))])
    assert row["weeks_after"] == 1 and row["verdict"] == NO_CLEAR_CHANGE
    assert row["verdict_note"].startswith("Too early: 1 week")


def test_the_partial_renders_each_action_as_a_row_with_its_verdict(hand_made):
    rows = action_verdicts(hand_made, _context(), [_action(1, date(2026, 3, 4), "Cap <b>")])
    html = make_environment().get_template("_actions.html").render(actions=rows)
    assert html.count("<tr class=") == 1 and "<thead>" in html
    assert "Cap &lt;b&gt;" in html  # action text from the file is escaped
    assert "20.0 → 5.0" in html and "−15.0" in html and "−22.7 to −7.3" in html
    assert '<strong class="verdict">worked</strong>' in html
    empty = make_environment().get_template("_actions.html").render(actions=[])
    assert "No actions have been recorded" in empty


# --- the demo's planted truth ------------------------------------------------------------------


def test_on_the_demo_the_planted_fix_worked_and_the_other_action_shows_no_clear_change(demo_run):
    from pulse.config import load_settings

    settings = load_settings(env=demo_run.env)
    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    try:
        (run_id,) = con.execute(
            "select run_id from runs where outcome = 'ok' order by finished_at desc limit 1"
        ).fetchone()
        rows = action_verdicts(
            con, RunContext(run_id=run_id, week=demo_run.week, settings=settings)
        )
    finally:
        con.close()
    planted = {a["action"]: a for a in demo_run.truth["actions"]}
    assert {r["action"] for r in rows} == set(planted)
    for row in rows:
        expected = planted[row["action"]]
        assert row["on"] == expected["on"]
        assert row["verdict"] == expected["expected_verdict"], row
        assert row["weeks_before"] >= 6 and row["weeks_after"] >= 3
    worked = next(r for r in rows if r["verdict"] == WORKED)
    assert worked["effect_share"] < -0.5  # the planted fix keeps about a fifth of the texts


def test_demo_actions_need_the_demo_in_the_database(tmp_path):
    from pulse.demo import demo_actions, generate_demo

    generate_demo(tmp_path / "demo", anchor=IsoWeek(2026, 46), scale=0.3)
    with connect(tmp_path / "pulse.duckdb") as con:
        assert demo_actions(con, "no-run", tmp_path / "demo") == []
        assert demo_actions(con, "no-run", tmp_path / "missing") == []
