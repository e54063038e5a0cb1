"""Measure redaction: recall on planted personal data, false positives, texts per second.

Run from the repository root:

    python bench/redact.py                       # the working tree
    python bench/redact.py --baseline 04c6ea9    # and an earlier commit's speed, same run

Recall: every item planted in tests/data/pii_corpus.jsonl (`scripts/make_pii_corpus.py`,
at least 30 per kind) must be gone and its token in its place. False positives: the
share of ordinary texts that redaction changes, per set: the corpus's clean records and,
when ../shared/data is there, banking77 (train + test), Bitext's customer-service
utterances (8k), the SpotifyCares tweets of twcs, the Apple tweets, the Threads app
reviews and the corona shopping tweets. In the tweet sets a private @handle is masked by
design (it names a person), so a tweet counts as changed only when another kind changed
it; the handles are counted apart. A few changed texts of each set are printed, so a
reader can tell a false alarm from a name or number that really is personal.

Speed is measured on 10k texts twice: banking77 train (ordinary queries, mostly without
digits; the corpus again when banking77 is absent) and the PII-dense corpus repeated,
where every pass runs. Both sets are also redacted the way ingest does it (gates in
DuckDB, then only the open passes in Python): `texts_per_s_ingest` and
`texts_per_s_pii_dense_ingest`; `gated_mismatches` counts texts where that differs from
`redact` (it must be 0). With --baseline REF each version is timed in a child process of
its own (REF from a temporary git worktree), alternating, best of --rounds, so both meet
the same machine load. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pulse.demo import BRAND_HANDLES  # noqa: E402
from pulse.redact import KINDS, redact, redaction_counts  # noqa: E402

CORPUS_PATH = REPO_ROOT / "tests" / "data" / "pii_corpus.jsonl"
DATA = REPO_ROOT.parent / "shared" / "data"
BANKING77_DIR = DATA / "banking77"
SPEED_TEXTS = 10_000
EXAMPLES_SHOWN = 4

# Ordinary sets: name -> (path, column, encoding, brand handles the texts are addressed to).
ORDINARY_SETS: dict[str, tuple[Path, str, str, tuple[str, ...]]] = {
    "bitext_8k": (
        DATA
        / "bitext_customer_support"
        / "customer_service_8k"
        / "Bitext_Sample_Customer_Service_Training_Dataset.csv",
        "utterance",
        "utf-8-sig",
        (),
    ),
    "twcs_spotifycares": (
        DATA / "twcs_customer_support_twitter" / "spotifycares_inbound_requests.csv",
        "text",
        "utf-8",
        ("SpotifyCares", "Spotify"),
    ),
    "apple_tweets": (
        DATA / "apple_twitter_sentiment" / "Apple-Twitter-Sentiment-DFE.csv",
        "text",
        "latin-1",
        ("Apple", "AppleSupport"),
    ),
    "threads_reviews": (
        DATA / "threads_app_reviews" / "threads_reviews.csv",
        "review_description",
        "utf-8",
        (),
    ),
    "corona_tweets": (
        DATA / "corona_nlp_tweets_march2020" / "Corona_NLP_test.csv",
        "OriginalTweet",
        "latin-1",
        (),
    ),
}

# Times redact() and the ingest path of the code at sys.argv[1] on the texts in the JSON
# file sys.argv[2]; prints one JSON line. A child process, so a baseline can be timed too.
MEASURE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb, pyarrow as pa
from pulse.db import sql_text
from pulse.ingest.clean import clean_text
try:
    from pulse.ingest.redaction import redact_candidates
except ImportError:  # a baseline from before pulse/ingest/redaction.py (issue 21)
    from pulse.ingest.clean import redact_candidates
from pulse.redact import ANY_GATE, GATE_CHARSET, PASS_GATES, redact
sets = json.loads(open(sys.argv[2], encoding="utf-8").read())
brand = tuple(sets["brand"])

def direct(texts):
    started = time.perf_counter()
    out = [redact(text, brand) for text in texts]
    return out, len(texts) / (time.perf_counter() - started)

def ingest(texts):
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("create temp table ingest_typed "
                "(line bigint, text varchar, is_redaction_candidate boolean)")
    con.register("ingest_messy_cleaned", pa.table({"line": range(len(texts)), "text": texts}))
    params = {"gate_charset": GATE_CHARSET, "any_gate": ANY_GATE}
    params.update({f"gate_{name}": pattern for name, pattern in PASS_GATES.items()})
    candidates = con.sql(sql_text("stg_ingest_redact_candidates"), params=params).to_arrow_table()
    masked = redact_candidates(candidates, brand)
    by_line = dict(zip(masked.column("line").to_pylist(),
                       masked.column("text_redacted").to_pylist(), strict=True))
    out = [by_line.get(line, text) for line, text in enumerate(texts)]
    return out, len(texts) / (time.perf_counter() - started), candidates.num_rows

result = {}
for name in ("ordinary", "dense"):
    texts = sets[name]
    _, result[f"{name}_direct"] = direct(texts)
    cleaned = [clean_text(text) for text in texts]
    ingest(cleaned[:10])  # warm-up: DuckDB's first query imports its helpers
    gated, result[f"{name}_ingest"], result[f"{name}_candidates"] = ingest(cleaned)
    expected, _ = direct(cleaned)
    result[f"{name}_mismatches"] = sum(a != b for a, b in zip(gated, expected, strict=True))
print(json.dumps(result))
"""


