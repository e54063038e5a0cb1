"""Import the flow the way Prefect does: from its file, not as a package module."""

from pulse.cli import _load_flow


def load_weekly_report():
    return _load_flow()
