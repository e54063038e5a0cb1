"""What happened to each file of a load: its report, and the table the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pulse.ingest.reasons import ReasonCount


@dataclass
class FileReport:
    """What happened to one file; the CLI prints one line of these per file.

    The books balance for every file that was read:
    ``rows_in == rows_loaded + rows_rejected + rows_duplicate``. `rows_in` counts
    feedback candidates: a mapping's staging can set aside records that are not
    feedback at all (TWCS brand replies), counted in `rows_filtered` and not in
    `rows_in`. `rows_loaded` includes rows already present and unchanged; of
    them, `rows_new` were inserted and `rows_updated` replaced an older version.
    """

    file: str
    source: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    skipped: bool = False
    seconds: float = 0.0
    error: str | None = None
    rows_filtered: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    reject_reasons: list[ReasonCount] = field(default_factory=list)
    #: A skipped file's (rows_in, rows_rejected) when it was loaded, so its verdict stands.
    earlier_rows: tuple[int, int] | None = None

    @property
    def rows_judged(self) -> tuple[int, int]:
        """(rows in, rows rejected) of this reading, or of the earlier one a skip stands on."""
        if self.skipped and self.earlier_rows:
            return self.earlier_rows
        return self.rows_in, self.rows_rejected

    @property
    def rejected_share(self) -> float:
        """The share of the file's rows that were rejected (at its earlier load if skipped)."""
        rows_in, rows_rejected = self.rows_judged
        return rows_rejected / rows_in if rows_in else 0.0


def load_line(report: FileReport) -> str:
    """One file's load in a sentence, as `pulse run` prints it: rows in, loaded (new),
    rejected with the most common reason, duplicates, records that are not feedback; or
    why it was skipped."""
    name = Path(report.file).name
    if report.error:
        return f"{name}: not loaded: {report.error}"
    if report.skipped:
        return f"{name}: loaded before, unchanged: skipped"
    said = [f"{report.rows_in:,} rows", f"{report.rows_loaded:,} loaded ({report.rows_new:,} new)"]
    if report.rows_rejected:
        top = max(report.reject_reasons, key=lambda r: r.rows, default=None)
        why = f" (most: {top.kind}, {top.rows:,})" if top else ""
        said.append(f"{report.rows_rejected:,} rejected{why}")
    if report.rows_duplicate:
        plural = "s" if report.rows_duplicate != 1 else ""
        said.append(f"{report.rows_duplicate:,} duplicate{plural}")
    if report.rows_filtered:
        said.append(f"{report.rows_filtered:,} set aside as not feedback (e.g. brand replies)")
    line = f"{name}: " + ", ".join(said)
    return line + ("; `pulse rejected` lists every row" if report.rows_rejected else "")


def format_report_table(reports: Sequence[FileReport], max_rejected_share: float = 0.5) -> str:
    """The per-file table the CLI prints after a load (status says when most rows failed)."""
    headers = ("file", "source", "in", "loaded", "new", "rejected", "dupes", "status", "seconds")
    rows = []
    for report in reports:
        status = "error" if report.error else ("skipped" if report.skipped else "ok")
        if not report.error and report.rejected_share > max_rejected_share:
            status = f"FAILED: {report.rejected_share:.0%} rejected"
        rows.append(
            (
                report.file,
                report.source,
                f"{report.rows_in:,}",
                f"{report.rows_loaded:,}",
                f"{report.rows_new:,}",
                f"{report.rows_rejected:,}",
                f"{report.rows_duplicate:,}",
                status,
                f"{report.seconds:.2f}",
            )
        )
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    numeric = {2, 3, 4, 5, 6, 8}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    for report in reports:
        if report.skipped:
            out.append(f"{report.file}: already loaded (same bytes); skipped")
        if report.error:
            out.append(f"{report.file}: {report.error}")
    if any(r.rows_filtered for r in reports):
        filtered = sum(r.rows_filtered for r in reports)
        out.append(
            f"{filtered:,} records were not feedback (e.g. brand replies) and were set aside"
        )
    return "\n".join(out)
