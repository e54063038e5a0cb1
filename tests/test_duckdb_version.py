"""The pinned DuckDB, its command-line client, and a file a newer DuckDB wrote.

`tests/data/written_by_duckdb_2_0_1.duckdb` is an empty database that DuckDB 2.0.1 wrote
(`duckdb.connect(path).close()` in a scratch virtualenv): storage version 69, which the
pinned 1.5 cannot read. Before the pin, `duckdb>=1.2` installed 2.0, so such files exist.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pulse.cli.main import main
from pulse.db import connect
from pulse.db.versions import DatabaseTooNew, written_by

DATA = Path(__file__).resolve().parent / "data"
WRITTEN_BY_2_0 = DATA / "written_by_duckdb_2_0_1.duckdb"
DUCKDB_CLI = Path(sys.executable).with_name("duckdb")


def test_the_duckdb_command_is_the_same_release_as_the_python_package():
    assert DUCKDB_CLI.exists(), "duckdb-cli puts a `duckdb` command beside python in .venv/bin"
    out = subprocess.run(
        [str(DUCKDB_CLI), "-version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[0] == f"v{duckdb.__version__}"


def test_the_header_names_the_release_that_wrote_the_file(tmp_path):
    assert written_by(WRITTEN_BY_2_0) == "2.0.1"
    connect(tmp_path / "pulse.duckdb").close()
    assert written_by(tmp_path / "pulse.duckdb") == duckdb.__version__
    (tmp_path / "not.duckdb").write_text("hello")
    assert written_by(tmp_path / "not.duckdb") is None


@pytest.mark.parametrize("read_only", [True, False])
def test_a_file_written_by_duckdb_2_fails_in_one_line_naming_the_file_version_and_fix(
    tmp_path, read_only
):
    db_path = shutil.copy(WRITTEN_BY_2_0, tmp_path / "pulse.duckdb")
    with pytest.raises(DatabaseTooNew) as raised:
        connect(db_path, read_only=read_only, timeout=0)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{db_path} was written by DuckDB 2.0.1 (storage version 69)")
    assert f"DuckDB {duckdb.__version__} cannot read" in message
    assert "`pulse run`" in message and "EXPORT DATABASE" in message
    assert WRITTEN_BY_2_0.read_bytes() == Path(db_path).read_bytes(), "the file is left alone"


def test_the_cli_prints_it_as_one_line_and_exits_2(tmp_path, monkeypatch, capsys):
    shutil.copy(WRITTEN_BY_2_0, tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.setenv("PULSE_DB_PATH", str(tmp_path / "pulse.duckdb"))
    assert main(["rejected"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "was written by DuckDB 2.0.1" in err and "re-create it with `pulse run`" in err
