"""Real exports load as they are: timestamps, keys, caps, odd files, mappings checked when read.

Each fixture in tests/data/exports is one format or one fault, written in the shape of a
public export (an airline's tweets, a regulator's complaints, an app's event log); every
test checks the rows that load, the rows quarantined with their reasons, and that the
books balance: rows in = loaded + rejected + duplicate.
"""

from __future__ import annotations

import csv
import gzip
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pulse.db import connect
from pulse.errors import PulseError
from pulse.ingest import FileReport, MostlyRejected, check_rejections, ingest_paths, rejected
from pulse.ingest.mappings import read_mappings_file
from pulse.ingest.times import pattern_regex, suggest_format

EXPORTS = Path(__file__).parent / "data" / "exports"
PLAIN = EXPORTS / "plain.toml"
NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "pulse.duckdb")
    yield connection
    connection.close()


def load(con, path, source="plain", mappings=PLAIN, **kwargs) -> FileReport:
    [report] = ingest_paths(
        con, [path], source=source, mappings_file=mappings, now=NOW, timezone="UTC", **kwargs
    )
    assert report.error is None
    assert report.rows_in == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    return report


def loaded(con) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in con.execute("select external_id, created_at, text from feedback").fetchall()
    }


def reasons(con, path) -> dict[int, str]:
    return {row["line"]: row["reason"] for row in rejected(con, str(path))}


# ---------------------------------------------------------------------------- timestamps


def test_every_common_timestamp_form_parses_with_no_option_and_nothing_is_guessed(con):
    path = EXPORTS / "timestamps_default.csv"
    report = load(con, path)
    with path.open(encoding="utf-8") as handle:
        expected = {row["id"]: row["expect_utc"] for row in csv.DictReader(handle)}
    rows = loaded(con)
    assert set(rows) == {key for key, value in expected.items() if value}
    for key, (created_at, _) in rows.items():
        assert str(created_at) == expected[key], key
    assert (report.rows_loaded, report.rows_rejected) == (11, 5)
    why = reasons(con, path)
    assert "created_at offset too large" in why[13] and "+25:00" in why[13]
    assert why[14] == (
        'unparseable created_at "22-04-15": not an ISO date: name its pattern in the mapping, '
        'e.g. created_at_format = "%d-%m-%y" (check the order of day, month and year)'
    )
    assert 'created_at_format = "%d/%m/%Y"' in why[15] and "check the order" in why[15]
    assert 'created_at_unit = "s"' in why[16]
    assert "not an ISO 8601, RFC 2822 or X/Twitter date" in why[17]


def test_a_mapping_names_date_patterns_tried_in_order_and_a_time_column_and_zone(con):
    path = EXPORTS / "timestamps_mixed.csv"
    report = load(con, path, source="complaints", mappings=EXPORTS / "timestamps_mixed.toml")
    rows = loaded(con)
    # 3:53:50 PM in New York in April (EDT, UTC-4) is 19:53:50 UTC; "22-04-15" is day first
    assert rows["250635"][0] == datetime(2015, 4, 22, 19, 53, 50)
    assert rows["223441"][0] == datetime(2015, 8, 4, 14, 22, 56)
    # the ISO date matches the first pattern; %Y never takes the two digits of "22"
    assert rows["242732"][0] == datetime(2015, 4, 18, 13, 55, 47)
    assert (report.rows_loaded, report.rows_rejected) == (3, 1)
    assert "matches none of the mapping's created_at_format patterns" in reasons(con, path)[5]
    kinds = con.execute("select distinct feedback_type from feedback").fetchall()
    assert kinds == [("complaint",)]


def test_epoch_numbers_load_only_when_the_mapping_names_their_unit(con):
    path = EXPORTS / "timestamps_epoch.jsonl"
    load(con, path, source="app_events", mappings=EXPORTS / "timestamps_epoch.toml")
    rows = loaded(con)
    assert rows["e-1"][0] == datetime(2026, 3, 10, 14, 3, 22, 123000)
    assert rows["e-2"][0] == datetime(2026, 3, 10, 14, 3, 22)
    assert "unparseable created_at" in reasons(con, path)[3]


