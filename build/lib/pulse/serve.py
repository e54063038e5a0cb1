"""`pulse serve`: the weekly schedule from one long-lived process.

Prefect's ephemeral API (what `pulse run` uses) runs flows but never fires
schedules, so serving needs a real Prefect server. With `PREFECT_API_URL` set,
`pulse serve` uses that server; without it, it starts a private `prefect server
start` on 127.0.0.1 and a free port (its database under `.cache/prefect-serve/`),
waits until `/api/health` answers, serves against it and stops it on exit.

The schedule (cron and time zone) and default parameters come from the `weekly`
deployment in `prefect.yaml`, so `prefect deploy` and `pulse serve` run the same
schedule; the `adhoc` deployment is served beside it for on-demand runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pulse import OFFLINE_ENVIRONMENT
from pulse.config import REPO_ROOT
from pulse.errors import PulseError
from pulse.publish.outputs_http import serving_reports

PREFECT_YAML = REPO_ROOT / "prefect.yaml"
SERVE_HOME = REPO_ROOT / ".cache" / "prefect-serve"
FLOW_ENTRYPOINT = "flows/weekly_report.py:weekly_report"
# The read-only route to the outputs folder (`pulse serve --reports-port`); fixed by
# default so the links in earlier runs' artifacts keep working after a restart.
REPORTS_PORT = 8766


class ServerUnavailable(PulseError):
    """No Prefect server to serve against or to send a run to (the CLI exits 1)."""


@dataclass
class DeploymentSpec:
    """One deployment of prefect.yaml, reduced to what `flow.serve` needs."""

    name: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    cron: str | None = None
    timezone: str | None = None


def read_deployments(path: Path = PREFECT_YAML) -> dict[str, DeploymentSpec]:
    """The deployments declared in prefect.yaml, by name."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PulseError(f"cannot read {path}: {exc}") from None
    specs: dict[str, DeploymentSpec] = {}
    for entry in document.get("deployments") or []:
        schedules = entry.get("schedules") or []
        cron = next((s.get("cron") for s in schedules if s.get("cron")), None)
        timezone = next((s.get("timezone") for s in schedules if s.get("cron")), None)
        specs[entry["name"]] = DeploymentSpec(
            name=entry["name"],
            description=entry.get("description") or "",
            tags=list(entry.get("tags") or []),
            parameters=dict(entry.get("parameters") or {}),
            cron=cron,
            timezone=timezone,
        )
    if "weekly" not in specs:
        raise PulseError(f"{path} has no deployment named 'weekly'; restore it from git")
    return specs


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api_is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextmanager
def local_server(
    home: Path = SERVE_HOME, port: int | None = None, startup_timeout: float = 180.0
) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1 for the duration of the block; yields its API URL.

    The server gets its own PREFECT_HOME (and so its own SQLite database), so it
    never touches a server the user runs elsewhere. It is started in a session of
    its own and stopped as a group (SIGTERM, then SIGKILL), so uvicorn's workers
    go with it.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = server_environment(home, port)
    log_path = home / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "prefect", "server", "start",
                "--host", "127.0.0.1", "--port", str(port),
            ],  # fmt: skip
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not api_is_healthy(api_url):
            if process.poll() is not None:
                raise ServerUnavailable(
                    f"the local Prefect server stopped while starting (exit {process.returncode}); "
                    f"see {log_path}"
                )
            if time.monotonic() > deadline:
                raise ServerUnavailable(
                    f"the local Prefect server did not answer within {startup_timeout:.0f} s; "
                    f"see {log_path}"
                )
            time.sleep(0.5)
        yield api_url
    finally:
        stop_process_group(process)


def server_environment(home: Path, port: int) -> dict[str, str]:
    """The environment of a private `prefect server start`: its own home and port, offline.

    The telemetry switches are set again here, not only inherited, so the server never
    sends its heartbeat to Prefect (nor logs "Failed to send telemetry" without a network).
    """
    env = {
        **os.environ,
        **OFFLINE_ENVIRONMENT,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
    }
    env.pop("PREFECT_API_URL", None)
    return env


