"""One command with a user's own export: `pulse run --source --mappings`, and no demo data.

A real flow run (Prefect, MiniLM, BERTopic, WeasyPrint) on a small export written here in
the shape of a regulator's complaints file; then the demo policy (the demo loads only into
an empty database), a mostly-rejected export failing the run, and removing a source.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from pulse.cli.main import main
from pulse.weeks import IsoWeek
from tests.output_readers import pdf_text

WEEK = IsoWeek.parse("2026-W10")
THEMES = {
    "billing": [
        "I was charged twice for my monthly plan",
        "My bill went up again without any notice",
        "Unexplained fees on this month's invoice",
        "The price increase was never announced to me",
    ],
    "speed": [
        "Internet speed is a fraction of what I pay for",
        "Connection drops every evening and is very slow",
        "Slow speeds all week, the speed test shows 2 Mbps",
        "Promised speeds are never delivered at my address",
    ],
    "support": [
        "Support kept me on hold for two hours and hung up",
        "Nobody from customer service ever called me back",
        "The agent closed my ticket without fixing anything",
        "I have opened five tickets and none were answered",
    ],
}


def write_export(folder: Path, rows_per_week: int = 30) -> tuple[Path, Path]:
    """A complaints CSV over three weeks (date and time in their own columns) and its mapping."""
    rng = random.Random(4)
    lines = ["Ticket #,Customer Complaint,Date,Time,Received Via"]
    number = 1000
    for weeks_back in (2, 1, 0):
        monday = WEEK.shift(-weeks_back).monday
        for index in range(rows_per_week):
            theme = list(THEMES)[index % 3]
            text = rng.choice(THEMES[theme]) + f" (case {number})"
            date = (monday + timedelta(days=index % 5)).strftime("%d-%m-%y")
            hour = 8 + index % 9  # 8 AM .. 4 PM
            clock = f"{hour if hour <= 12 else hour - 12}:15:00 {'AM' if hour < 12 else 'PM'}"
            lines.append(f'{number},"{text}",{date},{clock},Internet')
            number += 1
    export = folder / "complaints.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = folder / "complaints.toml"
    mapping.write_text(
        '[complaints]\nkind = "ticket"\nformat = "csv"\nfeedback_type = "complaint"\n'
        'id = "Ticket #"\ntext = "Customer Complaint"\ncreated_at = ["Date", "Time"]\n'
        'created_at_format = "%d-%m-%y %I:%M:%S %p"\ntimezone = "America/New_York"\n'
        'channel = "Received Via"\n',
        encoding="utf-8",
    )
    return export, mapping


@pytest.fixture
def user_env(tmp_path, monkeypatch, prefect_harness):
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "pulse.toml"))
    monkeypatch.setenv("PULSE_DB_PATH", str(tmp_path / "pulse.duckdb"))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("PULSE_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.setenv("PULSE_DEMO_SCALE", "0.1")
    monkeypatch.setenv("PULSE_HISTORY_WEEKS", "3")
    monkeypatch.setenv("PULSE_MIN_TOPIC_SIZE", "5")
    return tmp_path


def sources_in(db_path: Path) -> dict[str, int]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return dict(con.execute("select source, count(*) from feedback group by 1").fetchall())
    finally:
        con.close()


@pytest.mark.slow
def test_run_with_a_users_export_and_mapping_reports_it_and_never_loads_the_demo(
    user_env, capsys
):
    export, mapping = write_export(user_env)
    code = main(
        ["--quiet", "run", "--week", str(WEEK), "--source", str(export), "--mappings", str(mapping)]
    )
    assert code == 0, capsys.readouterr().err
    pdf = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert pdf.name == "report.pdf" and pdf.parent.name == str(WEEK)
    assert sources_in(user_env / "pulse.duckdb") == {"complaints": 90}
    text = pdf_text(pdf)
    assert "30 customer texts from 1 source" in " ".join(text.split())  # the week's 30
    assert "demo_" not in text

    # The next plain `pulse run` (the Monday job) reports the user's data, and loads no demo.
    assert main(["--quiet", "run", "--week", str(WEEK)]) == 0
    assert sources_in(user_env / "pulse.duckdb") == {"complaints": 90}


def test_a_bad_source_is_refused_before_the_run_starts(user_env, capsys):
    assert main(["run", "--source", str(user_env / "missing.csv")]) == 2
    assert "missing.csv does not exist" in capsys.readouterr().err
    export, mapping = write_export(user_env)
    assert main(["run", "--source", str(export)]) == 2
    err = capsys.readouterr().err
    assert "no mapping fits its columns; name one with --mapping NAME" in err
    assert main(["run", "--source", str(export), "--mapping", "complaintz"]) == 2
    assert "unknown mapping 'complaintz'" in capsys.readouterr().err
    assert main(["run", "--mappings", str(mapping)]) == 2
    assert "--mappings describe the files named with --source" in capsys.readouterr().err
    # none of these started a run or made a database
    assert not (user_env / "pulse.duckdb").exists()


@pytest.mark.slow
def test_a_run_on_a_mostly_rejected_export_fails_with_the_reasons_exit_1(user_env, capsys):
    export, mapping = write_export(user_env, rows_per_week=4)
    wrong = user_env / "wrong.toml"  # the day-month-year dates without their pattern
    wrong.write_text(
        "\n".join(
            line for line in mapping.read_text().splitlines() if "created_at_format" not in line
        ),
        encoding="utf-8",
    )
    code = main(["run", "--week", str(WEEK), "--source", str(export), "--mappings", str(wrong)])
    assert code == 1
    err = capsys.readouterr().err
    assert "12 of 12 rows rejected (100%)" in err
    assert 'e.g. created_at_format = "%d-%m-%y %I:%M:%S %p"' in err
    con = duckdb.connect(str(user_env / "pulse.duckdb"), read_only=True)
    outcome = con.execute("select outcome from runs").fetchall()
    con.close()
    assert outcome == [("failed",)]


def test_a_database_mixing_demo_and_own_data_says_so_and_the_demo_can_be_removed(
    user_env, capsys
):
    from pulse.db import connect
    from pulse.demo import ingest_demo
    from pulse.ingest import ingest_paths

    export, mapping = write_export(user_env)
    demo_dir = user_env / "demo_files"
    from pulse.demo import generate_demo

    generate_demo(demo_dir, anchor=WEEK, scale=0.05)
    with connect(user_env / "pulse.duckdb") as con:
        ingest_demo(con, demo_dir)
        ingest_paths(con, [export], source="complaints", mappings_file=mapping)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "mixes the demo data (demo_tickets, demo_social) with your own sources" in out
    assert "pulse sources remove demo_tickets demo_social" in out

    assert main(["sources", "remove", "demo_tickets", "demo_social"]) == 0
    assert sources_in(user_env / "pulse.duckdb") == {"complaints": 90}
    assert main(["status"]) == 0
    assert "mixes the demo" not in capsys.readouterr().out
    assert main(["sources", "remove", "nothing_here"]) == 2
    assert "no source named nothing_here" in capsys.readouterr().err
