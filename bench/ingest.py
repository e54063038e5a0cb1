"""Ingest throughput: write a large ticket CSV and a folder of one-row files in /tmp, load them.

    python bench/ingest.py                         # 1,000,000 rows and 2,000 small files
    python bench/ingest.py --rows 200000 --small-files 0
    python bench/ingest.py --baseline 94caabf --rounds 2   # and an earlier commit, alternating

Each version loads in a child process of its own (the baseline from a temporary git
worktree of REF), so both read the same files on the same machine in the same run.

The file has the demo ticket layout (source `demo_tickets`). Each body is 1-5 sentences
drawn from ~35 support-ticket templates whose slots take varied values (order and invoice
numbers of 6-9 digits, amounts in $/€/£, ISO dates, times, versions, error codes, ticket
ids, counts, devices, cities), so about 95% of texts are unique and 97% hold digits. About
5% carry one private datum of nine kinds (e-mail, NANP or UK phone, Luhn-valid card, US
street address with city/state/ZIP, @handle, profile URL, SSN, IBAN; from
pulse.demo.fake_pii), 3% a help-centre link, 2% emoji; 10% end in a signature, 2% are HTML
with entities, 1% quote a reply chain; some use curly apostrophes and accented French. About
1% of rows are faulty (bad dates, CSAT out of range, missing text, duplicate ids), so every
stage, including redaction and quarantine, does real work. The last line is JSON: rows_per_s
(rows in / wall seconds of the load, file writing excluded), cpu_seconds (user + system of
this process's threads and its worker process, which cleans and redacts: a fairer figure on
a busy machine), stage_cpu_seconds, peak_rss_mib (this process and its worker processes) and
the load averages before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pulse.demo.fake_pii import numbered_pii_sentence  # noqa: E402

COLUMNS = (
    "ticket_id,created_at,updated_at,channel,member_tier,subject,body,csat,nps,"
    "first_response_minutes,resolution_minutes,is_escalated,status,tags"
).split(",")
SUBJECTS = (
    "Cannot log in",
    "Billing question",
    "App crashes on launch",
    "Job alerts stopped",
    "Refund request",
    "Account hacked",
    "Messages missing",
    "Profile photo will not upload",
    "Feed is empty",
    "Charged twice",
    "Premium cancellation",
    "Two-factor code never arrives",
    "Recruiter InMail credits",
    "Search filters broken",
    "Resume upload fails",
    "Notifications delayed",
    "Verification badge",
    "Connection requests disappear",
)
# Sentence templates; {slots} are filled with varied values, so texts rarely repeat.
SENTENCES = (
    "I have been trying to {action} since {day} and it keeps failing with error {code}.",
    "My order #{order} was charged {amount} twice on {date}.",
    "The app crashes every time I open {feature} on {device}.",
    "I updated to version {version} yesterday and now {feature} is blank.",
    "Support ticket ZD-{ticket} has been open for {n} days with no answer.",
    "Please refund the {amount} renewal, I cancelled on {date}.",
    "I get a {http} page when I click {feature}.",
    "It worked fine until {time} today, now it just spins.",
    "I have {n} connection requests that never show up.",
    "Someone logged into my account from {city} at {time}.",
    "The verification code takes {n} minutes to arrive, then it has expired.",
    "I paid {amount} for Premium on invoice INV-{order} but I still see the free plan.",
    "My job alert for {role} in {city} stopped after {n} weeks.",
    "Search shows {n} results for {role} but the list is empty.",
    "Step {n}: open Settings, then {feature}, nothing happens.",
    "This is the {ordinal} time I contact you about this.",
    "I uploaded my resume ({n} pages, {size} MB) and it says the file is too large.",
    "Notifications arrive {n} hours late on {device}.",
    "Your chat agent closed case {ticket} without fixing anything.",
    "I was promised a call back within {n} hours, it has been {n2} days.",
    "Reference {code}, transaction {order}.",
    "The page loads for {n} seconds and then shows error {code}.",
    "I tried clearing the cache, reinstalling and restarting {device}.",
    "Why was I charged {amount} on {date} when my trial ends on {date2}?",
    "I cannot reset my password, the link expires after {n} minutes.",
    "My profile views dropped from {n3} to {n} this week.",
    "The {feature} button does nothing in Chrome {n3}.",
    "Please help, I have an interview at {time} and cannot open my messages.",
    "Still broken.",
    "Is anyone reading these?",
    "Thanks for the quick reply, but the problem is back.",
    "I’ve tried everything and it still doesn’t work.",
    "Le paiement de {amount} a été refusé, carte expirée?",
    "{n}% of my messages show as unread even after I read them.",
)
ACTIONS = (
    "log in",
    "upload a photo",
    "apply to jobs",
    "change my email",
    "cancel Premium",
    "download my data",
    "verify my identity",
    "post an update",
    "message a recruiter",
)
FEATURES = (
    "My Network",
    "Messaging",
    "Jobs",
    "the feed",
    "Notifications",
    "Settings",
    "Premium insights",
    "Saved jobs",
    "Easy Apply",
    "the profile editor",
)
DEVICES = (
    "iPhone 15",
    "Pixel 8",
    "Galaxy S23",
    "iPad",
    "Windows 11",
    "macOS 14.5",
    "Android 14",
    "iOS 17.1",
)
CITIES = ("Austin", "Berlin", "Lagos", "Mumbai", "Toronto", "Leeds", "Lyon", "Manila")
ROLES = ("data analyst", "nurse", "product manager", "welder", "teacher", "sales lead")
DAYS = ("Monday", "Tuesday", "last week", "the 3rd", "yesterday", "this morning")
SIGNATURES = (
    "\n\nThanks,\nSam",
    "\n\nBest regards,\nPriya Shah\nOps lead",
    "\n\nSent from my iPhone",
    "\n--\nJordan",
)


def support_text(rng: random.Random, i: int) -> str:
    """A support ticket body: 1-5 varied sentences, digits in most, PII in ~5%."""
    n = rng.randrange(1, 60)
    values = {
        "action": rng.choice(ACTIONS),
        "day": rng.choice(DAYS),
        "code": rng.choice(("E", "ERR-", "0x8007", "AUTH_")) + str(rng.randrange(100, 99999)),
        "order": str(rng.randrange(10**5, 10**9)),
        "amount": rng.choice(("$", "€", "£")) + f"{rng.randrange(5, 400)}.{rng.randrange(100):02d}",
        "date": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "date2": f"{rng.choice(('March', 'June', 'Oct'))} {rng.randrange(1, 29)}",
        "feature": rng.choice(FEATURES),
        "device": rng.choice(DEVICES),
        "version": f"{rng.randrange(1, 12)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}",
        "ticket": str(rng.randrange(10**4, 10**6)),
        "n": n,
        "n2": n + rng.randrange(1, 9),
        "n3": rng.randrange(100, 5000),
        "http": rng.choice(("404", "500", "503", "429")),
        "time": f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}",
        "city": rng.choice(CITIES),
        "role": rng.choice(ROLES),
        "ordinal": rng.choice(("second", "third", "5th", "10th")),
        "size": f"{rng.randrange(1, 20)}.{rng.randrange(10)}",
    }
    sentences = [rng.choice(SENTENCES).format(**values) for _ in range(rng.randrange(1, 6))]
    roll = rng.random()
    if roll < 0.05:
        sentences.insert(rng.randrange(len(sentences) + 1), numbered_pii_sentence(rng, i))
    elif roll < 0.08:
        sentences.append(f"I followed https://help.pronet.example/articles/{n * 997} step by step.")
    elif roll < 0.10:
        sentences.append("😡 " * rng.randrange(1, 3))
    body = " ".join(sentences)
    roll = rng.random()
    if roll < 0.10:
        body += rng.choice(SIGNATURES)
    elif roll < 0.12:
        body = f"<p>{body}</p><p>Order &amp; account details attached.</p>"
    elif roll < 0.13:
        body += f"\n\nOn Mon, {values['date']} ProNet Support wrote:\n> Thanks for reaching out"
    return body


def write_csv(path: Path, rows: int, seed: int = 42) -> None:
    """A deterministic ticket export with ~1% faulty rows."""
    rng = random.Random(seed)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(rows):
            created = start + timedelta(seconds=rng.randrange(0, 100 * 86400))
            body = support_text(rng, i)
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


SMALL_MAPPING = """[bench_small]
kind = "ticket"
format = "csv"
id = "ticket_id"
created_at = "created_at"
text = ["subject", "body"]
"""


def write_small_files(folder: Path, count: int) -> Path:
    """`count` one-row exports of one layout (a folder of daily exports), and their mapping."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"export-{index:05d}.csv").write_text(
            "ticket_id,created_at,subject,body\n"
            f"S-{index},2026-11-10T10:00:00Z,Login,I cannot log in (attempt {index})\n",
            encoding="utf-8",
        )
    mapping = folder.parent / "small_mapping.toml"
    mapping.write_text(SMALL_MAPPING, encoding="utf-8")
    return mapping


