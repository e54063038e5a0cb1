"""Ingest throughput: write a large ticket CSV in /tmp, load it, print where the time goes.

    /tmp/venvtest/bin/python bench/ingest.py              # 1,000,000 rows
    /tmp/venvtest/bin/python bench/ingest.py --rows 200000

The file has the demo ticket layout (source `demo_tickets`): mostly unique texts
of 20-60 words with some digits, handles and e-mail addresses, quoted newlines,
and about 1% faulty rows (bad dates, CSAT out of range, missing text, duplicate
ids), so every stage, including redaction and quarantine, does real work. The
last line is JSON: rows_per_s (rows in / wall seconds of the load, file writing
excluded) and peak_rss_mib (this process and its worker processes).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulse.db import connect  # noqa: E402
from pulse.ingest import format_report_table, ingest_paths  # noqa: E402

COLUMNS = (
    "ticket_id,created_at,updated_at,channel,member_tier,subject,body,csat,nps,"
    "first_response_minutes,resolution_minutes,is_escalated,status,tags"
).split(",")
WORDS = (
    "account login password reset error page profile photo upload message inbox job "
    "alert search filter premium billing charge refund invoice renewal app crash android "
    "iphone browser feed post comment connection invite recruiter company network slow "
    "broken missing blank notification email settings privacy hacked verify code two "
    "factor support agent waiting days week again still cannot please help fix urgent "
    "interview application resume apply button spinning frozen update version"
).split()
SUBJECTS = (
    "Cannot log in",
    "Billing question",
    "App crashes",
    "Job alerts",
    "Refund",
    "Account hacked",
    "Messages missing",
    "Profile photo",
    "Feed is empty",
)


def write_csv(path: Path, rows: int, seed: int = 42) -> None:
    """A deterministic ticket export with ~1% faulty rows."""
    rng = random.Random(seed)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(rows):
            created = start + timedelta(seconds=rng.randrange(0, 100 * 86400))
            words = rng.choices(WORDS, k=rng.randrange(20, 60))
            if i % 7 == 0:
                words.insert(rng.randrange(len(words)), f"order {rng.randrange(10**6)}")
            if i % 50 == 0:
                words.append(f"mail me at user{i}@example.com")
            body = " ".join(words).capitalize() + "."
            if i % 10 == 0:
                body += "\n\nThanks,\nSam"
            csat = str(rng.randrange(1, 6)) if i % 3 else ""
            fault = i % 100
            ticket_id = f"B-{i}"
            created_text = created.strftime("%Y-%m-%dT%H:%M:%SZ")
            if fault == 17:
                created_text = "yesterday"
            elif fault == 37:
                csat = "9"
            elif fault == 57:
                body = ""
            elif fault == 77:
                ticket_id = f"B-{i - 1}"
            writer.writerow(
                [
                    ticket_id,
                    created_text,
                    (created + timedelta(hours=rng.randrange(1, 72))).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    rng.choice(("email", "web", "mobile", "chat")),
                    rng.choice(("free", "premium", "recruiter")),
                    rng.choice(SUBJECTS),
                    body,
                    csat,
                    str(rng.randrange(0, 11)) if i % 4 == 0 else "",
                    str(rng.randrange(1, 3000)),
                    str(rng.randrange(10, 9000)),
                    "true" if i % 20 == 0 else "false",
                    "solved",
                    "tag1;tag2",
                ]
            )


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the CSV and database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pulse-bench-ingest-", dir="/tmp"))
    csv_path = workdir / "tickets.csv"
    started = time.perf_counter()
    write_csv(csv_path, args.rows)
    write_seconds = time.perf_counter() - started
    size_mib = csv_path.stat().st_size / 2**20
    con = connect(workdir / "bench.duckdb")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    started = time.perf_counter()
    reports = ingest_paths(con, [csv_path], source="demo_tickets", now=now)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = ingest_paths(con, [csv_path], source="demo_tickets", now=now)
    reload_seconds = time.perf_counter() - started
    report = reports[0]
    print(f"wrote {args.rows:,} rows ({size_mib:.0f} MiB) in {write_seconds:.1f} s: {csv_path}")
    print(format_report_table(reports))
    print()
    print(f"{'stage':<18}{'seconds':>9}{'share':>8}")
    for stage, seconds in report.stage_seconds.items():
        print(f"{stage:<18}{seconds:>9.2f}{seconds / load_seconds:>8.0%}")
    print(f"{'total':<18}{load_seconds:>9.2f}")
    print(f"reload of the same file: {reload_seconds:.2f} s, skipped={again[0].skipped}")
    result = {
        "rows": report.rows_in,
        "rows_loaded": report.rows_loaded,
        "rows_rejected": report.rows_rejected,
        "rows_duplicate": report.rows_duplicate,
        "seconds": round(load_seconds, 2),
        "rows_per_s": round(report.rows_in / load_seconds),
        "rows_per_s_without_clean_and_redact": round(
            report.rows_in
            / max(load_seconds - report.stage_seconds.get("clean_and_redact", 0.0), 1e-9)
        ),
        "stage_seconds": report.stage_seconds,
        "reload_seconds": round(reload_seconds, 2),
        "peak_rss_mib": peak_rss_mib(),
        "cores": os.cpu_count(),
        "file_mib": round(size_mib, 1),
    }
    con.close()
    if not args.keep:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
