"""Measure redaction: recall on planted personal data, false positives, texts per second.

Run from the repository root:

    python bench/redact.py

Prints a table, then one JSON line with `recall`, `planted_items`, `false_positive_texts`,
`ordinary_texts`, `false_positive_rate`, `texts_per_s` and `texts_per_s_pii_dense`.
The ordinary texts are the clean records of tests/data/pii_corpus.jsonl plus, when
../shared/data/banking77 exists, its 13,083 queries. Speed is measured on 10k texts
twice: banking77 train (ordinary queries, mostly without digits; the corpus again when
banking77 is absent) and the PII-dense corpus repeated, where every pass runs. Both sets
are also redacted the way ingest does it (gates in DuckDB, then only the open passes in
Python): `texts_per_s_ingest` and `texts_per_s_pii_dense_ingest`, and `gated_mismatches`
counts texts where that differs from `redact` (it must be 0).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402

from pulse.db import sql_text  # noqa: E402
from pulse.ingest.clean import clean_text, redact_candidates  # noqa: E402
from pulse.redact import ANY_GATE, GATE_CHARSET, PASS_GATES, redact  # noqa: E402

CORPUS_PATH = REPO_ROOT / "tests" / "data" / "pii_corpus.jsonl"
BANKING77_DIR = REPO_ROOT.parent / "shared" / "data" / "banking77"
SPEED_TEXTS = 10_000


def _banking77_texts() -> list[str]:
    texts: list[str] = []
    for split in ("train", "test"):
        path = BANKING77_DIR / f"{split}.csv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as rows:
                texts += [row["text"] for row in csv.DictReader(rows)]
    return texts


def _texts_per_s(texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        redact(text)
    return len(texts) / (time.perf_counter() - started)


def _ingest_redact(texts: list[str]) -> tuple[list[str], float]:
    """Redact as ingest does; returns the texts and texts per second."""
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        "create temp table ingest_typed (line bigint, text varchar, is_redaction_candidate boolean)"
    )
    con.register("ingest_messy_cleaned", pa.table({"line": range(len(texts)), "text": texts}))
    params: dict[str, object] = {"gate_charset": GATE_CHARSET, "any_gate": ANY_GATE}
    params.update({f"gate_{name}": pattern for name, pattern in PASS_GATES.items()})
    candidates = con.sql(sql_text("stg_ingest_redact_candidates"), params=params).to_arrow_table()
    masked = redact_candidates(candidates, ("ProNetHelp", "ProNet"))
    by_line = dict(
        zip(
            masked.column("line").to_pylist(),
            masked.column("text_redacted").to_pylist(),
            strict=True,
        )
    )
    result = [by_line.get(line, text) for line, text in enumerate(texts)]
    return result, len(texts) / (time.perf_counter() - started)


def main() -> None:
    with CORPUS_PATH.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]

    planted: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for record in records:
        redacted = redact(record["text"])
        for item in record["planted"]:
            planted[item["kind"]] += 1
            leaked = any(fragment in redacted for fragment in item["fragments"])
            if leaked or item["token"] not in redacted:
                missed[item["kind"]] += 1

    clean = [record["text"] for record in records if not record["planted"]]
    banking77 = _banking77_texts()
    clean_changed = sum(redact(text) != text for text in clean)
    banking77_changed = sum(redact(text) != text for text in banking77)

    dense_texts = [records[index % len(records)]["text"] for index in range(SPEED_TEXTS)]
    speed_texts = banking77[:SPEED_TEXTS] if len(banking77) >= SPEED_TEXTS else dense_texts
    texts_per_s = _texts_per_s(speed_texts)
    dense_texts_per_s = _texts_per_s(dense_texts)
    # ingest redacts cleaned texts
    speed_clean = [clean_text(text) for text in speed_texts]
    dense_clean = [clean_text(text) for text in dense_texts]
    _ingest_redact(dense_clean[:10])  # warm-up: DuckDB's first query imports its helpers
    gated, ingest_texts_per_s = _ingest_redact(speed_clean)
    dense_gated, dense_ingest_texts_per_s = _ingest_redact(dense_clean)
    mismatches = sum(
        mine != redact(text)
        for text, mine in zip(speed_clean + dense_clean, gated + dense_gated, strict=True)
    )

    print(f"{'kind':<10}{'planted':>9}{'missed':>8}{'recall':>9}")
    for kind in sorted(planted):
        recall = 1 - missed[kind] / planted[kind]
        print(f"{kind:<10}{planted[kind]:>9}{missed[kind]:>8}{recall:>9.2%}")
    total_planted, total_missed = sum(planted.values()), sum(missed.values())
    print(f"{'all':<10}{total_planted:>9}{total_missed:>8}{1 - total_missed / total_planted:>9.2%}")
    print()
    print(f"clean corpus texts changed: {clean_changed}/{len(clean)}")
    if banking77:
        print(f"banking77 texts changed:    {banking77_changed}/{len(banking77)}")
    else:
        print(f"banking77 skipped: {BANKING77_DIR} is absent")
    source = "banking77" if speed_texts is not dense_texts else "pii corpus, repeated"
    print(f"speed: {texts_per_s:,.0f} texts/s on {len(speed_texts):,} texts ({source})")
    print(f"speed: {dense_texts_per_s:,.0f} texts/s on {SPEED_TEXTS:,} PII-dense corpus texts")
    print(
        f"as ingest runs it (DuckDB gates, open passes only): {ingest_texts_per_s:,.0f} and "
        f"{dense_ingest_texts_per_s:,.0f} texts/s; differs from redact() on {mismatches} texts"
    )

    ordinary = len(clean) + len(banking77)
    false_positives = clean_changed + banking77_changed
    print(
        json.dumps(
            {
                "recall": round(1 - total_missed / total_planted, 4),
                "planted_items": total_planted,
                "false_positive_texts": false_positives,
                "ordinary_texts": ordinary,
                "false_positive_rate": round(false_positives / ordinary, 5),
                "banking77_included": bool(banking77),
                "texts_per_s": round(texts_per_s),
                "texts_per_s_pii_dense": round(dense_texts_per_s),
                "texts_per_s_ingest": round(ingest_texts_per_s),
                "texts_per_s_pii_dense_ingest": round(dense_ingest_texts_per_s),
                "gated_mismatches": mismatches,
            }
        )
    )


if __name__ == "__main__":
    main()
