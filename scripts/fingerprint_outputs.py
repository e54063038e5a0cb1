"""Run the demo in a scratch folder and write what must not change when code only moves.

A refactor is safe when two fingerprints are byte-identical: `diff -r A/fingerprint
B/fingerprint` prints nothing. The fingerprint holds ranked_issues.csv, summary.json
without its run id and timestamp, the PDF's text and the HTML the PDF was drawn from.
The text is pdftotext's plain reading: `-layout` pads columns by glyph positions, so its
spacing moves with the run id's widths.

    python scripts/fingerprint_outputs.py /tmp/fp-before   # on the old commit
    python scripts/fingerprint_outputs.py /tmp/fp-after    # on the new one
    diff -r /tmp/fp-before/fingerprint /tmp/fp-after/fingerprint
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WEEK = "2026-W48"  # a fixed demo week, so the fingerprint does not depend on today's date
_VOLATILE = {"run_id", "generated_at"}
_RUN_ID = re.compile(r"\d{4}-W\d{2}-\d{8}T\d{6}-[0-9a-f]{6}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="scratch folder (emptied first)")
    parser.add_argument("--week", default=WEEK)
    args = parser.parse_args()
    folder: Path = args.folder.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copyfile(REPO / "topics" / "taxonomy.yaml", folder / "taxonomy.yaml")
    env = {**os.environ, "PULSE_TAXONOMY": str(folder / "taxonomy.yaml"),
           "PULSE_CONFIG": str(folder / "absent.toml")}
    pulse = Path(sys.executable).with_name("pulse")
    subprocess.run([str(pulse), "run", "--quiet", "--week", args.week],
                   cwd=folder, env=env, check=True)
    out = folder / "outputs" / args.week
    fp = folder / "fingerprint"
    fp.mkdir()
    shutil.copyfile(out / "ranked_issues.csv", fp / "ranked_issues.csv")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in _VOLATILE:
        summary.pop(key, None)
    dumped = json.dumps(summary, indent=1, sort_keys=True)
    (fp / "summary.json").write_text(dumped, encoding="utf-8")
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    (fp / "report.txt").write_text(_RUN_ID.sub("RUN", text), encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    (fp / "report.html").write_text(_RUN_ID.sub("RUN", html), encoding="utf-8")
    print(fp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
