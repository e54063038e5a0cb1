"""The taxonomy editor in a real browser: Debian's chromium, driven by Playwright.

A CX person's afternoon, end to end: open the list, open a topic, rename it, merge two
topics (through the merge preview), undo the merge, press "Re-render" and read the PDF
the page links. The app runs under uvicorn on a free loopback port, on this module's own
copy of the demo database (see tests/test_editor.py). Screenshots of the list and of a
topic's page are written to `$PULSE_EDITOR_SCREENSHOTS` when it is set.

Skipped, with the reason, only where the browser cannot be had: `scripts/setup.sh --dev`
installs both chromium (apt) and playwright (pip). Playwright's own browser download is
never used.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from pulse.topics import history
from pulse.topics.taxonomy import read_taxonomy
from tests.test_editor import make_site, pair_of_themes

CHROMIUM = Path("/usr/bin/chromium")

playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed; `bash scripts/setup.sh --dev` installs it",
)
if not CHROMIUM.exists():
    pytest.skip(
        f"Debian's chromium is not at {CHROMIUM}; `bash scripts/setup.sh --dev` installs it "
        "with apt-get",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def served(demo_run, tmp_path_factory):
    """The editor under uvicorn on 127.0.0.1, on this module's copy of the demo run."""
    import uvicorn

    with pytest.MonkeyPatch.context() as monkeypatch:
        site = make_site(demo_run, tmp_path_factory.mktemp("editor_browser"), monkeypatch)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the editor did not start within 30 s"
            time.sleep(0.05)
        try:
            yield site, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, served):
    site, _ = served
    site.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(120_000)  # a re-render takes seconds on two shared cores
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page, name: str) -> None:
    folder = os.environ.get("PULSE_EDITOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def flash(page) -> str:
    return " ".join(page.locator(".flash").first.inner_text().split())


def test_rename_merge_undo_and_rerender_in_a_real_browser(served, page):
    from pypdf import PdfReader

    site, base = served
    first, second = pair_of_themes(site)
    issue = site.query(
        "select topic_id from ranked_issues where week = $w order by rank limit 1",
        {"w": site.week},
    )[0][0]

    # the list: every topic, issues with their sub-themes
    page.goto(base + "/")
    assert page.locator("tr[id^=topic-]").count() == len(site.query("select * from topics"))
    screenshot(page, "list")

    # a topic's page, reached by its link, then renamed through its form
    page.click(f"#topic-{issue} th a")
    page.wait_for_url(f"**/topics/{issue}")
    assert page.locator("ol.examples > li").count() == 20
    screenshot(page, "topic")
    page.fill("#rename-name", "Renamed in the browser")
    page.click("form[action$='/rename'] button")
    assert flash(page).startswith(f"topic {issue} is now called 'Renamed in the browser'")
    assert page.locator("h1").inner_text().startswith("Renamed in the browser")
    renamed = site.taxonomy.read_bytes()

    # a merge, through its preview
    page.goto(f"{base}/topics/{first}")
    page.select_option("#into", str(second))
    page.click("form[action$='/merge'] button")
    page.wait_for_url(f"**/topics/{first}/merge?into={second}")
    assert page.locator("[data-merged-volume]").count() == 1
    page.click("form.confirm button")
    assert flash(page).startswith(f"topic {first} now counts under topic {second}")
    assert read_taxonomy(site.taxonomy).edits[-1].merge_into == second

    # undo the merge: the file is back byte for byte
    page.click("nav >> text=History & undo")
    page.click("form[action='/undo'] button")
    assert flash(page).startswith(f"undid 'topic {first} now counts under topic {second}")
    assert site.taxonomy.read_bytes() == renamed
    assert [v.restores for v in history.versions(site.taxonomy)][-1] == 2

    # re-render the week and read the PDF the page links
    page.click(".rerender button")
    link = page.locator("a.flash-link")
    assert link.get_attribute("href") == f"/reports/{site.week}/report.pdf"
    pdf = page.request.get(base + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Renamed in the browser" in " ".join(text.split())


def test_a_page_in_the_browser_runs_no_script_and_shows_a_hostile_name_as_text(served, page):
    site, base = served
    theme, _ = pair_of_themes(site)
    hostile = "<img src=x onerror=\"document.title='owned'\">Refunds"
    page.goto(f"{base}/topics/{theme}")
    page.fill("#rename-name", hostile)
    page.click("form[action$='/rename'] button")
    assert page.locator("h1").inner_text().startswith(hostile)
    assert page.title() != "owned" and page.locator("h1 img").count() == 0
