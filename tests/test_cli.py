"""The analyst's command line: commands, exit codes, one-line errors, settings."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pulse.cli.main import build_parser, main
from pulse.config import REPO_ROOT

COMMANDS = [
    "run", "report", "ingest", "rejected", "topics", "status", "demo",
    "serve", "trigger", "deliver", "config",
]  # fmt: skip


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    """Settings from defaults only, whatever the developer's pulse.toml says."""
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.setenv("PULSE_DB_PATH", str(tmp_path / "pulse.duckdb"))
    for name in ("PULSE_SMTP_ENABLED", "PULSE_LOCK_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"    {command} " in out, command


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2


def test_an_impossible_week_is_bad_input_one_line_exit_2(no_config, capsys):
    assert main(["run", "--week", "2026-W99"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pulse: ")
    assert "2026-W99" in err and "Traceback" not in err


def test_a_backfill_needs_both_ends(no_config, capsys):
    assert main(["run", "--from", "2026-W30"]) == 2
    assert "--to" in capsys.readouterr().err


def test_quiet_and_debug_work_before_or_after_the_command():
    parser = build_parser()
    assert parser.parse_args(["--quiet", "run"]).quiet is True
    assert parser.parse_args(["run", "--quiet"]).quiet is True
    assert parser.parse_args(["run", "--debug"]).debug is True


def test_debug_shows_the_traceback_instead_of_one_line(no_config):
    from pulse.errors import PulseError

    with pytest.raises(PulseError):
        main(["--debug", "run", "--week", "2026-W99"])


def test_config_show_prints_effective_settings_with_environment_overrides(
    no_config, monkeypatch, capsys
):
    (no_config / "pulse.toml").write_text(
        '[pulse]\ntop_issues = 12\n\n[pulse.smtp]\nhost = "mail.pronet.example"\n'
    )
    monkeypatch.setenv("PULSE_TOP_ISSUES", "7")
    monkeypatch.setenv("PULSE_SMTP_PORT", "2525")
    assert main(["config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["top_issues"] == 7  # the environment wins over the file
    assert shown["smtp"]["host"] == "mail.pronet.example"
    assert shown["smtp"]["port"] == 2525
    assert shown["lock_timeout_seconds"] == 300.0
    assert "password" not in json.dumps(shown).replace("password_env", "").replace(
        "password_block", ""
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[pulse]\ntop_isues = 12\n", "unknown setting [pulse].top_isues"),
        ("[pulse]\nhistory_weeks = \"12\"\n", "[pulse].history_weeks must be a whole number"),
        ("[pulse]\ntimezone = \"Mars/Olympus\"\n", "timezone 'Mars/Olympus' is unknown"),
        ("[pulse.smtp]\nenabled = true\n", "host, sender, recipients are not set"),
        ("[pulse.smtp]\nport = 0\n", "port must be between 1 and 65535"),
        ("[pulse\n", "not valid TOML"),
    ],
)
def test_bad_settings_stop_the_start_with_a_message_naming_file_and_key(
    no_config, capsys, toml, expected
):
    (no_config / "pulse.toml").write_text(toml)
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert expected in err and str(no_config / "pulse.toml") in err
    assert err.count("\n") == 1


def test_a_bad_environment_override_is_named(no_config, monkeypatch, capsys):
    monkeypatch.setenv("PULSE_SNAPSHOT", "sometimes")
    assert main(["config", "show"]) == 2
    assert "PULSE_SNAPSHOT must be true or false" in capsys.readouterr().err


def test_status_lists_runs_row_counts_and_the_newest_week(demo_env, capsys):
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"{demo_env.week}  ok" in out
    assert "rows: " in out and "feedback " in out
    assert f"newest week available: {demo_env.week}" in out


def test_status_reads_the_snapshot_while_a_run_holds_the_database(demo_env, capsys):
    snap = demo_env.db_path.with_name("pulse.snapshot.duckdb")
    assert snap.exists(), "a successful run leaves a snapshot for analysts"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(30)", str(demo_env.db_path)],
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        assert main(["status", "--wait", "0.5"]) == 0
    finally:
        holder.kill()
        holder.wait()
    out = capsys.readouterr().out
    assert "showing the snapshot" in out
    assert f"{demo_env.week}  ok" in out


def test_trigger_without_a_server_says_how_to_start_one(no_config, monkeypatch, capsys):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["trigger", "--week", "2026-W40"]) == 1
    assert "pulse serve" in capsys.readouterr().err


def test_status_during_a_first_run_names_the_running_process(no_config, capsys):
    db_path = no_config / "pulse.duckdb"
    script = (
        "import sys, time, duckdb\n"
        "from pulse.db import run_lock\n"
        "with run_lock(sys.argv[1], timeout=5):\n"
        "    con = duckdb.connect(sys.argv[1])\n"
        "    print('ok', flush=True)\n"
        "    time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(db_path)], stdout=subprocess.PIPE, text=True,
        cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        assert main(["status", "--wait", "0.3"]) == 0
    finally:
        holder.kill()
        holder.wait()
    assert f"a run is in progress (process {holder.pid})" in capsys.readouterr().out


def test_ingest_loads_a_generic_csv_through_the_users_own_mapping_file(no_config, capsys):
    import duckdb

    export = no_config / "acme_portal_export.csv"
    export.write_text(
        "ref,opened,message,stars\n"
        "A-1,2025-03-04T09:00:00Z,The invoice page times out,2\n"
        "A-2,2025-03-05T10:30:00+01:00,Cannot change my billing address,\n"
        "A-3,not a date,Refund never arrived,4\n",
        encoding="utf-8",
    )
    mappings = no_config / "my_sources.toml"
    mappings.write_text(
        '[acme_portal]\nkind = "ticket"\nformat = "csv"\nid = "ref"\ncreated_at = "opened"\n'
        'text = "message"\ncsat = "stars"\nchannel_value = "web"\n',
        encoding="utf-8",
    )
    # Without the mapping no ready-made source fits these columns: refused, named.
    assert main(["ingest", str(export)]) != 0
    assert "no mapping fits its columns; name one with --mapping NAME" in capsys.readouterr().err

    assert main(["ingest", str(export), "--mappings", str(mappings)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(str(export)))
    # file, source, in, loaded, new, rejected, dupes, status
    assert row.split()[1:8] == ["acme_portal", "3", "2", "2", "1", "0", "ok"]

    con = duckdb.connect(str(no_config / "pulse.duckdb"), read_only=True)
    try:
        loaded = con.execute(
            "select feedback_id, kind, channel, csat, strftime(created_at, '%Y-%m-%d %H:%M'), "
            "text from feedback order by feedback_id"
        ).fetchall()
        quarantined = con.execute(
            "select file, line, split_part(reason, ':', 1) from rejected_rows"
        ).fetchall()
    finally:
        con.close()
    assert loaded == [
        ("acme_portal:A-1", "ticket", "web", 2, "2025-03-04 09:00", "The invoice page times out"),
        ("acme_portal:A-2", "ticket", "web", None, "2025-03-05 09:30",
         "Cannot change my billing address"),
    ]  # fmt: skip
    assert quarantined == [(str(export), 4, 'unparseable created_at "not a date"')]


def test_run_progress_counts_the_stages_the_flow_has(capsys):
    from pulse.cli.run import CliReporter
    from pulse.run import STAGES

    reporter = CliReporter(quiet=False)
    for name in STAGES:
        reporter.stage(name)

    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[0] for line in lines] == [
        f"[{i}/{len(STAGES)}]" for i in range(1, len(STAGES) + 1)
    ]
    assert lines[-1].split()[1] == STAGES[-1]


def test_a_reporter_hears_the_stages_of_runs_only_while_it_is_installed():
    from pulse.config import Settings
    from pulse.run import RunContext, StageReporter, current_reporter, in_stage, use_reporter
    from pulse.weeks import IsoWeek

    class Heard(StageReporter):
        def __init__(self):
            self.stages: list[str] = []

        def stage(self, name: str) -> None:
            self.stages.append(name)

    ctx = RunContext(run_id="r1", week=IsoWeek.parse("2026-W46"), settings=Settings())
    default = current_reporter()
    heard = Heard()
    with use_reporter(heard):
        with in_stage(ctx, "ingest"):
            pass
        with in_stage(ctx, "embed"):
            assert ctx.stage == "embed"  # what a failure's error names
    with in_stage(ctx, "sentiment"):
        pass

    assert heard.stages == ["ingest", "embed"]
    assert current_reporter() is default
    assert list(ctx.timings) == ["ingest", "embed", "sentiment"]
