"""Errors a user can act on (issue 18, point 6): each one line naming the file and the fix.

Real files throughout: a database of random bytes, a truncated copy of the session
run's database, a tmpfs that fills up, a pipe whose reader goes away.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pulse.cli.main import main
from pulse.config import REPO_ROOT
from pulse.db import DatabaseDamaged, check_whole, connect, explain, snapshot_path
from pulse.errors import DiskFull


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    """Defaults only, the database in tmp_path, and no stray PULSE_* from the developer."""
    for name in [n for n in os.environ if n.startswith("PULSE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.setenv("PULSE_DB_PATH", str(tmp_path / "pulse.duckdb"))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("pulse: "), err
    assert "Traceback" not in err
    return err


# --- a damaged database -----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["status"], ["rejected"], ["topics", "list"], ["report", "--week", "2026-W46"]],
)
def test_a_database_of_random_bytes_names_the_file_and_pulse_restore(
    no_config, demo_run, capsys, argv
):
    db_path = no_config / "pulse.duckdb"
    db_path.write_bytes(os.urandom(300_000))
    shutil.copy(demo_run.db_path, snapshot_path(db_path))
    assert main(argv) == 2
    err = one_line(capsys.readouterr().err)
    assert f"{db_path} is damaged, not a whole DuckDB database" in err
    assert "`pulse restore`" in err and str(snapshot_path(db_path)) in err


def test_a_truncated_database_names_the_file_and_without_a_snapshot_says_to_rebuild(
    no_config, demo_run, capsys
):
    db_path = no_config / "pulse.duckdb"
    whole = demo_run.db_path.read_bytes()
    # Cut to a quarter: how much of the file's tail is free blocks depends on the demo's
    # data (vectors of two embedders since the demo is multilingual), its head is in use.
    db_path.write_bytes(whole[: len(whole) // 4])
    assert main(["status"]) == 2  # it counts every table, so it reads past the cut
    err = one_line(capsys.readouterr().err)
    assert f"{db_path} is damaged" in err
    assert "there is no snapshot to restore" in err and f"mv {db_path}" in err


def test_damage_found_only_by_a_query_is_named_too(no_config, demo_run, capsys):
    """A block overwritten mid-file: the file opens, the first read of that block fails."""
    db_path = demo_run.copy_db(no_config / "pulse.duckdb")
    # A block at each tenth of the file, past the header: free blocks are skipped by reads,
    # and where they lie depends on the demo's data, so one spot alone may miss every table.
    size = db_path.stat().st_size
    with db_path.open("r+b") as handle:
        for tenth in range(1, 10):
            handle.seek(size * tenth // 10)
            handle.write(os.urandom(4096))
    with pytest.raises(DatabaseDamaged, match="checksum"):
        check_whole(db_path)
    assert main(["report", "--week", str(demo_run.week)]) == 2
    assert f"{db_path} is damaged" in one_line(capsys.readouterr().err)


def test_pulse_restore_puts_the_snapshot_back_and_keeps_the_damaged_file(
    no_config, demo_run, capsys
):
    db_path = no_config / "pulse.duckdb"
    damaged = os.urandom(300_000)
    db_path.write_bytes(damaged)
    Path(f"{db_path}.wal").write_bytes(os.urandom(5_000))  # must not be replayed onto the copy
    shutil.copy(demo_run.db_path, snapshot_path(db_path))
    assert main(["restore"]) == 0
    out = capsys.readouterr().out
    assert f"its newest run: week {demo_run.week}" in out
    check_whole(db_path)
    (kept,) = no_config.glob("pulse.duckdb.before-restore-*[0-9]")
    assert kept.read_bytes() == damaged and Path(f"{kept}.wal").exists()
    assert not Path(f"{db_path}.wal").exists()
    assert main(["status"]) == 0
    assert f"{demo_run.week}  ok" in capsys.readouterr().out


def test_restore_refuses_a_whole_database_unless_forced_and_a_damaged_snapshot(
    no_config, demo_run, capsys
):
    db_path = demo_run.copy_db(no_config / "pulse.duckdb")
    snapshot_path(db_path).write_bytes(os.urandom(100_000))
    assert main(["restore"]) == 2
    assert "reads whole, so there is nothing to restore; `pulse restore --force`" in one_line(
        capsys.readouterr().err
    )
    assert main(["restore", "--force"]) == 2
    err = one_line(capsys.readouterr().err)
    assert f"the snapshot {snapshot_path(db_path)} is damaged as well" in err
    check_whole(db_path)  # both refusals left it alone


# --- commands that only read never make a database ------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["status"], 0),
        (["sources"], 0),
        (["rejected"], 2),
        (["topics", "list"], 2),
        (["topics", "show", "3"], 2),
        (["report", "--week", "2026-W46"], 2),
        (["sources", "remove", "demo_social"], 2),
    ],
)
def test_a_command_that_only_reads_makes_no_database(no_config, capsys, argv, code):
    assert main(argv) == code
    captured = capsys.readouterr()
    assert list(no_config.iterdir()) == []  # no pulse.duckdb, no run lock
    said = captured.out if code == 0 else one_line(captured.err)
    if argv != ["sources"]:  # the mappings listing works without a database
        assert str(no_config / "pulse.duckdb") in said and "`pulse run`" in said


# --- a full disk --------------------------------------------------------------------------


def _private_mount_prefix() -> list[str] | None:
    """A command prefix giving a private mount namespace where tmpfs may be mounted."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "--mount"], ["unshare", "--mount", "--map-root-user"]):
        probe = subprocess.run(
            [*prefix, "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d"],
            capture_output=True,
        )
        if probe.returncode == 0:
            return prefix
    return None


