"""Report render time: a 15-issue week with a detail section for every issue.

    /tmp/venvtest/bin/python bench/render.py
    /tmp/venvtest/bin/python bench/render.py --issues 15 --repeat 3

Uses the sample context from tests/report_context.py (six KPIs, 15 ranked issues,
each with 12 weeks of history, mixes, keywords and quotes). Each repeat runs
``render_report`` end to end into a temporary folder (charts, templates,
WeasyPrint layout and PDF, CSV and JSON, atomic swap), then times the stages
separately once so the table shows where the time goes. Wall time depends on
what else the machine runs, so CPU time of this process is shown beside it.
The last line is JSON: render_s (best wall seconds of render_report), render_cpu_s,
pages, pdf_kib and the stage seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weasyprint import HTML  # noqa: E402

from pulse.config import TEMPLATES_DIR  # noqa: E402
from pulse.report.render import (  # noqa: E402
    TemplateFolderFetcher,
    _render_view,
    render_report,
)
from pulse.report.view import build_view  # noqa: E402
from tests.report_context import sample_context  # noqa: E402


def _timed(call):
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # WeasyPrint warns once per font that HarfBuzz-Subset is missing; not ours to fix here.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    context = sample_context(args.issues)
    runs = []
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as scratch:
        out_dir = Path(scratch) / context.week
        for _ in range(args.repeat):
            paths, wall, cpu = _timed(
                lambda: render_report(context, out_dir, detail_issues=args.issues)
            )
            runs.append((wall, cpu))
        summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
        pdf_kib = paths["pdf"].stat().st_size / 1024

    view, view_s, view_cpu = _timed(lambda: build_view(context, args.issues))
    html, html_s, html_cpu = _timed(lambda: _render_view(view, TEMPLATES_DIR, False))
    document, layout_s, layout_cpu = _timed(
        lambda: HTML(
            string=html,
            base_url=TEMPLATES_DIR.as_uri() + "/",
            url_fetcher=TemplateFolderFetcher(TEMPLATES_DIR),
        ).render()
    )
    _, pdf_s, pdf_cpu = _timed(lambda: document.write_pdf())

    best_wall, best_cpu = min(runs)
    rows = [
        ("charts + view model", view_s, view_cpu),
        ("jinja2 HTML", html_s, html_cpu),
        ("weasyprint layout", layout_s, layout_cpu),
        ("weasyprint PDF write", pdf_s, pdf_cpu),
        (f"render_report (best of {args.repeat})", best_wall, best_cpu),
    ]
    print(f"{args.issues} issues, {args.issues} detail sections, {summary['pages']} pages, "
          f"PDF {pdf_kib:,.0f} KiB")
    print(f"{'stage':<34}{'wall s':>8}{'cpu s':>8}")
    for name, wall, cpu in rows:
        print(f"{name:<34}{wall:>8.2f}{cpu:>8.2f}")
    print(json.dumps({
        "render_s": round(best_wall, 2),
        "render_cpu_s": round(best_cpu, 2),
        "render_runs_s": [round(wall, 2) for wall, _ in runs],
        "pages": summary["pages"],
        "pdf_kib": round(pdf_kib, 1),
        "issues": args.issues,
        "detail_sections": args.issues,
        "stage_s": {
            "view": round(view_s, 2), "html": round(html_s, 2),
            "layout": round(layout_s, 2), "pdf": round(pdf_s, 2),
        },
    }))


if __name__ == "__main__":
    main()
