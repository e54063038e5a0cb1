"""Render the weekly report: HTML, PDF, ranked-issue CSV, summary and run record.

`render_report` takes the `Report` that `pulse.report.context.build_context` builds;
`view` turns it into what the templates lay out and `outputs` writes the data files.

The report shows text written by strangers (ticket and post quotes, and topic
labels and keywords derived from them), so two guards hold whatever the data:

* Jinja2 escapes everything (``autoescape=True``), and ``StrictUndefined`` turns a
  misspelt field into an error instead of a silently blank cell.
* WeasyPrint gets a URL fetcher that serves only files inside the templates
  folder. Even if markup slipped through, it could not make the renderer reach
  the network, read local files or embed attachments.

All outputs for a week are built in a temporary sibling folder and swapped in
with renames, so a crash mid-render never leaves a half-written PDF where last
week's good one was.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

from pulse.config import TEMPLATES_DIR
from pulse.report.formatting import register_filters
from pulse.report.model import Report
from pulse.report.outputs import dump_json, summary, write_ranked_csv
from pulse.report.view import DEFAULT_DETAIL_ISSUES, build_view

# WeasyPrint's CSS parser reports the SVG presentation properties of our own
# matplotlib charts (fill, stroke) as unknown, though its SVG renderer draws them;
# the warnings would only bury real problems in a cron log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


class RefusedURL(ValueError):
    """Raised by the fetcher for any URL outside the templates folder.

    A ValueError (not a fatal error) on purpose: WeasyPrint logs it and leaves the
    resource out, so a stray reference costs a missing image, never a report.
    """


class TemplateFolderFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files from one folder and nothing else.

    Refuses every scheme but ``file:``, any ``file:`` path that resolves (after
    symlinks and ``..``) outside the folder, and anything that is not a regular
    file. Nothing is delegated to urllib, so no request can leave the process.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the file's bytes, or raise RefusedURL saying why it was refused."""
        path = self.resolve(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response_headers = {"Content-Type": content_type}
        if content_type.startswith("text/"):
            response_headers["Content-Type"] = f"{content_type}; charset=utf-8"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), response_headers)

    def resolve(self, url: str) -> Path:
        """Map a URL to a file inside the root, or raise RefusedURL."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise RefusedURL(f"refused {url[:80]!r}: only files in the templates folder load")
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused {url[:80]!r}: remote file hosts are not served")
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
        except (OSError, ValueError):  # e.g. an embedded NUL byte
            raise RefusedURL(f"refused {url[:80]!r}: not a usable file path") from None
        if not path.is_relative_to(self.root):
            raise RefusedURL(f"refused {url[:80]!r}: outside the templates folder")
        if not path.is_file():
            raise RefusedURL(f"refused {url[:80]!r}: no such file in the templates folder")
        return path


@lru_cache(maxsize=8)
def _environment(templates_dir: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    register_filters(env)
    return env


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja2 environment the report uses: escaping on, undefined names fatal."""
    return _environment(str(Path(templates_dir).resolve()))


def _render_view(view: Mapping[str, object], templates_dir: Path, inline_css: bool) -> str:
    css = None
    if inline_css:
        # Our own stylesheet, never data, so it may go in unescaped.
        css = Markup((Path(templates_dir) / "report.css").read_text(encoding="utf-8"))
    template = make_environment(templates_dir).get_template("report.html")
    return template.render(**view, inline_css=css)


def render_html(
    report: Report,
    templates_dir: Path = TEMPLATES_DIR,
    *,
    detail_issues: int = DEFAULT_DETAIL_ISSUES,
    inline_css: bool = False,
) -> str:
    """The report as HTML: linking report.css (what WeasyPrint reads) or with it inlined.

    The inlined form is the report.html users open in a browser: one file that
    looks the same wherever it is copied.
    """
    return _render_view(build_view(report, detail_issues), templates_dir, inline_css)


def render_report(
    report: Report,
    out_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
    *,
    detail_issues: int = DEFAULT_DETAIL_ISSUES,
) -> dict[str, Path]:
    """Write the week's report files into out_dir, replacing the previous set whole.

    Args:
        report: the week's report, from `build_context` (tests/report_context.py
            makes sample ones).
        out_dir: the week's folder, e.g. outputs/2026-W46; created if missing.
        templates_dir: folder with report.html and report.css; also the only
            place the PDF renderer may load files from.
        detail_issues: how many top issues get a section of their own.

    Returns:
        Paths of the written files by name: pdf, html, csv, summary, run.

    Raises:
        PulseError: the report cannot be rendered (bad week or page size).
    """
    out_dir = Path(out_dir)
    templates_dir = Path(templates_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(out_dir)
    token = uuid.uuid4().hex[:10]
    staging = out_dir.parent / f".{out_dir.name}.rendering-{token}"
    staging.mkdir()
    names = {
        "pdf": "report.pdf",
        "html": "report.html",
        "csv": "ranked_issues.csv",
        "summary": "summary.json",
        "run": "run.json",
    }
    try:
        view = build_view(report, detail_issues)
        html_text = _render_view(view, templates_dir, inline_css=False)
        standalone = _render_view(view, templates_dir, inline_css=True)
        (staging / names["html"]).write_text(standalone, encoding="utf-8")
        document = HTML(
            string=html_text,
            base_url=templates_dir.as_uri() + "/",
            url_fetcher=TemplateFolderFetcher(templates_dir),
        ).render()
        with _font_timestamps_from(report.generated_at):
            document.write_pdf(staging / names["pdf"])
        write_ranked_csv(report.issues, staging / names["csv"])
        dump_json(summary(report, len(document.pages)), staging / names["summary"])
        dump_json(report.run, staging / names["run"])
        _swap_in(staging, out_dir, token)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {key: out_dir / name for key, name in names.items()}


@contextmanager
def _font_timestamps_from(generated_at: str | None) -> Iterator[None]:
    """Make the embedded font subsets carry the report's time, not the wall clock.

    Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps
    each subset with the current time, so the same context would give a different
    PDF every run. fontTools honours SOURCE_DATE_EPOCH (the reproducible-builds
    convention); it is set for the write only, and a value the caller set wins.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    epoch = 0
    try:
        moment = datetime.fromisoformat(str(generated_at).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        epoch = max(0, int(moment.timestamp()))
    except ValueError:
        pass
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _recover_interrupted_swap(out_dir: Path) -> None:
    """Finish what a crash between the two renames of `_swap_in` left undone.

    If the week's folder is missing but a retired copy exists, the retired copy is
    the last good report: put it back. Retired copies next to a present folder are
    leftovers and go.
    """
    retired = sorted(
        out_dir.parent.glob(f".{out_dir.name}.previous-*"),
        key=lambda path: path.stat().st_mtime,
    )
    if retired and not out_dir.exists():
        retired.pop().rename(out_dir)
    for leftover in retired:
        shutil.rmtree(leftover, ignore_errors=True)


def _swap_in(staging: Path, out_dir: Path, token: str) -> None:
    """Replace out_dir by staging with two renames; the old folder goes last.

    Between the renames out_dir briefly does not exist, but the old report is
    still whole on disk under a hidden name, so nothing good is ever lost.
    """
    retired = out_dir.parent / f".{out_dir.name}.previous-{token}"
    had_previous = out_dir.exists()
    if had_previous:
        out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except BaseException:
        if had_previous:
            retired.rename(out_dir)
        raise
    if had_previous:
        shutil.rmtree(retired, ignore_errors=True)
