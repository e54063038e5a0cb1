"""A command line that explains itself: every command and option has help, grouped by audience."""

from __future__ import annotations

import argparse
import subprocess
import sys

from pulse.cli.help import COMMAND_GROUPS, help_gaps
from pulse.cli.main import build_parser
from pulse.config import REPO_ROOT


def _pulse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pulse.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_every_command_and_option_has_help_text():
    assert help_gaps(build_parser()) == []


def test_the_help_check_finds_an_option_and_a_command_without_help():
    parser = argparse.ArgumentParser(prog="pulse")
    parser.add_argument("--limit", type=int)
    sub = parser.add_subparsers()
    sub.add_parser("bare").add_argument("path")

    assert help_gaps(parser) == [
        "pulse: --limit",
        "pulse bare: no help in the command list",
        "pulse bare: no description",
        "pulse bare: PATH",
    ]


def test_every_command_is_in_exactly_one_audience_group():
    grouped = [name for _, names in COMMAND_GROUPS for name in names]
    commands = next(
        action.choices
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert sorted(grouped) == sorted(commands)


def test_pulse_help_lists_the_commands_under_the_four_audiences():
    done = _pulse("--help")

    assert done.returncode == 0
    lines = done.stdout.splitlines()
    headings = [line.strip() for line in lines if line.startswith("  for ")]
    assert [h.split(" — ")[0] for h in headings] == [
        "for executives", "for analysts", "for CX ops", "for operators",
    ]  # fmt: skip
    # Each command sits under its group's heading, with its one line of help.
    for title, names in COMMAND_GROUPS:
        start = lines.index(f"  {title}")
        block = lines[start + 1 : start + 1 + len(names)]
        assert [line.split()[0] for line in block] == list(names), title
        assert all(len(line.split()) > 1 for line in block), block


def test_a_command_help_still_works_and_starts_with_what_the_command_does():
    for args, first_line in (
        (("run", "--help"), "run the weekly flow for a week or a range of weeks"),
        (("topics", "rename", "--help"), "give a topic the name reports show"),
    ):
        done = _pulse(*args)
        assert done.returncode == 0, done.stderr
        assert first_line in done.stdout
        assert "--help" in done.stdout
