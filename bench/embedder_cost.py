"""What a text costs to embed with each serving embedder, today's default as the baseline.

The weekly run embeds a window with `minilm-onnx-int8-v2` (English) or
`use-multilingual-v3` (once languages mix, pulse.embed.choice). Both are timed here
end to end as the pipeline calls them (`pulse.embed.encode`: tokenizer, batching and
normalising included), in one process, on the same texts, in interleaved rounds with the
order rotated; wall and CPU milliseconds per text, medians over the rounds.

Texts: the demo's tickets and posts with its other languages (`generate_demo`), the
length mix of a real support week. A model's first call (loading, compiling) is timed
apart and left out of the rounds.

Usage:  python bench/embedder_cost.py [--texts 2000] [--rounds 5]
Last line: one JSON object with every figure; `baseline` is today's default embedder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pulse  # noqa: E402,F401  (offline and cache environment first)

BASELINE = "minilm-onnx-int8-v2"
CANDIDATES = (BASELINE, "use-multilingual-v3")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def demo_texts(count: int) -> list[str]:
    """`count` demo texts (tickets and posts, every language the demo writes), seeded."""
    import csv

    from pulse.demo import generate_demo

    with tempfile.TemporaryDirectory() as folder:
        generate_demo(Path(folder), scale=max(0.5, count / 5000))
        texts = []
        with (Path(folder) / "tickets.csv").open(encoding="utf-8", newline="") as handle:
            texts += [f"{row['subject']}\n{row['body']}" for row in csv.DictReader(handle)]
        with (Path(folder) / "social.jsonl").open(encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    step = max(1, len(texts) // count)
    return texts[::step][:count]


def timed(model: str, texts: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (this process and its threads) of one `encode` call."""
    from pulse.embed import encode

    wall, cpu = time.perf_counter(), time.process_time()
    encode(texts, model_name=model)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    texts = demo_texts(args.texts)
    print(f"{len(texts):,} demo texts, {os.cpu_count()} cores, load {load()}", flush=True)
    first = {}
    for model in CANDIDATES:
        first[model] = round(timed(model, texts[:50])[0], 2)
        print(f"  first call of {model} (50 texts, loading included): {first[model]} s")
    walls: dict[str, list[float]] = {m: [] for m in CANDIDATES}
    cpus: dict[str, list[float]] = {m: [] for m in CANDIDATES}
    for round_ in range(args.rounds):
        order = CANDIDATES[round_ % len(CANDIDATES) :] + CANDIDATES[: round_ % len(CANDIDATES)]
        for model in order:
            wall, cpu = timed(model, texts)
            walls[model].append(wall)
            cpus[model].append(cpu)
        print(f"  round {round_ + 1}: load {load()}", flush=True)

    rows = {}
    print(
        f"\n{'embedder':<22} {'wall ms/text':>12} {'CPU ms/text':>12} "
        f"{'texts/s':>9} {'vs baseline':>12}"
    )
    base_wall = statistics.median(walls[BASELINE])
    for model in CANDIDATES:
        wall, cpu = statistics.median(walls[model]), statistics.median(cpus[model])
        rows[model] = {
            "wall_ms_per_text": round(1000 * wall / len(texts), 3),
            "cpu_ms_per_text": round(1000 * cpu / len(texts), 3),
            "texts_per_s": round(len(texts) / wall, 1),
            "wall_vs_baseline": round(wall / base_wall, 2),
            "first_call_s": first[model],
        }
        row = rows[model]
        print(
            f"{model:<22} {row['wall_ms_per_text']:>12.3f} {row['cpu_ms_per_text']:>12.3f} "
            f"{row['texts_per_s']:>9,.1f} {row['wall_vs_baseline']:>11.2f}x"
        )
    print(
        json.dumps(
            {
                "texts": len(texts),
                "rounds": args.rounds,
                "baseline": BASELINE,
                "embedders": rows,
                "load_end": load(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
