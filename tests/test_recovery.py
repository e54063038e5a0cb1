"""One writer at a time, and crash recovery: SIGKILL a real `pulse run` mid-stage, run it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pulse.config import REPO_ROOT
from pulse.db import connect, lock_holder, run_lock, snapshot
from pulse.errors import PulseError
from tests.output_readers import pdf_text, ranked_rows

_HOLD_DB = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""

_HOLD_RUN_LOCK = """
import sys, time
from pulse.db import run_lock
with run_lock(sys.argv[1], timeout=5):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(script: str, path: Path, seconds: float) -> subprocess.Popen:
    """Another process that holds the database (or the run lock) for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_duckdb_lock_error_names_the_process_that_holds_the_file():
    message = (
        'IO Error: Could not set lock on file "/x/pulse.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242). See also https://duckdb.org/docs/current/connect/concurrency"
    )
    assert lock_holder(message) == (4242, "/usr/bin/python3.11")
    assert lock_holder("IO Error: No such file or directory") is None


def test_second_writer_gives_up_after_the_timeout_and_names_the_holder(tmp_path):
    db_path = tmp_path / "pulse.duckdb"
    holder = _hold(_HOLD_DB, db_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(PulseError) as caught:
            connect(db_path, timeout=1.5)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert 1.0 <= waited < 6
    assert f"process {holder.pid}" in str(caught.value)
    assert "lock_timeout_seconds" in str(caught.value)


def test_second_writer_waits_for_a_short_holder_and_then_proceeds(tmp_path):
    db_path = tmp_path / "pulse.duckdb"
    holder = _hold(_HOLD_DB, db_path, 1.5)
    try:
        con = connect(db_path, timeout=30)
        con.execute("select count(*) from runs").fetchone()
        con.close()
    finally:
        holder.wait()


def test_a_second_run_waits_on_the_run_lock_then_fails_naming_the_first(tmp_path):
    db_path = tmp_path / "pulse.duckdb"
    holder = _hold(_HOLD_RUN_LOCK, db_path, 30)
    try:
        with pytest.raises(PulseError) as caught:
            with run_lock(db_path, timeout=1):
                pass
    finally:
        holder.kill()
        holder.wait()
    assert f"process {holder.pid}" in str(caught.value)
    # The OS drops a dead holder's lock: nothing stale is left behind.
    with run_lock(db_path, timeout=1):
        pass


def test_cli_exits_1_with_one_line_when_the_database_stays_busy(tmp_path, monkeypatch, capsys):
    from pulse.cli.main import main

    db_path = tmp_path / "pulse.duckdb"
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.setenv("PULSE_LOCK_TIMEOUT_SECONDS", "1")
    (tmp_path / "t.csv").write_text("x\n")
    holder = _hold(_HOLD_RUN_LOCK, db_path, 30)
    try:
        code = main(["ingest", str(tmp_path / "t.csv")])
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("pulse: another Pulse run") and str(holder.pid) in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_snapshot_can_be_read_while_another_process_writes_the_database(tmp_path):
    db_path = tmp_path / "pulse.duckdb"
    con = connect(db_path, timeout=0)
    con.execute(
        "insert into runs (run_id, week, outcome) values ('r1', '2026-W46', 'ok')"
    )
    snap = snapshot(con, db_path)
    con.close()
    holder = _hold(_HOLD_DB, db_path, 30)
    try:
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(db_path), read_only=True)
        reader = duckdb.connect(str(snap), read_only=True)
        assert reader.execute("select run_id from runs").fetchall() == [("r1",)]
        reader.close()
    finally:
        holder.kill()
        holder.wait()
    assert snap.name == "pulse.snapshot.duckdb"


# --- crash recovery ----------------------------------------------------------------------


def _crash_env(demo_run, tmp_path: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        **demo_run.env,
        "PULSE_DB_PATH": str(tmp_path / "pulse.duckdb"),
        "PULSE_OUTPUT_DIR": str(tmp_path / "outputs"),
    }
    # The session's Prefect test server spares each subprocess an ephemeral API start-up.
    if PREFECT_API_URL.value():
        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


def _kill_during(env: dict, args: list[str], marker: str, after: str | None, delay: float):
    """Start `pulse run`, wait for `marker` on stderr (and then `after`, if given), wait
    `delay` seconds more and SIGKILL it; returns every stderr line it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pulse.cli", "run", *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    waiting_for = [m for m in (marker, after) if m]
    deadline = time.monotonic() + 180
    try:
        while waiting_for and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if waiting_for[0] in line:
                waiting_for.pop(0)
        assert not waiting_for, "never reached the stage:\n" + "".join(lines)
        time.sleep(delay)
        assert process.poll() is None, "the run ended before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        rest = process.stderr.read()
        process.wait()
    return lines + rest.splitlines(keepends=True)


def _rerun(env: dict, week: str) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "pulse.cli", "--quiet", "run", "--week", week],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # --quiet: the PDF's path and nothing else, not even DuckDB's exit-time chatter.
    assert done.stderr == ""
    [line] = done.stdout.splitlines()
    return Path(line)


