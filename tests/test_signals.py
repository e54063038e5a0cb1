"""The emerging/improving test: exact against scipy, quiet on noise, loud on real change.

ranked_issues.sql computes its negative-binomial tail sums in SQL; scipy.stats.nbinom is an
independent implementation to check them against. The series are made up here, so each
case says what the test should conclude and why.
"""

from __future__ import annotations

import math
import random
import warnings
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from scipy.stats import nbinom

from pulse.config import PriorityWeights, Settings
from pulse.db import connect, fetch_dicts, run_query
from pulse.run import RunContext
from pulse.stages import append_run_rows, compute_metrics
from pulse.weeks import IsoWeek

WEEKS = [f"2026-W{n:02d}" for n in range(2, 14)]  # twelve weeks with data


def params(week: str) -> dict:
    index = WEEKS.index(week)
    return {
        "run_id": "r1", "weeks": WEEKS[: index + 1], "week": week,
        "prev_week": WEEKS[index - 1], "top_n": 15,
        **{f"w_{name}": value for name, value in vars(PriorityWeights()).items()},
    }


def metrics_db(tmp_path, series: dict[int, list[int]]):
    """A topic_week_metrics table holding each topic's weekly volumes (all texts negative)."""
    con = connect(tmp_path / "signals.duckdb")
    with warnings.catch_warnings():  # duckdb notes that the arrow result is a copy
        warnings.simplefilter("ignore", UserWarning)
        empty = run_query(
            con, "topic_week_metrics",
            {"tz": "UTC", "run_id": "none", "window_start": datetime(2026, 1, 5),
             "window_end": datetime(2026, 1, 5)},
        ).to_arrow_table()
    append_run_rows(con, "topic_week_metrics", empty, "none")
    topics = pa.Table.from_pylist([{"topic_id": t} for t in series])
    weekly = pa.Table.from_pylist([
        {"topic_id": t, "week": week, "volume": volume}
        for t, volumes in series.items()
        for week, volume in zip(WEEKS, volumes, strict=True)
        if volume
    ])
    con.register("made_topics", topics)
    con.register("made_weeks", weekly)
    con.execute(
        """
        insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week, status)
        select topic_id, 'x', 'x', '2026-W02', '2026-W13', 'active' from made_topics;
        insert into topic_week_metrics (run_id, level, topic_id, week, volume, negative_count,
            sentiment_count, positive_count, negative_share, reach_sum)
        select 'r1', 'issue', topic_id, week, volume, volume, volume, 0, 1.0, 0 from made_weeks;
        """
    )
    return con


def reference_p_values(history: list[int]) -> tuple[float, float]:
    """P(X >= this week) and P(X <= this + last week), recomputed with scipy.

    The same model as ranked_issues.sql, written out plainly: baseline = up to 8 weeks
    before (the one-week test) or before last week (the two-week test); variance per week
    = max(mean, half the mean squared successive difference), times (1 + weeks / k).
    """

    def moments(baseline: list[int], span: int) -> tuple[float, float]:
        k = len(baseline)
        mean = span * (sum(baseline) + 0.5) / k
        steps = [(b - a) ** 2 for a, b in zip(baseline, baseline[1:], strict=False)]
        mssd = sum(steps) / (2 * len(steps)) if steps else 0.0
        return mean, (1 + span / k) * max(mean, span * mssd)

    def nb(mean: float, variance: float):
        return nbinom(mean * mean / (variance - mean), mean / variance)

    x, last = history[-1], history[-2]
    up = nb(*moments(history[-9:-1], 1)).sf(x - 1)
    down = nb(*moments(history[-10:-2], 2)).cdf(x + last)
    return float(up), float(down)


CASES = {
    1: [20, 22, 18, 21, 19, 20, 23, 20, 19, 21, 20, 45],  # a clear surge
    2: [20, 22, 18, 21, 19, 20, 23, 20, 19, 21, 20, 26],  # ordinary noise
    3: [5, 30, 6, 28, 4, 31, 7, 29, 5, 30, 6, 40],  # wild history: 40 is nothing special
    4: [30, 31, 29, 30, 32, 28, 30, 31, 29, 30, 14, 9],  # a two-week fall
    5: [10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 31],  # a steady climb
    6: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12],  # out of nowhere
}


@pytest.fixture
def cases_db(tmp_path):
    con = metrics_db(tmp_path, CASES)
    yield con
    con.close()


