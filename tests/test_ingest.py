"""Ingestion: every row of every file loads, is rejected with a reason, or counts as a duplicate."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import pulse.ingest.batch as batch_module
from pulse.db import connect
from pulse.demo import ingest_demo
from pulse.errors import PulseError
from pulse.ingest import (
    EMBED_MAX_CHARS,
    FileReport,
    clean_text,
    format_report_table,
    ingest_paths,
    load_mappings,
    rejected,
)
from pulse.ingest.clean import PLAIN_CHARSET
from pulse.ingest.mappings import read_mappings_file
from pulse.ingest.reports import load_line
from pulse.redact import GATE_CHARSET

DATA = Path(__file__).parent / "data" / "ingest"
TWCS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "twcs_customer_support_twitter"
NOW = datetime(2026, 11, 20, tzinfo=UTC)

TICKET_COLUMNS = (
    "ticket_id,created_at,updated_at,channel,member_tier,subject,body,csat,nps,"
    "first_response_minutes,resolution_minutes,is_escalated,status,tags"
).split(",")


def ticket(ticket_id: str, **values: str) -> dict[str, str]:
    row = {
        "ticket_id": ticket_id,
        "created_at": "2026-11-10T10:00:00Z",
        "updated_at": "2026-11-10T12:00:00Z",
        "channel": "email",
        "member_tier": "free",
        "subject": f"Subject {ticket_id}",
        "body": f"Body of ticket {ticket_id} about the feed",
        "csat": "4",
        "nps": "7",
        "first_response_minutes": "15",
        "resolution_minutes": "120",
        "is_escalated": "false",
        "status": "solved",
        "tags": "feed",
    }
    row.update(values)
    return row


GOOD_TICKETS = [
    ticket("T-1"),
    ticket("T-2", created_at="2026-11-11T09:00:00Z", body="A different complaint about billing"),
]


def tickets_csv(*extra: dict[str, str], good: list[dict] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TICKET_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in (GOOD_TICKETS if good is None else good) + list(extra):
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def post(post_id: str, **values) -> dict:
    row = {
        "post_id": post_id,
        "created_at": "2026-11-10T10:00:00Z",
        "platform": "twitter",
        "author_handle": "@someone",
        "text": f"@ProNetHelp post {post_id} says search is slow",
        "reach": 100,
        "url": f"https://twitter.com/someone/status/{post_id}",
    }
    row.update(values)
    return row


GOOD_POSTS = [post("P-1"), post("P-2", text="Loving the new profile design", platform="forum")]


def posts_jsonl(*extra_lines: str, good: list[dict] | None = None) -> bytes:
    lines = [json.dumps(p) for p in (GOOD_POSTS if good is None else good)] + list(extra_lines)
    return ("\n".join(lines) + "\n").encode("utf-8")


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return (
        con.execute(f"select * exclude (loaded_at) from {table} order by all").fetchall()
        if (table == "feedback")
        else con.execute(f"select * from {table} order by all").fetchall()
    )


def loaded_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select external_id from feedback").fetchall()}


def assert_books_balance(report: FileReport) -> None:
    assert report.error is None
    assert report.rows_in == report.rows_loaded + report.rows_rejected + report.rows_duplicate


@pytest.fixture
def con(tmp_path: Path):
    connection = connect(tmp_path / "pulse.duckdb")
    yield connection
    connection.close()


# ---------------------------------------------------------------------------- demo sources


def test_demo_files_load_every_row_with_the_contracted_columns(con, tmp_path):
    reports = ingest_demo(con, DATA, now=NOW)
    assert [(r.source, r.rows_in, r.rows_loaded, r.rows_duplicate) for r in reports] == [
        ("demo_tickets", 4, 4, 0),
        ("demo_social", 4, 4, 0),  # S-4 retweets S-1: another post, another key
    ]
    for report in reports:
        assert_books_balance(report)
    row = con.execute(
        "select feedback_id, kind, channel, created_at, updated_at, member_tier, csat, nps, "
        "first_response_minutes, resolution_minutes, is_escalated, text, text_redacted, text_hash "
        "from feedback where feedback_id = 'demo_tickets:T-1001'"
    ).fetchone()
    assert row[:11] == (
        "demo_tickets:T-1001",
        "ticket",
        "email",
        datetime(2026, 11, 10, 14, 3, 22),
        datetime(2026, 11, 10, 16, 40),
        "premium",
        2,
        3,
        42.0,
        157.0,
        False,
    )
    text, text_redacted, text_hash = row[11:]
    assert text.startswith("Cannot log in. I reset my password twice")
    assert "Sent from my iPhone" not in text
    assert "+44 7700 900123" in text and "+44 7700 900123" not in text_redacted
    assert "[phone]" in text_redacted
    assert text_hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    social = con.execute(
        "select channel, reach, url, text_redacted from feedback "
        "where feedback_id = 'demo_social:S-3'"
    ).fetchone()
    assert social[:3] == ("forum", 40, "https://forum.pronet.example/t/3")
    assert "dev42@example.com" not in social[3]


def test_reloading_the_demo_files_adds_no_rows_and_skips_them(con):
    ingest_demo(con, DATA, now=NOW)
    before = table_rows(con, "feedback"), table_rows(con, "rejected_rows")
    again = ingest_demo(con, DATA, now=NOW)
    assert all(r.skipped and r.rows_in == 0 for r in again)
    assert (table_rows(con, "feedback"), table_rows(con, "rejected_rows")) == before
    assert con.execute("select count(*) from loaded_files").fetchone()[0] == 2


def test_ticket_text_is_subject_then_cleaned_body(con):
    ingest_demo(con, DATA, now=NOW)
    texts = dict(con.execute("select external_id, text from feedback").fetchall())
    assert texts["T-1003"] == "App crashes. The app crashes when I open messages."
    assert texts["T-1004"] == "Profile photo. My profile photo will not upload."


def test_offsets_in_timestamps_are_converted_to_utc(con):
    ingest_demo(con, DATA, now=NOW)
    created = con.execute(
        "select created_at from feedback where external_id = 'T-1004'"
    ).fetchone()[0]
    assert created == datetime(2026, 11, 13, 6, 20)


# ---------------------------------------------------------------------------- idempotence


def test_overlapping_export_adds_nothing_new_and_newer_update_replaces(con, tmp_path):
    first = tmp_path / "week1.csv"
    first.write_bytes(tickets_csv(ticket("T-3", body="Old wording of the problem")))
    ingest_paths(con, [first], source="demo_tickets", now=NOW)
    second = tmp_path / "week2.csv"
    second.write_bytes(
        tickets_csv(
            ticket("T-3", updated_at="2026-11-12T08:00:00Z", body="New wording", csat="1"),
            ticket("T-4"),
        )
    )
    [report] = ingest_paths(con, [second], source="demo_tickets", now=NOW)
    assert (report.rows_in, report.rows_loaded, report.rows_new, report.rows_updated) == (
        4,
        4,
        1,
        1,
    )
    assert con.execute("select count(*) from feedback").fetchone()[0] == 4
    text, csat = con.execute("select text, csat from feedback where external_id = 'T-3'").fetchone()
    assert (text, csat) == ("Subject T-3. New wording", 1)


def test_an_older_reexport_does_not_overwrite_a_newer_row(con, tmp_path):
    newer = tmp_path / "newer.csv"
    newer.write_bytes(tickets_csv(ticket("T-3", updated_at="2026-11-15T00:00:00Z", csat="5")))
    older = tmp_path / "older.csv"
    older.write_bytes(tickets_csv(ticket("T-3", updated_at="2026-11-11T00:00:00Z", csat="1")))
    ingest_paths(con, [newer], source="demo_tickets", now=NOW)
    [report] = ingest_paths(con, [older], source="demo_tickets", now=NOW)
    assert report.rows_updated == 0 and report.rows_new == 0
    assert con.execute("select csat from feedback where external_id = 'T-3'").fetchone()[0] == 5


def test_the_same_bytes_under_another_name_are_skipped(con, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(tickets_csv())
    ingest_paths(con, [path], source="demo_tickets", now=NOW)
    copy = tmp_path / "copy-of-a.csv"
    shutil.copy(path, copy)
    [report] = ingest_paths(con, [copy], source="demo_tickets", now=NOW)
    assert report.skipped
    assert con.execute("select count(*) from feedback").fetchone()[0] == 2


# ---------------------------------------------------------------------------- per-row faults


@dataclass
class Fault:
    """One malformed input: the file, the rows that must still load, and what is rejected."""

    name: str
    content: bytes
    reason: str | None
    good: set[str] = field(default_factory=lambda: {"T-1", "T-2"})
    rejected: int = 1
    duplicate: int = 0
    source: str = "demo_tickets"
    suffix: str = ".csv"


POSTS = {"P-1", "P-2"}
ROW_FAULTS = [
    Fault("missing id", tickets_csv(ticket("")), "missing id"),
    Fault("blank id", tickets_csv(ticket("   ")), "missing id"),
    Fault(
        "missing subject and body", tickets_csv(ticket("T-9", subject="", body="")), "missing text"
    ),
    Fault(
        "whitespace-only text",
        tickets_csv(ticket("T-9", subject=" ", body="\t \n ")),
        "missing text",
    ),
    Fault("missing created_at", tickets_csv(ticket("T-9", created_at="")), "missing created_at"),
    Fault(
        "words for a date",
        tickets_csv(ticket("T-9", created_at="yesterday")),
        "unparseable created_at",
    ),
    Fault(
        "impossible date",
        tickets_csv(ticket("T-9", created_at="2026-02-30T10:00:00Z")),
        "unparseable created_at",
    ),
    Fault(
        "month out of range",
        tickets_csv(ticket("T-9", created_at="2026-13-01")),
        "unparseable created_at",
    ),
    Fault(
        "future created_at",
        tickets_csv(ticket("T-9", created_at="2027-01-01T00:00:00Z")),
        "created_at in the future",
    ),
    Fault(
        "epoch zero date",
        tickets_csv(ticket("T-9", created_at="1970-01-01T00:00:00Z")),
        "created_at before 2000",
    ),
    Fault(
        "unparseable updated_at",
        tickets_csv(ticket("T-9", updated_at="soon")),
        "unparseable updated_at",
    ),
    Fault(
        "future updated_at",
        tickets_csv(ticket("T-9", updated_at="2030-01-01T00:00:00Z")),
        "updated_at in the future",
    ),
    Fault("csat zero", tickets_csv(ticket("T-9", csat="0")), "csat out of range"),
    Fault("csat six", tickets_csv(ticket("T-9", csat="6")), "csat out of range"),
    Fault("csat a word", tickets_csv(ticket("T-9", csat="good")), "csat not a number"),
    Fault("csat a fraction", tickets_csv(ticket("T-9", csat="3.5")), "csat out of range"),
    Fault("nps eleven", tickets_csv(ticket("T-9", nps="11")), "nps out of range"),
    Fault("nps negative", tickets_csv(ticket("T-9", nps="-1")), "nps out of range"),
    Fault("nps a word", tickets_csv(ticket("T-9", nps="ten")), "nps not a number"),
    Fault(
        "negative first response",
        tickets_csv(ticket("T-9", first_response_minutes="-5")),
        "first_response_minutes out of range",
    ),
    Fault(
        "first response a word",
        tickets_csv(ticket("T-9", first_response_minutes="soon")),
        "first_response_minutes not a number",
    ),
    Fault(
        "resolution a word",
        tickets_csv(ticket("T-9", resolution_minutes="n/a")),
        "resolution_minutes not a number",
    ),
    Fault(
        "negative resolution",
        tickets_csv(ticket("T-9", resolution_minutes="-1")),
        "resolution_minutes out of range",
    ),
    Fault(
        "escalation not boolean",
        tickets_csv(ticket("T-9", is_escalated="maybe")),
        "is_escalated not true/false",
    ),
    Fault(
        "duplicate id in one file",
        tickets_csv(ticket("T-1", updated_at="2026-11-10T11:00:00Z", body="older copy")),
        "same id as line 2",
        rejected=0,
        duplicate=1,
    ),
    Fault(
        "only html in body",
        tickets_csv(ticket("T-9", subject="", body="<p><br/></p>")),
        "empty text after cleaning",
    ),
    Fault(
        "only zero-width characters",
        tickets_csv(ticket("T-9", subject="", body="\u200b\u200b\ufeff")),
        "empty text after cleaning",
    ),
    Fault(
        "only a script tag",
        tickets_csv(ticket("T-9", subject="", body="<script>alert(1)</script>")),
        "empty text after cleaning",
    ),
    Fault(
        "too many columns",
        tickets_csv() + b"T-9,2026-11-10T10:00:00Z,,email,free,s,b,,,,,,x,y,z\n",
        "too many columns",
    ),
    Fault(
        "too few columns", tickets_csv() + b"T-9,2026-11-10T10:00:00Z,,email\n", "too few columns"
    ),
    Fault(
        "undecodable bytes",
        tickets_csv() + b"T-9,2026-11-10T10:00:00Z,,email,free,"
        b"Caf\xe9,Bad \xff\xfe bytes,4,7,1,2,false,open,x\n",
        "undecodable bytes",
    ),
    Fault(
        "latin-1 file read as utf-8",
        tickets_csv()
        + "T-9,2026-11-10T10:00:00Z,,email,free,Café,crème brûlée,4,7,1,2,false,open,x\n".encode(
            "latin-1"
        ),
        "undecodable bytes",
    ),
    Fault(
        # another ticket with the same words is another complaint: duplicates are by key only
        "same text and time under a new id",
        tickets_csv(ticket("T-9", subject="Subject T-1", body="Body of ticket T-1 about the feed")),
        None,
        good={"T-1", "T-2", "T-9"},
        rejected=0,
    ),
    Fault(
        "invalid json line",
        posts_jsonl('{"post_id": "P-9", "text": '),
        "not valid JSON",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "json line that is a string",
        posts_jsonl('"just a string"'),
        "not a JSON object",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "json line that is a number",
        posts_jsonl("42"),
        "not a JSON object",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "json line with trailing garbage",
        posts_jsonl(json.dumps(post("P-9")) + " }"),
        "not valid JSON",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post without id",
        posts_jsonl(json.dumps({k: v for k, v in post("P-9").items() if k != "post_id"})),
        "missing id",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post with null text",
        posts_jsonl(json.dumps(post("P-9", text=None))),
        "missing text",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post with empty text",
        posts_jsonl(json.dumps(post("P-9", text=""))),
        "missing text",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "negative reach",
        posts_jsonl(json.dumps(post("P-9", reach=-3))),
        "reach out of range",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "reach a word",
        posts_jsonl(json.dumps(post("P-9", reach="lots"))),
        "reach not a number",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post date unparseable",
        posts_jsonl(json.dumps(post("P-9", created_at="Mon"))),
        "unparseable created_at",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post date in the future",
        posts_jsonl(json.dumps(post("P-9", created_at="2099-01-01T00:00:00Z"))),
        "created_at in the future",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post id repeated",
        posts_jsonl(json.dumps(post("P-1", text="second P-1"))),
        "same id as line",
        good=POSTS,
        rejected=0,
        duplicate=1,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "retweet of a post in the file",
        posts_jsonl(
            json.dumps(post("P-9", text="RT @x: @ProNetHelp post P-1 says search is slow"))
        ),
        None,
        good=POSTS | {"P-9"},
        rejected=0,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "undecodable bytes in a json line",
        posts_jsonl() + b'{"post_id": "P-9", "text": "bad \xff byte"}\n',
        "undecodable bytes",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "post of only html entities",
        posts_jsonl(json.dumps(post("P-9", text="&nbsp; &#8203;"))),
        "empty text after cleaning",
        good=POSTS,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "two faults in one file",
        tickets_csv(ticket("", csat="9"), ticket("T-9", nps="99")),
        "nps out of range",
        rejected=2,
    ),
    Fault(
        "nul byte in a field",
        tickets_csv(ticket("T-9", body="nul \x00 inside")),
        None,
        good={"T-1", "T-2", "T-9"},
        rejected=0,
    ),
]
# Inputs that look odd but are fine: they must load completely.
CLEAN_ODDITIES = [
    Fault("utf-8 byte order mark", b"\xef\xbb\xbf" + tickets_csv(), None, rejected=0),
    Fault("windows line endings", tickets_csv().replace(b"\n", b"\r\n"), None, rejected=0),
    Fault("semicolon delimiter", tickets_csv().replace(b",", b";"), None, rejected=0),
    Fault("tab delimiter", tickets_csv().replace(b",", b"\t"), None, rejected=0),
    Fault(
        "quoted newlines and quotes",
        tickets_csv(ticket("T-9", body='He said "it broke"\nthen\n\nit broke again')),
        None,
        good={"T-1", "T-2", "T-9"},
        rejected=0,
    ),
    Fault(
        "blank lines in json lines",
        posts_jsonl("", "   "),
        None,
        good=POSTS,
        rejected=0,
        source="demo_social",
        suffix=".jsonl",
    ),
    Fault(
        "full-width and ligature text",
        tickets_csv(ticket("T-9", subject="", body="ＡＰＰ crashes on ﬁle upload")),
        None,
        good={"T-1", "T-2", "T-9"},
        rejected=0,
    ),
    Fault(
        "a long text under the cap",
        tickets_csv(ticket("T-9", body="slow feed " * 9_000)),
        None,
        good={"T-1", "T-2", "T-9"},
        rejected=0,
    ),
]


@pytest.mark.parametrize("fault", ROW_FAULTS + CLEAN_ODDITIES, ids=lambda f: f.name)
def test_a_bad_row_is_quarantined_while_good_rows_load_and_reload_changes_nothing(
    fault: Fault, con, tmp_path
):
    path = tmp_path / f"export{fault.suffix}"
    path.write_bytes(fault.content)
    [report] = ingest_paths(con, [path], source=fault.source, now=NOW)
    assert_books_balance(report)
    assert loaded_ids(con) == fault.good
    assert (report.rows_rejected, report.rows_duplicate) == (fault.rejected, fault.duplicate)
    reasons = [row["reason"] for row in rejected(con, str(path))]
    assert len(reasons) == fault.rejected + fault.duplicate
    if fault.reason:
        assert any(fault.reason in reason for reason in reasons), reasons
    assert all(row["line"] and row["line"] > 0 for row in rejected(con))
    recorded = con.execute(
        "select rows_in, rows_loaded, rows_rejected, rows_duplicate from loaded_files"
    ).fetchall()
    assert recorded == [
        (report.rows_in, report.rows_loaded, report.rows_rejected, report.rows_duplicate)
    ]
    before = table_rows(con, "feedback"), table_rows(con, "rejected_rows")
    [again] = ingest_paths(con, [path], source=fault.source, now=NOW)
    assert again.skipped
    assert (table_rows(con, "feedback"), table_rows(con, "rejected_rows")) == before


def test_rejected_rows_carry_file_line_and_raw_text(con, tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(tickets_csv(ticket("T-9", csat="77")))
    ingest_paths(con, [path], source="demo_tickets", now=NOW)
    [row] = rejected(con, str(path))
    assert (row["source"], row["file"], row["line"], row["reason"]) == (
        "demo_tickets",
        str(path),
        4,
        'csat out of range 1-5 "77"',
    )
    assert row["raw"].startswith("T-9,2026-11-10T10:00:00Z")
    assert rejected(con, "some/other/file.csv") == []


def test_seeded_random_corruption_never_crashes_and_always_balances(con, tmp_path):
    rng = random.Random(7)
    base = tickets_csv(
        *[
            ticket(
                f"T-{i}",
                created_at=f"2026-11-{1 + i % 9:02d}T10:00:00Z",
                body=f"Complaint number {i} about messages",
            )
            for i in range(3, 40)
        ]
    )
    lines = base.split(b"\n")
    for round_no in range(6):
        mutated = list(lines)
        for _ in range(8):
            index = rng.randrange(1, len(mutated) - 1)
            line = bytearray(mutated[index])
            operation = rng.choice(("drop_char", "insert_byte", "cut", "quote", "comma"))
            if not line:
                continue
            position = rng.randrange(len(line))
            if operation == "drop_char":
                del line[position]
            elif operation == "insert_byte":
                line.insert(position, rng.randrange(256))
            elif operation == "cut":
                del line[position:]
            elif operation == "quote":
                line.insert(position, ord('"'))
            else:
                line.insert(position, ord(","))
            mutated[index] = bytes(line)
        path = tmp_path / f"fuzz{round_no}.csv"
        path.write_bytes(b"\n".join(mutated))
        try:
            [report] = ingest_paths(con, [path], source="demo_tickets", now=NOW)
        except PulseError as exc:  # a whole-file refusal is allowed, a crash is not
            assert str(path) in str(exc)
            continue
        assert_books_balance(report)
        assert report.rows_in >= 1
        assert len(rejected(con, str(path))) == report.rows_rejected


# ---------------------------------------------------------------------------- whole-file faults


WHOLE_FILE_FAULTS = [
    (
        "missing body column",
        "demo_tickets",
        "t.csv",
        tickets_csv().replace(b",body,", b",text,"),
        r"missing column\(s\) body",
    ),
    (
        "missing two columns",
        "demo_tickets",
        "t.csv",
        b"ticket_id,subject\nT-1,hello\n",
        r"created_at.*updated_at|missing column",
    ),
    ("unknown extension", "demo_tickets", "t.xlsx", b"PK\x03\x04 not really", "unknown format"),
    ("empty csv file", "demo_tickets", "t.csv", b"", "t.csv"),
    ("truncated json array", "zendesk", "t.json", b'[{"id": 1, "created_at": ', "not valid JSON"),
    (
        "json without the records the source needs",
        "twitter_v2",
        "t.json",
        b'{"meta": {"result_count": 0}, "errors": [{"title": "x"}]}',
        "no record has",
    ),
    ("corrupt parquet", "demo_tickets", "t.parquet", b"PAR1 garbage PAR1", "Parquet"),
    (
        "gzip file that is not gzip",
        "demo_tickets",
        "t.csv.gz",
        b"plain text, not gzip\n",
        "t.csv.gz",
    ),
    (
        "twcs file without inbound column",
        "twcs",
        "t.csv",
        b"tweet_id,author_id,created_at,text\n1,2,Tue Oct 31 22:10:47 +0000 2017,hi\n",
        "inbound",
    ),
]


@pytest.mark.parametrize(
    ("source", "name", "content", "message"),
    [case[1:] for case in WHOLE_FILE_FAULTS],
    ids=[case[0] for case in WHOLE_FILE_FAULTS],
)
def test_an_unreadable_file_raises_one_clear_error_and_leaves_the_database_unchanged(
    source, name, content, message, con, tmp_path
):
    ingest_demo(con, DATA, now=NOW)
    before = [table_rows(con, t) for t in ("feedback", "rejected_rows", "loaded_files")]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PulseError, match=message) as caught:
        ingest_paths(con, [path], source=source, now=NOW)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert [table_rows(con, t) for t in ("feedback", "rejected_rows", "loaded_files")] == before


def test_keep_going_records_the_failed_file_and_loads_the_rest(con, tmp_path):
    bad = tmp_path / "a_bad.csv"
    bad.write_bytes(b"ticket_id,subject\nT-1,hello\n")
    good = tmp_path / "b_good.csv"
    good.write_bytes(tickets_csv())
    reports = ingest_paths(con, [bad, good], source="demo_tickets", now=NOW, keep_going=True)
    assert reports[0].error and "created_at" in reports[0].error
    assert reports[1].rows_loaded == 2
    table = format_report_table(reports)
    assert "error" in table and "b_good.csv" in table


def test_a_missing_path_and_an_empty_glob_are_errors(con, tmp_path):
    with pytest.raises(PulseError, match="does not exist"):
        ingest_paths(con, [tmp_path / "nope.csv"], source="demo_tickets")
    with pytest.raises(PulseError, match="no files match"):
        ingest_paths(con, [str(tmp_path / "*.csv")], source="demo_tickets")


def test_an_unknown_source_lists_the_known_ones(con):
    with pytest.raises(PulseError, match="known mappings: .*demo_tickets.*twcs"):
        ingest_paths(con, [DATA / "tickets.csv"], source="zendeskk")


# ---------------------------------------------------------------------------- formats


def test_folder_glob_and_gzip_files_load_alike(con, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_bytes(tickets_csv())
    with gzip.open(folder / "b.csv.gz", "wb") as packed:
        packed.write(tickets_csv(ticket("T-5"), good=[]))
    (folder / "notes.md").write_text("not an export")
    reports = ingest_paths(con, [folder], source="demo_tickets", now=NOW)
    assert [Path(r.file).name for r in reports] == ["a.csv", "b.csv.gz"]
    assert loaded_ids(con) == {"T-1", "T-2", "T-5"}
    again = ingest_paths(con, [str(folder / "*.csv*")], source="demo_tickets", now=NOW)
    assert all(r.skipped for r in again)


def test_json_array_parquet_and_gzip_json_lines_load(con, tmp_path):
    array_file = tmp_path / "posts.json"
    array_file.write_text(json.dumps([post("P-1"), post("P-2", text="another post")]))
    with gzip.open(tmp_path / "more.jsonl.gz", "wt") as packed:
        packed.write(json.dumps(post("P-3", text="third post")) + "\n")
    parquet = tmp_path / "tickets.parquet"
    csv_path = tmp_path / "source.csv"
    csv_path.write_bytes(tickets_csv())
    duckdb.sql(
        f"copy (select * from read_csv('{csv_path}', all_varchar=true)) to '{parquet}' "
        "(format parquet)"
    )
    ingest_paths(con, [array_file, tmp_path / "more.jsonl.gz"], source="demo_social", now=NOW)
    [report] = ingest_paths(con, [parquet], source="demo_tickets", now=NOW)
    assert report.rows_loaded == 2
    assert loaded_ids(con) == {"P-1", "P-2", "P-3", "T-1", "T-2"}


def test_a_json_file_holding_one_object_per_line_is_read_as_lines(con, tmp_path):
    path = tmp_path / "social.json"
    path.write_bytes(posts_jsonl())
    [report] = ingest_paths(con, [path], source="demo_social", now=NOW)
    assert report.rows_loaded == 2


def test_the_source_is_guessed_from_the_columns(con, tmp_path):
    reports = ingest_paths(
        con,
        [
            DATA / "tickets.csv",
            DATA / "social.jsonl",
            DATA / "twcs_sample.csv",
            DATA / "twitter_v2.json",
            DATA / "zendesk_tickets.json",
        ],
        now=NOW,
    )
    assert [r.source for r in reports] == [
        "demo_tickets",
        "demo_social",
        "twcs",
        "twitter_v2",
        "zendesk",
    ]


# ---------------------------------------------------------------------------- ready-made mappings


def test_zendesk_export_maps_channel_satisfaction_and_urgency(con):
    [report] = ingest_paths(con, [DATA / "zendesk_tickets.json"], source="zendesk", now=NOW)
    assert_books_balance(report)
    rows = con.execute(
        "select external_id, channel, csat, is_escalated, updated_at, text from feedback "
        "order by external_id"
    ).fetchall()
    assert [r[:4] for r in rows] == [
        ("35436", "web", 1, True),
        ("35437", "phone", None, False),
        ("35438", "email", 5, False),
    ]
    assert rows[0][5] == "Help, my account is locked. I was locked out after two-factor failed."
    assert rows[1][5] == "Refund for Premium. Please refund my Premium renewal."


def test_twitter_v2_response_loads_its_data_array_with_impressions_as_reach(con):
    [report] = ingest_paths(
        con, [DATA / "twitter_v2.json"], source="twitter_v2", now=NOW, brand_handles=["ProNet"]
    )
    # the third tweet repeats the second's words under its own id: both count
    assert (report.rows_in, report.rows_loaded, report.rows_duplicate) == (3, 3, 0)
    rows = con.execute(
        "select external_id, channel, reach, url, text_redacted from feedback order by 1"
    ).fetchall()
    assert rows[0][:4] == (
        "1856000000000000001",
        "twitter",
        1500,
        "https://x.com/i/web/status/1856000000000000001",
    )
    assert "[phone]" in rows[1][4] and "@ProNet " in rows[1][4]


def test_twcs_keeps_inbound_tweets_and_times_the_brands_first_reply(con):
    [report] = ingest_paths(con, [DATA / "twcs_sample.csv"], source="twcs", now=NOW)
    assert (report.rows_in, report.rows_loaded, report.rows_filtered) == (3, 3, 1)
    minutes = dict(
        con.execute("select external_id, first_response_minutes from feedback").fetchall()
    )
    assert minutes == {"10": 12.5, "12": None, "13": None}
    assert "brand replies" in format_report_table([report])


def test_a_user_mapping_file_reads_a_latin1_semicolon_export(con):
    [report] = ingest_paths(
        con,
        [DATA / "helpdesk_latin1.csv"],
        source="helpdesk",
        mappings_file=DATA / "generic_mapping.toml",
        now=NOW,
    )
    assert_books_balance(report)
    assert report.rows_loaded == 2
    texts = dict(con.execute("select external_id, text from feedback").fetchall())
    assert texts["F-1"] == "Café page. Our café company page vanished"


def test_a_latin1_export_finds_its_mapping_without_being_named(con):
    # No mapping is chosen yet, so no encoding either: the header is read as Latin-1, then
    # the chosen mapping's encoding reads the rows (the CrowdFlower Apple tweets failed
    # here with "cannot read it (Invalid Input Error ...)").
    [report] = ingest_paths(
        con, [DATA / "helpdesk_latin1.csv"], mappings_file=DATA / "generic_mapping.toml", now=NOW
    )
    assert_books_balance(report)
    assert (report.source, report.rows_loaded, report.rows_rejected) == ("helpdesk", 2, 0)


def test_a_declared_encoding_on_the_call_overrides_utf8(con, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(tickets_csv(ticket("T-9", body="crème brûlée")).decode().encode("latin-1"))
    [report] = ingest_paths(con, [path], source="demo_tickets", encoding="latin-1", now=NOW)
    assert report.rows_rejected == 0
    assert (
        "crème brûlée"
        in con.execute("select text from feedback where external_id = 'T-9'").fetchone()[0]
    )


def test_ready_made_mappings_all_parse():
    mappings = load_mappings()
    assert {
        "demo_tickets",
        "demo_social",
        "zendesk",
        "zendesk_csv",
        "twitter_v2",
        "twcs",
        "generic_csv",
    } <= set(mappings)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[x]\nkind = "ticket"\nid = "a"\ncreated_at = "b"\n', "name the column"),
        (
            '[x]\nkind = "survey"\nid = "a"\ncreated_at = "b"\ntext = "c"\n',
            'kind = "survey"; expected',
        ),
        (
            '[x]\nkind = "ticket"\nid = "a"\ncreated_at = "b"\ntext = "c"\ncsatt = "d"\n',
            "unknown key",
        ),
        (
            '[x]\nkind = "ticket"\nid = "a"\ncreated_at = "b"\ntext = "c"\n'
            '[x.options]\nencoding = "ebcdic"\n',
            "encoding must be",
        ),
        ("[x\n", "not valid TOML"),
    ],
)
def test_a_broken_mapping_file_names_the_file_and_the_fix(toml, message, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(toml)
    with pytest.raises(PulseError, match=message) as caught:
        read_mappings_file(path)
    assert str(path) in str(caught.value)


# ---------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("<div>Hello<br>world &amp; more</div>", "Hello world & more"),
        ("Feed is empty.\n\n-- \nJane Doe\nACME", "Feed is empty."),
        (
            "Still broken.\n\nOn Tue, 10 Nov 2026, ProNet Support wrote:\n> Try again",
            "Still broken.",
        ),
        ("Fix it.\n-----Original Message-----\nFrom: support", "Fix it."),
        ("Please help.\n\nKind regards,\nOmar\nHead of HR", "Please help."),
        ("ＡＰＰ  crashes\u00a0on ﬁles", "APP crashes on files"),
        ("tabs\tand\r\nnewlines", "tabs and newlines"),
        ("> only a quote", "> only a quote"),
        # Windows-1252 bytes read as Latin-1 become the characters they were
        ("You don\x92t get \x93help\x94 \x96 at all", "You don’t get “help” – at all"),
        # format characters go (a bidi override would reverse what a reader sees) ...
        ("Verification \u202ecode\u202c and \u2066this\u2069", "Verification code and this"),
        ("soft\u00adhyphen, zero\u200bwidth, mark\u200e", "softhyphen, zerowidth, mark"),
        # ... but the joiner inside an emoji sequence, which is one emoji
        (
            "dev \U0001f469\u200d\U0001f4bb here, a\u200db",
            "dev \U0001f469\u200d\U0001f4bb here, ab",
        ),
    ],
)
def test_cleaning_removes_markup_signatures_and_quoted_replies(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_social_posts_keep_lines_that_look_like_signatures():
    assert clean_text("Thanks,\nPRONET fans", is_ticket=False) == "Thanks, PRONET fans"


def test_long_texts_are_kept_whole_and_the_embedding_cap_is_documented():
    text = "word " * 5000
    assert len(clean_text(text)) == len(text.strip())
    assert 500 <= EMBED_MAX_CHARS < len(text)


# ---------------------------------------------------------------------------- real data


@pytest.mark.skipif(not TWCS_DIR.exists(), reason=f"{TWCS_DIR} is absent (shared data not mounted)")
def test_spotifycares_file_loads_through_the_twcs_mapping(con, capsys):
    path = TWCS_DIR / "spotifycares_inbound_requests.csv"
    [report] = ingest_paths(con, [path], source="twcs", now=NOW)
    with capsys.disabled():
        print("\n" + format_report_table([report]))
    assert_books_balance(report)
    assert report.rows_in == 15_096 and report.rows_filtered == 0
    assert report.rows_loaded >= 15_000
    # The file holds only customers' tweets; SpotifyCares' replies are not in it, so almost
    # no first response can be timed (SOURCE.md).
    timed = con.execute("select count(first_response_minutes) from feedback").fetchone()[0]
    assert timed < 0.01 * report.rows_loaded
    weeks = con.execute(
        "select count(distinct date_trunc('week', created_at)) from feedback "
        "where created_at >= '2017-10-01'"
    ).fetchone()[0]
    assert weeks >= 9


@pytest.mark.skipif(not TWCS_DIR.exists(), reason=f"{TWCS_DIR} is absent (shared data not mounted)")
def test_twcs_first_rows_time_brand_replies_and_set_them_aside(con):
    [report] = ingest_paths(con, [TWCS_DIR / "twcs_first5000.csv"], source="twcs", now=NOW)
    assert_books_balance(report)
    assert (report.rows_in, report.rows_filtered) == (2_778, 2_222)
    # `pulse run`'s line accounts for the file's 5,000 records, not only the 2,778 loaded
    assert load_line(report) == (
        "twcs_first5000.csv: 2,778 rows, 2,778 loaded (2,778 new), "
        "2,222 set aside as not feedback (e.g. brand replies)"
    )
    timed, median = con.execute(
        "select count(first_response_minutes), median(first_response_minutes) from feedback"
    ).fetchone()
    assert timed > 1_500 and 1 < median < 120


def test_rejected_lines_are_the_files_own_lines_even_after_multiline_fields(con, tmp_path):
    too_many = b"T-4,2026-11-10T10:00:00Z,,email,free,s,b,,,,,,x,y,z\n"
    body = tickets_csv(ticket("T-3", body="first line\nsecond line\nthird line"))  # lines 4-6
    body += too_many + too_many  # lines 7 and 8
    body += tickets_csv(ticket("T-5", csat="0"), good=[]).split(b"\n", 1)[1]  # line 9
    body += too_many  # line 10
    path = tmp_path / "multi.csv"
    path.write_bytes(body)
    ingest_paths(con, [path], source="demo_tickets", now=NOW)
    lines = sorted((row["line"], row["reason"]) for row in rejected(con, str(path)))
    assert lines == [
        (7, "too many columns"),
        (8, "too many columns"),
        (9, 'csat out of range 1-5 "0"'),
        (10, "too many columns"),
    ]
    assert path.read_text().splitlines()[8].startswith("T-5,")


def test_mappings_can_live_in_pulse_toml_beside_the_settings(con, tmp_path):
    config = tmp_path / "pulse.toml"
    config.write_text(
        '[pulse]\ntimezone = "Europe/London"\n\n'
        '[sources.helpdesk]\nkind = "ticket"\nid = "Ticket ID"\ncreated_at = "Created time"\n'
        'text = ["Subject", "Description"]\n'
        '[sources.helpdesk.options]\nencoding = "latin-1"\ndelim = ";"\n'
    )
    [report] = ingest_paths(
        con, [DATA / "helpdesk_latin1.csv"], source="helpdesk", mappings_file=config, now=NOW
    )
    assert report.rows_loaded == 2


def test_times_without_offset_are_read_in_the_given_zone_whatever_the_session_zone(
    con, tmp_path
):
    con.execute("set TimeZone = 'America/New_York'")
    path = tmp_path / "naive.csv"
    path.write_bytes(tickets_csv(ticket("T-9", created_at="2026-07-10 08:00:00"), good=[]))
    ingest_paths(con, [path], source="demo_tickets", now=NOW, timezone="Europe/London")
    # 08:00 in London in July (BST, UTC+1) is 07:00 UTC
    assert con.execute("select created_at from feedback").fetchone()[0] == datetime(2026, 7, 10, 7)
    assert con.execute("select current_setting('TimeZone')").fetchone()[0] == "America/New_York"


def test_a_flat_zendesk_csv_export_loads_through_zendesk_csv(con, tmp_path):
    path = tmp_path / "zendesk.csv"
    path.write_text(
        "id,created_at,updated_at,via,subject,description,status,priority,tags,"
        "satisfaction_rating\n"
        '9001,2026-11-09T08:00:00Z,2026-11-09T09:00:00Z,web_widget,Locked out,"<p>Help</p>",'
        "solved,urgent,login,bad\n"
        "9002,2026-11-09T10:00:00Z,2026-11-09T11:00:00Z,email,Invoice,Wrong VAT,open,low,,good\n"
    )
    [report] = ingest_paths(con, [path], now=NOW)
    assert report.source == "zendesk_csv" and report.rows_loaded == 2
    rows = con.execute(
        "select external_id, channel, csat, is_escalated, text from feedback order by 1"
    ).fetchall()
    assert rows == [
        ("9001", "web", 1, True, "Locked out. Help"),
        ("9002", "email", 5, False, "Invoice. Wrong VAT"),
    ]


def _plain_characters() -> list[str]:
    pattern = re.compile(PLAIN_CHARSET)
    return [chr(code) for code in range(0x110000) if pattern.fullmatch(chr(code))]


def test_texts_of_the_plain_charset_need_nothing_but_their_spaces_collapsed():
    characters = _plain_characters()
    assert 150 < len(characters) < 250
    for char in characters:
        assert unicodedata.normalize("NFKC", char) == char, hex(ord(char))
        assert char.isprintable() and (char == " " or not char.isspace()), hex(ord(char))
        assert char not in "<&\n\r\t", hex(ord(char))
        expected = "x y" if char == " " else f"x {char}{char} y"
        assert clean_text(f"  x  {char}{char}  y ") == expected


def test_every_plain_character_is_one_the_redaction_gates_can_judge():
    # stg_ingest_redact_candidates.sql trusts a plain text's gates without re-screening it
    gate_charset = re.compile(GATE_CHARSET)
    assert all(gate_charset.fullmatch(char) for char in _plain_characters())


def test_plain_texts_cleaned_in_sql_equal_clean_text(con, tmp_path):
    rng = random.Random(5)
    characters = _plain_characters() + ["\u00a0", "…", "<b>", "&amp;", "\n", "ﬁ", "😡", "\t"]
    bodies = ["".join(rng.choices(characters, k=rng.randrange(5, 40))) for _ in range(300)]
    bodies = [f"b{index} {body}" for index, body in enumerate(bodies)]
    rows = [ticket(f"P-{index}", body=body) for index, body in enumerate(bodies)]
    path = tmp_path / "plain.csv"
    path.write_bytes(tickets_csv(good=rows))
    ingest_paths(con, [path], source="demo_tickets", now=NOW)
    stored = dict(con.execute("select external_id, text from feedback").fetchall())
    for index, body in enumerate(bodies):
        assert stored[f"P-{index}"] == clean_text(f"Subject P-{index}. {body.strip(' ')}"), body


def test_a_large_load_skips_string_compression_only_while_it_writes(con, tmp_path, monkeypatch):
    # UNCOMPRESSED_MIN_ROWS is 100,000 rows; lowered so a small file takes the large path.
    # (Which segments end up uncompressed depends on DuckDB writing full row groups during
    # the insert; bench/ingest.py shows the effect, this checks the setting is put back.)
    monkeypatch.setattr(batch_module, "UNCOMPRESSED_MIN_ROWS", 2)
    seen = []
    real_insert = batch_module.run_query

    def run_query(connection, name, params=None):
        if name.startswith("ingest_insert_"):
            setting = "select current_setting('force_compression')"
            seen.append((name, connection.execute(setting).fetchone()[0]))
        return real_insert(connection, name, params)

    monkeypatch.setattr(batch_module, "run_query", run_query)
    path = tmp_path / "large.csv"
    path.write_bytes(tickets_csv(ticket("T-bad", created_at="soon")))
    [report] = ingest_paths(con, [path], source="demo_tickets", now=NOW)
    assert report.rows_loaded == len(GOOD_TICKETS) and report.rows_rejected == 1
    assert seen == [
        ("ingest_insert_rejected", "uncompressed"),
        ("ingest_insert_new_feedback", "uncompressed"),
    ]
    assert con.execute("select current_setting('force_compression')").fetchone()[0] == "auto"
    stored = con.execute("select count(*), count(distinct text_hash) from feedback").fetchone()
    assert stored == (len(GOOD_TICKETS), len(GOOD_TICKETS))

    # a small file keeps the default
    seen.clear()
    monkeypatch.setattr(batch_module, "UNCOMPRESSED_MIN_ROWS", 100_000)
    later = tmp_path / "later.csv"
    later.write_bytes(tickets_csv(good=[ticket("L-1", body="A later ticket about invoices")]))
    ingest_paths(con, [later], source="demo_tickets", now=NOW)
    assert {setting for _, setting in seen} == {"auto"}


def test_a_script_without_a_main_guard_loads_a_large_file_and_exits(tmp_path: Path):
    # A spawned worker re-runs an unguarded script; such a caller once hung at exit after
    # loading. It now loads on one process and ends.
    import subprocess
    import sys

    from pulse.demo import TICKET_COLUMNS
    from pulse.workers import PARALLEL_MIN_TEXTS

    rows = PARALLEL_MIN_TEXTS + 2_000
    source = tmp_path / "tickets.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TICKET_COLUMNS)
        for n in range(rows):
            row = dict.fromkeys(TICKET_COLUMNS, "")
            row.update(
                ticket_id=f"T-{n}",
                created_at="2026-10-05T10:00:00Z",
                updated_at="2026-10-05T11:00:00Z",
                channel="web",
                member_tier="free",
                subject="Login",
                body=f"<p>Reset link {n} never arrives. Call +1 415 555 {n % 10000:04d}</p>",
                is_escalated="false",
            )
            writer.writerow(row.values())
    script = tmp_path / "load_it.py"
    script.write_text(
        "from pathlib import Path\n"
        "from pulse.db import connect\n"
        "from pulse.ingest import ingest_paths\n"
        f"with connect(Path({str(tmp_path / 'x.duckdb')!r})) as con:\n"
        f"    report = ingest_paths(con, [Path({str(source)!r})], source='demo_tickets')[0]\n"
        "    print(report.rows_in, report.rows_loaded)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(rows), str(rows)]
