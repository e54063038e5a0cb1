"""Topic registry, seeds, labels, the embedding cache and determinism.

Registry tests use small synthetic unit vectors (no model): what matters is how
centroids match, not what MiniLM thinks. Tests on real texts reuse the session's
one flow run (`demo_run`) and work on copies of its database.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from pulse.db import connect
from pulse.topics.assignments import remember_topics, shared_documents
from pulse.topics.cluster import _giant_cluster, _leaf_clusters
from pulse.topics.matching import MATCH_THRESHOLD, match_by_documents, match_clusters
from pulse.topics.registry import mark_dormant, register_clusters, register_seeds
from pulse.topics.seeds import SEED_CLUSTER_BASE, assign_seeds
from pulse.topics.taxonomy import Seed
from pulse.topics.window import cluster_window
from pulse.weeks import IsoWeek

W10 = IsoWeek.parse("2026-W10")


def unit(*values: float, dims: int = 8) -> np.ndarray:
    vector = np.zeros(dims, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def near(vector: np.ndarray, cosine: float, axis: int = 7) -> np.ndarray:
    """A unit vector at exactly `cosine` from `vector` (tilted toward an unused axis)."""
    other = np.zeros_like(vector)
    other[axis] = 1.0
    mixed = cosine * vector + np.sqrt(1 - cosine**2) * other
    return (mixed / np.linalg.norm(mixed)).astype(np.float32)


A, B, C = unit(1), unit(0, 1), unit(0, 0, 1)


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "registry.duckdb") as connection:
        yield connection


def registry(con) -> dict[int, dict]:
    rows = con.execute(
        "select topic_id, label, status, first_seen_week, last_seen_week from topics"
    ).fetchall()
    keys = ("label", "status", "first_seen_week", "last_seen_week")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


# --- matching -----------------------------------------------------------------------------


def test_a_cluster_close_to_a_registry_topic_keeps_its_id_and_label(con):
    first, _ = register_clusters(con, {0: A, 1: B}, {0: ["refund"], 1: ["login"]}, W10)
    con.execute("update topics set label = 'Billing' where topic_id = $t", {"t": first[0]})
    # Next week the same issues come back in the other order, slightly drifted.
    second, new = register_clusters(con, {0: near(B, 0.95), 1: near(A, 0.9)}, {}, W10.shift(1))
    assert second == {0: first[1], 1: first[0]}
    assert new == []
    assert registry(con)[first[0]]["label"] == "Billing"


def test_a_kept_label_loses_and_regains_its_praise_mark_with_the_tone(con):
    # The same topic three weeks running, named once; its texts turn from praise to
    # complaints and back. Its words stay; the mark follows the tone, so the ranking
    # (which leaves praise out by the same counts) never shows an issue called "Praise: ...".
    keywords = {0: ["refund", "money back"]}
    labels = {0: "Refund and money back"}
    first, _ = register_clusters(con, {0: A}, keywords, W10, labels_of=labels, praise_of={0: True})
    topic = first[0]
    assert registry(con)[topic]["label"] == "Praise: refund and money back"
    tones = [False, True]
    for offset, praise in enumerate(tones, start=1):
        again, new = register_clusters(
            con, {0: A}, keywords, W10.shift(offset), praise_of={0: praise}
        )
        assert again == {0: topic} and new == []
        auto = con.execute("select auto_label from topics where topic_id = $t", {"t": topic})
        expected = "Praise: refund and money back" if praise else "Refund and money back"
        assert auto.fetchall()[0][0] == expected


def test_matching_is_one_to_one_so_two_clusters_never_share_a_topic_id():
    mapping = match_clusters({0: near(A, 0.95), 1: near(A, 0.9, axis=6)}, [(5, A)])
    assert mapping == {0: 5}


def test_a_cluster_below_the_match_threshold_is_no_match():
    below = near(A, MATCH_THRESHOLD - 0.02)
    above = near(A, MATCH_THRESHOLD + 0.02)
    assert match_clusters({0: below}, [(5, A)]) == {}
    assert match_clusters({0: above}, [(5, A)]) == {0: 5}


def test_a_cluster_holding_an_earlier_topics_texts_keeps_its_id_though_its_centroid_moved(con):
    ids = [f"doc:{i}" for i in range(10)]
    first, _ = register_clusters(con, {0: A, 1: B}, {}, W10)
    remember_topics(con, ids, [0] * 6 + [1] * 4, first)
    # Re-clustered with next week's texts: the first six texts now sit in cluster 1,
    # whose centroid drifted far below the match threshold from A.
    clusters = [1] * 6 + [0] * 4 + [1, 0]
    shared = shared_documents(con, ids + ["doc:new1", "doc:new2"], clusters)
    assert shared == {1: {first[0]: 6, -1: 1}, 0: {first[1]: 4, -1: 1}}
    second, new = register_clusters(con, {0: B, 1: near(A, 0.5)}, {}, W10.shift(1), shared=shared)
    assert second == {1: first[0], 0: first[1]}
    assert new == []


def test_a_topic_deleted_from_the_registry_is_never_inherited(con):
    ids = [f"doc:{i}" for i in range(6)]
    first, _ = register_clusters(con, {0: A}, {}, W10)
    remember_topics(con, ids, [0] * 6, first)
    con.execute("delete from topics")
    shared = shared_documents(con, ids, [0] * 6)
    second, new = register_clusters(con, {0: A}, {}, W10.shift(1), shared=shared)
    assert new == [second[0]] and second[0] != first[0]


def test_sharing_a_few_texts_with_an_earlier_topic_is_no_match():
    # Cluster 1 holds 3 of topic 7's 10 texts and 7 texts new this week: a new issue.
    shared = {0: {7: 3, 8: 7}, 1: {7: 3, -1: 7}, -1: {7: 4}}
    assert match_by_documents(shared) == {0: 8}
    assert match_by_documents(shared, exclude={8}) == {}


def test_one_cluster_holding_most_of_the_window_is_split_by_leaf_selection():
    from hdbscan import HDBSCAN

    rng = np.random.default_rng(0)
    # Three tight groups close together (one region) and a small group far away.
    centres = [(0, 0), (2, 0), (0, 2), (40, 40)]
    points = np.vstack(
        [rng.normal(c, 0.5, size=(n, 2)) for c, n in zip(centres, (80, 80, 80, 30), strict=True)]
    )
    fitted = HDBSCAN(min_cluster_size=20, min_samples=5, cluster_selection_method="eom")
    labels = fitted.fit(points).labels_
    assert _giant_cluster(labels)
    leaves = _leaf_clusters(fitted)
    assert not _giant_cluster(leaves)
    assert len(set(leaves) - {-1}) == 4


def test_an_unmatched_cluster_registers_a_new_topic_flagged_new_until_the_next_week(con):
    first, _ = register_clusters(con, {0: A}, {}, W10)
    _, new = register_clusters(con, {0: A, 1: C}, {1: ["fake", "company page"]}, W10.shift(1))
    assert len(new) == 1 and new[0] != first[0]
    mark_dormant(con, W10.shift(1))
    topics = registry(con)
    assert topics[new[0]]["status"] == "new"
    assert topics[first[0]]["status"] == "active"
    mark_dormant(con, W10.shift(2))
    assert registry(con)[new[0]]["status"] == "active"


def test_a_topic_with_no_texts_for_four_weeks_turns_dormant_and_a_match_revives_it(con):
    first, _ = register_clusters(con, {0: A, 1: B}, {}, W10)
    for weeks_later in (1, 2, 3):
        register_clusters(con, {0: A}, {}, W10.shift(weeks_later))
        mark_dormant(con, W10.shift(weeks_later))
        assert registry(con)[first[1]]["status"] != "dormant"
    register_clusters(con, {0: A}, {}, W10.shift(4))
    mark_dormant(con, W10.shift(4))
    assert registry(con)[first[1]]["status"] == "dormant"
    assert registry(con)[first[0]]["status"] == "active"
    back, new = register_clusters(con, {0: near(B, 0.9)}, {}, W10.shift(5))
    assert back == {0: first[1]} and new == []
    assert registry(con)[first[1]]["status"] == "active"


def test_last_seen_is_the_newest_week_with_texts_not_the_run_week(con):
    """A theme that stopped three weeks ago is still a cluster in a 12-week window."""
    mapping, _ = register_clusters(con, {0: A}, {}, W10, last_seen={0: str(W10.shift(-4))})
    mark_dormant(con, W10)
    assert registry(con)[mapping[0]]["status"] == "dormant"


def test_topic_ids_are_never_reused_even_after_a_topic_is_deleted(con):
    first, _ = register_clusters(con, {0: A, 1: B}, {}, W10)
    con.execute("delete from topics")
    second, _ = register_clusters(con, {0: A}, {}, W10.shift(1))
    assert second[0] > max(first.values())


def test_a_hidden_or_merged_topic_stays_so_when_it_matches_again(con):
    first, _ = register_clusters(con, {0: A, 1: B}, {}, W10)
    con.execute("update topics set status = 'hidden' where topic_id = $t", {"t": first[0]})
    con.execute(
        "update topics set status = 'merged', merged_into = $a where topic_id = $b",
        {"a": first[0], "b": first[1]},
    )
    register_clusters(con, {0: A, 1: B}, {}, W10.shift(1))
    mark_dormant(con, W10.shift(9))
    statuses = {t: row["status"] for t, row in registry(con).items()}
    assert statuses == {first[0]: "hidden", first[1]: "merged"}


# --- seeds -----------------------------------------------------------------------------------


def test_texts_close_to_a_seed_join_it_and_a_cluster_it_mostly_claims_follows():
    seed = SEED_CLUSTER_BASE
    vectors = np.stack([near(A, 0.9), near(A, 0.8), near(A, 0.3), near(B, 0.9), near(B, 0.95)])
    clusters = [0, 0, 0, 1, 1]
    result = assign_seeds(clusters, vectors, {seed: A})
    # Two of cluster 0's three texts are close to the seed: the cluster is the seed's issue.
    assert result == [seed, seed, seed, 1, 1]


def test_a_seed_claims_only_close_texts_from_a_cluster_that_is_another_issue():
    seed = SEED_CLUSTER_BASE
    vectors = np.stack([near(A, 0.9), near(B, 0.95), near(B, 0.9), near(B, 0.97), unit(0, 0, 1)])
    result = assign_seeds([1, 1, 1, 1, -1], vectors, {seed: A})
    assert result == [seed, 1, 1, 1, -1]


def test_a_seed_is_registered_once_and_keeps_its_id_across_runs(con):
    seeds = [Seed(name="Invites to all contacts", examples=["it invited my address book"])]
    first = register_seeds(con, seeds, W10)
    renamed = [Seed(name="invites to ALL contacts", examples=["invites sent to everyone"])]
    second = register_seeds(con, renamed, W10.shift(1))
    assert list(first.values()) == list(second.values())
    assert registry(con)[next(iter(first.values()))]["label"] == "Invites to all contacts"


# --- on real texts (the session's flow run) -------------------------------------------------


def test_a_second_embed_run_embeds_nothing_new_and_a_new_text_costs_one(demo_run, tmp_path):
    from pulse.embed import active_model_name, embed_missing

    with connect(demo_run.copy_db(tmp_path / "pulse.duckdb")) as con:
        # the registry's embedder: USE, as one demo text in ten is not English; the cache
        # also holds MiniLM vectors of the English texts, for sentiment
        model = active_model_name()
        count = "select count(*) from embeddings where model = $m"
        cached = con.execute(count, {"m": model}).fetchone()[0]
        assert embed_missing(con) == 0
        con.execute(
            """
            insert into feedback (feedback_id, source, external_id, kind, created_at, text,
                                  text_redacted, text_hash)
            values ('test:1', 'test', '1', 'social', $at, 'my invites went to everyone',
                    'my invites went to everyone', 'hash-of-a-new-text')
            """,
            {"at": datetime(2026, 11, 10)},
        )
        assert embed_missing(con) == 1
        assert embed_missing(con) == 0
        assert con.execute(count, {"m": model}).fetchone()[0] == cached + 1


def _window(demo_run):
    from pulse.config import load_settings

    settings = load_settings(env=demo_run.env)
    start, _ = demo_run.week.shift(-(settings.history_weeks - 1)).bounds_utc(settings.timezone)
    _, end = demo_run.week.bounds_utc(settings.timezone)
    return settings, start, end


@pytest.mark.slow
def test_refitting_the_same_inputs_gives_the_same_topics_ids_and_labels(demo_run, tmp_path):
    """The flow's run and a fresh refit of its window agree text for text (about 30 s)."""
    settings, start, end = _window(demo_run)
    with connect(demo_run.copy_db(tmp_path / "pulse.duckdb")) as con:
        (run_id,) = con.execute("select run_id from runs where outcome = 'ok'").fetchone()
        before_labels = dict(con.execute("select topic_id, auto_label from topics").fetchall())
        result = cluster_window(
            con,
            demo_run.week,
            "refit",
            start,
            end,
            seed=settings.random_seed,
            min_topic_size=settings.min_topic_size,
        )
        assert result.new_topics == []
        changed = con.execute(
            """
            select count(*) from doc_topics as a
            inner join doc_topics as b using (feedback_id)
            where a.run_id = $run_id and b.run_id = 'refit'
              and a.topic_id is distinct from b.topic_id
            """,
            {"run_id": run_id},
        ).fetchone()[0]
        assert changed == 0
        after_labels = dict(con.execute("select topic_id, auto_label from topics").fetchall())
        assert after_labels == before_labels


