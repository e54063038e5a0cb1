"""`pulse trigger`: an ad hoc run queued on a Prefect server, named after its week."""

from __future__ import annotations

import pytest

from pulse.cli.schedule import trigger_message
from pulse.serve import trigger_adhoc


def test_trigger_prints_the_runs_week_name_and_its_ui_page():
    text = trigger_message("voc-2026-W46", "http://127.0.0.1:4200/runs/flow-run/1b2c")

    assert text.splitlines()[:2] == [
        "queued flow run voc-2026-W46",
        "  in the Prefect UI: http://127.0.0.1:4200/runs/flow-run/1b2c",
    ]


@pytest.fixture
def adhoc_deployment(prefect_harness, monkeypatch):
    """The `adhoc` deployment registered on the session's Prefect API, as `pulse serve` does
    (nothing serves it, so a queued run stays scheduled)."""
    from prefect.flows import load_flow_from_entrypoint
    from prefect.settings import PREFECT_API_URL

    from pulse.config import REPO_ROOT
    from pulse.serve import FLOW_ENTRYPOINT

    api_url = PREFECT_API_URL.value()
    monkeypatch.setenv("PREFECT_API_URL", api_url)  # how `pulse trigger` finds the server
    flow = load_flow_from_entrypoint(str(REPO_ROOT / FLOW_ENTRYPOINT))
    flow.to_deployment(name="adhoc").apply()
    return api_url


def test_a_triggered_run_is_named_after_its_week_at_once_and_links_its_ui_page(adhoc_deployment):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    name, url = trigger_adhoc("2026-W40")

    assert name == "voc-2026-W40"  # not Prefect's random "merry-fulmar" until the run starts
    with get_client(sync_client=True) as client:
        named = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
    # other tests of the session may have run the flow for that week under the same name
    (queued,) = [run for run in named if url.endswith(f"/{run.id}")]
    assert queued.parameters["week"] == "2026-W40"
    assert queued.name == name
    ui = adhoc_deployment.removesuffix("/api")
    assert url == f"{ui}/runs/flow-run/{queued.id}"
