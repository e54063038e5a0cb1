"""`pulse run`'s progress: plain lines off a terminal, bars on one, the closing list of PDFs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from pulse.cli.progress import CliReporter
from pulse.config import REPO_ROOT
from pulse.run import STAGES
from pulse.topics.window import TOPIC_PHASES
from pulse.weeks import IsoWeek

WEEKS = [IsoWeek.parse(w) for w in ("2026-W44", "2026-W45", "2026-W46")]
ESCAPE = "\x1b"


def _backfill(reporter: CliReporter, weeks: list[IsoWeek], fail_at: IsoWeek | None = None):
    """What `pulse run --from … --to …` tells its reporter, week by week."""
    with reporter:
        for week in weeks:
            reporter.start_week(week)
            for stage in STAGES:
                reporter.stage(stage)
                if stage == "embed":
                    reporter.embed_batch(0, 120)
                    reporter.embed_batch(120, 120)
                if stage == "topics":
                    for phase in TOPIC_PHASES:
                        reporter.phase(phase)
                if week == fail_at:
                    raise RuntimeError("the render failed")
            reporter.finish_week(week, Path(f"/out/{week}/report.pdf"), 12.0)


def test_off_a_terminal_each_week_stage_and_phase_is_one_plain_line():
    stream = io.StringIO()  # not a TTY, as under cron or in a pipe
    _backfill(CliReporter(quiet=False, weeks=3, stream=stream), WEEKS)

    text = stream.getvalue()
    assert ESCAPE not in text and "\r" not in text
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("Running week")] == [
        "Running week 1 of 3: 2026-W44 …",
        "Running week 2 of 3: 2026-W45 …",
        "Running week 3 of 3: 2026-W46 …",
    ]
    first_week = lines[1 : lines.index("Running week 2 of 3: 2026-W45 …")]
    assert [line.strip() for line in first_week] == [
        "[1/6] ingest …",
        "[2/6] embed …",
        "embedding 120 new texts",
        "embedded 120/120 new texts",
        "[3/6] sentiment …",
        "[4/6] topics …",
        "topics: fitting the window's texts",
        "topics: naming the clusters",
        "topics: matching them to the registry",
        "topics: writing each text's topic",
        "[5/6] rank …",
        "[6/6] render …",
    ]


def test_a_backfill_closes_with_the_list_of_the_pdfs_it_wrote():
    stream = io.StringIO()
    _backfill(CliReporter(quiet=False, weeks=3, stream=stream), WEEKS)

    assert stream.getvalue().splitlines()[-4:] == [
        "Reports written (3 of 3 weeks):",
        "  2026-W44  /out/2026-W44/report.pdf",
        "  2026-W45  /out/2026-W45/report.pdf",
        "  2026-W46  /out/2026-W46/report.pdf",
    ]


def test_a_backfill_that_fails_still_lists_the_pdfs_written_before_it_stopped():
    stream = io.StringIO()
    try:
        _backfill(CliReporter(quiet=False, weeks=3, stream=stream), WEEKS, fail_at=WEEKS[1])
    except RuntimeError:
        pass

    assert stream.getvalue().splitlines()[-2:] == [
        "Reports written (1 of 3 weeks):",
        "  2026-W44  /out/2026-W44/report.pdf",
    ]


def test_quiet_prints_no_progress_at_all():
    stream = io.StringIO()
    _backfill(CliReporter(quiet=True, weeks=3, stream=stream), WEEKS)

    assert stream.getvalue() == ""


def test_on_a_terminal_the_bars_count_the_weeks_and_the_topic_phases():
    stream = io.StringIO()
    reporter = CliReporter(quiet=False, weeks=3, stream=stream, live=True)
    seen: list[str] = []
    with reporter:
        reporter.start_week(WEEKS[1])
        reporter.stage("ingest")
        reporter.embed_batch(0, 120)
        reporter.phase("match")
        bars = reporter._bars
        seen = [task.description for task in bars.tasks]
        phase = next(t for t in bars.tasks if "topics:" in t.description)
        assert (phase.completed, phase.total) == (TOPIC_PHASES.index("match"), len(TOPIC_PHASES))
        reporter.finish_week(WEEKS[1], Path("/out/2026-W45/report.pdf"), 3.0)

    assert seen[:2] == ["week 1 of 3: 2026-W45", "[1/6] ingest"]
    assert "  embedding new texts" in seen
    assert ESCAPE in stream.getvalue()  # a terminal gets the live display's control codes
    assert "2026-W45: report written in 3 s" in stream.getvalue()


def test_pulse_run_off_a_terminal_prints_plain_progress_and_the_pdf_on_stdout(demo_run, tmp_path):
    """The real command in a child process whose stderr is a pipe: plain lines, no codes.

    On a copy of the session's database, so the week's topics are reused and the run
    takes seconds."""
    env = {
        **os.environ,
        **demo_run.env,
        "PULSE_DB_PATH": str(demo_run.copy_db(tmp_path / "pulse.duckdb")),
        "PULSE_OUTPUT_DIR": str(tmp_path / "outputs"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pulse.cli", "run", "--week", str(demo_run.week)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr
    assert ESCAPE not in done.stderr and ESCAPE not in done.stdout
    assert done.stdout.strip() == str(tmp_path / "outputs" / str(demo_run.week) / "report.pdf")
    stages = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("  [")]
    assert stages == list(STAGES)
    assert "topics: reusing an earlier run's fit of the same texts" in done.stderr
    assert "telemetry" not in (done.stderr + done.stdout).lower()


def test_a_run_says_what_each_file_loaded_and_why_rows_were_rejected(tmp_path):
    from pulse.db import connect
    from pulse.ingest import ingest_paths

    export = tmp_path / "portal.csv"
    export.write_text(
        "ref,opened,message\n"
        "A-1,2025-03-04T09:00:00Z,The invoice page times out\n"
        "A-2,2025-03-05T10:30:00Z,Cannot change my billing address\n"
        "A-2,2025-03-05T10:30:00Z,Cannot change my billing address\n"
        "A-3,not a date,Refund never arrived\n",
        encoding="utf-8",
    )
    mappings = tmp_path / "mine.toml"
    mappings.write_text(
        '[portal]\nkind = "ticket"\nformat = "csv"\nid = "ref"\ncreated_at = "opened"\n'
        'text = "message"\n',
        encoding="utf-8",
    )
    with connect(tmp_path / "pulse.duckdb") as con:
        first = ingest_paths(con, [export], mappings_file=mappings)
        again = ingest_paths(con, [export], mappings_file=mappings)
    stream = io.StringIO()
    reporter = CliReporter(quiet=False, stream=stream)
    reporter.loaded(first)
    reporter.loaded(again)
    assert [line.strip() for line in stream.getvalue().splitlines()] == [
        "portal.csv: 4 rows, 2 loaded (2 new), 1 rejected (most: unparseable created_at, 1), "
        "1 duplicate; `pulse rejected` lists every row",
        "portal.csv: loaded before, unchanged: skipped",
    ]
    quiet = io.StringIO()
    CliReporter(quiet=True, stream=quiet).loaded(first)
    assert quiet.getvalue() == ""
