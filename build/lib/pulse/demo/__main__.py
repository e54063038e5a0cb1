"""`python -m pulse.demo OUT_DIR [--anchor 2026-W46] [--weeks 12] [--scale 1.0] [--seed N]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pulse.demo.generate import generate_demo
from pulse.weeks import IsoWeek


def main(argv: list[str] | None = None) -> None:
    """`python -m pulse.demo OUT_DIR`: write the demo files from a shell."""
    parser = argparse.ArgumentParser(prog="python -m pulse.demo", description=main.__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--anchor", type=IsoWeek.parse, default=None, help="e.g. 2026-W46")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    truth = generate_demo(args.out_dir, args.anchor, args.weeks, args.scale, args.seed)
    print(f"wrote {len(truth['doc_theme'])} texts for {truth['weeks'][0]}..{truth['anchor_week']}"
          f" to {args.out_dir}")


if __name__ == "__main__":
    main()
