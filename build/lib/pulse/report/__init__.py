"""The weekly report: a typed model read from DuckDB, rendered to PDF, HTML, CSV and JSON.

`build_context` (context.py) reads one run's week into a `Report` (model.py); the
renderer (render.py) lays it out through the templates in report_templates/, whose
figures are written by formatting.py's filters and whose sentences come from wording.py.
"""

from pulse.report.context import build_context
from pulse.report.render import render_report

__all__ = ["build_context", "render_report"]