def test_sql_p_values_equal_scipys_negative_binomial_tails(cases_db):
    rows = {r["topic_id"]: r for r in fetch_dicts(cases_db, "ranked_issues", params("2026-W13"))}
    for topic_id, history in CASES.items():
        up, down = reference_p_values(history)
        assert rows[topic_id]["p_value_up"] == pytest.approx(up, rel=1e-6, abs=1e-12), topic_id
        assert rows[topic_id]["p_value_down"] == pytest.approx(down, rel=1e-6), topic_id
        # every text is negative here, so the negative-count tests see the same numbers
        assert rows[topic_id]["p_value_negative_up"] == pytest.approx(up, rel=1e-6, abs=1e-12)


def test_flags_follow_the_series_shapes(cases_db):
    rows = {r["topic_id"]: r for r in fetch_dicts(cases_db, "ranked_issues", params("2026-W13"))}
    flags = {t: (r["is_emerging"], r["is_improving"]) for t, r in rows.items()}
    assert flags[1] == (True, False)  # 45 against about 20
    assert flags[2] == (False, False)  # 26 against about 20 is noise
    # 40 against a mean of 18 would be a surge for a steady topic, not for one that swings
    # between 5 and 30 every week: its own variability sets the bar
    assert flags[3] == (False, False) and rows[3]["p_value_up"] > 0.01
    assert flags[4] == (False, True)  # 14 then 9 after months of 30
    # a steady climb is not noise to the successive-difference variance, and the last step
    # (+1) is no surge either
    assert flags[5] == (False, False)
    assert flags[6] == (True, False)  # 12 where there were none: at least 8, far above


def test_pure_noise_makes_at_most_one_flag_a_week(tmp_path):
    # 40 topics of steady Poisson counts (means 4 to 80): nothing changed, so every flag is
    # a false alarm; the brief allows at most one a week
    rng = random.Random(7)

    def poisson(mean: float) -> int:
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count

    series = {t: [poisson(4 + 2 * t) for _ in WEEKS] for t in range(1, 41)}
    con = metrics_db(tmp_path, series)
    try:
        per_week = []
        for week in WEEKS[5:]:  # from the first week with a 4-week baseline for both tests
            rows = fetch_dicts(con, "ranked_issues", params(week))
            per_week.append(sum(1 for r in rows if r["is_emerging"] or r["is_improving"]))
    finally:
        con.close()
    assert max(per_week) <= 1, per_week


def test_a_trickle_before_an_exports_real_start_proves_no_growth(tmp_path):
    # An export's stray first weeks (a text or two) then its real start: every topic grows
    # with the week, and topic 4's share of 0 in 16 stray texts says nothing about its
    # share of 960. After real weeks the same last week flags topic 4, which outgrew the
    # week twelvefold while the others tripled with it.
    trickle = {
        1: [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 300],
        2: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 300],
        3: [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 300],
        4: [0] * 11 + [60],
    }
    steady = {
        1: [100, 98, 103, 99, 101, 100, 97, 102, 100, 99, 101, 300],
        2: [99, 101, 100, 98, 102, 100, 101, 99, 100, 103, 98, 300],
        3: [101, 100, 99, 102, 98, 100, 100, 101, 99, 100, 102, 300],
        4: [5, 4, 6, 5, 5, 4, 6, 5, 5, 4, 5, 60],
    }
    for series, emerging in ((trickle, set()), (steady, {4})):
        folder = tmp_path / str(len(emerging))
        folder.mkdir()
        con = metrics_db(folder, series)
        try:
            rows = fetch_dicts(con, "ranked_issues", params("2026-W13"))
        finally:
            con.close()
        assert {r["topic_id"] for r in rows if r["is_emerging"]} == emerging