def test_times_without_an_offset_take_the_settings_zone_unless_the_mapping_names_one(con, tmp_path):
    path = tmp_path / "naive.csv"
    path.write_text("id,created_at,text\nn-1,2026-07-10 08:00:00,summer morning\n")
    [report] = ingest_paths(
        con, [path], source="plain", mappings_file=PLAIN, now=NOW, timezone="Europe/London"
    )
    assert report.rows_loaded == 1
    assert loaded(con)["n-1"][0] == datetime(2026, 7, 10, 7)  # 08:00 BST is 07:00 UTC
    mapping = tmp_path / "tokyo.toml"
    mapping.write_text(PLAIN.read_text() + 'timezone = "Asia/Tokyo"\n')
    [report] = ingest_paths(
        con, [path], source="plain", mappings_file=mapping, now=NOW, timezone="Europe/London"
    )
    assert (report.skipped, report.rows_loaded) == (False, 1)
    # the same row read in Tokyo time is earlier, so the London reading (newer) stays
    assert loaded(con)["n-1"][0] == datetime(2026, 7, 10, 7)
    con.execute("delete from feedback")
    con.execute("delete from loaded_files")
    ingest_paths(con, [path], source="plain", mappings_file=mapping, now=NOW)
    assert loaded(con)["n-1"][0] == datetime(2026, 7, 9, 23)  # 08:00 JST is 23:00 UTC


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("%Y-%m-%d", "2015-04-08", True),
        ("%Y-%m-%d", "22-04-15", False),  # %Y is four digits, never two
        ("%d-%m-%y", "22-04-15", True),
        ("%d/%m/%Y %H:%M", "8/4/2015 9:05", True),
        ("%a, %d %b %Y %H:%M:%S %z", "Tue, 24 Feb 2015 11:35:52 -0800", True),
        ("%d-%m-%y", "22-04-2015", False),
    ],
)
def test_a_strptime_pattern_matches_exactly_the_values_of_its_shape(pattern, value, matches):
    import re

    assert bool(re.fullmatch(pattern_regex(pattern), value)) is matches


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("22-04-15", "%d-%m-%y"),
        ("13/04/2015", "%d/%m/%Y"),
        ("31-Jul-18", "%d-%b-%y"),
        ("04/08/2015 10:00 PM", "%d/%m/%Y %I:%M %p"),
        ("yesterday", None),
    ],
)
def test_a_rejected_date_suggests_a_pattern_of_its_own_shape(value, pattern):
    assert suggest_format(value) == pattern


# ---------------------------------------------------------------------------- exit status


def test_a_file_that_lost_most_of_its_rows_is_a_failed_load_with_its_reasons(con, tmp_path):
    path = tmp_path / "dates.csv"
    rows = [f"d-{i},2{i % 9}-04-15,complaint {i}" for i in range(8)]
    path.write_text("id,created_at,text\n" + "\n".join(rows) + "\nok,2026-03-10,fine\n")
    report = load(con, path)
    assert (report.rows_in, report.rows_rejected) == (9, 8)
    with pytest.raises(MostlyRejected) as caught:
        check_rejections([report], max_share=0.5)
    message = str(caught.value)
    assert "8 of 9 rows rejected (89%)" in message
    assert "8 x  line 2: unparseable created_at" in message
    check_rejections([report], max_share=0.9)  # a looser setting lets it pass
    # loading the same bytes again does not make the file good
    [again] = ingest_paths(
        con, [path], source="plain", mappings_file=PLAIN, now=NOW, timezone="UTC"
    )
    assert again.skipped
    with pytest.raises(MostlyRejected, match="when it was loaded"):
        check_rejections([again], max_share=0.5)