def _die_with_parent() -> None:
    """In the server's child process: ask Linux to SIGTERM it when `pulse serve` dies.

    Without this a `pulse serve` killed with SIGKILL (no chance to clean up) would
    leave its private server running. Elsewhere than Linux this does nothing.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_process_group(process: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM a process started with `start_new_session`, and its children; SIGKILL if slow."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def serve_weekly(
    *,
    keep_schedule_active: bool = False,
    cron: str | None = None,
    timezone: str | None = None,
    week: str | None = None,
    api_url: str | None = None,
    on_ready=None,
    reports_port: int = REPORTS_PORT,
) -> None:
    """Serve the `weekly` (scheduled) and `adhoc` deployments until interrupted.

    Args:
        keep_schedule_active: leave the weekly schedule active on the server when
            serving stops. Off by default (Prefect's choice, kept deliberately): a
            schedule whose only runner is gone would pile up late runs that all
            start at once when serving resumes. Turn it on when a worker or another
            `pulse serve` may pick the runs up.
        cron, timezone: override the schedule of prefect.yaml's `weekly` deployment.
        week: pin the week every run reports (default: the last complete week
            when the run starts); for demos and tests.
        api_url: the Prefect API to serve against; default `PREFECT_API_URL`, and
            without that a private local server.
        on_ready: called with the API URL, cron, time zone and the reports' URL once
            serving starts (the CLI prints them).
        reports_port: the port of the read-only route to the outputs folder that the runs'
            artifacts link their PDFs to (`pulse.publish.outputs_http`); 0 for any free port.
            Not started when the `reports_url` setting names a server of your own.
    """
    specs = read_deployments()
    weekly = specs["weekly"]
    cron = cron or weekly.cron
    timezone = timezone or weekly.timezone
    if not cron:
        raise PulseError("the weekly deployment in prefect.yaml has no cron schedule")
    api_url = api_url or os.environ.get("PREFECT_API_URL")
    if api_url and not api_is_healthy(api_url):
        raise ServerUnavailable(
            f"no Prefect server answers at {api_url} (PREFECT_API_URL); start it with "
            "`prefect server start`, or unset PREFECT_API_URL to let `pulse serve` run one"
        )
    with serving_reports(reports_port) as reports_url:

        def ready(api: str, cron: str, timezone: str | None) -> None:
            if on_ready:
                on_ready(api, cron, timezone, reports_url)

        if api_url:
            _serve_against(api_url, specs, cron, timezone, week, keep_schedule_active, ready)
            return
        with local_server() as local_url:
            _serve_against(local_url, specs, cron, timezone, week, keep_schedule_active, ready)


def _serve_against(api_url, specs, cron, timezone, week, keep_schedule_active, on_ready) -> None:
    from prefect.schedules import Cron
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Flow runs are subprocesses of the runner: they find the API through the env.
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    state_file = SERVE_HOME / "serve.json"
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            from prefect import serve
            from prefect.flows import load_flow_from_entrypoint

            flow = load_flow_from_entrypoint(str(REPO_ROOT / FLOW_ENTRYPOINT))
            pinned = {"week": week} if week else {}
            weekly, adhoc = specs["weekly"], specs.get("adhoc")
            deployments = [
                flow.to_deployment(
                    name=weekly.name,
                    schedules=[Cron(cron, timezone=timezone or "UTC")],
                    parameters={**weekly.parameters, **pinned},
                    description=weekly.description,
                    tags=weekly.tags,
                )
            ]
            if adhoc:
                deployments.append(
                    flow.to_deployment(
                        name=adhoc.name,
                        parameters=adhoc.parameters,
                        description=adhoc.description,
                        tags=adhoc.tags,
                    )
                )
            SERVE_HOME.mkdir(parents=True, exist_ok=True)
            state_file.write_text(
                json.dumps({"api_url": api_url, "pid": os.getpid()}), encoding="utf-8"
            )
            if on_ready:
                on_ready(api_url, cron, timezone)
            try:
                serve(
                    *deployments,
                    pause_on_shutdown=not keep_schedule_active,
                    print_starting_message=False,
                    limit=1,
                )
            finally:
                if not keep_schedule_active:
                    _pause(api_url, [f"{flow.name}/{d.name}" for d in deployments])
    finally:
        state_file.unlink(missing_ok=True)
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous


def _pause(api_url: str, names: list[str]) -> None:
    """Pause the served deployments, whichever way serving ended.

    Prefect's runner pauses them itself on a clean stop, but on SIGTERM it exits
    from inside its event loop and the pause can be cut short; doing it again here
    (it is idempotent) makes "paused on exit" hold every time.
    """
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            with get_client(sync_client=True) as client:
                for name in names:
                    client.pause_deployment(client.read_deployment_by_name(name).id)
    except Exception as exc:  # noqa: BLE001 - shutting down: report, do not mask the exit
        print(f"pulse serve: could not pause {', '.join(names)}: {exc}", file=sys.stderr)


def served_api_url() -> str | None:
    """The API a running `pulse serve` uses, or PREFECT_API_URL; None when neither."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    state_file = SERVE_HOME / "serve.json"
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state.get("api_url")


def trigger_adhoc(
    week: str | None,
    rebuild_topics: bool = False,
    sources: list[str] | None = None,
    mappings: str | None = None,
    mapping: str | None = None,
) -> tuple[str, str | None]:
    """Queue a run of the `adhoc` deployment on the serving process.

    Returns the run's name (`voc-2026-W46`, the one the flow gives itself, set at once
    rather than Prefect's random one until the run starts) and its page in the Prefect UI
    (None when Prefect knows no UI address). The week is pinned in the parameters, so a
    run that starts after midnight on Sunday still reports the week it is named after.
    Paths are sent as absolute paths: the serving process may run in another folder.
    """
    api_url = served_api_url()
    if not api_url or not api_is_healthy(api_url):
        raise ServerUnavailable(
            "no Prefect server to send the run to: start `pulse serve` (or set PREFECT_API_URL), "
            "or run the week here with `pulse run --week …`"
        )
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.utilities.urls import url_for

    from pulse.run import flow_run_name
    from pulse.weeks import IsoWeek

    week = week or str(IsoWeek.last_complete())
    parameters: dict = {"rebuild_topics": rebuild_topics, "week": week}
    if sources:
        parameters["sources"] = [str(Path(p).resolve()) for p in sources]
    if mappings:
        parameters["mappings"] = str(Path(mappings).resolve())
    if mapping:
        parameters["mapping"] = mapping
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        flow_run = run_deployment(
            "weekly-voc-report/adhoc",
            parameters=parameters,
            flow_run_name=flow_run_name(week),
            timeout=0,
        )
        return flow_run.name, url_for(flow_run)
