"""The schedule: prefect.yaml as `prefect deploy` reads it, and `pulse serve` firing it for real."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from pulse.config import REPO_ROOT
from pulse.serve import api_is_healthy, local_server, read_deployments

PREFECT_YAML = REPO_ROOT / "prefect.yaml"


def _deploy_configs():
    """prefect.yaml through `prefect deploy`'s own loader and model."""
    from prefect.cli.deploy._config import _load_deploy_configs_and_actions
    from rich.console import Console

    out = io.StringIO()
    configs, actions = _load_deploy_configs_and_actions(
        PREFECT_YAML, console=Console(file=out, width=200)
    )
    return configs, actions, out.getvalue()


def test_prefect_yaml_loads_the_way_prefect_deploy_loads_it_without_warnings():
    configs, actions, printed = _deploy_configs()
    assert printed == ""  # the loader prints validation problems instead of raising
    assert [c["name"] for c in configs] == ["weekly", "adhoc"]
    assert actions["pull"], "the worker needs the pull step that sets the working directory"


def test_prefect_yaml_has_no_keys_prefect_deploy_would_silently_ignore():
    from prefect.cli.deploy._models import DeploymentConfig

    raw = yaml.safe_load(PREFECT_YAML.read_text())
    known = set(DeploymentConfig.model_fields)
    for deployment in raw["deployments"]:
        assert set(deployment) <= known, set(deployment) - known


def test_weekly_deployment_builds_a_monday_cron_schedule_in_london_time():
    from prefect.cli.deploy._schedules import _construct_schedules
    from rich.console import Console

    configs, _, _ = _deploy_configs()
    by_name = {c["name"]: c for c in configs}
    options = {"console": Console(file=io.StringIO()), "is_interactive": lambda: False}
    weekly = _construct_schedules(by_name["weekly"], {}, **options)
    assert len(weekly) == 1
    schedule = weekly[0]["schedule"]
    assert schedule.cron == "0 6 * * 1"
    assert schedule.timezone == "Europe/London"
    assert weekly[0]["active"] is True
    adhoc = _construct_schedules(by_name["adhoc"], {}, **options)
    assert adhoc == []


def test_deployment_entrypoint_loads_and_its_parameters_fit_the_flow_signature():
    from prefect.flows import load_flow_from_entrypoint

    configs, _, _ = _deploy_configs()
    for config in configs:
        path, _, name = config["entrypoint"].partition(":")
        assert (REPO_ROOT / path).exists()
        flow = load_flow_from_entrypoint(str(REPO_ROOT / path) + ":" + name)
        assert flow.name == "weekly-voc-report"
        # Prefect validates deployment parameters against the flow's typed signature.
        flow.validate_parameters(config["parameters"])
        schema = flow.parameters.model_dump()["properties"]
        assert {"week", "sources", "rebuild_topics", "output_dir"} <= set(schema)


def test_pulse_serve_reads_its_schedule_from_prefect_yaml():
    specs = read_deployments()
    assert specs["weekly"].cron == "0 6 * * 1"
    assert specs["weekly"].timezone == "Europe/London"
    assert specs["adhoc"].cron is None


def _completed_flow_runs(api_url: str) -> list[dict]:
    # Filtered on the server: a one-minute cron keeps ~100 future runs scheduled.
    query = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "limit": 50}
    request = urllib.request.Request(
        f"{api_url}/flow_runs/filter",
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _weekly_deployment(api_url: str) -> dict:
    request = urllib.request.Request(
        f"{api_url}/deployments/name/weekly-voc-report/weekly", method="GET"
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _pdf_link(api_url: str, flow_run_id: str) -> str:
    """The link in a flow run's PDF artifact (Prefect keeps a link artifact as markdown)."""
    query = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}, "type": {"any_": ["markdown"]}}}
    request = urllib.request.Request(
        f"{api_url}/artifacts/filter",
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        artifacts = json.loads(reply.read())
    (pdf,) = [a for a in artifacts if (a["key"] or "").endswith("-pdf")]
    return pdf["data"].split("](", 1)[1].rstrip(")")


@pytest.mark.slow
def test_pulse_serve_fires_a_one_minute_cron_and_pauses_the_schedule_on_exit(
    demo_run, tmp_path, monkeypatch
):
    """A real schedule, end to end: cron `* * * * *` (the finest cron grain, so the
    first run fires within a minute), a Prefect server started here on 127.0.0.1,
    `pulse serve` in a subprocess, the real flow on a copy of the session's database
    (inputs unchanged, so the run reuses its topics and takes seconds)."""
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    env = {
        **os.environ,
        **demo_run.env,
        "PULSE_DB_PATH": str(db_path),
        "PULSE_OUTPUT_DIR": str(tmp_path / "outputs"),
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    # The server's scheduler looks for due schedules every 5 s instead of every 60 s.
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS", "5")
    with local_server(home=tmp_path / "prefect-server") as api_url:
        env["PREFECT_API_URL"] = api_url
        log = (tmp_path / "serve.log").open("wb")
        serve = subprocess.Popen(
            [sys.executable, "-m", "pulse.cli", "serve", "--cron", "* * * * *",
             "--week", str(demo_run.week), "--reports-port", "0"],  # fmt: skip
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            # Start-up (imports, registering the deployments) takes seconds on an idle
            # machine; then a minute at most for the cron to come round, and the run itself.
            ready_by = time.monotonic() + 120
            while "pulse serve: schedule" not in (tmp_path / "serve.log").read_text():
                assert time.monotonic() < ready_by, (tmp_path / "serve.log").read_text()
                assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(1)
            deadline = time.monotonic() + 150
            finished = None
            while time.monotonic() < deadline and finished is None:
                time.sleep(3)
                assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                for run in _completed_flow_runs(api_url):
                    if run["name"] == f"voc-{demo_run.week}" and run["state_type"] == "COMPLETED":
                        finished = run
            assert finished, "no scheduled run completed in time:\n" + (
                tmp_path / "serve.log"
            ).read_text()[-3000:]
            assert finished["auto_scheduled"] is True
            assert (tmp_path / "outputs" / str(demo_run.week) / "report.pdf").exists()
            # The run's PDF artifact links the serving process's http route, which serves it.
            link = _pdf_link(api_url, finished["id"])
            assert link.startswith("http://127.0.0.1:"), link
            with urllib.request.urlopen(link, timeout=10) as reply:
                assert reply.headers["Content-Type"] == "application/pdf"
                assert reply.read(5) == b"%PDF-"
            weekly = _weekly_deployment(api_url)
            assert weekly["paused"] is False
            assert [s["schedule"]["cron"] for s in weekly["schedules"]] == ["* * * * *"]
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(timeout=60)
            log.close()
        assert serve.returncode == 0, (tmp_path / "serve.log").read_text()[-3000:]
        # Stopping serve pauses its deployments (no --keep-schedule-active).
        assert _weekly_deployment(api_url)["paused"] is True
    assert not api_is_healthy(api_url, timeout=1)
    assert not Path(REPO_ROOT / ".cache" / "prefect-serve" / "serve.json").exists()
