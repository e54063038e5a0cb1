"""`pulse run`'s progress on stderr: live bars on a terminal, one plain line per step elsewhere.

On a terminal (stderr is a TTY) `rich` draws the weeks of a backfill ("week 2 of 10"), the
stages of the week, the embedding of new texts and the topic stage's phases as bars. Off a
terminal (cron, a pipe, a CI log) each step is one plain line with no control codes, so a
log reads top to bottom. Either way a backfill ends with the list of the PDFs it wrote;
`--quiet` prints none of this (stdout is then only the PDFs' paths).

The run tells its progress through `pulse.run.StageReporter`; nothing below the CLI
imports rich.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pulse.run import STAGES, StageReporter
from pulse.weeks import IsoWeek

PHASE_WORDS = {
    "fit": "fitting the window's texts",
    "name": "naming the clusters",
    "match": "matching them to the registry",
    "write": "writing each text's topic",
    "reuse": "reusing an earlier run's fit of the same texts",
}


class CliReporter(StageReporter):
    """Progress of one `pulse run` (one week or a backfill) on `stream` (stderr).

    Use it as a context manager around the weeks: on a terminal it starts and stops the
    live display, and on the way out (a failure included) it lists the PDFs written.
    """

    def __init__(
        self, quiet: bool, weeks: int = 1, stream: TextIO | None = None, live: bool | None = None
    ) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if live is None else live
        self.live = self.tty and not quiet
        self.embed_progress_bar = False  # the embedding bar is this reporter's, not tqdm's
        self.weeks = weeks
        self.week_number = 0
        self.index = 0
        self.written: list[tuple[str, Path]] = []
        self._bars: Any = None
        self._tasks: dict[str, Any] = {}

    # --- a run of weeks --------------------------------------------------------------------

    def __enter__(self) -> CliReporter:
        if self.live:
            self._start_bars()
        return self

    def __exit__(self, *exc: object) -> bool:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
        self.print_written()
        return False

    def start_week(self, week: IsoWeek) -> None:
        """A week's run is starting: the stage count starts again."""
        self.week_number += 1
        self.index = 0
        of = f"{self.week_number} of {self.weeks}: " if self.weeks > 1 else ""
        if self._bars is not None:
            for name in ("embed", "phase"):
                if name in self._tasks:
                    self._bars.remove_task(self._tasks.pop(name))
            self._bars.reset(self._tasks["stage"], total=len(STAGES), description="starting")
            if "weeks" in self._tasks:
                self._update("weeks", description=f"week {of}{week}")
            else:
                self._bars.console.print(f"Running week {week} …", highlight=False)
        elif not self.quiet:
            self._line(f"Running week {of}{week} …")

    def finish_week(self, week: IsoWeek, pdf: Path, seconds: float) -> None:
        """A week's run is done and wrote `pdf`."""
        self.written.append((str(week), pdf))
        if self._bars is not None:
            self._update("stage", completed=len(STAGES), description=f"{week} done")
            if "weeks" in self._tasks:
                self._bars.advance(self._tasks["weeks"])
            self._bars.console.print(f"{week}: report written in {seconds:.0f} s", highlight=False)

    def print_written(self) -> None:
        """The closing list of a backfill's PDFs (a single week's path is on stdout already)."""
        if self.quiet or self.weeks < 2 or not self.written:
            return
        self._line(f"Reports written ({len(self.written)} of {self.weeks} weeks):")
        for week, pdf in self.written:
            self._line(f"  {week}  {pdf}")

    # --- what a run tells (pulse.run.StageReporter) ------------------------------------------

    def stage(self, name: str) -> None:
        self.index += 1
        if self._bars is not None:
            for step in ("embed", "phase"):  # the stage before is over, and its steps
                if step in self._tasks:
                    task = next(t for t in self._bars.tasks if t.id == self._tasks[step])
                    self._update(step, completed=task.total)
            counted = f"[{self.index}/{len(STAGES)}] {name}"
            self._update("stage", completed=self.index - 1, description=counted)
        elif not self.quiet:
            self._line(f"  [{self.index}/{len(STAGES)}] {name} …")

    def embed_batch(self, done: int, total: int) -> None:
        if self._bars is not None:
            if "embed" not in self._tasks:
                self._tasks["embed"] = self._bars.add_task("  embedding new texts", total=total)
            self._update("embed", completed=done, total=total)
        elif not self.quiet:
            counted = f"embedding {total}" if done == 0 else f"embedded {done}/{total}"
            self._line(f"        {counted} new texts")

    def phase(self, name: str) -> None:
        words = PHASE_WORDS.get(name, name)
        if self._bars is not None:
            from pulse.topics.window import TOPIC_PHASES  # loaded by the run already

            step = TOPIC_PHASES.index(name) if name in TOPIC_PHASES else len(TOPIC_PHASES)
            described = f"  topics: {words}"
            if "phase" not in self._tasks:
                self._tasks["phase"] = self._bars.add_task(described, total=len(TOPIC_PHASES))
            self._update("phase", completed=step, description=described)
            self._bars.refresh()  # a phase can take a while: show it now, not at the next tick
        elif not self.quiet:
            self._line(f"        topics: {words}")

    def loaded(self, reports: Sequence[Any]) -> None:
        from pulse.ingest.reports import load_line

        for report in reports:
            line = f"        {load_line(report)}"
            if self._bars is not None:
                self._bars.console.print(line, highlight=False)
            elif not self.quiet:
                self._line(line)

    # --- output ------------------------------------------------------------------------------

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _update(self, name: str, **changes: Any) -> None:
        self._bars.update(self._tasks[name], **changes)

    def _start_bars(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bars = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description}", style="bold"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=self.stream, force_terminal=True),
            # The PDFs' paths go to stdout; through the display only when stdout is the
            # same terminal (a redirected stdout keeps its plain paths).
            redirect_stdout=sys.stdout.isatty(),
        )
        if self.weeks > 1:
            self._tasks["weeks"] = self._bars.add_task(f"{self.weeks} weeks", total=self.weeks)
        self._tasks["stage"] = self._bars.add_task("starting", total=len(STAGES))
        self._bars.start()