def test_fixing_the_mapping_reads_the_same_bytes_again_and_replaces_their_rejections(con, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("id,created_at,text\nd-1,22-04-15,first\nd-2,23-04-15,second\n")
    load(con, path)
    assert len(rejected(con, str(path))) == 2
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(PLAIN.read_text() + 'created_at_format = "%d-%m-%y"\n')
    report = load(con, path, mappings=fixed)
    assert not report.skipped and report.rows_loaded == 2
    assert rejected(con, str(path)) == []


# ---------------------------------------------------------------------------- keys


def test_the_same_text_under_other_ids_is_more_complaints_and_only_keys_are_duplicates(con):
    path = EXPORTS / "same_text_other_ids.csv"
    report = load(con, path)
    assert (report.rows_in, report.rows_loaded, report.rows_duplicate) == (4, 3, 1)
    assert set(loaded(con)) == {"c-1", "c-2", "c-3"}
    assert loaded(con)["c-1"][1] == "Billing charged me twice this month"  # the newer c-1
    [row] = rejected(con, str(path))
    assert (row["line"], row["status"]) == (5, "duplicate")
    assert row["reason"].startswith("same id as line 2")


# ---------------------------------------------------------------------------- row faults


def test_nan_inf_and_huge_numbers_quarantine_their_row_and_the_rest_loads(con):
    path = EXPORTS / "hostile_numbers.csv"
    report = load(con, path, source="demo_tickets", mappings=None)
    assert set(loaded(con)) == {"T-1", "T-8"}
    assert report.rows_rejected == 6
    why = reasons(con, path)
    assert why[3] == 'csat out of range 1-5 "NaN"'
    assert why[4] == 'nps out of range 0-10 "inf"'
    assert why[5] == 'csat out of range 1-5 "1e10"'
    assert why[6].startswith('first_response_minutes out of range "inf"')
    assert why[8].startswith('resolution_minutes out of range "1e10": minutes must be')
    kpis = con.execute("select max(resolution_minutes), max(csat) from feedback").fetchone()
    assert kpis == (120.0, 5)


def test_a_five_megabyte_text_and_a_megabyte_id_are_row_faults_with_their_lines(con, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(
        "id,created_at,text\n"
        "h-1,2026-03-10,fine\n"
        f"h-2,2026-03-10,{'x' * 5_000_000}\n"
        f"{'i' * 1_000_000},2026-03-10,a huge id\n"
        "h-4,2026-03-10,fine too\n"
    )
    report = load(con, path)
    assert set(loaded(con)) == {"h-1", "h-4"}
    why = reasons(con, path)
    assert why[3].startswith("text too long: 5,000,000 characters, over max_text_chars (100,000)")
    assert why[4].startswith("id too long: 1,000,000 characters")
    assert report.rows_rejected == 2
    # the setting moves the cap
    con.execute("delete from loaded_files; delete from rejected_rows")
    load(con, path, max_text_chars=6_000_000)
    assert "h-2" in loaded(con)


def test_a_json_text_that_is_not_a_string_rejects_its_row(con):
    path = EXPORTS / "json_fields_not_strings.jsonl"
    load(con, path)
    assert set(loaded(con)) == {"j-1", "7"}
    why = reasons(con, path)
    assert why[2] == "text is an object, not a string"
    assert why[3] == "text is a number, not a string"
    assert why[4] == "text is an array, not a string"
    assert why[5] == "id is an object, not a string"


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", ["empty.csv", "empty.csv.gz"])
def test_an_empty_file_says_it_is_empty(con, name):
    with pytest.raises(PulseError, match=f"{name} is empty"):
        ingest_paths(con, [EXPORTS / name], source="plain", mappings_file=PLAIN, now=NOW)
    assert con.execute("select count(*) from loaded_files").fetchone()[0] == 0


def test_a_byte_order_mark_is_honoured_and_utf16_without_one_is_refused_with_the_fix(con):
    load(con, EXPORTS / "utf8_bom.csv")
    load(con, EXPORTS / "utf16_bom.csv")
    assert loaded(con)["u-1"][1] == "UTF-16 with a byte order mark: café"
    with pytest.raises(PulseError, match='without a byte order mark; set encoding = "utf-16"'):
        ingest_paths(
            con, [EXPORTS / "utf16_no_bom.csv"], source="plain", mappings_file=PLAIN, now=NOW
        )
    report = load(con, EXPORTS / "utf16_no_bom.csv", encoding="utf-16")
    assert report.rows_loaded == 1


def test_a_header_that_names_a_column_twice_is_refused_by_name(con):
    with pytest.raises(PulseError, match=r"names column\(s\) text/Text more than once"):
        ingest_paths(
            con, [EXPORTS / "duplicate_header.csv"], source="plain", mappings_file=PLAIN, now=NOW
        )


def test_a_fifo_a_device_and_a_socket_are_refused_at_once_by_name(con, tmp_path):
    import socket

    fifo = tmp_path / "export.csv"
    os.mkfifo(fifo)
    device = tmp_path / "zero.csv"
    device.symlink_to("/dev/zero")
    sock_path = tmp_path / "s.csv"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        refused = ((fifo, "named pipe"), (device, "character device"), (sock_path, "socket"))
        for path, what in refused:
            started = time.monotonic()
            with pytest.raises(PulseError, match=f"{path.name} is a {what}"):
                ingest_paths(con, [path], source="plain", mappings_file=PLAIN, now=NOW)
            assert time.monotonic() - started < 30  # refused, not read until a timeout
        folder = tmp_path
        with pytest.raises(PulseError, match="export.csv is a named pipe"):
            ingest_paths(con, [folder], source="plain", mappings_file=PLAIN, now=NOW)
    finally:
        server.close()


def test_a_folder_of_many_small_files_loads_every_row(con, tmp_path):
    folder = tmp_path / "daily"
    folder.mkdir()
    for day in range(120):
        (folder / f"day-{day:03d}.csv").write_text(
            f"id,created_at,text\nd{day},2026-03-10T10:00:00Z,complaint of day {day}\n"
        )
    reports = ingest_paths(con, [folder], source="plain", mappings_file=PLAIN, now=NOW)
    assert len(reports) == 120 and all(r.rows_loaded == 1 for r in reports)
    assert con.execute("select count(*) from feedback").fetchone()[0] == 120
    files = con.execute("select count(distinct file), count(*) from loaded_files").fetchone()
    assert files == (120, 120)


# ---------------------------------------------------------------------------- mappings

BASE = '[x]\nkind = "ticket"\nid = "a"\ncreated_at = "b"\ntext = "c"\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[x]\nkind = "ticket"\nid = 5\ncreated_at = "b"\ntext = "c"\n',
            "id = 5; expected a column",
        ),
        (BASE + "[x.options]\ndelim = 5\n", "options.delim = 5; expected one character"),
        (BASE + '[x.options]\ndelim = ";;"\n', 'options.delim = ";;"; expected one character'),
        (BASE + '[x.options]\nheader = "yes"\n', 'options.header = "yes"; expected true or false'),
        (
            BASE + '[x.values.csat]\ngood = "great"\n',
            'values.csat.good = "great"; expected a number',
        ),
        (BASE + 'created_at_format = "%Q"\n', 'created_at_format = "%Q"; expected a strptime'),
        (BASE + 'created_at_format = "%H:%M"\n', "expected a pattern with a year"),
        (
            BASE + 'created_at_unit = "minutes"\n',
            'created_at_unit = "minutes"; expected "s" or "ms"',
        ),
        (BASE + 'timezone = "Mars/Olympus"\n', 'timezone = "Mars/Olympus"; expected an IANA'),
        (BASE + 'feedback_type = "rant"\n', 'feedback_type = "rant"; expected "mixed" or'),
        (BASE + 'chanel = "c"\n', "unknown key\\(s\\) chanel; fields are id"),
        (BASE + '[x.options]\ndelimiter = ";"\n', "unknown option\\(s\\) delimiter"),
        ('[x]\nkind = "ticket"\nid = ["a", 3]\ncreated_at = "b"\ntext = "c"\n', "id = \\["),
        (
            '[x]\nkind = "ticket"\nid = ["@row", "a"]\ncreated_at = "b"\ntext = "c"\n',
            'expected "@row" alone',
        ),
    ],
)
def test_every_mapping_key_is_checked_when_read_naming_file_source_key_and_fix(
    toml, message, tmp_path
):
    path = tmp_path / "mine.toml"
    path.write_text(toml)
    with pytest.raises(PulseError, match=message) as caught:
        read_mappings_file(path)
    assert str(caught.value).startswith(f"{path}: mapping [x]")