def run_on_small_disk(script: str, tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """Run `script` (sh) with $DISK a fresh 2 MB tmpfs, private to it; returns its files.

    The mount lives in its own namespace, so it vanishes with the script; the script
    writes what the test checks into $OUT, on the ordinary disk.
    """
    prefix = _private_mount_prefix()
    if prefix is None:
        pytest.skip("cannot mount a tmpfs here (needs root or user namespaces)")
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    body = 'set -e\nmount -t tmpfs -o size=2m tmpfs "$DISK"\n' + textwrap.dedent(script)
    subprocess.run(
        [*prefix, "sh", "-c", body],
        env={**env, "DISK": str(disk), "OUT": str(out), "PYTHON": sys.executable},
        cwd=REPO_ROOT,
        check=True,
        timeout=300,
    )
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}


def fill_to(free_bytes: int) -> str:
    """Shell: fill $DISK until `free_bytes` are left."""
    return (
        '"$PYTHON" -c "import shutil, sys; d = sys.argv[1]; '
        f"n = shutil.disk_usage(d).free - {free_bytes}; "
        "open(d + '/filler', 'wb').write(bytes(max(n, 0)))\" \"$DISK\"\n"
    )


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    return {**env, **overrides}


def test_a_full_disk_names_the_path_says_what_to_free_and_leaves_last_weeks_report_whole(
    demo_run, tmp_path
):
    week = str(demo_run.week)
    env = clean_env(
        PULSE_CONFIG=str(tmp_path / "pulse.toml"),
        PULSE_DB_PATH=str(demo_run.copy_db(tmp_path / "pulse.duckdb")),
        PREVIOUS=str(demo_run.pdf.parent),
        WEEK=week,
    )
    files = run_on_small_disk(
        'mkdir -p "$DISK/outputs" && cp -r "$PREVIOUS" "$DISK/outputs/$WEEK"\n'
        + fill_to(150_000)
        + "set +e\n"
        '"$PYTHON" -m pulse.cli report --week "$WEEK" --output-dir "$DISK/outputs" '
        '2> "$OUT/stderr"; echo $? > "$OUT/code"\n'
        'diff -r "$PREVIOUS" "$DISK/outputs/$WEEK" > "$OUT/diff" 2>&1; echo $? >> "$OUT/code"\n'
        'ls -A "$DISK/outputs" > "$OUT/listing"\n',
        tmp_path,
        env,
    )
    report_code, diff_code = files["code"].split()
    assert report_code == "1"  # a failed attempt, not bad input
    err = one_line(files["stderr"])
    assert f"no space left on the disk holding {tmp_path / 'disk' / 'outputs'}" in err
    assert f"1 week folder(s) in {tmp_path / 'disk' / 'outputs'}" in err
    assert "delete the weeks you no longer need" in err
    assert diff_code == "0", files["diff"]  # last week's folder byte for byte as it was
    assert files["listing"].split() == [week]  # and no half-rendered staging folder left


