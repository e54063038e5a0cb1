"""A run is all or nothing for what it decides (issue 18, point 1).

A fault is injected after each stage has done its real work (and once inside the topic
stage's transaction); every table, the topic id sequence and the outputs folder must
then be as they were before the run, and the run's row must say where and why it failed.
A SIGKILL between stages is the same case seen by the next run
(`pulse.run.recover_crashed_runs`).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

import pulse.embed
import pulse.ingest
import pulse.topics.taxonomy_apply
from pulse import stages
from pulse.config import REPO_ROOT
from pulse.errors import PulseError

# A week of the demo data before the session run's week: no earlier run of it exists,
# so the topic stage fits afresh and rewrites labels, statuses and memory.
OTHER_WEEK = "2026-W45"


class InjectedFault(PulseError):
    """The fault the tests inject (a PulseError, so Prefect does not retry it)."""


def table_digests(db_path) -> dict[str, tuple[int, str]]:
    """Row count and a digest of the sorted rows of every table in every schema, plus the
    topic id sequence; `runs` is left out (it records the failed run)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        digests = {}
        for schema, table in tables:
            if (schema, table) == ("main", "runs"):
                continue
            rows = con.execute(f'select * from "{schema}"."{table}"').fetchall()
            text = "\n".join(sorted(repr(row) for row in rows))
            digests[f"{schema}.{table}"] = (len(rows), hashlib.sha256(text.encode()).hexdigest())
        # the id the next new topic would get
        digests["sequence topic_id_seq"] = con.execute(
            "select coalesce(last_value + 1, start_value) from duckdb_sequences() "
            "where sequence_name = 'topic_id_seq'"
        ).fetchone()
        return digests
    finally:
        con.close()


def _after(target, stage: str):
    """`target` that does its real work and then fails, as a crash right after it would."""

    def wrapped(*args, **kwargs):
        target(*args, **kwargs)
        raise InjectedFault(f"injected fault after the {stage} stage")

    return wrapped


def _midway(*args, **kwargs):
    raise InjectedFault("injected fault inside the topics stage")


FAULTS = {
    "ingest": (pulse.ingest, "load_for_run", "after"),
    "embed": (pulse.embed, "embed_missing", "after"),
    "sentiment": (stages, "score_sentiment", "after"),
    "topics": (stages, "cluster_topics", "after"),
    "topics-midway": (pulse.topics.taxonomy_apply, "apply_taxonomy", "instead"),
    "rank": (stages, "compute_metrics", "after"),
    "render": (stages, "render_week", "after"),
}


@pytest.fixture
def run_env(demo_run, tmp_path, monkeypatch):
    """A private copy of the session's database and outputs, settings pointed at them."""
    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    return db_path


def _runs(db_path) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select run_id, week, outcome, error from runs order by started_at"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_a_completed_run_of_the_week_changes_the_registry(run_env):
    """The control: without a fault the same run does change what the fault tests guard."""
    from tests.flow_loader import load_weekly_report

    before = table_digests(run_env)
    load_weekly_report()(week=OTHER_WEEK)
    after = table_digests(run_env)
    changed = {name for name in before if before[name] != after.get(name)}
    assert {"main.topics", "main.doc_topics", "main.ranked_issues"} <= changed
    assert not [name for name in after if name.startswith("pulse_undo.")]
    assert _runs(run_env)[-1][2:] == ("ok", None)


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(FAULTS))
def test_a_failure_in_any_stage_leaves_every_table_as_it_was(run_env, monkeypatch, stage):
    from tests.flow_loader import load_weekly_report

    module, name, how = FAULTS[stage]
    target = getattr(module, name)
    monkeypatch.setattr(module, name, _after(target, stage) if how == "after" else _midway)
    before = table_digests(run_env)
    runs_before = _runs(run_env)

    with pytest.raises(InjectedFault):
        load_weekly_report()(week=OTHER_WEEK)

    after = table_digests(run_env)
    assert after == before, [n for n in before if before[n] != after.get(n)]
    runs = _runs(run_env)
    assert runs[: len(runs_before)] == runs_before
    [(run_id, week, outcome, error)] = runs[len(runs_before) :]
    assert (week, outcome) == (OTHER_WEEK, "failed")
    assert error.startswith(stage.removesuffix("-midway") + ": InjectedFault: injected fault")


@pytest.mark.slow
def test_a_run_killed_after_its_topic_stage_is_undone_by_the_next_run(
    demo_run, run_env, tmp_path
):
    """SIGKILL once the ranking stage has begun (the registry is rewritten by then); the
    next run, of another week, first puts the registry back as it was."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PULSE_DB_PATH": str(run_env)}
    if PREFECT_API_URL.value():
        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    before = table_digests(run_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "pulse.cli", "run", "--week", OTHER_WEEK],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "] rank" in line:
                break
        assert "] rank" in lines[-1], "".join(lines)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    con = duckdb.connect(str(run_env), read_only=True)
    try:
        # the kill left the registry rewritten and its copy behind
        assert con.execute(
            "select count(*) from information_schema.schemata where schema_name = 'pulse_undo'"
        ).fetchone()[0] == 1
    finally:
        con.close()

    # `pulse run` recovers before anything else; a week after the data is then refused,
    # so the database shows exactly what the recovery did.
    done = subprocess.run(
        [sys.executable, "-m", "pulse.cli", "run", "--week", "2031-W01"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert table_digests(run_env) == before
    outcomes = [(week, outcome) for _, week, outcome, _ in _runs(run_env)][-2:]
    assert outcomes == [(OTHER_WEEK, "crashed"), ("2031-W01", "failed")]