def _csv_texts(path: Path, column: str, encoding: str) -> list[str]:
    with path.open(encoding=encoding, newline="") as rows:
        return [row[column] for row in csv.DictReader(rows) if row.get(column)]


def _banking77_texts() -> list[str]:
    texts: list[str] = []
    for split in ("train", "test"):
        path = BANKING77_DIR / f"{split}.csv"
        if path.exists():
            texts += _csv_texts(path, "text", "utf-8")
    return texts


def _ordinary_sets(clean_corpus: list[str]) -> Iterator[tuple[str, list[str], tuple[str, ...]]]:
    yield "pii_corpus_clean", clean_corpus, BRAND_HANDLES
    banking77 = _banking77_texts()
    if banking77:
        yield "banking77", banking77, ()
    for name, (path, column, encoding, brand) in ORDINARY_SETS.items():
        if path.exists():
            yield name, _csv_texts(path, column, encoding), brand


def _false_positives(texts: list[str], brand: tuple[str, ...]) -> dict:
    """Texts changed by some kind other than a private @handle, and the kinds that did it."""
    changed: list[tuple[str, str]] = []
    by_kind: Counter[str] = Counter()
    handles = 0
    for text in texts:
        counts = redaction_counts(text, brand)
        handles += counts["handle"] > 0
        kinds = [kind for kind in KINDS if kind != "handle" and counts[kind]]
        if kinds:
            by_kind.update(kinds)
            changed.append((text, redact(text, brand)))
    return {"texts": len(texts), "changed": changed, "by_kind": by_kind, "handles": handles}


def _recall(records: list[dict]) -> tuple[Counter[str], Counter[str], list[str]]:
    planted: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    misses: list[str] = []
    for record in records:
        redacted = redact(record["text"], BRAND_HANDLES)
        for item in record["planted"]:
            planted[item["kind"]] += 1
            leaked = any(fragment in redacted for fragment in item["fragments"])
            if leaked or item["token"] not in redacted:
                missed[item["kind"]] += 1
                misses.append(f"{item['kind']} {item['value']!r} -> {redacted!r}")
    return planted, missed, misses