def test_a_key_of_several_columns_loads_and_must_be_whole(con, tmp_path):
    path = tmp_path / "composite.csv"
    path.write_text(
        "store,number,created_at,text\nA,1,2026-03-10,x\nB,1,2026-03-10,y\n,2,2026-03-10,z\n"
    )
    mapping = tmp_path / "composite.toml"
    mapping.write_text(
        '[shops]\nkind = "ticket"\nid = ["store", "number"]\ncreated_at = "created_at"\n'
        'text = "text"\n'
    )
    load(con, path, source="shops", mappings=mapping)
    assert set(loaded(con)) == {"A|1", "B|1"}
    assert reasons(con, path)[4].startswith("missing id")


def test_an_export_without_ids_is_keyed_by_its_rows_and_loading_it_again_adds_nothing(
    con, tmp_path
):
    mapping = tmp_path / "reviews.toml"
    mapping.write_text(
        '[reviews]\nkind = "social"\nid = "@row"\ncreated_at = "date"\ntext = "review"\n'
        'csat = "stars"\n'
    )
    rows = [
        "2026-03-10,5,Love it",
        "2026-03-10,5,Love it",  # another customer said the same: two reviews
        "2026-03-10,1,Keeps dropping my calls",
        "2026-03-11,5,Love it",
        "2026-03-11,,",  # no text: rejected, the rest loads
    ]
    first = tmp_path / "reviews.csv"
    first.write_text("date,stars,review\n" + "\n".join(rows) + "\n")
    report = load(con, first, source="reviews", mappings=mapping)
    assert (report.rows_loaded, report.rows_rejected, report.rows_duplicate) == (4, 1, 0)
    ids = sorted(loaded(con))
    assert len(set(ids)) == 4 and all(i.endswith(("-1", "-2")) for i in ids)
    # The next export holds the same reviews in another order and one more: one new row.
    again = tmp_path / "reviews-later.csv"
    later = [rows[3], rows[2], rows[1], rows[0], "2026-03-12,2,Battery died in a day"]
    again.write_text("date,stars,review\n" + "\n".join(later) + "\n")
    load(con, again, source="reviews", mappings=mapping)
    assert len(loaded(con)) == 5
    assert set(loaded(con)) >= set(ids)


def test_gzip_of_a_fixture_loads_like_the_fixture(con, tmp_path):
    packed = tmp_path / "same_text_other_ids.csv.gz"
    packed.write_bytes(gzip.compress((EXPORTS / "same_text_other_ids.csv").read_bytes()))
    report = load(con, packed)
    assert (report.rows_loaded, report.rows_duplicate) == (3, 1)


def test_a_refused_file_leaves_the_database_as_it_was(con, tmp_path):
    load(con, EXPORTS / "same_text_other_ids.csv")
    before = con.execute("select count(*) from feedback").fetchone()[0]
    with pytest.raises(PulseError):
        ingest_paths(
            con, [EXPORTS / "duplicate_header.csv"], source="plain", mappings_file=PLAIN, now=NOW
        )
    assert con.execute("select count(*) from feedback").fetchone()[0] == before
    assert isinstance(con, duckdb.DuckDBPyConnection)
