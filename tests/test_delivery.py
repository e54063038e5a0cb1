"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pulse.config import SmtpSettings, load_settings
from pulse.errors import PulseError
from pulse.publish.delivery import send_report, smtp_password
from pulse.report.outputs import dump_json, summary
from pulse.serve import free_port
from tests.report_context import sample_context, sample_kpis, update


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def auth_smtp_server():
    """A server that insists on a login with the password `s3cret`."""
    inbox = _Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"pulse" and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    # Plain-text AUTH is fine on loopback in a test; aiosmtpd warns about it.
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _week_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "outputs" / "2026-W46"
    folder.mkdir(parents=True)
    (folder / "report.pdf").write_bytes(b"%PDF-1.7\n% a stand-in for the report\n%%EOF\n")
    summary = {"issues": [{"rank": 1, "label": "Pending invites"}, {"rank": 2, "label": "Login"}]}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "run.json").write_text(json.dumps({"run_id": "r1"}))
    return folder


HOSTILE_LABEL = '<script>alert("pwned")</script> Refund <img src=x onerror=alert(1)>'
REPORT_URL = "https://intranet.pronet.example/pulse/{week}/report.pdf"


def _leader_week_folder(tmp_path: Path, **dropped) -> Path:
    """A week whose summary.json is written by the report's own `summary()` from a sample
    report: 1,234 texts (+12%), 41% negative (+4 pts), CSAT 3.60, first response 95 min.

    The top issue (1,234 texts from 1,102, 41% negative) has an owner, the second is
    improving, the third's name is hostile markup; `dropped` leaves measures out by key
    (`csat=None`), as a source without them.
    """
    report = sample_context()
    report.kpis = [tile for tile in sample_kpis() if tile.key not in dropped]
    update(
        report.issues[0],
        owner="Billing team",
        volume=1234,
        prev_volume=1102,
        negative_share=0.41,
        mean_csat=3.6,
    )
    update(report.issues[1], is_improving=True)
    update(report.issues[2], label=HOSTILE_LABEL)
    folder = tmp_path / "outputs" / "2026-W46"
    folder.mkdir(parents=True)
    (folder / "report.pdf").write_bytes(b"%PDF-1.7\n% a stand-in for the report\n%%EOF\n")
    dump_json(summary(report, pages=9), folder / "summary.json")
    (folder / "run.json").write_text(json.dumps({"run_id": "r1"}))
    return folder