# Runs in a child process against a given checkout, so the current code and a baseline
# (another commit, in a temporary git worktree) load the same files in the same run.
MEASURE = r"""
import json, os, sys, time
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from pulse.db import connect
from pulse.ingest import ingest_paths
from pulse.workers import shutdown_pool
csv_path, small_dir, mapping, workdir = (Path(a) for a in sys.argv[2:6])
now = datetime(2026, 12, 1, tzinfo=UTC)
out = {}
db = workdir / f"bench-{os.getpid()}.duckdb"
con = connect(db)
cpu_before = os.times()
started = time.perf_counter()
[report] = ingest_paths(con, [csv_path], source="demo_tickets", now=now)
seconds = time.perf_counter() - started
shutdown_pool()
cpu_after = os.times()
out["big"] = {
    "rows": report.rows_in, "rows_loaded": report.rows_loaded,
    "rows_rejected": report.rows_rejected, "rows_duplicate": report.rows_duplicate,
    "seconds": round(seconds, 2), "rows_per_s": round(report.rows_in / seconds),
    "cpu_seconds": round(sum(getattr(cpu_after, n) - getattr(cpu_before, n) for n in
        ("user", "system", "children_user", "children_system")), 2),
    "stage_seconds": report.stage_seconds, "stage_cpu_seconds": report.stage_cpu_seconds,
}
started = time.perf_counter()
[again] = ingest_paths(con, [csv_path], source="demo_tickets", now=now)
out["big"]["reload_seconds"] = round(time.perf_counter() - started, 2)
if small_dir.name != "-":
    started = time.perf_counter()
    reports = ingest_paths(con, [small_dir], source="bench_small", mappings_file=mapping, now=now)
    seconds = time.perf_counter() - started
    out["small"] = {"files": len(reports), "rows_loaded": sum(r.rows_loaded for r in reports),
                    "seconds": round(seconds, 2), "files_per_s": round(len(reports) / seconds, 1)}
con.close()
for suffix in ("", ".wal"):
    Path(f"{db}{suffix}").unlink(missing_ok=True)
print(json.dumps(out))
"""


