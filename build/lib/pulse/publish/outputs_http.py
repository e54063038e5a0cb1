"""A read-only http route to the outputs folder, so a run's Prefect artifact can link its PDF.

A browser will not open a `file://` link from a web page (the Prefect UI), so while `pulse
serve` runs it serves the outputs folder on 127.0.0.1 (`serving_outputs`), and its flow runs
link `http://127.0.0.1:PORT/reports/2026-W46/report.pdf` (`report_link`, through the
`reports_url` setting). It answers GET and HEAD of regular files inside the folder and
nothing else: no listing, no other method (501), no hidden file or folder (the embedding
shards under `.shards` hold unredacted texts), no path that leaves the folder (`..`, a
symlink out), each refusal with a status and a line that says why.
"""

from __future__ import annotations

import http.server
import mimetypes
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from pulse.config import load_settings
from pulse.errors import PulseError

ROUTE = "/reports/"


def report_link(pdf: Path, output_dir: Path, reports_url: str) -> str | None:
    """The http URL of `pdf` under `reports_url`, or None when there is no such URL.

    None without a `reports_url`, or when the PDF was written outside the served folder
    (a run given another --output-dir).
    """
    if not reports_url:
        return None
    try:
        relative = pdf.resolve().relative_to(output_dir.resolve())
    except ValueError:
        return None
    return reports_url.rstrip("/") + "/" + quote(relative.as_posix())


def resolve_request(root: Path, request_path: str) -> tuple[Path | None, int, str]:
    """The file a request path names under `root`, or None with the status and the reason."""
    path = unquote(urlsplit(request_path).path)
    if "\x00" in path:
        return None, 400, "a file name has no NUL character"
    if not path.startswith(ROUTE):
        return None, 404, f"only {ROUTE}<week>/<file> is served here"
    parts = [part for part in path[len(ROUTE) :].split("/") if part]
    if any(part == ".." for part in parts):
        return None, 403, "the path leaves the outputs folder"
    if any(part.startswith(".") for part in parts):
        return None, 403, "hidden files and folders are not served"
    root = root.resolve()
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root):
        return None, 403, "the path leaves the outputs folder"  # a symlink out
    if not target.is_file():
        return None, 404, "no such report file (folders are not listed)"
    return target, 200, ""


class OutputsHandler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of files under `root`; any other method gets http.server's 501."""

    root: Path = Path("outputs")
    server_version = "pulse-outputs"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        target, status, reason = resolve_request(self.root, self.path)
        if target is None:
            self.send_error(status, reason)
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(target.stat().st_size))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")  # a rerun rewrites the same path
        self.end_headers()
        if with_body:
            with target.open("rb") as source:
                shutil.copyfileobj(source, self.wfile)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the serve log is for runs, not for every page view


@contextmanager
def serving_outputs(folder: Path, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `folder` read-only on `host:port` (0: any free port) for the block; yields the
    base URL of its reports (`http://127.0.0.1:PORT/reports/`)."""
    handler = type("BoundOutputsHandler", (OutputsHandler,), {"root": folder.resolve()})
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise PulseError(
            f"cannot serve the reports on {host}:{port} ({exc.strerror or exc}): give "
            "`pulse serve --reports-port N`, or 0 for any free port"
        ) from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="pulse-outputs", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}{ROUTE}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serving_reports(port: int) -> Iterator[str]:
    """`pulse serve`'s reports: the outputs folder served for the block, its URL in the
    environment its runs (subprocesses) inherit as the `reports_url` setting.

    Yields the URL the runs' artifacts link to: the `reports_url` setting when it names a
    server of your own (nothing is started then), else this process's read-only route.
    """
    settings = load_settings()
    if settings.reports_url:
        yield settings.reports_url
        return
    with serving_outputs(settings.output_dir, port) as url:
        os.environ["PULSE_REPORTS_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("PULSE_REPORTS_URL", None)