class _Page(HTMLParser):
    """An HTML body read back: its visible text, each table row's own text (a row holding
    a table does not repeat that table's rows), its tags and attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.rows: list[str] = []
        self._texts: list[str] = []
        self._open_rows: list[list[str]] = []
        self.feed(html)
        self.text = _spaced(self._texts)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "tr":
            self._open_rows.append([])

    def handle_endtag(self, tag):
        if tag == "tr":
            self.rows.append(_spaced(self._open_rows.pop()))

    def handle_data(self, data):
        self._texts.append(data)
        if self._open_rows:
            self._open_rows[-1].append(data)

    def row(self, containing: str) -> str:
        [found] = [row for row in self.rows if containing in row]
        return found


def _spaced(texts: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(texts)).strip()


def _send_and_receive(smtp: SmtpSettings, inbox, folder: Path) -> EmailMessage:
    assert send_report(smtp, "2026-W46", folder / "report.pdf")["status"] == "sent"
    return message_from_bytes(inbox.envelopes[-1].content, policy=default_policy)


def _bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and the HTML body, with the wire's CRLF line ends read as newlines."""
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def _smtp(port: int, **overrides) -> SmtpSettings:
    settings = SmtpSettings(
        enabled=True,
        host="127.0.0.1",
        port=port,
        sender="pulse@pronet.example",
        recipients=["cx-lead@pronet.example", "vp-support@pronet.example"],
        starttls=False,
        timeout_seconds=5,
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


def test_report_is_emailed_to_every_recipient_with_the_pdf_attached(smtp_server, tmp_path):
    controller, inbox = smtp_server
    folder = _week_folder(tmp_path)
    outcome = send_report(_smtp(controller.port), "2026-W46", folder / "report.pdf")
    assert outcome["status"] == "sent"
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["cx-lead@pronet.example", "vp-support@pronet.example"]
    message = message_from_bytes(envelope.content, policy=default_policy)
    assert "2026-W46" in message["Subject"]
    assert "1. Pending invites" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "pulse-2026-W46.pdf"
    assert attachment.get_content() == (folder / "report.pdf").read_bytes()


@pytest.mark.filterwarnings("ignore:Requiring AUTH")
def test_login_takes_the_password_from_the_environment_variable(
    auth_smtp_server, tmp_path, monkeypatch
):
    controller, inbox = auth_smtp_server
    folder = _week_folder(tmp_path)
    smtp = _smtp(controller.port, username="pulse", password_env="PULSE_TEST_SMTP_PASSWORD")
    monkeypatch.delenv("PULSE_TEST_SMTP_PASSWORD", raising=False)
    assert smtp_password(smtp) is None
    monkeypatch.setenv("PULSE_TEST_SMTP_PASSWORD", "s3cret")
    assert send_report(smtp, "2026-W46", folder / "report.pdf")["status"] == "sent"
    assert len(inbox.envelopes) == 1


def test_password_can_come_from_a_prefect_secret_block(prefect_harness):
    from prefect.blocks.system import Secret

    Secret(value="from-the-block").save("pulse-test-smtp", overwrite=True)
    smtp = SmtpSettings(password_env="PULSE_UNSET_VARIABLE", password_block="pulse-test-smtp")
    assert smtp_password(smtp, env={}) == "from-the-block"
    assert smtp_password(smtp, env={"PULSE_UNSET_VARIABLE": "env wins"}) == "env wins"


def test_unreachable_server_is_reported_not_raised(tmp_path):
    folder = _week_folder(tmp_path)
    outcome = send_report(_smtp(free_port()), "2026-W46", folder / "report.pdf")
    assert outcome["status"] == "failed"
    assert "ConnectionRefusedError" in outcome["error"]


def test_run_whose_delivery_fails_still_succeeds_once_and_records_why(
    demo_env, tmp_path, monkeypatch, smtp_server
):
    from pulse.cli.main import main
    from pulse.cli.run import load_flow

    db_path = demo_env.copy_db(tmp_path / "pulse.duckdb")
    dead_port = free_port()
    for key, value in {
        "PULSE_DB_PATH": str(db_path),
        "PULSE_OUTPUT_DIR": str(tmp_path / "outputs"),
        "PULSE_SMTP_ENABLED": "true",
        "PULSE_SMTP_HOST": "127.0.0.1",
        "PULSE_SMTP_PORT": str(dead_port),
        "PULSE_SMTP_SENDER": "pulse@pronet.example",
        "PULSE_SMTP_RECIPIENTS": "cx-lead@pronet.example",
        "PULSE_SMTP_STARTTLS": "false",
        "PULSE_SMTP_TIMEOUT_SECONDS": "5",
    }.items():
        monkeypatch.setenv(key, value)
    con = duckdb.connect(str(db_path), read_only=True)
    runs_before = con.execute("select count(*) from runs").fetchone()[0]
    con.close()

    pdf = Path(load_flow()(week=str(demo_env.week)))

    assert pdf.exists()
    record = json.loads((pdf.parent / "run.json").read_text())
    assert record["delivery"]["status"] == "failed"
    assert "ConnectionRefusedError" in record["delivery"]["error"]
    con = duckdb.connect(str(db_path), read_only=True)
    outcomes = con.execute("select outcome from runs order by started_at desc limit 1").fetchall()
    runs_after = con.execute("select count(*) from runs").fetchone()[0]
    con.close()
    assert outcomes == [("ok",)]
    assert runs_after == runs_before + 1  # one run: the analysis was not repeated

    # Once the server is back, `pulse deliver` sends the finished report without a rerun.
    controller, inbox = smtp_server
    monkeypatch.setenv("PULSE_SMTP_PORT", str(controller.port))
    assert main(["deliver", "--week", str(demo_env.week), "--quiet"]) == 0
    assert len(inbox.envelopes) == 1
    assert json.loads((pdf.parent / "run.json").read_text())["delivery"]["status"] == "sent"


def test_every_email_has_a_valid_date_and_a_message_id_of_its_own(smtp_server, tmp_path):
    controller, inbox = smtp_server
    folder = _leader_week_folder(tmp_path)
    before = datetime.now(UTC)
    first = _send_and_receive(_smtp(controller.port), inbox, folder)
    second = _send_and_receive(_smtp(controller.port), inbox, folder)
    for message in (first, second):
        sent = parsedate_to_datetime(message["Date"])
        assert sent.tzinfo is not None  # RFC 5322 dates carry their zone
        assert before - timedelta(seconds=2) <= sent <= datetime.now(UTC) + timedelta(seconds=1)
        # <left@right>: one angle-bracketed id, its domain the sender's
        assert re.fullmatch(r"<[\w.\-]+@pronet\.example>", message["Message-ID"])
    assert first["Message-ID"] != second["Message-ID"]


def test_email_is_text_and_html_alternatives_with_the_pdf_attached(smtp_server, tmp_path):
    controller, inbox = smtp_server
    folder = _leader_week_folder(tmp_path)
    message = _send_and_receive(_smtp(controller.port), inbox, folder)
    assert message.get_content_type() == "multipart/mixed"
    alternative, pdf = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    # the plainer part first: a client shows the last one it can render
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "pulse-2026-W46.pdf"
    assert pdf.get_content() == (folder / "report.pdf").read_bytes()


def test_both_bodies_carry_the_weeks_measures_top_issues_owners_and_the_pdf(smtp_server, tmp_path):
    controller, inbox = smtp_server
    folder = _leader_week_folder(tmp_path)
    smtp = _smtp(controller.port, report_url=REPORT_URL)
    text, html = _bodies(_send_and_receive(smtp, inbox, folder))
    page = _Page(html)
    pdf_path = str((folder / "report.pdf").resolve())
    url = "https://intranet.pronet.example/pulse/2026-W46/report.pdf"

    assert text.startswith(
        "Pulse · weekly voice of the customer\nWeek 46, 2026 (9–15 November 2026)\n"
    )
    assert "Week 46, 2026 9–15 November 2026" in page.text
    # each measure with its change, judged as page one judges it: 1,234 from 1,102 texts;
    # 41% negative from 37% (506 and 408 texts); CSAT 3.6 from 3.9; 95 from 130 minutes
    measures = {
        "Feedback volume": ("1,234", "+12% vs last week", ""),
        "Share negative": ("41%", "+4 pts vs last week", "worse"),
        "CSAT (1–5)": ("3.60", "−0.3 vs last week", "worse"),
        "First response (median)": ("95 min", "−27% vs last week", "better"),
    }
    for label, (value, change, judgement) in measures.items():
        said = f"{change}, {judgement}" if judgement else change
        assert f"- {label}: {value} ({said})\n" in text
        row = page.row(label)
        assert value in row and change in row and judgement in row
    assert "  506 of 1,234 texts negative in tone\n" in text
    assert "506 of 1,234 texts negative in tone" in page.row("Share negative")

    # the top five of twelve, each with its volume, change, flags and owner
    assert "TOP ISSUES (5 of 12 ranked)\n" in text and "Top issues (5 of 12 ranked)" in page.text
    assert (
        "1. Invite all contacts sent by mistake [EMERGING]\n"
        "   1,234 texts this week (+12% from 1,102), 41% negative, average CSAT 3.6 of 5\n"
        "   Owner: Billing team\n"
    ) in text
    top = page.row("Invite all contacts sent by mistake")
    assert top.startswith("1 Invite all contacts sent by mistake Emerging ")
    assert "1,234 texts this week (+12% from 1,102), 41% negative, average CSAT 3.6 of 5" in top
    assert top.endswith("Owner: Billing team")
    assert "2. Cannot log in after password reset [IMPROVING]\n" in text
    assert "Improving" in page.row("Cannot log in after password reset")
    assert "4. Job alerts stopped arriving [NEW] [EMERGING]\n" in text
    assert "New Emerging" in page.row("Job alerts stopped arriving")
    for rank in range(2, 6):
        [row] = [row for row in page.rows if row.startswith(f"{rank} ")]
        assert row.endswith("No owner")
    assert text.count("\n   No owner\n") == 4
    assert "Also this week: 2 issues are emerging and 2 improving." in text
    assert "Also this week: 2 issues are emerging and 2 improving." in page.text

    for body in (text, page.text):
        assert "Attached as pulse-2026-W46.pdf (9 pages)." in body
        assert f"Open it at {url}" in body
        assert f"Saved on the Pulse server at {pdf_path}" in body


def test_html_body_shows_a_hostile_issue_name_as_text_never_as_markup(smtp_server, tmp_path):
    controller, inbox = smtp_server
    folder = _leader_week_folder(tmp_path)
    text, html = _bodies(_send_and_receive(_smtp(controller.port), inbox, folder))
    page = _Page(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [attr for attr in page.attributes if attr[1].startswith("on")]
    assert HOSTILE_LABEL in page.text  # the reader sees the name exactly as written
    assert "&lt;script&gt;" in html
    assert HOSTILE_LABEL in text  # plain text has nothing to escape


def test_html_body_fetches_nothing_and_styles_inline(smtp_server, tmp_path):
    """Mail clients block remote content and drop style sheets: the body needs neither."""
    controller, inbox = smtp_server
    folder = _leader_week_folder(tmp_path)
    _text, html = _bodies(
        _send_and_receive(_smtp(controller.port, report_url=REPORT_URL), inbox, folder)
    )
    page = _Page(html)
    assert not {"style", "link", "script", "img", "iframe", "object"} & set(page.tags)
    assert [(tag, name) for tag, name, _ in page.attributes if name in ("src", "srcset")] == []
    assert [value for _, name, value in page.attributes if name == "href"] == [
        "https://intranet.pronet.example/pulse/2026-W46/report.pdf"
    ]
    assert "url(" not in html


def test_a_measure_the_week_lacks_is_left_out_of_both_bodies(smtp_server, tmp_path):
    controller, inbox = smtp_server
    folder = _leader_week_folder(tmp_path, csat=None, first_response=None)
    text, html = _bodies(_send_and_receive(_smtp(controller.port), inbox, folder))
    for body in (text, _Page(html).text):
        assert "Share negative" in body
        assert "CSAT (1–5)" not in body and "First response" not in body


def test_report_url_must_be_a_web_address(tmp_path):
    env = {"PULSE_SMTP_REPORT_URL": "javascript:alert(1)"}
    with pytest.raises(PulseError, match="report_url must start with https://"):
        load_settings(tmp_path / "absent.toml", env=env)