def test_a_full_disk_while_loading_names_the_database_file(demo_run, tmp_path):
    env = clean_env(
        PULSE_CONFIG=str(tmp_path / "pulse.toml"),
        PULSE_DB_PATH=str(tmp_path / "disk" / "pulse.duckdb"),
        TICKETS=str(demo_run.demo_dir / "tickets.csv"),
        SOCIAL=str(demo_run.demo_dir / "social.jsonl"),
    )
    files = run_on_small_disk(
        fill_to(1_100_000) + "set +e\n"
        '"$PYTHON" -m pulse.cli --quiet ingest "$TICKETS" "$SOCIAL" 2> "$OUT/stderr"; '
        'echo $? > "$OUT/code"\n',
        tmp_path,
        env,
    )
    assert files["code"].strip() == "1"
    err = one_line(files["stderr"])
    assert f"no space left on the disk holding {tmp_path / 'disk' / 'pulse.duckdb'}" in err


def test_a_write_refused_for_space_names_the_fullest_disk_pulse_writes_to(tmp_path):
    """/dev/full refuses every write with ENOSPC, as a full disk does: no root needed."""
    with pytest.raises(OSError) as refused, open("/dev/full", "w") as full:
        full.write("x")
        full.flush()
    explained = explain(refused.value, tmp_path / "pulse.duckdb", tmp_path / "outputs")
    assert isinstance(explained, DiskFull)
    assert str(explained).startswith(f"no space left on the disk holding {tmp_path}")


# --- a closed pipe, an unknown variable ---------------------------------------------------------


def test_a_reader_that_stops_early_ends_the_command_quietly(no_config):
    with connect(no_config / "pulse.duckdb") as con:
        con.execute(
            "insert into rejected_rows (source, file, line, reason, raw) "
            "select 'demo_tickets', 'tickets.csv', i, 'unparseable created_at', 'x' "
            "from range(50000) as t(i)"
        )
    listing = subprocess.Popen(
        [sys.executable, "-m", "pulse.cli", "rejected"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT,
        env=clean_env(PULSE_DB_PATH=str(no_config / "pulse.duckdb"),
                      PULSE_CONFIG=str(no_config / "pulse.toml")),
    )  # fmt: skip
    first = listing.stdout.readline()  # 50,000 lines do not fit the pipe: it is still writing
    listing.stdout.close()  # what `| head -1` does
    err = listing.stderr.read().decode()
    listing.wait(timeout=60)
    assert first.startswith(b"tickets.csv:")
    assert err == "" and listing.returncode == 1


def test_an_unknown_pulse_variable_is_a_warning_naming_the_closest_setting(
    no_config, monkeypatch, capsys
):
    monkeypatch.setenv("PULSE_TOP_ISUES", "7")
    monkeypatch.setenv("PULSE_TAXONOMY", str(no_config / "taxonomy.yaml"))  # Pulse's own
    monkeypatch.setenv("PULSE_SMTP_PASSWORD", "secret")  # password_env's default
    assert main(["config", "show"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        "pulse: warning: PULSE_TOP_ISUES is not a Pulse setting and is ignored; "
        "did you mean PULSE_TOP_ISSUES?"
    ]


def test_the_variable_named_by_password_env_is_known(no_config, monkeypatch, capsys):
    (no_config / "pulse.toml").write_text('[pulse.smtp]\npassword_env = "PULSE_MAIL_SECRET"\n')
    monkeypatch.setenv("PULSE_MAIL_SECRET", "secret")
    monkeypatch.setenv("PULSE_SMTP_PASWORD", "typo")
    assert main(["config", "show"]) == 0
    err = capsys.readouterr().err
    assert "PULSE_MAIL_SECRET" not in err
    assert "PULSE_SMTP_PASWORD is not a Pulse setting" in err
