"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pulse.config import SmtpSettings
from pulse.publish.delivery import send_report, smtp_password
from pulse.serve import free_port


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