def _measure(root: Path, texts_file: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(root), str(texts_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _speeds(baseline: str | None, rounds: int, ordinary: list[str], dense: list[str]) -> dict:
    """Best-of-`rounds` speeds of the working tree and, if given, of git ref `baseline`."""
    workdir = Path(tempfile.mkdtemp(prefix="pulse-bench-redact-", dir="/tmp"))
    texts_file = workdir / "texts.json"
    payload = {"ordinary": ordinary, "dense": dense, "brand": list(BRAND_HANDLES)}
    texts_file.write_text(json.dumps(payload), encoding="utf-8")
    versions = {"current": REPO_ROOT}
    if baseline:
        target = workdir / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(target), baseline],
            check=True,
            capture_output=True,
        )
        versions["baseline"] = target
    runs: dict[str, list[dict]] = {name: [] for name in versions}
    try:
        for _ in range(rounds):
            for name, root in versions.items():  # alternating, so drift hits both alike
                runs[name].append(_measure(root, texts_file))
    finally:
        if "baseline" in versions:
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force",
                 str(versions["baseline"])],
                check=False,
                capture_output=True,
            )  # fmt: skip
        texts_file.unlink(missing_ok=True)
        workdir.rmdir()
    best: dict[str, dict] = {}
    for name, results in runs.items():
        best[name] = {
            key: (max if key.endswith(("_direct", "_ingest")) else min)(r[key] for r in results)
            for key in results[0]
        }
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REF", help="also time this git commit")
    parser.add_argument("--rounds", type=int, default=3, help="timings of each version")
    args = parser.parse_args()

    with CORPUS_PATH.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    planted, missed, misses = _recall(records)
    clean = [record["text"] for record in records if not record["planted"]]
    sets = {name: (_false_positives(texts, brand)) for name, texts, brand in _ordinary_sets(clean)}

    banking77 = _banking77_texts()
    dense = [records[index % len(records)]["text"] for index in range(SPEED_TEXTS)]
    ordinary = banking77[:SPEED_TEXTS] if len(banking77) >= SPEED_TEXTS else dense
    speeds = _speeds(args.baseline, args.rounds, ordinary, dense)

    print(f"{'kind':<10}{'planted':>9}{'missed':>8}{'recall':>9}")
    for kind in KINDS:
        recall = 1 - missed[kind] / planted[kind] if planted[kind] else float("nan")
        print(f"{kind:<10}{planted[kind]:>9}{missed[kind]:>8}{recall:>9.2%}")
    total_planted, total_missed = sum(planted.values()), sum(missed.values())
    print(f"{'all':<10}{total_planted:>9}{total_missed:>8}{1 - total_missed / total_planted:>9.2%}")
    for miss in misses[:10]:
        print(f"  missed: {miss}")
    print()
    print(f"{'ordinary set':<20}{'texts':>8}{'changed':>9}{'share':>9}  by kind (@handles apart)")
    for name, found in sets.items():
        share = len(found["changed"]) / found["texts"]
        kinds = ", ".join(f"{kind} {count}" for kind, count in found["by_kind"].most_common())
        print(
            f"{name:<20}{found['texts']:>8}{len(found['changed']):>9}{share:>9.2%}  "
            f"{kinds or '-'}; handles {found['handles']}"
        )
    missing = [name for name in ORDINARY_SETS if name not in sets]
    if "banking77" not in sets:
        missing.insert(0, "banking77")
    if missing:
        print(f"skipped (not in {DATA}): {', '.join(missing)}")
    for name, found in sets.items():
        for before, after in found["changed"][:EXAMPLES_SHOWN]:
            print(f"  {name}: {before[:150]!r}\n  {'':>{len(name)}}  -> {after[:150]!r}")
    print()
    source = "banking77" if ordinary is not dense else "pii corpus, repeated"
    header = f"{'ordinary/s':>12}{'dense/s':>10}{'ingest ord/s':>14}{'ingest dense/s':>16}"
    print(f"{'version':<10}{header}")
    for name, speed in speeds.items():
        print(
            f"{name:<10}{speed['ordinary_direct']:>12,.0f}{speed['dense_direct']:>10,.0f}"
            f"{speed['ordinary_ingest']:>14,.0f}{speed['dense_ingest']:>16,.0f}"
        )
    current = speeds["current"]
    print(
        f"(texts/s, best of {args.rounds}: redact() and as ingest runs it, DuckDB gates then "
        f"open passes; ordinary = {len(ordinary):,} {source} texts, of which "
        f"{current['ordinary_candidates']:,} reach Python at ingest; dense = {SPEED_TEXTS:,} "
        "corpus texts)"
    )
    mismatches = current["ordinary_mismatches"] + current["dense_mismatches"]
    print(f"ingest path differs from redact() on {mismatches} texts")

    ordinary_total = sum(found["texts"] for found in sets.values())
    changed_total = sum(len(found["changed"]) for found in sets.values())
    baseline = speeds.get("baseline")
    print(
        json.dumps(
            {
                "recall": round(1 - total_missed / total_planted, 4),
                "recall_by_kind": {
                    kind: round(1 - missed[kind] / planted[kind], 4) for kind in sorted(planted)
                },
                "planted_items": total_planted,
                "false_positive_texts": changed_total,
                "ordinary_texts": ordinary_total,
                "false_positive_rate": round(changed_total / ordinary_total, 5),
                "false_positive_rate_by_set": {
                    name: round(len(found["changed"]) / found["texts"], 5)
                    for name, found in sets.items()
                },
                "texts_per_s": round(current["ordinary_direct"]),
                "texts_per_s_pii_dense": round(current["dense_direct"]),
                "texts_per_s_ingest": round(current["ordinary_ingest"]),
                "texts_per_s_pii_dense_ingest": round(current["dense_ingest"]),
                "ingest_candidates_ordinary": current["ordinary_candidates"],
                "gated_mismatches": mismatches,
                "baseline": (
                    {
                        "ref": args.baseline,
                        "texts_per_s": round(baseline["ordinary_direct"]),
                        "texts_per_s_pii_dense": round(baseline["dense_direct"]),
                        "texts_per_s_ingest": round(baseline["ordinary_ingest"]),
                        "texts_per_s_pii_dense_ingest": round(baseline["dense_ingest"]),
                        "ingest_candidates_ordinary": baseline["ordinary_candidates"],
                    }
                    if baseline
                    else None
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