def _assert_clean_database(db_path: Path, demo_db: Path) -> None:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        keys = {
            "feedback": "feedback_id",
            "embeddings": "(text_hash, model)",
            "sentiment": "(feedback_id, model)",
            "doc_topics": "(run_id, feedback_id)",
            "ranked_issues": "(run_id, topic_id)",
        }
        for table, key in keys.items():
            sql = f"select count(*) - count(distinct {key}) from {table}"
            assert con.execute(sql).fetchone()[0] == 0, f"duplicate rows in {table}"
        assert con.execute("select count(*) from runs where outcome = 'running'").fetchone()[0] == 0
        crashed_rows = con.execute("select run_id from runs where outcome = 'crashed'").fetchall()
        crashed = [row[0] for row in crashed_rows]
        assert crashed, "the killed run should be recorded as crashed"
        for table in ("doc_topics", "ranked_issues", "topic_week_metrics"):
            leftover = con.execute(
                f"select count(*) from {table} where run_id in $ids", {"ids": crashed}
            ).fetchone()[0]
            assert leftover == 0, f"the crashed run left rows in {table}"
        missing = con.execute(
            """select count(*) from feedback as f
               anti join embeddings as e on e.text_hash = f.text_hash"""
        ).fetchone()[0]
        assert missing == 0
        counts = con.execute("select count(*) from feedback").fetchone()[0]
    finally:
        con.close()
    reference = duckdb.connect(str(demo_db), read_only=True)
    try:
        assert counts == reference.execute("select count(*) from feedback").fetchone()[0]
    finally:
        reference.close()


def _assert_same_outputs(pdf: Path, demo_run) -> None:
    assert pdf.parent == pdf.parent.parent / str(demo_run.week)
    assert ranked_rows(pdf.parent / "ranked_issues.csv") == ranked_rows(
        demo_run.pdf.parent / "ranked_issues.csv"
    )
    assert pdf_text(pdf) == pdf_text(demo_run.pdf)
    leftovers = [p.name for p in pdf.parent.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.slow
def test_killed_during_embedding_a_plain_rerun_completes_with_the_same_outputs(
    demo_run, tmp_path
):
    env = _crash_env(demo_run, tmp_path)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    con = duckdb.connect(str(db_path))
    # Every text loses its vector, so the stage has seconds of real work (model load,
    # then encoding) even with the int8 embedder, and the kill lands inside it.
    con.execute("delete from embeddings")
    con.close()
    lines = _kill_during(env, ["--week", str(demo_run.week)], "] embed", None, 1)
    assert not any("] sentiment" in line for line in lines)

    pdf = _rerun(env, str(demo_run.week))

    _assert_clean_database(db_path, demo_run.db_path)
    _assert_same_outputs(pdf, demo_run)


@pytest.mark.slow
def test_killed_during_clustering_a_plain_rerun_completes_with_the_same_outputs(
    demo_run, tmp_path
):
    env = _crash_env(demo_run, tmp_path)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    args = ["--week", str(demo_run.week), "--rebuild-topics"]
    lines = _kill_during(env, args, "] topics", None, 4)
    assert not any("] rank" in line for line in lines)

    pdf = _rerun(env, str(demo_run.week))

    _assert_clean_database(db_path, demo_run.db_path)
    _assert_same_outputs(pdf, demo_run)


@pytest.mark.slow
def test_killed_during_rendering_a_plain_rerun_completes_with_the_same_outputs(
    demo_run, tmp_path
):
    env = _crash_env(demo_run, tmp_path)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    _kill_during(env, ["--week", str(demo_run.week)], "] render", None, 1.5)

    pdf = _rerun(env, str(demo_run.week))

    _assert_clean_database(db_path, demo_run.db_path)
    _assert_same_outputs(pdf, demo_run)


def test_a_run_left_running_is_marked_crashed_and_its_rows_go(demo_run, tmp_path):
    """What the next run does first, in this process: the killed run's row says crashed
    and why, and the rows it wrote under its run id are gone; other runs keep theirs."""
    from pulse.run import recover_crashed_runs

    with connect(demo_run.copy_db(tmp_path / "pulse.duckdb")) as con:
        (kept_run,) = con.execute("select run_id from runs where outcome = 'ok' limit 1").fetchone()
        kept_rows = con.execute(
            "select count(*) from doc_topics where run_id = $r", {"r": kept_run}
        ).fetchone()[0]
        con.execute(
            "insert into runs (run_id, week, outcome, started_at) "
            "values ('killed', '2026-W46', 'running', now())"
        )
        con.execute(
            "insert into doc_topics select 'killed', feedback_id, topic_id, probability "
            "from doc_topics where run_id = $r",
            {"r": kept_run},
        )
        recover_crashed_runs(con)
        outcome, error, finished = con.execute(
            "select outcome, error, finished_at from runs where run_id = 'killed'"
        ).fetchone()
        left = con.execute("select count(*) from doc_topics where run_id = 'killed'").fetchone()[0]
        still = con.execute(
            "select count(*) from doc_topics where run_id = $r", {"r": kept_run}
        ).fetchone()[0]
    assert (outcome, error) == ("crashed", "the process ended before the run finished")
    assert finished is not None
    assert left == 0 and still == kept_rows > 0
