"""The e-mail's HTML body in a real browser (Debian's chromium, driven by Playwright).

A mail client is a browser with remote content blocked: the body must read the same with
nothing fetched, and a hostile issue name must stay text. The page is loaded with every
request recorded; a screenshot goes to `$PULSE_EMAIL_SCREENSHOT` when it is set.

Skipped, with the reason, only where the browser cannot be had: `scripts/setup.sh --dev`
installs both chromium (apt) and playwright (pip).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pulse.config import SmtpSettings
from pulse.publish.delivery import build_message
from tests.test_delivery import HOSTILE_LABEL, REPORT_URL, _leader_week_folder

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


def test_email_html_reads_in_a_browser_without_fetching_anything(tmp_path):
    folder = _leader_week_folder(tmp_path)
    smtp = SmtpSettings(
        enabled=True,
        host="127.0.0.1",
        sender="pulse@pronet.example",
        recipients=["cx-lead@pronet.example"],
        report_url=REPORT_URL,
    )
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    message = build_message(smtp, "2026-W46", folder / "report.pdf", summary)
    html = message.get_body(("html",)).get_content()

    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            # a phone's width: the narrowest screen a leader reads this on
            page = browser.new_page(viewport={"width": 375, "height": 800})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.set_content(html, wait_until="load")
            assert requests == []
            assert dialogs == []  # no alert() ran
            assert page.locator("script, img").count() == 0
            assert page.get_by_text(HOSTILE_LABEL, exact=True).is_visible()
            assert page.get_by_text("Owner: Billing team").is_visible()
            assert page.locator("h1").inner_text() == "Week 46, 2026"
            # nothing wider than the phone: no sideways scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            if os.environ.get("PULSE_EMAIL_SCREENSHOT"):
                page.screenshot(path=os.environ["PULSE_EMAIL_SCREENSHOT"], full_page=True)
        finally:
            browser.close()
