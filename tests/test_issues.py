"""Issues and their sub-themes: groups read off the sub-themes' centres, ids kept by the texts
they share, volumes that add up. Synthetic unit vectors (no model) for the grouping; the
session's flow run for the registry and the metrics.
"""

from __future__ import annotations

import duckdb
import numpy as np

from pulse.topics.issues import (
    ISSUE_GRAIN,
    ISSUE_HYSTERESIS,
    group_themes,
    issues_of,
    match_issues,
)


def unit(*values: float, dims: int = 8) -> np.ndarray:
    vector = np.zeros(dims, dtype=np.float64)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def test_close_sub_themes_form_one_issue_and_distant_ones_stay_apart():
    # billing pieces close to each other, login far from them
    centroids = np.stack([unit(1, 0.3), unit(1, -0.3), unit(1, 0, 0.4), unit(0, 0, 0, 1)])
    groups = group_themes([10, 11, 12, 13], centroids, [50, 40, 30, 60])
    assert groups[0] == groups[1] == groups[2]
    assert groups[3] != groups[0]


def test_the_grain_decides_what_joins():
    centroids = np.stack([unit(1, 0), unit(np.cos(1.1), np.sin(1.1))])  # cosine 0.45
    assert len(set(group_themes([1, 2], centroids, [1, 1], grain=0.40))) == 1
    assert len(set(group_themes([1, 2], centroids, [1, 1], grain=0.50))) == 2
    assert 0.2 < ISSUE_GRAIN < 0.6


def test_last_weeks_issues_hold_a_pair_whose_similarity_sits_at_the_grain():
    # A pair just below the grain stays one issue if it was one, and a pair just above
    # stays two if it was two: a week's small drift does not join and part them again.
    def pair(cosine: float) -> np.ndarray:
        return np.stack([unit(1, 0), unit(cosine, np.sqrt(1 - cosine**2))])

    below, above = ISSUE_GRAIN - ISSUE_HYSTERESIS / 2, ISSUE_GRAIN + ISSUE_HYSTERESIS / 2
    assert len(set(group_themes([1, 2], pair(below), [1, 1]))) == 2
    assert len(set(group_themes([1, 2], pair(below), [1, 1], previous=[7, 7]))) == 1
    assert len(set(group_themes([1, 2], pair(above), [1, 1]))) == 1
    assert len(set(group_themes([1, 2], pair(above), [1, 1], previous=[7, 8]))) == 2
    # Far enough from the grain, last week does not decide; a new sub-theme has no pull.
    far = ISSUE_GRAIN - 2 * ISSUE_HYSTERESIS
    assert len(set(group_themes([1, 2], pair(far), [1, 1], previous=[7, 7]))) == 2
    assert len(set(group_themes([1, 2], pair(below), [1, 1], previous=[7, None]))) == 2


def test_grouping_is_deterministic_and_weighted_by_texts():
    rng = np.random.default_rng(3)
    centroids = rng.normal(size=(12, 8))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    sizes = rng.integers(5, 100, size=12)
    first = group_themes(list(range(12)), centroids, sizes)
    assert first == group_themes(list(range(12)), centroids.copy(), sizes.copy())


def test_every_text_of_a_sub_theme_is_in_its_issue_so_volumes_add_up():
    rng = np.random.default_rng(0)
    base = np.stack([unit(1), unit(0, 1), unit(0, 0, 1)])
    clusters = [0] * 20 + [1] * 15 + [2] * 10 + [-1] * 5
    vectors = np.stack([base[c] + rng.normal(0, 0.05, 8) if c >= 0 else unit(0, 0, 0, 1)
                        for c in clusters])  # fmt: skip
    issues = issues_of(clusters, vectors)
    for cluster in (0, 1, 2):
        assert len({i for c, i in zip(clusters, issues, strict=True) if c == cluster}) == 1
    assert [i for c, i in zip(clusters, issues, strict=True) if c < 0] == [-1] * 5


def test_a_group_keeps_the_issue_id_whose_texts_it_holds():
    previous = {1: 100, 2: 100, 3: 200, 4: None}
    volume = {1: 50, 2: 30, 3: 40, 4: 10}
    # sub-themes 1 and 2 stay together, 3 joins them this week, 4 is new and alone
    mapping = match_issues({1: 0, 2: 0, 3: 0, 4: 1}, volume, previous, {100, 200})
    assert mapping == {0: 100}
    # an issue merged away (not live) is never inherited
    assert match_issues({1: 0, 2: 0}, volume, previous, {200}) == {}


def test_the_flow_writes_issues_whose_sub_themes_add_up(demo_run):
    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    try:
        run_id = con.execute(
            "select run_id from runs where outcome = 'ok' order by finished_at desc limit 1"
        ).fetchone()[0]
        levels = dict(
            con.execute("select level, count(*) from topics group by level").fetchall()
        )
        orphans = con.execute(
            "select count(*) from topics as t left join topics as p on p.topic_id = t.parent_id "
            "where t.level = 'theme' and t.last_seen_week = $week and p.level is distinct from "
            "'issue' and t.status not in ('merged')",
            {"week": str(demo_run.week)},
        ).fetchone()[0]
        sums = con.execute(
            """
            select i.topic_id, i.week, i.volume, sum(t.volume)
            from topic_week_metrics as i
            join (select distinct issue_id, theme_id from topic_rollup where is_visible) as r
                on r.issue_id = i.topic_id
            join topic_week_metrics as t
                on t.level = 'theme' and t.topic_id = r.theme_id and t.week = i.week
                and t.run_id = i.run_id
            where i.run_id = $run and i.level = 'issue'
            group by all
            """,
            {"run": run_id},
        ).fetchall()
        labels = [
            row[0]
            for row in con.execute(
                "select t.label from ranked_issues as r join topics as t using (topic_id) "
                "where r.run_id = $run",
                {"run": run_id},
            ).fetchall()
        ]
    finally:
        con.close()
    assert levels["issue"] >= 8 and levels["theme"] >= levels["issue"]
    assert orphans == 0
    assert sums and all(issue_volume == theme_sum for _, _, issue_volume, theme_sum in sums)
    from pulse.topics.labels import label_key

    assert len({label_key(label) for label in labels}) == len(labels), labels


def test_a_window_too_small_to_cluster_writes_no_issues_and_does_not_fail(tmp_path):
    from datetime import UTC, datetime

    from pulse.db import connect
    from pulse.embed import embed_missing
    from pulse.ingest import ingest_paths
    from pulse.topics.window import cluster_window
    from pulse.weeks import IsoWeek

    export = tmp_path / "few.csv"
    export.write_text(
        "id,created_at,text\n"
        + "".join(f"f{i},2026-03-0{i + 2},complaint number {i} about billing\n" for i in range(5))
    )
    mapping = tmp_path / "few.toml"
    mapping.write_text(
        '[few]\nkind = "ticket"\nid = "id"\ncreated_at = "created_at"\ntext = "text"\n'
    )
    week = IsoWeek.parse("2026-W10")
    with connect(tmp_path / "pulse.duckdb") as con:
        ingest_paths(con, [export], source="few", mappings_file=mapping, timezone="UTC",
                     now=datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
        embed_missing(con)
        start, end = week.shift(-11).bounds_utc("UTC")[0], week.bounds_utc("UTC")[1]
        result = cluster_window(con, week, "r1", start, end)
        assert result.unassigned == 5 and result.n_clusters == 0
        assert con.execute("select count(*) from run_topic_parents").fetchone()[0] == 0