def test_report_context_lists_improving_topics_beyond_the_top_list_with_their_ranges(tmp_path):
    """The whole path from feedback rows: compute_metrics, then the report's context."""
    from pulse.embed import DIMENSIONS, MODEL_NAME
    from pulse.report import build_context

    con = connect(tmp_path / "pulse.duckdb")
    volumes = {1: [10] * 11 + [30], 2: [30] * 10 + [14, 9]}  # a surge, a two-week fall
    for topic_id in volumes:
        con.execute(
            """
            insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                                status, keywords)
            values ($t, $l, $l, '2026-W02', '2026-W13', 'active', ['a', 'b'])
            """,
            {"t": topic_id, "l": f"Topic {topic_id}"},
        )
    rows = []
    for topic_id, series in volumes.items():
        for week_index, count in enumerate(series):
            monday = datetime(2026, 1, 5) + timedelta(weeks=week_index)
            for n in range(count):
                rows.append({
                    "feedback_id": f"{topic_id}-{week_index}-{n}", "topic_id": topic_id,
                    "created_at": monday + timedelta(hours=10 + n % 12),
                    "csat": 1 + n % 3, "member_tier": "premium" if n % 2 else "free",
                    "label": "negative" if n % 3 else "neutral",
                })
    con.register("made", pa.Table.from_pylist(rows))
    con.execute(
        """
        insert into feedback (feedback_id, source, external_id, kind, channel, created_at,
            text, text_redacted, text_hash, csat, member_tier)
        select feedback_id, 'test', feedback_id, 'ticket', 'email', created_at,
            'complaint ' || feedback_id || ' about the same thing',
            'complaint ' || feedback_id || ' about the same thing', feedback_id, csat,
            member_tier
        from made;
        insert into sentiment select feedback_id, label, -0.5, 'test' from made;
        insert into doc_topics select 'r1', feedback_id, topic_id, 0.8 from made;
        """
    )
    con.execute(
        "insert into embeddings select feedback_id, $model, $vector from made",
        {"model": MODEL_NAME, "vector": [1.0] + [0.0] * (DIMENSIONS - 1)},
    )
    con.unregister("made")
    settings = Settings(timezone="UTC", top_issues=1)
    ctx = RunContext(run_id="r1", week=IsoWeek.parse("2026-W13"), settings=settings)
    compute_metrics(con, ctx)
    context = build_context(con, ctx)
    materialised = {
        table: con.execute(f"select count(*) from {table} where run_id = 'r1'").fetchone()[0]
        for table in ("weekly_kpis", "topic_week_metrics", "ranked_issues")
    }
    con.close()

    # the result sets analysts query in the file: 12 weeks; 2 topics x 12 weeks at both
    # levels (each topic is its own issue here); 2 ranked
    assert materialised == {"weekly_kpis": 12, "topic_week_metrics": 48, "ranked_issues": 2}

    assert [i.topic_id for i in context.issues] == [1]  # top_issues = 1
    assert [i.topic_id for i in context.emerging] == [1]
    assert [i.topic_id for i in context.improving] == [2]  # ranked 2nd, still listed
    surge = context.issues[0]
    # 30 texts, n % 3 != 0 negative: 20 of 30; CSAT 1, 2, 3 ten times each: mean 2
    assert (surge.negative_count, surge.sentiment_count) == (20, 30)
    assert surge.negative_share_low < 2 / 3 < surge.negative_share_high
    assert surge.mean_csat == pytest.approx(2.0)
    assert surge.csat_low < 2.0 < surge.csat_high
    assert surge.paid_share == pytest.approx(0.5)
    assert surge.paid_share_low < 0.5 < surge.paid_share_high
    assert surge.p_value_up < 0.001 and surge.baseline_week_count == 8
    assert context.improving[0].p_value_down is not None
    # the week's breakdowns: 30 + 9 texts this week, every one an email with a CSAT
    details = context.kpi_details
    assert sum(d.value for d in details.csat_distribution.values()) == 30 + 9
    assert details.volume_by_channel["email"].value == 39
    assert "1 in 1,000" in context.method["significance"]


def test_the_demo_run_flags_the_planted_surge_and_fade_and_no_other_theme(demo_run):
    """On the session's real flow run: the planted changes are found, nothing else is.

    A planted change is the surge, the fade, or the fall after the demo's planted fix.
    """
    import duckdb

    truth = demo_run.truth
    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    try:
        run_id = con.execute(
            "select run_id from runs where outcome = 'ok' order by finished_at desc limit 1"
        ).fetchone()[0]
        flagged = con.execute(
            """
            select topic_id, rank, is_emerging, is_improving from ranked_issues
            where run_id = $r and (is_emerging or is_improving)
            """,
            {"r": run_id},
        ).fetchall()
        members = con.execute(
            """
            select r.issue_id, f.external_id
            from doc_topics as d
            inner join feedback as f using (feedback_id)
            inner join topic_rollup as r on r.topic_id = d.topic_id
            where d.run_id = $r
            """,
            {"r": run_id},
        ).fetchall()
    finally:
        con.close()
    votes: dict[int, dict[str, int]] = {}
    for topic_id, external_id in members:
        theme = truth["doc_theme"][external_id]
        votes.setdefault(topic_id, {}).setdefault(theme, 0)
        votes[topic_id][theme] += 1
    theme_of = {t: max(v, key=v.get) for t, v in votes.items()}
    emerging = {theme_of[t]: rank for t, rank, up, _ in flagged if up}
    improving = {theme_of[t] for t, _, _, down in flagged if down}
    assert truth["surging_theme"] in emerging and emerging[truth["surging_theme"]] <= 3
    assert truth["fading_theme"] in improving
    # the planted fix (a theme that falls after its dated action) is a planted change too
    fixed = {a["theme"] for a in truth["actions"] if a["expected_verdict"] == "worked"}
    assert set(emerging) | improving <= {truth["surging_theme"], truth["fading_theme"], *fixed}
