"""The Dask cluster every fanned-out stage uses, and the shared folder its workers read.

Two stages send work to Dask when `task_runner = "dask"`: embedding (pulse/embed/dask.py)
and the placement of a sampled window's rows (pulse/topics/dask_placement.py). Both run
a Prefect subflow on the same `DaskTaskRunner` and hand their workers files, never the
database: the flow process is the only one that may open `pulse.duckdb`. The code they
share lives here, below both packages, so neither stage imports the other.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulse.config import Settings
from pulse.errors import PulseError


def shard_root(settings: Settings) -> Path:
    """The folder that holds each run's shard folder, as an absolute path.

    Absolute because worker processes (and other machines) do not share the flow's
    working directory.
    """
    root = Path(settings.shard_dir) if settings.shard_dir else settings.output_dir / ".shards"
    return root.expanduser().resolve()


def run_folder(settings: Settings, stage: str) -> Path:
    """A fresh folder name under `shard_root` for one stage's files (not created here).

    Named by stage and time, with a random suffix, so two runs sharing `shard_dir`
    never read each other's files.
    """
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return shard_root(settings) / f"{stage}-{stamp}-{uuid.uuid4().hex[:8]}"


def dask_task_runner(settings: Settings) -> Any:  # a prefect_dask.DaskTaskRunner
    """The configured cluster: an existing scheduler, or a LocalCluster on this machine."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:  # pragma: no cover - install problem
        raise PulseError(
            'task_runner = "dask" needs the prefect-dask package; install it with '
            '`pip install prefect-dask` or set task_runner = "local"'
        ) from None
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


def _client() -> Any:  # a distributed.Client, or None outside a subflow on Dask
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    return getattr(context.task_runner, "client", None) if context else None


def workers_per_host() -> dict[str, int]:
    """How many workers the current flow's Dask cluster runs on each machine.

    Called inside a subflow running on `dask_task_runner`; empty anywhere else.
    """
    from distributed.comm import get_address_host

    client = _client()
    if client is None:
        return {}
    counts: dict[str, int] = {}
    for address in client.scheduler_info(n_workers=-1)["workers"]:
        host = get_address_host(address)
        counts[host] = counts.get(host, 0) + 1
    return counts


def worker_threads(per_host: dict[str, int]) -> int:
    """This worker's share of its machine's cores, so co-located workers do not oversubscribe.

    0 when not on a Dask worker: the caller then keeps its own thread count.
    """
    try:
        from distributed import get_worker
        from distributed.comm import get_address_host

        host = get_address_host(get_worker().address)
    except (ImportError, ValueError):
        return 0
    return max(1, (os.cpu_count() or 1) // max(1, per_host.get(host, 1)))


def on_every_worker(function: Callable[[], None]) -> None:
    """Run `function` once in every worker of the current flow's Dask cluster.

    For letting go of what a stage cached in the workers (a fitted model): an external
    cluster's workers outlive the run, a LocalCluster's do not. Nothing outside a subflow
    on Dask.
    """
    client = _client()
    if client is not None:
        client.run(function)
