"""`pulse --help`: the commands grouped by who uses them.

argparse lists subcommands as one flat block; `CommandGroupsFormatter` lists them under
a heading per audience instead, from the same help strings `add_parser(help=…)` records,
so a command's one-line help is written once. It overrides two of argparse's private
formatter methods (there is no public hook for this); `tests/test_cli_help.py` checks
the result on every run, so a Python release that changes them fails there first.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

# Who runs which command, in the order `pulse --help` lists them. Every command is in
# exactly one group (a test checks); one missing here is listed under "other commands".
COMMAND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("for executives — the weekly report and its e-mail", ("run", "report", "deliver")),
    (
        "for analysts — the data behind it",
        ("ingest", "sources", "rejected", "status", "sql", "demo"),
    ),
    ("for CX ops — the topics the report names", ("topics",)),
    ("for operators — schedule, recovery, settings", ("serve", "trigger", "restore", "config")),
)

EPILOG = (
    "`pulse COMMAND --help` explains a command and its options. Exit codes: 0 ok; 1 the work "
    "failed (a run, a delivery, a busy database, no server); 2 bad usage or input."
)


def _heading(title: str) -> argparse.Action:
    """A help-less pseudo-action: argparse prints its name alone on a line, as a heading."""
    return argparse.Action(option_strings=[], dest=title, help=None)


class CommandGroupsFormatter(argparse.HelpFormatter):
    """Lists the subcommands of the parser it formats under the headings of COMMAND_GROUPS."""

    def _format_action(self, action: argparse.Action) -> str:
        if not isinstance(action, argparse._SubParsersAction):
            return super()._format_action(action)
        # The headings and commands only; the "COMMAND" line above them says nothing.
        return "".join(self._format_action(sub) for sub in self._iter_indented_subactions(action))

    def _iter_indented_subactions(self, action: argparse.Action) -> Iterator[argparse.Action]:
        if not isinstance(action, argparse._SubParsersAction):
            yield from super()._iter_indented_subactions(action)
            return
        by_name = {choice.dest: choice for choice in action._get_subactions()}
        grouped = [name for _, names in COMMAND_GROUPS for name in names]
        groups = [*COMMAND_GROUPS]
        others = tuple(name for name in by_name if name not in grouped)
        if others:
            groups.append(("other commands", others))
        for title, names in groups:
            yield _heading(title)
            self._indent()
            yield from (by_name[name] for name in names if name in by_name)
            self._dedent()


def help_gaps(parser: argparse.ArgumentParser, path: str = "pulse") -> list[str]:
    """Every command and option of `parser` (and its subcommands) that has no help text.

    Each as `pulse topics rename: NAME`; empty when everything explains itself. A
    subcommand needs both its one-line `help` (the listing) and a `description` (the top
    of its own `--help`).
    """
    gaps: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._get_subactions()}
            for name, subparser in action.choices.items():
                if not listed.get(name):
                    gaps.append(f"{path} {name}: no help in the command list")
                if not subparser.description:
                    gaps.append(f"{path} {name}: no description")
                gaps += help_gaps(subparser, f"{path} {name}")
        elif not action.help or action.help == argparse.SUPPRESS:
            name = "/".join(action.option_strings) or (action.metavar or action.dest).upper()
            gaps.append(f"{path}: {name}")
    return gaps
