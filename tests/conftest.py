"""Session fixtures: one demo corpus, one Prefect test harness, one real flow run.

Fitting BERTopic and loading MiniLM cost tens of seconds, so the whole suite
shares one real run of the weekly flow on a small demo corpus; tests that
change things work on copies.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import pulse  # noqa: F401  (offline and cache environment first)
from pulse.weeks import IsoWeek

pytest_plugins = ["tests.sql_coverage"]

DEMO_WEEK = IsoWeek.parse("2026-W46")
DEMO_SCALE = 0.3


@dataclass
class DemoRun:
    """What the session's one real flow run produced."""

    root: Path
    db_path: Path
    demo_dir: Path
    output_dir: Path
    week: IsoWeek
    pdf: Path
    truth: dict
    env: dict[str, str]

    def copy_db(self, target: Path) -> Path:
        """A private copy of the database for a test that writes to it."""
        shutil.copy(self.db_path, target)
        return target


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test harness (a temporary local API) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, prefect_harness) -> DemoRun:
    """The weekly flow, run for real once on a small demo corpus (2026-W46, scale 0.3)."""
    root = tmp_path_factory.mktemp("demo_run")
    env = {
        "PULSE_DB_PATH": str(root / "pulse.duckdb"),
        "PULSE_OUTPUT_DIR": str(root / "outputs"),
        "PULSE_DEMO_DIR": str(root / "demo"),
        "PULSE_DEMO_SCALE": str(DEMO_SCALE),
        "PULSE_DEMO_ANCHOR": str(DEMO_WEEK),
        "PULSE_CONFIG": str(root / "pulse.toml"),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        from tests.flow_loader import load_weekly_report

        pdf = Path(load_weekly_report()(week=str(DEMO_WEEK)))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    truth = json.loads((root / "demo" / "truth.json").read_text(encoding="utf-8"))
    return DemoRun(
        root=root,
        db_path=root / "pulse.duckdb",
        demo_dir=root / "demo",
        output_dir=root / "outputs",
        week=DEMO_WEEK,
        pdf=pdf,
        truth=truth,
        env=env,
    )


@pytest.fixture
def demo_env(demo_run, monkeypatch):
    """Point settings at the session run's files for the duration of one test."""
    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    return demo_run
