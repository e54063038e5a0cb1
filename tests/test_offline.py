"""Offline means offline: no Prefect telemetry from any process Pulse starts."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time

import pytest

from pulse import OFFLINE_ENVIRONMENT
from pulse.config import REPO_ROOT
from pulse.serve import local_server, server_environment
from tests.test_serve import _deploy_configs

# The first-run notice Prefect prints on a terminal while its SDK telemetry is on.
NOTICE = "Prefect collects anonymous usage data"


def _shell_environment(home) -> dict[str, str]:
    """A user's shell as Prefect would like it: telemetry on, not in CI, a new PREFECT_HOME."""
    from prefect._internal.analytics.ci_detection import CI_ENV_VARS

    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENVIRONMENT}
    env = {k: v for k, v in env.items() if k not in CI_ENV_VARS}
    return {**env, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "true"}


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """Run `argv` with stdout and stderr on a pseudo-terminal; all it printed."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env, cwd=REPO_ROOT
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    child.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")


def test_prefect_on_a_terminal_prints_its_telemetry_notice_without_pulse(tmp_path):
    """The control: a new user's `import prefect` on a terminal shows the notice, even with
    the server's analytics off (which is all Pulse used to set)."""
    env = {**_shell_environment(tmp_path / "home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    printed = _on_a_terminal([sys.executable, "-c", "import prefect"], env)

    assert NOTICE in printed


def test_a_pulse_command_on_a_terminal_has_every_prefect_telemetry_off(tmp_path):
    env = {**_shell_environment(tmp_path / "home"), "PULSE_CONFIG": str(tmp_path / "pulse.toml")}
    printed = _on_a_terminal([sys.executable, "-m", "pulse.cli", "config", "show"], env)

    shown = json.loads(printed[printed.index("{") : printed.rindex("}") + 1])
    # What Prefect's own settings read in the child, though its shell said "true".
    assert shown["prefect"] == {
        "api_url": None,
        "ui_url": None,
        "server_analytics_enabled": False,
        "sdk_telemetry_enabled": False,
        "cloud_orchestration_telemetry": False,
        "resource_metrics_enabled": False,
    }
    rest = printed[: printed.index("{")] + printed[printed.rindex("}") + 1 :]
    assert NOTICE not in printed
    assert "telemetry" not in rest.lower()


def test_the_prefect_server_pulse_serve_starts_gets_the_offline_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "true")
    monkeypatch.setenv("PREFECT_API_URL", "http://elsewhere:4200/api")

    env = server_environment(tmp_path, 4321)

    assert {k: env[k] for k in OFFLINE_ENVIRONMENT} == OFFLINE_ENVIRONMENT
    assert env["PREFECT_SERVER_API_PORT"] == "4321" and "PREFECT_API_URL" not in env


def test_a_workers_flow_runs_get_the_offline_settings_from_prefect_yaml():
    configs, _, _ = _deploy_configs()

    for config in configs:
        assert config["work_pool"]["job_variables"]["env"] == OFFLINE_ENVIRONMENT, config["name"]


@pytest.mark.slow
def test_the_served_prefect_server_never_tries_to_send_telemetry(tmp_path, monkeypatch):
    """The server's heartbeat runs at start; without a network it would log
    "Failed to send telemetry" within seconds if it were on."""
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "true")  # a shell that says yes
    with local_server(home=tmp_path / "server"):
        time.sleep(10)
    log = (tmp_path / "server" / "server.log").read_text()
    assert "Uvicorn running" in log or "Check out the dashboard" in log, log
    assert "telemetry" not in log.lower(), log