def test_a_seeded_topic_tracks_its_texts_even_when_too_few_to_cluster(demo_run, tmp_path):
    """With clustering switched off (a tiny window), only the seed claims texts."""
    from pulse.topics.taxonomy_apply import apply_taxonomy

    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(
        "topics: []\nseeds:\n  - name: InMail credits gone\n    owner: Billing\n"
        "    examples:\n      - my InMail credits disappeared\n"
        "      - InMail credits not refunded\n",
        encoding="utf-8",
    )
    _, start, end = _window(demo_run)
    with connect(demo_run.copy_db(tmp_path / "pulse.duckdb")) as con:
        result = cluster_window(
            con,
            demo_run.week,
            "seeded",
            start,
            end,
            min_topic_size=10**6,
            taxonomy_path=taxonomy,
        )
        apply_taxonomy(con, taxonomy)
        (topic_id,) = con.execute("select topic_id from topic_seeds").fetchone()
        texts = [
            text.lower()
            for (text,) in con.execute(
                """
                select f.text from doc_topics as d inner join feedback as f using (feedback_id)
                where d.run_id = 'seeded' and d.topic_id = $t
                """,
                {"t": topic_id},
            ).fetchall()
        ]
        label, owner, status = con.execute(
            "select label, owner, status from topics where topic_id = $t", {"t": topic_id}
        ).fetchone()
    assert result.n_clusters == 1
    assert len(texts) >= 5
    assert sum("inmail" in t or "credit" in t for t in texts) >= 0.9 * len(texts)
    assert (label, owner, status) == ("InMail credits gone", "Billing", "new")
