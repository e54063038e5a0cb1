"""A seed added to a week already clustered takes effect on the next run of that week,
without --rebuild-topics, and every other topic keeps its id, its name and its texts."""

from __future__ import annotations

import pytest

from pulse.config import load_settings
from pulse.db import connect
from pulse.run import RunContext, latest_run
from pulse.stages import cluster_topics, compute_metrics

SEED = (
    "topics: []\nseeds:\n  - name: InMail credits gone\n    owner: Billing\n"
    "    examples:\n      - my InMail credits disappeared\n"
    "      - InMail credits not refunded\n"
)


@pytest.fixture
def seeded(demo_env, tmp_path, monkeypatch):
    """A copy of the session's database and a taxonomy file with one new seed."""
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(SEED, encoding="utf-8")
    monkeypatch.setenv("PULSE_TAXONOMY", str(taxonomy))
    db_path = demo_env.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    return demo_env, db_path


def _assignment(con, run_id: str) -> dict[str, int | None]:
    rows = con.execute(
        "select feedback_id, topic_id from doc_topics where run_id = $r", {"r": run_id}
    ).fetchall()
    return dict(rows)


def test_a_new_seed_claims_its_texts_and_moves_nothing_else(seeded):
    demo, db_path = seeded
    settings = load_settings()
    with connect(db_path) as con:
        earlier = latest_run(con, demo.week)
        before = _assignment(con, earlier)
        labels_before = dict(con.execute("select topic_id, auto_label from topics").fetchall())
        ctx = RunContext(run_id="reseeded", week=demo.week, settings=settings)
        counts = cluster_topics(con, ctx)
        after = _assignment(con, "reseeded")
        (seed_topic,) = con.execute("select topic_id from topic_seeds").fetchone()
        labels_after = dict(con.execute("select topic_id, auto_label from topics").fetchall())
        texts = [
            t.lower()
            for (t,) in con.execute(
                "select f.text from doc_topics d join feedback f using (feedback_id) "
                "where d.run_id = 'reseeded' and d.topic_id = $t",
                {"t": seed_topic},
            ).fetchall()
        ]
        compute_metrics(con, ctx)
        ranked = con.execute(
            "select t.label, r.is_new from ranked_issues r join topics t using (topic_id) "
            "where r.run_id = 'reseeded' and r.topic_id = $t",
            {"t": seed_topic},
        ).fetchone()

    assert counts["reused_run"] == earlier  # no refit
    assert counts["seeded_texts"] == len(texts) >= 5
    assert sum("inmail" in t or "credit" in t for t in texts) >= 0.9 * len(texts)
    # every text the seed did not claim keeps its topic; every other topic its name
    moved = {fid for fid, topic in after.items() if topic != before[fid]}
    assert after.keys() == before.keys()
    assert all(after[fid] == seed_topic for fid in moved)
    assert seed_topic not in labels_before
    assert {k: v for k, v in labels_after.items() if k != seed_topic} == labels_before
    # the seed is its own issue in the ranking, with its name, badged new
    assert ranked == ("InMail credits gone", True)


def test_the_same_seeds_again_reuse_the_run_as_it_is(seeded):
    demo, db_path = seeded
    settings = load_settings()
    with connect(db_path) as con:
        first = RunContext(run_id="seeded-1", week=demo.week, settings=settings)
        cluster_topics(con, first)
        con.execute(
            "insert into runs (run_id, week, outcome, started_at, finished_at, parameters) "
            "values ('seeded-1', $w, 'ok', now(), now(), json_object('taxonomy_seeds', $s))",
            {"w": str(demo.week), "s": _fingerprint()},
        )
        second = RunContext(run_id="seeded-2", week=demo.week, settings=settings)
        counts = cluster_topics(con, second)
        same = _assignment(con, "seeded-1") == _assignment(con, "seeded-2")
    assert counts == {"reused_run": "seeded-1"}  # nothing left to claim: a plain reuse
    assert same


def _fingerprint() -> str:
    from pulse.topics.taxonomy_apply import seeds_fingerprint

    return seeds_fingerprint()
