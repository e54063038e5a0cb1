"""E-mail the finished report: after the analysis, never part of it.

Delivery runs once a week's outputs are safely on disk and the run is recorded
as ok. A delivery that fails (server down, bad password, a recipient refused)
is logged and written into the week's `run.json`, and that is all: the analysis
is not failed, retried or repeated for the sake of an e-mail, and the report can
be re-sent with `pulse deliver --week W`.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, make_msgid, parseaddr
from pathlib import Path

from pulse.config import Settings, SmtpSettings
from pulse.errors import PulseError
from pulse.publish.digest import ReportLocation, digest_view, render_bodies
from pulse.weeks import IsoWeek


def smtp_password(smtp: SmtpSettings, env: dict[str, str] | None = None) -> str | None:
    """The SMTP password from its environment variable, else from a Prefect Secret block."""
    env = os.environ if env is None else env
    if smtp.password_env and env.get(smtp.password_env):
        return env[smtp.password_env]
    if smtp.password_block:
        from prefect.blocks.system import Secret

        try:
            return Secret.load(smtp.password_block).get()
        except (ValueError, RuntimeError) as exc:
            raise PulseError(
                f"Prefect Secret block {smtp.password_block!r} could not be read ({exc}); "
                f"create it with `prefect block create secret` or set {smtp.password_env}"
            ) from None
    return None


def message_id_domain(smtp: SmtpSettings) -> str:
    """The right-hand side of the Message-ID: the sender's domain, as mail servers expect.

    Never the machine's own name: `make_msgid` would look it up in DNS, and a container's
    host name says nothing to a reader of the headers.
    """
    domain = parseaddr(smtp.sender)[1].rpartition("@")[2]
    return domain or "localhost"


def build_message(
    smtp: SmtpSettings,
    week: str,
    pdf: Path,
    summary: dict | None,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """The e-mail: plain text and HTML saying what page one says, the PDF attached.

    multipart/alternative (text, then HTML), inside multipart/mixed with the PDF when the
    file is there. Date is `sent_at` (default now, local time) and the Message-ID is new
    for every message, so a resent report is a new e-mail, not a duplicate to drop.
    """
    message = EmailMessage()
    message["Subject"] = smtp.subject.format(week=week)
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message["Date"] = format_datetime(sent_at) if sent_at else formatdate(localtime=True)
    # no idstring: a longer id folds onto a second header line, which some tools misread
    message["Message-ID"] = make_msgid(domain=message_id_domain(smtp))
    attached_as = f"pulse-{week}.pdf" if pdf.is_file() else None
    location = ReportLocation(
        path=pdf.resolve(), attached_as=attached_as, url=smtp.report_url.replace("{week}", week)
    )
    text, html = render_bodies(digest_view(summary, week, location))
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attached_as:
        message.add_attachment(
            pdf.read_bytes(), maintype="application", subtype="pdf", filename=attached_as
        )
    return message


def send_report(smtp: SmtpSettings, week: str, pdf: Path) -> dict:
    """Send the week's PDF to every recipient; returns what happened, never raises.

    The outcome goes into run.json as `delivery`: `{"status": "sent" | "failed" |
    "skipped", "recipients": [...], "error": ..., "at": ...}`.
    """
    at = datetime.now(UTC).isoformat(timespec="seconds")
    if not smtp.enabled:
        return {"status": "skipped", "reason": "smtp.enabled is false", "at": at}
    summary_path = pdf.parent / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    try:
        message = build_message(smtp, week, pdf, summary)
        password = smtp_password(smtp)
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, password or "")
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException, PulseError) as exc:
        return {
            "status": "failed",
            "recipients": list(smtp.recipients),
            "error": f"{type(exc).__name__}: {exc}",
            "at": at,
        }
    delivered = [r for r in smtp.recipients if r not in refused]
    return {
        "status": "sent" if not refused else "partly sent",
        "recipients": delivered,
        "refused": sorted(refused),
        "at": at,
    }


def record_delivery(run_json: Path, outcome: dict) -> None:
    """Add the delivery outcome to the week's run.json (atomically, like every output)."""
    try:
        record = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    record["delivery"] = outcome
    partial = run_json.with_name(f".{run_json.name}.partial")
    partial.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    os.replace(partial, run_json)


def deliver_report(
    settings: Settings,
    week: IsoWeek,
    paths: dict[str, str],
    logger: logging.Logger | logging.LoggerAdapter,
) -> None:
    """E-mail a finished run's PDF if configured; a failure is logged and recorded, never raised.

    The run itself succeeded already, so a failed e-mail leaves it ok and says how to resend.
    """
    if not settings.smtp.enabled:
        return
    outcome = send_report(settings.smtp, str(week), Path(paths["pdf"]))
    record_delivery(Path(paths["run"]), outcome)
    if outcome["status"] == "sent":
        logger.info("report e-mailed to %s", ", ".join(outcome["recipients"]))
    else:
        logger.warning(
            "report for %s was not e-mailed (%s); the run itself succeeded, resend with "
            "`pulse deliver --week %s`",
            week,
            outcome.get("error") or outcome["status"],
            week,
        )
