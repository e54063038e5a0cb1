"""Each report query on a tiny hand-made database, against numbers worked out by hand.

The arithmetic sits in comments beside each assertion, so a reader can check the expected
value without running anything. Weeks are ISO weeks of 2026 (Monday 5 January is W02).
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime

import pytest

from pulse.db import connect, fetch_dicts, run_query
from pulse.stages import append_run_rows

W02 = datetime(2026, 1, 5)  # Monday of 2026-W02
W03 = datetime(2026, 1, 12)  # Monday of 2026-W03
WINDOW = {"window_start": datetime(2026, 1, 5), "window_end": datetime(2026, 1, 19)}


def add_feedback(con, feedback_id: str, created_at: datetime, **fields) -> None:
    row = {
        "feedback_id": feedback_id,
        "source": "test",
        "external_id": feedback_id,
        "kind": "ticket",
        "channel": "email",
        "created_at": created_at,
        "text": fields.pop("text", f"text of {feedback_id}, long enough to be quoted"),
        "text_hash": feedback_id,
        **fields,
    }
    row.setdefault("text_redacted", row["text"])
    names = ", ".join(row)
    values = ", ".join(f"${k}" for k in row)
    con.execute(f"insert into feedback ({names}) values ({values})", row)


def add_sentiment(con, feedback_id: str, label: str, score: float) -> None:
    con.execute(
        "insert into sentiment values ($id, $label, $score, 'test')",
        {"id": feedback_id, "label": label, "score": score},
    )


def add_topic(
    con,
    topic_id: int,
    status: str = "active",
    merged_into: int | None = None,
    first_seen_week: str = "2026-W02",
) -> None:
    con.execute(
        """
        insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                            status, merged_into)
        values ($id, $label, $label, $first, '2026-W07', $status, $merged)
        """,
        {
            "id": topic_id,
            "label": f"topic {topic_id}",
            "first": first_seen_week,
            "status": status,
            "merged": merged_into,
        },
    )


def assign(
    con, feedback_id: str, topic_id: int | None, probability: float = 0.5, run_id: str = "r1"
) -> None:
    con.execute(
        "insert into doc_topics values ($run, $id, $topic, $p)",
        {"run": run_id, "id": feedback_id, "topic": topic_id, "p": probability},
    )


@pytest.fixture
def con(tmp_path):
    """Two weeks of feedback: W02 has 4 tickets and 2 posts, W03 has 2 tickets."""
    con = connect(tmp_path / "pulse.duckdb")
    t = W02.replace(hour=10)
    add_feedback(
        con,
        "t1",
        t,
        channel="email",
        csat=5,
        nps=10,
        first_response_minutes=10,
        resolution_minutes=100,
        is_escalated=True,
        member_tier="premium",
        text="Still waiting for a reply about my refund",
    )
    add_feedback(
        con,
        "t2",
        t,
        channel="mobile",
        csat=4,
        nps=9,
        first_response_minutes=20,
        resolution_minutes=200,
        is_escalated=False,
        member_tier="free",
        text="love the new app, it works well now",
    )
    add_feedback(
        con,
        "t3",
        t,
        channel="mobile",
        csat=1,
        nps=3,
        first_response_minutes=30,
        resolution_minutes=300,
        member_tier="recruiter",
        text="App crashes on start every single time",
    )
    add_feedback(
        con, "t4", t, channel="web", nps=7, first_response_minutes=40, resolution_minutes=400
    )
    add_feedback(con, "s1", t, kind="social", channel="twitter", reach=100)
    add_feedback(con, "s2", t, kind="social", channel="forum", reach=50)
    add_feedback(
        con,
        "t5",
        W03.replace(hour=9),
        channel="chat",
        csat=2,
        nps=0,
        first_response_minutes=5,
        resolution_minutes=50,
    )
    add_feedback(con, "t6", W03.replace(hour=9), channel="phone", csat=4, first_response_minutes=15)
    # outside the window: ignored by every query
    add_feedback(con, "old", datetime(2025, 12, 1), channel="email", csat=1)
    for feedback_id, label, score in [
        ("t1", "negative", -0.8),
        ("t2", "positive", 0.6),
        ("t3", "negative", -0.4),
        ("t4", "neutral", 0.0),
        ("s1", "negative", -0.9),
        ("t5", "negative", -0.5),
        ("t6", "positive", 0.7),
    ]:  # s2 has no sentiment row
        add_sentiment(con, feedback_id, label, score)
    add_topic(con, 1)
    add_topic(con, 2, status="merged", merged_into=1)
    add_topic(con, 3, status="hidden")
    add_topic(con, 4)
    for feedback_id, topic_id in [
        ("t1", 1),
        ("t2", 2),
        ("t3", 1),
        ("t4", 3),
        ("s1", 4),
        ("s2", None),
        ("t5", 1),
        ("t6", 4),
    ]:
        assign(con, feedback_id, topic_id)
    assign(con, "t1", 4, run_id="r0")  # another run's assignment must not leak in
    yield con
    con.close()


# --- schema_macros.sql: the rules the queries share ------------------------------------------


def test_local_week_is_the_iso_week_on_the_clock_of_the_time_zone(con):
    # 23:30 UTC on Sunday 11 January is 00:30 on Monday 12 January in Berlin: W03 there, W02
    # in UTC and in New York (18:30 Sunday); 3 January 2021 is in ISO week 53 of 2020
    weeks = con.execute(
        """
        select local_week(timestamp '2026-01-11 23:30', 'Europe/Berlin'),
               local_week(timestamp '2026-01-11 23:30', 'UTC'),
               local_week(timestamp '2026-01-11 23:30', 'America/New_York'),
               local_week(timestamp '2021-01-03 12:00', 'UTC')
        """
    ).fetchone()
    assert weeks == ("2026-W03", "2026-W02", "2026-W02", "2020-W53")


def test_is_shown_leaves_out_only_hidden_topics(con):
    shown = con.execute(
        "select is_shown('active'), is_shown('merged'), is_shown(null), is_shown('hidden')"
    ).fetchone()
    assert shown == (True, True, True, False)


# --- feedback_weeks.sql ----------------------------------------------------------------------


def test_feedback_weeks_labels_each_text_with_its_local_week_and_sentiment(con):
    # 03:00 UTC on Monday 12 January is 22:00 on Sunday 11 January in New York: week W02.
    add_feedback(con, "late", datetime(2026, 1, 12, 3), channel="email")
    rows = {
        r["feedback_id"]: r
        for r in fetch_dicts(con, "feedback_weeks", {"tz": "America/New_York", **WINDOW})
    }
    assert "old" not in rows
    assert rows["late"]["week"] == "2026-W02"
    assert rows["t5"]["week"] == "2026-W03"  # 09:00 UTC Monday is 04:00 Monday in New York
    assert rows["t1"]["sentiment_label"] == "negative"
    assert rows["t1"]["sentiment_score"] == pytest.approx(-0.8)
    assert rows["s2"]["sentiment_label"] is None
    assert len(rows) == 9  # 8 texts in the window plus "late"


# --- weekly_kpis.sql -------------------------------------------------------------------------


def test_weekly_kpis_counts_volume_csat_nps_timings_and_sentiment_per_week(con):
    w02, w03 = fetch_dicts(con, "weekly_kpis", {"tz": "UTC", **WINDOW})
    assert w02["week"] == "2026-W02" and str(w02["week_start"]) == "2026-01-05"
    # volume by kind and channel: 4 tickets (email, mobile, mobile, web), 2 posts
    assert (w02["volume"], w02["ticket_count"], w02["social_count"]) == (6, 4, 2)
    assert (w02["email_count"], w02["mobile_count"], w02["web_count"]) == (1, 2, 1)
    assert (w02["twitter_count"], w02["forum_count"], w02["other_channel_count"]) == (1, 1, 0)
    # mobile share of tickets: 2 of 4
    assert w02["mobile_ticket_count"] == 2 and w02["mobile_share"] == pytest.approx(0.5)
    # CSAT 5, 4, 1 (t4 has none): mean 10/3, one each of 1, 4 and 5
    assert w02["csat_mean"] == pytest.approx(10 / 3) and w02["csat_count"] == 3
    distribution = [w02[f"csat_{n}_count"] for n in range(1, 6)]
    assert distribution == [1, 0, 0, 1, 1]
    # NPS answers 10, 9, 7, 3: 2 promoters, 1 passive, 1 detractor -> 100 * (2 - 1) / 4 = 25
    assert (w02["nps_promoter_count"], w02["nps_passive_count"], w02["nps_detractor_count"]) == (
        2,
        1,
        1,
    )
    assert w02["nps"] == pytest.approx(25.0) and w02["nps_count"] == 4
    # first response 10, 20, 30, 40: median 25; P90 at position 0.9 * 3 = 2.7 -> 30 + 0.7 * 10
    assert w02["first_response_median_minutes"] == pytest.approx(25.0)
    assert w02["first_response_p90_minutes"] == pytest.approx(37.0)
    # resolution 100..400: median 250, P90 300 + 0.7 * 100 = 370
    assert w02["resolution_median_minutes"] == pytest.approx(250.0)
    assert w02["resolution_p90_minutes"] == pytest.approx(370.0)
    # 5 texts have a sentiment label (s2 has none), 3 of them negative
    assert (w02["sentiment_count"], w02["negative_count"]) == (5, 3)
    assert w02["negative_share"] == pytest.approx(0.6)
    # social reach 100 + 50
    assert w02["social_reach"] == 150
    # the first week has nothing to compare with
    assert w02["volume_wow_change"] is None and w02["nps_wow_change"] is None

    # W03: t5 (chat, CSAT 2, NPS 0, negative) and t6 (phone, CSAT 4, positive)
    assert (w03["volume"], w03["chat_count"], w03["phone_count"]) == (2, 1, 1)
    assert w03["csat_mean"] == pytest.approx(3.0)
    assert w03["nps"] == pytest.approx(-100.0)  # one detractor of one answer
    assert w03["first_response_p90_minutes"] == pytest.approx(14.0)  # 5 + 0.9 * 10
    assert w03["resolution_p90_minutes"] == pytest.approx(50.0)  # only one resolved
    # week over week: volume (2 - 6) / 6, CSAT 3 - 10/3, NPS -100 - 25, negative 0.5 - 0.6
    assert w03["volume_wow_change"] == pytest.approx(-2 / 3)
    assert w03["csat_mean_wow_change"] == pytest.approx(-1 / 3)
    assert w03["nps_wow_change"] == pytest.approx(-125.0)
    assert w03["negative_share_wow_change"] == pytest.approx(-0.1)
    assert w03["first_response_median_wow_change"] == pytest.approx((10 - 25) / 25)
    assert w03["mobile_share_wow_change"] == pytest.approx(-0.5)  # 0 of 2 against 2 of 4
    assert w03["social_reach_wow_change"] == pytest.approx(-1.0)  # 0 against 150


# --- topic_week_metrics.sql ------------------------------------------------------------------


def test_topic_week_metrics_folds_merged_topics_and_leaves_out_hidden_ones(con):
    rows = fetch_dicts(con, "topic_week_metrics", {"tz": "UTC", "run_id": "r1", **WINDOW})
    # topics without an issue yet count as their own issue: both levels hold the same rows
    issue_rows = [{k: v for k, v in r.items() if k != "level"} for r in rows
                  if r["level"] == "issue"]  # fmt: skip
    theme_rows = [{k: v for k, v in r.items() if k != "level"} for r in rows
                  if r["level"] == "theme"]  # fmt: skip
    assert issue_rows == theme_rows
    by_key = {(r["topic_id"], r["week"]): r for r in theme_rows}
    # topic 2 is merged into 1, topic 3 is hidden, s2 is unassigned: only topics 1 and 4
    assert sorted(by_key) == [(1, "2026-W02"), (1, "2026-W03"), (4, "2026-W02"), (4, "2026-W03")]
    one = by_key[(1, "2026-W02")]  # t1, t2 (via the merge) and t3
    assert one["volume"] == 3
    assert one["share_of_feedback"] == pytest.approx(3 / 6)  # of all 6 texts in W02
    assert (one["sentiment_count"], one["negative_count"], one["positive_count"]) == (3, 2, 1)
    assert one["negative_share"] == pytest.approx(2 / 3)
    assert one["sentiment_mean"] == pytest.approx((-0.8 + 0.6 - 0.4) / 3)
    # CSAT 5, 4, 1: mean 10/3; squared deviations 25/9 + 4/9 + 49/9 = 78/9, / 2 -> sd sqrt(13/3)
    assert one["csat_mean"] == pytest.approx(10 / 3)
    assert one["csat_sd"] == pytest.approx(math.sqrt(13 / 3))
    assert (one["csat_count"], one["csat_low_count"]) == (3, 1)
    # NPS 10, 9, 3: two promoters (9-10), one detractor (0-6), as weekly_kpis counts them
    assert (one["nps_count"], one["nps_promoter_count"], one["nps_detractor_count"]) == (3, 2, 1)
    assert one["resolution_median_minutes"] == pytest.approx(200.0)  # of 100, 200, 300
    assert one["first_response_median_minutes"] == pytest.approx(20.0)
    # escalation known for t1 (yes) and t2 (no): 1 of 2
    assert (one["escalated_count"], one["escalation_known_count"]) == (1, 2)
    assert one["escalated_share"] == pytest.approx(0.5)
    # "Still waiting for a reply": the one repeat contact of three
    assert one["repeat_contact_count"] == 1
    assert one["repeat_contact_share"] == pytest.approx(1 / 3)
    # premium and recruiter are paid, free is not: 2 of 3
    assert (one["paid_count"], one["tier_known_count"]) == (2, 3)
    assert one["paid_share"] == pytest.approx(2 / 3)
    assert (one["ticket_count"], one["social_count"], one["reach_sum"]) == (3, 0, 0)
    assert (one["email_count"], one["mobile_count"], one["twitter_count"]) == (1, 2, 0)

    four = by_key[(4, "2026-W02")]  # s1 only: a negative tweet with reach 100
    assert (four["volume"], four["social_count"], four["twitter_count"]) == (1, 1, 1)
    assert four["share_of_feedback"] == pytest.approx(1 / 6)
    assert four["negative_share"] == pytest.approx(1.0)
    assert four["reach_sum"] == 100
    assert four["paid_share"] is None and four["csat_mean"] is None

    assert by_key[(1, "2026-W03")]["share_of_feedback"] == pytest.approx(1 / 2)  # t5 of 2


# --- topic_quotes.sql ------------------------------------------------------------------------


def test_topic_quotes_puts_negative_then_typical_texts_first_and_skips_short_ones(con):
    params = {"run_id": "r1", "week_start": W02, "week_end": W03, "per_topic": 2}
    add_feedback(con, "q_short", W02.replace(hour=11), text="too short")
    add_sentiment(con, "q_short", "negative", -0.9)
    assign(con, "q_short", 1, probability=0.99)
    rows = fetch_dicts(con, "topic_quotes", params)
    # topic 1 in W02: t1 (negative, p 0.5), t2 via the merge (positive), t3 (negative),
    # q_short (under 25 characters: never a quote); topic 3 is hidden. Probabilities are
    # all 0.5, so the feedback id breaks the tie: t1 before t3; t2 (not negative) is cut.
    assert [(r["topic_id"], r["feedback_id"], r["quote_rank"]) for r in rows] == [
        (1, "t1", 1),
        (1, "t3", 2),
        (4, "s1", 1),
    ]
    con.execute("update doc_topics set probability = 0.9 where feedback_id = 't3'")
    rows = fetch_dicts(con, "topic_quotes", params)
    assert [r["feedback_id"] for r in rows if r["topic_id"] == 1] == ["t3", "t1"]


# --- topic_mix.sql ---------------------------------------------------------------------------


def test_topic_mix_gives_each_topics_channel_and_tier_shares_in_the_week(con):
    rows = fetch_dicts(con, "topic_mix", {"run_id": "r1", "week_start": W02, "week_end": W03})
    mix = {(r["topic_id"], r["dimension"], r["value"]): (r["text_count"], r["share"]) for r in rows}
    # topic 1 in W02: t1 email/premium, t2 mobile/free (merged in), t3 mobile/recruiter
    assert mix[(1, "channel", "mobile")] == (2, pytest.approx(2 / 3))
    assert mix[(1, "channel", "email")] == (1, pytest.approx(1 / 3))
    assert mix[(1, "tier", "premium")] == (1, pytest.approx(1 / 3))
    assert mix[(1, "tier", "free")] == (1, pytest.approx(1 / 3))
    # topic 4: s1 on twitter with no tier; topic 3 is hidden: no rows
    assert mix[(4, "channel", "twitter")] == (1, pytest.approx(1.0))
    assert not any(k[0] == 4 and k[1] == "tier" for k in mix)
    assert not any(k[0] == 3 for k in mix)
    # rows come most common first within a topic and dimension
    assert [r["value"] for r in rows if r["topic_id"] == 1 and r["dimension"] == "channel"] == [
        "mobile",
        "email",
    ]


# --- ranked_issues.sql -----------------------------------------------------------------------

RANK_WEEKS = [f"2026-W0{n}" for n in range(1, 8)]  # W01 has no data at all


def ranked_params(week: str = "2026-W07", prev_week: str = "2026-W06") -> dict:
    return {
        "run_id": "r1",
        "weeks": RANK_WEEKS,
        "week": week,
        "prev_week": prev_week,
        "top_n": 15,
        "w_volume": 1.0,
        "w_negativity": 1.0,
        "w_growth": 1.0,
        "w_severity": 1.0,
        "w_reach": 1.0,
    }


@pytest.fixture
def metrics_con(tmp_path):
    """A materialised topic_week_metrics table with hand-chosen weekly figures.

    Topic 1 surges (10 a week, then 30), topic 2 fades over two weeks (12, then 6 and 3),
    topic 3 is praise (mostly positive), topic 4 is new this week (5 texts).
    """
    con = connect(tmp_path / "pulse.duckdb")
    with warnings.catch_warnings():  # duckdb notes that the arrow result is a copy
        warnings.simplefilter("ignore", UserWarning)
        empty = run_query(
            con,
            "topic_week_metrics",
            {"tz": "UTC", "run_id": "none", "window_start": W02, "window_end": W02},
        ).to_arrow_table()
    append_run_rows(con, "topic_week_metrics", empty, "none")  # the table, with its real columns
    for topic_id, first_seen in [
        (1, "2026-W02"),
        (2, "2026-W02"),
        (3, "2026-W02"),
        (4, "2026-W07"),
    ]:
        add_topic(con, topic_id, first_seen_week=first_seen)
    rows = []
    for n, week in enumerate(RANK_WEEKS[1:], start=2):
        last = n == 7
        rows.append((1, week, 30 if last else 10, 15 if last else 5, 30 if last else 10, 0))
        volume_2 = {6: 6, 7: 3}.get(n, 12)
        negative_2 = {6: 3, 7: 1}.get(n, 6)
        rows.append((2, week, volume_2, negative_2, volume_2, 0))
        rows.append((3, week, 5, 0, 5, 4))
    rows.append((4, "2026-W07", 5, 2, 5, 0))
    for topic_id, week, volume, negative, labelled, positive in rows:
        con.execute(
            """
            insert into topic_week_metrics (run_id, level, topic_id, week, volume,
                negative_count, sentiment_count, positive_count, negative_share, reach_sum)
            values ('r1', 'issue', $t, $w, $v, $n, $l, $p, $n / $l, 0)
            """,
            {"t": topic_id, "w": week, "v": volume, "n": negative, "l": labelled, "p": positive},
        )
    # topic 1's severity and reach figures this week
    con.execute(
        """
        update topic_week_metrics set csat_mean = 2.0, csat_sd = 1.0, csat_count = 10,
            escalated_share = 0.5, resolution_median_minutes = 2160,
            repeat_contact_share = 0.25, paid_share = 0.5, paid_count = 10,
            tier_known_count = 20
        where topic_id = 1 and week = '2026-W07'
        """
    )
    yield con
    con.close()


def test_no_topic_grew_in_the_datas_first_week_and_a_new_one_did_later(metrics_con):
    first = fetch_dicts(metrics_con, "ranked_issues", ranked_params("2026-W02", "2026-W01"))
    assert first and all(r["baseline_week_count"] == 0 for r in first)
    assert all(r["growth_z"] is None and r["growth_component"] == 0 for r in first)
    # W07's new topic had weeks of data before it: it grew from nothing
    new = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}[4]
    assert new["growth_z"] == pytest.approx(2 * math.sqrt(5))
    assert new["growth_component"] == pytest.approx(1.0)


def test_a_mostly_positive_topic_with_complaints_at_the_windows_rate_is_still_an_issue(
    metrics_con,
):
    """Praise is mostly positive *and* significantly fewer complaints than the window:
    product reviews are mostly positive in every topic, and their complaints must rank."""
    from pulse.topics.praise import is_praise

    add_topic(metrics_con, 5, first_seen_week="2026-W02")
    for week in RANK_WEEKS[1:]:  # 6 of 10 positive, 4 negative: the window's rate
        metrics_con.execute(
            """
            insert into topic_week_metrics (run_id, level, topic_id, week, volume,
                negative_count, sentiment_count, positive_count, negative_share, reach_sum)
            values ('r1', 'issue', 5, $w, 10, 4, 10, 6, 0.4, 0)
            """,
            {"w": week},
        )
    rows = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}
    assert 5 in rows and 3 not in rows
    # The topic registry marks the same ones praise, from the same counts.
    totals = metrics_con.execute(
        "select topic_id, sum(volume), sum(negative_count), sum(positive_count) "
        "from topic_week_metrics where run_id = 'r1' group by 1"
    ).fetchall()
    share = sum(t[2] for t in totals) / sum(t[1] for t in totals)
    praise = {
        t: is_praise(["negative"] * n + ["positive"] * p + [None] * (v - n - p), share)
        for t, v, n, p in totals
    }
    assert {t for t, is_it in praise.items() if is_it} == {3}
    assert set(rows) == {t for t, is_it in praise.items() if not is_it}


def test_ranked_issues_flags_a_surge_emerging_with_its_components_and_ranges(metrics_con):
    rows = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}
    assert 3 not in rows  # praise: 4 of 5 positive every week, not an issue to fix
    one = rows[1]
    # W01 has no data, so the baseline is W02..W06: 5 weeks of 10
    assert one["baseline_week_count"] == 5 and one["baseline_volume"] == pytest.approx(10.0)
    # NB moments: mean (50 + 0.5) / 5 = 10.1; no week-to-week change, so Poisson variance
    # 10.1 * (1 + 1/5) = 12.12; size r = 10.1^2 / (12.12 - 10.1) = 50.5, p = 10.1 / 12.12.
    # P(X >= 30) = 5.5587e-06 (scipy.stats.nbinom.sf(29, 50.5, 10.1 / 12.12), a reference)
    assert one["p_value_up"] == pytest.approx(5.55873108606969e-06, rel=1e-6)
    assert one["volume_z"] == pytest.approx((30 - 10.1) / math.sqrt(12.12))
    assert one["is_emerging"] and not one["is_improving"]
    # growth: 2 * (sqrt(30) - sqrt(10)) = 4.6299; component min(4.6299 / 4, 1) = 1
    assert one["growth_z"] == pytest.approx(2 * (math.sqrt(30) - math.sqrt(10)))
    assert one["growth_component"] == pytest.approx(1.0)
    assert one["volume_component"] == pytest.approx(1.0)  # the week's biggest topic
    assert one["negativity_component"] == pytest.approx(0.5)  # 15 of 30
    # severity: mean of (5 - 2) / 4 = 0.75, escalated 0.5, 2160 / 4320 = 0.5, repeat 0.25
    assert one["severity_component"] == pytest.approx((0.75 + 0.5 + 0.5 + 0.25) / 4)
    # reach: mean of paid share 0.5 and social reach 0 (no topic has any)
    assert one["reach_component"] == pytest.approx(0.25)
    # priority with equal weights: 100 * (1 + 0.5 + 1 + 0.5 + 0.25) / 5
    assert one["priority"] == pytest.approx(65.0)
    assert one["rank"] == 1 and one["prev_rank"] == 1
    assert (one["prev_volume"], one["volume_change"]) == (10, pytest.approx(2.0))
    # Wilson 95% for 15 of 30: centre 0.5, half-width
    # 1.96 * sqrt(0.25/30 + 1.96^2/3600) / (1 + 1.96^2/30) = 0.16846
    z = 1.959963984540054
    half = z * math.sqrt(0.25 / 30 + z * z / 3600) / (1 + z * z / 30)
    assert one["negative_share_low"] == pytest.approx(0.5 - half)
    assert one["negative_share_high"] == pytest.approx(0.5 + half)
    assert half == pytest.approx(0.16846, abs=1e-5)
    # Student t for 10 ratings: 2.0 -+ t(9) 2.262 * 1.0 / sqrt(10) = 2.0 -+ 0.71531
    assert one["csat_low"] == pytest.approx(2.0 - 2.262 / math.sqrt(10))
    assert one["csat_high"] == pytest.approx(2.0 + 2.262 / math.sqrt(10))
    # paid: 10 of 20 -> Wilson centre 0.5, half 1.96 * sqrt(0.25/20 + z^2/1600) / (1 + z^2/20)
    half_paid = z * math.sqrt(0.25 / 20 + z * z / 1600) / (1 + z * z / 20)
    assert one["paid_share_low"] == pytest.approx(0.5 - half_paid)


def test_ranked_issues_counts_the_weeks_in_a_row_each_issue_was_in_the_top_n(metrics_con):
    """Every data week is ranked (W01 has no data and is skipped): with a top 2, topics 1
    and 2 are the only complaints in W02-W06, so both are in it all five weeks; in W07
    topic 4 arrives. Its earlier weeks hold no texts, so at most its first week counts."""
    rows = fetch_dicts(metrics_con, "ranked_issues", {**ranked_params(), "top_n": 2})
    by_topic = {r["topic_id"]: r for r in rows}
    assert by_topic[1]["rank"] == 1 and by_topic[1]["weeks_in_top"] == 6  # W02..W07
    second = next(r for r in rows if r["rank"] == 2)
    third = next(r for r in rows if r["rank"] == 3)
    assert second["weeks_in_top"] == {2: 6, 4: 1}[second["topic_id"]]
    assert third["weeks_in_top"] == 0
    rows = fetch_dicts(metrics_con, "ranked_issues", {**ranked_params(), "top_n": 0})
    assert {r["weeks_in_top"] for r in rows} == {0}


def test_ranked_issues_flags_a_two_week_fall_improving(metrics_con):
    rows = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}
    two = rows[2]
    # this week and last: 3 + 6 = 9, against the 4 weeks before them (W02..W05, 12 each):
    # mean 2 * (48 + 0.5) / 4 = 24.25, variance 24.25 * (1 + 2/4) = 36.375;
    # r = 24.25^2 / 12.125 = 48.5, p = 2/3; P(X <= 9) = 0.002177 (scipy nbinom.cdf, reference)
    assert two["baseline_2w_week_count"] == 4 and two["pair_volume"] == 9
    assert two["p_value_down"] == pytest.approx(0.002177041812075026, rel=1e-6)
    assert two["is_improving"] and not two["is_emerging"]
    # it also fell 12 -> 6 -> 3 week on week: (3 - 6) / 6
    assert (two["prev_volume"], two["volume_change"]) == (6, pytest.approx(-0.5))
    # priority: volume ln 4 / ln 31, negativity 1/3, growth 0 (below baseline),
    # severity 0.5 / 4 (unknown CSAT counts as middling), reach 0
    expected = 100 * (math.log(4) / math.log(31) + 1 / 3 + 0 + 0.125 + 0) / 5
    assert two["priority"] == pytest.approx(expected)  # 17.24
    assert two["rank"] == 3 and two["prev_rank"] == 2
    # no member tier known: no paid share and no range for it
    assert two["paid_share"] is None and two["paid_share_low"] is None
    assert two["csat_mean"] is None and two["csat_low"] is None and two["csat_high"] is None


def test_ranked_issues_marks_a_first_seen_topic_new_but_not_emerging_below_the_minimum(
    metrics_con,
):
    rows = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}
    four = rows[4]
    # 5 texts against a baseline of zeros: far above, but under the minimum count of 8
    assert four["is_new"] and not four["is_emerging"]
    assert four["p_value_up"] < 0.001
    # growth 2 * sqrt(5) = 4.47 -> component 1; volume ln 6 / ln 31; negativity 2 of 5
    expected = 100 * (math.log(6) / math.log(31) + 0.4 + 1 + 0.125 + 0) / 5
    assert four["priority"] == pytest.approx(expected)  # 40.94
    assert four["rank"] == 2
    assert four["prev_rank"] is None and four["prev_volume"] == 0  # W06 had data, none here
    assert not rows[1]["is_new"]


def test_ranked_issues_treats_a_trickle_week_as_a_gap_not_a_quiet_week(metrics_con):
    # W01 gets 2 texts: a source that started on its Sunday. The median week has 27
    # (10 + 12 + 5 in W02..W05), a quarter of that is 6.75 > 2, so W01 stays out of
    # every baseline and topic 1's baseline is still W02..W06
    metrics_con.execute(
        """
        insert into topic_week_metrics (run_id, level, topic_id, week, volume, negative_count,
            sentiment_count, positive_count, negative_share, reach_sum)
        values ('r1', 'issue', 1, '2026-W01', 2, 1, 2, 0, 0.5, 0)
        """
    )
    rows = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}
    assert rows[1]["baseline_week_count"] == 5
    assert rows[1]["baseline_volume"] == pytest.approx(10.0)


def test_ranked_issues_needs_two_baseline_weeks_before_it_flags_anything(metrics_con):
    # W03: the baseline is W02 alone (W01 has no data and does not count)
    metrics_con.execute(
        "update topic_week_metrics set volume = 40, negative_count = 20, sentiment_count = 40 "
        "where topic_id = 1 and week = '2026-W03'"
    )
    rows = fetch_dicts(metrics_con, "ranked_issues", ranked_params("2026-W03", "2026-W02"))
    assert rows and all(r["baseline_week_count"] == 1 for r in rows)
    assert not any(r["is_emerging"] or r["is_improving"] for r in rows)


def test_in_a_week_when_everything_grows_only_the_issue_that_outgrew_it_is_emerging(metrics_con):
    # W07 triples for every issue, and topic 1 (10 a week) grows eightfold: only it gained
    # share of the week, so only it is emerging, though every count is far above baseline
    metrics_con.execute(
        "update topic_week_metrics set volume = volume * 3, negative_count = negative_count * 3,"
        " sentiment_count = sentiment_count * 3, positive_count = positive_count * 3 "
        "where week = '2026-W07' and topic_id in (2, 3)"
    )
    metrics_con.execute(
        "update topic_week_metrics set volume = 80, negative_count = 40, sentiment_count = 80 "
        "where week = '2026-W07' and topic_id = 1"
    )
    metrics_con.execute(
        "update topic_week_metrics set volume = 36, negative_count = 18, sentiment_count = 36 "
        "where week = '2026-W07' and topic_id = 2"
    )
    rows = {r["topic_id"]: r for r in fetch_dicts(metrics_con, "ranked_issues", ranked_params())}
    assert rows[1]["is_emerging"]
    assert rows[2]["p_value_up"] < 0.001  # its count alone would have made a headline
    assert not rows[2]["is_emerging"]  # but its share of the week did not grow
    assert rows[2]["p_value_share_up"] > 0.001
    # the change splits by issue: 80 - 10 = +70 for topic 1, 36 - 6 = +30 for topic 2
    assert (rows[1]["volume_delta"], rows[2]["volume_delta"]) == (70, 30)


def test_week_change_by_issue_adds_up_to_the_change_of_the_weeks_totals(metrics_con):
    # the week's totals: every issue's texts and 7 (W07) / 4 (W06) texts in no issue
    totals = {
        "2026-W06": (6 + 10 + 5 + 4, 3 + 5 + 0 + 2),
        "2026-W07": (3 + 30 + 5 + 5 + 7, 1 + 15 + 2 + 3),
    }
    for week, (volume, negative) in totals.items():
        metrics_con.execute(
            "insert into weekly_kpis (run_id, week, volume, negative_count) "
            "values ('r1', $w, $v, $n)",
            {"w": week, "v": volume, "n": negative},
        )
    rows = fetch_dicts(
        metrics_con,
        "week_change_by_issue",
        {"run_id": "r1", "week": "2026-W07", "prev_week": "2026-W06"},
    )
    assert sum(r["volume_delta"] for r in rows) == totals["2026-W07"][0] - totals["2026-W06"][0]
    assert sum(r["negative_delta"] for r in rows) == (totals["2026-W07"][1] - totals["2026-W06"][1])
    by_topic = {r["topic_id"]: r for r in rows}
    assert by_topic[1]["volume_delta"] == 20 and by_topic[2]["volume_delta"] == -3
    assert by_topic[4]["volume_delta"] == 5  # new this week
    assert by_topic[None]["volume_delta"] == 7 - 4  # the texts in no issue
    assert rows[0]["topic_id"] == 1  # the biggest mover first