def measure(
    root: Path, csv_path: Path, small_dir: Path | None, mapping: Path, workdir: Path
) -> dict:
    """One load of the big file and the folder of small files by the code at `root`."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(root), str(csv_path),
         str(small_dir or "-"), str(mapping), str(workdir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"measuring {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_checkout(ref: str, workdir: Path) -> Path:
    """A temporary git worktree of `ref` (removed by the caller), the code to compare with."""
    target = workdir / "baseline"
    subprocess.run(
        ["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(target), ref],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-files", type=int, default=2000, help="one-row files (0: none)")
    parser.add_argument(
        "--baseline", metavar="REF", help="also measure this git commit, alternating with HEAD"
    )
    parser.add_argument("--rounds", type=int, default=1, help="loads of each version")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pulse-bench-ingest-", dir="/tmp"))
    csv_path = workdir / "tickets.csv"
    started = time.perf_counter()
    write_csv(csv_path, args.rows)
    small_dir = workdir / "small" if args.small_files else None
    mapping = write_small_files(small_dir, args.small_files) if small_dir else workdir / "none"
    write_seconds = time.perf_counter() - started
    size_mib = csv_path.stat().st_size / 2**20
    print(f"wrote {args.rows:,} rows ({size_mib:.0f} MiB) and {args.small_files:,} one-row files "
          f"in {write_seconds:.1f} s: {workdir}")  # fmt: skip
    versions = {"current": REPO_ROOT}
    if args.baseline:
        versions["baseline"] = baseline_checkout(args.baseline, workdir)
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {name: [] for name in versions}
    try:
        for _ in range(args.rounds):
            for name, root in versions.items():  # alternating, so drift hits both alike
                runs[name].append(measure(root, csv_path, small_dir, mapping, workdir))
    finally:
        if "baseline" in versions:
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force",
                 str(versions["baseline"])],
                check=False, capture_output=True,
            )  # fmt: skip
    load_after = os.getloadavg()
    best = {name: _best(results) for name, results in runs.items()}
    current = best["current"]
    print()
    print(f"{'version':<10}{'rows/s':>10}{'seconds':>9}{'cpu_s':>8}{'small files/s':>15}")
    for name, result in best.items():
        small = result.get("small", {}).get("files_per_s", "")
        big = result["big"]
        print(f"{name:<10}{big['rows_per_s']:>10,}{big['seconds']:>9.2f}"
              f"{big['cpu_seconds']:>8.2f}{small!s:>15}")  # fmt: skip
    print()
    print(f"{'stage (current)':<18}{'seconds':>9}{'cpu_s':>8}")
    for stage, seconds in current["big"]["stage_seconds"].items():
        cpu = current["big"]["stage_cpu_seconds"].get(stage, 0.0)
        print(f"{stage:<18}{seconds:>9.2f}{cpu:>8.2f}")
    print(f"(best of {args.rounds} per version; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; cpu_s counts the worker process too)")  # fmt: skip
    result = {
        **current["big"],
        "small_files": current.get("small"),
        "baseline": best.get("baseline"),
        "peak_rss_mib": peak_rss_mib(),
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "cores": os.cpu_count(),
        "file_mib": round(size_mib, 1),
    }
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))


def _best(results: list[dict]) -> dict:
    """The run with the highest row rate (and, separately, the best small-file rate)."""
    best = dict(max(results, key=lambda r: r["big"]["rows_per_s"]))
    smalls = [r["small"] for r in results if r.get("small")]
    if smalls:
        best["small"] = max(smalls, key=lambda s: s["files_per_s"])
    return best


if __name__ == "__main__":
    main()
