"""Import the flow the way Prefect does: from its file, not as a package module."""

from pulse.cli.run import load_flow


def load_weekly_report():
    return load_flow()
