"""Measure redaction: recall on planted personal data, false positives, texts per second.

Run from the repository root:

    python bench/redact.py

Prints a table, then one JSON line with `recall`, `planted_items`, `false_positive_texts`,
`ordinary_texts`, `false_positive_rate`, `texts_per_s` and `texts_per_s_pii_dense`.
The ordinary texts are the clean records of tests/data/pii_corpus.jsonl plus, when
../shared/data/banking77 exists, its 13,083 queries. Speed is measured on 10k texts
twice: banking77 train (ordinary queries, mostly without digits; the corpus again when
banking77 is absent) and the PII-dense corpus repeated, where every pass runs.
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

from pulse.redact import redact  # noqa: E402

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
            }
        )
    )


if __name__ == "__main__":
    main()
