"""The README's "For analysts" commands, run verbatim on a copy of the demo run.

The commands are read from the section's first `bash` block and its first `python` block
and run as an analyst would: in a folder holding `pulse.duckdb`, its snapshot and the
virtualenv (`.venv`, here a link to the repository's), with no PULSE_* settings.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pulse.db import snapshot_path

REPO = Path(__file__).resolve().parents[1]
WEEK = "2026-W46"


def analyst_block(language: str) -> str:
    """The first ```language block of the README's "For analysts" section."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## For analysts\n", 1)[1].split("\n## ", 1)[0]
    return re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)[1]


@pytest.fixture
def folder(demo_run, tmp_path):
    """An analyst's folder: the database, its snapshot, and .venv."""
    assert demo_run.week.__str__() == WEEK, "the README's examples name the demo's week"
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    shutil.copy(snapshot_path(demo_run.db_path), snapshot_path(db_path))
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    return tmp_path


def run(folder: Path, command: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PULSE_")}
    done = subprocess.run(
        ["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert done.stderr == "", f"{command}\n{done.stderr}"
    return done.stdout


def labels_by_rank(db_path: Path, run_id: str) -> list[str]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return [
            label
            for (label,) in con.execute(
                "select t.label from ranked_issues as r join topics as t using (topic_id) "
                "where r.run_id = $run_id order by r.rank",
                {"run_id": run_id},
            ).fetchall()
        ]
    finally:
        con.close()


def week_run(db_path: Path) -> str:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select run_id from runs where week = $week and outcome = 'ok'", {"week": WEEK}
        ).fetchone()[0]
    finally:
        con.close()


def add_backfill(db_path: Path) -> None:
    """A run of an older week that finished after the newest week's, as a backfill leaves."""
    con = duckdb.connect(str(db_path))
    try:
        con.execute(
            "insert into runs (run_id, week, outcome, started_at, finished_at) values "
            "('backfill', '2026-W40', 'ok', now()::timestamp + interval 1 day, "
            "now()::timestamp + interval 1 day)"
        )
        con.execute(
            "insert into ranked_issues by name select * replace ('backfill' as run_id, "
            "'2026-W40' as week) from ranked_issues where rank = 16 or rank = 2"
        )
    finally:
        con.close()


def test_the_readme_analyst_commands_work_verbatim(folder):
    commands = [line for line in analyst_block("bash").splitlines() if line.strip()]
    assert len(commands) == 5 and all(c.startswith(".venv/bin/") for c in commands)
    outputs = [run(folder, command) for command in commands]
    listing, ranking, _, kpis, cli = outputs
    assert all(name in listing for name in ("issue_ranking", "issue_trends", "week_kpis"))
    labels = labels_by_rank(folder / "pulse.duckdb", week_run(folder / "pulse.duckdb"))
    assert labels[0] in ranking and f"{len(labels)} rows from pulse.duckdb" in ranking
    with (folder / "issue_trends.csv").open(encoding="utf-8") as handle:
        trends = list(csv.DictReader(handle))
    assert trends and all(int(r["volume"]) >= 0 for r in trends)
    assert {r["week"] for r in trends} >= {WEEK}
    assert [row["week"] for row in json.loads(kpis)][-1] == WEEK
    assert [line for line in cli.splitlines() if labels[0] in line], "the duckdb CLI's top issue"


def test_after_a_backfill_the_readme_reads_the_newest_weeks_run(folder):
    for path in (folder / "pulse.duckdb", snapshot_path(folder / "pulse.duckdb")):
        add_backfill(path)
    snap = snapshot_path(folder / "pulse.duckdb")
    expected = labels_by_rank(snap, week_run(snap))
    cli = next(
        line for line in analyst_block("bash").splitlines() if line.startswith(".venv/bin/duckdb")
    )
    shown = run(folder, cli)
    assert all(label in shown for label in expected[:5])
    con = duckdb.connect(str(snap), read_only=True)
    last_finished = con.execute(
        "select run_id from runs where outcome = 'ok' order by finished_at desc limit 1"
    ).fetchone()[0]
    con.close()
    assert last_finished == "backfill", "the old snippet's order would have read the backfill"
    namespace: dict = {}
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        exec(analyst_block("python"), namespace)  # noqa: S102 - the README's own snippet
    finally:
        os.chdir(cwd)
    assert namespace["newest_run"] == week_run(snap)
    assert [row[0] for row in namespace["ranked"]] == [week_run(snap)] * len(expected)
