"""No planted personal data reaches any output of a real run (issue 18, point 5).

Every planted record of tests/data/pii_corpus.jsonl (at least 30 items of each kind)
becomes a ticket of the demo week, all about one billing complaint so that they form
the week's largest issue and are quoted. The weekly flow then runs for real, e-mailing
the report to a local SMTP server, and no planted value may appear in the PDF, the HTML,
the CSV, summary.json, run.json, any other file of the week's folder, the Prefect
artifacts or the e-mail (its body and its attached PDF).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pulse.config import REPO_ROOT
from pulse.redact import KINDS
from pulse.serve import free_port

CORPUS = REPO_ROOT / "tests" / "data" / "pii_corpus.jsonl"
# Three complaints the demo week already has issues for, so that planted tickets join
# three of the top issues and more of them are quoted.
COMPLAINTS = (
    "I was charged twice for Premium this month and the refund never came.",
    "The verification code never arrives, so I cannot reset my password.",
    "Someone hacked my account and changed my email; I am locked out.",
    "Premium billed me two times in November, please refund the second charge.",
    "No SMS code when I log in, and the password reset link has expired.",
    "My account was hacked overnight and posts I never wrote went out.",
)


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _flat(text: str) -> str:
    """The text without whitespace: a PDF line break may fall inside a value."""
    return re.sub(r"\s+", "", text)


def _pdf_bytes_text(data: bytes) -> str:
    """The PDF's text as poppler reads it (pypdf misreads "€" in the quotes' font)."""
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def planted_run(demo_run, tmp_path_factory):
    """The demo database plus the planted tickets, run for the demo week with e-mail on."""
    import duckdb  # noqa: F401  (the database module needs it loaded first)

    from pulse.db import connect
    from pulse.demo import TICKET_COLUMNS
    from pulse.ingest import ingest_paths

    root = tmp_path_factory.mktemp("pii_run")
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    planted = [record for record in records if record["planted"]]
    tickets = _tickets(planted)
    source = root / "planted_tickets.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TICKET_COLUMNS)
        writer.writeheader()
        for n, (ticket_id, parts) in enumerate(tickets.items()):
            row = dict.fromkeys(TICKET_COLUMNS, "")
            row.update(
                ticket_id=ticket_id,
                created_at=f"2026-11-{10 + n % 4:02d}T{8 + n % 9:02d}:{n % 60:02d}:00Z",
                channel=("email", "web", "chat", "mobile")[n % 4],
                subject="Account",
                body=" ".join([COMPLAINTS[n % len(COMPLAINTS)], *(r["text"] for r in parts)]),
                is_escalated="false",
            )
            writer.writerow(row)
    db_path = demo_run.copy_db(root / "pulse.duckdb")
    with connect(db_path) as con:
        [report] = ingest_paths(con, [source], source="demo_tickets")
        redacted = dict(
            con.execute(
                "select external_id, text_redacted from feedback where external_id like 'PII-%'"
            ).fetchall()
        )
    assert report.rows_loaded == len(tickets) == len(redacted), report

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        **demo_run.env,
        "PULSE_DB_PATH": str(db_path),
        "PULSE_OUTPUT_DIR": str(root / "outputs"),
        "PULSE_SMTP_ENABLED": "true",
        "PULSE_SMTP_HOST": "127.0.0.1",
        "PULSE_SMTP_PORT": str(controller.port),
        "PULSE_SMTP_SENDER": "pulse@pronet.example",
        "PULSE_SMTP_RECIPIENTS": "cx-lead@pronet.example",
        "PULSE_SMTP_STARTTLS": "false",
    }
    monkeypatch = pytest.MonkeyPatch()
    try:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        from tests.flow_loader import load_weekly_report

        pdf = Path(load_weekly_report()(week=str(demo_run.week)))
    finally:
        monkeypatch.undo()
        controller.stop()
    return tickets, redacted, pdf, inbox.envelopes


def _tickets(planted: list[dict]) -> dict[str, list[dict]]:
    """Two corpus records a ticket, of different kinds where the corpus allows it; every
    record is used once. Longer tickets are quoted less: the report prefers typical texts."""
    ordered = sorted(planted, key=lambda record: sorted(i["kind"] for i in record["planted"]))
    half = (len(ordered) + 1) // 2
    pairs = [[ordered[n], *ordered[half + n : half + n + 1]] for n in range(half)]
    return {f"PII-{n:04d}": parts for n, parts in enumerate(pairs)}


def _outputs(pdf: Path, envelopes: list, week: str) -> dict[str, str]:
    """Every text a reader of this run can see, by where it is seen."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    outputs: dict[str, str] = {"report.pdf": _pdf_bytes_text(pdf.read_bytes())}
    for path in sorted(pdf.parent.rglob("*")):
        if path.is_file() and path.suffix != ".pdf":
            outputs[path.name] = path.read_text(encoding="utf-8", errors="replace")
    key = f"voc-{week.lower()}"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"{key}-summary", f"{key}-ranking", f"{key}-pdf"])
            )
        )
    outputs["prefect artifacts"] = "\n".join(json.dumps(a.data, default=str) for a in artifacts)
    assert len(envelopes) == 1, "the run should e-mail the report once"
    message = message_from_bytes(envelopes[0].content, policy=default_policy)
    outputs["e-mail body"] = message.get_body(preferencelist=("plain",)).get_content()
    outputs["e-mail HTML body"] = message.get_body(preferencelist=("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    outputs["e-mail attachment"] = _pdf_bytes_text(attachment.get_content())
    return {name: _flat(text) for name, text in outputs.items()}


def _items(parts: list[dict]) -> list[dict]:
    return [item for record in parts for item in record["planted"]]


def test_every_planted_ticket_is_stored_redacted(planted_run):
    """text_redacted, which every output quotes, holds no planted value and every token."""
    tickets, redacted, _pdf, _envelopes = planted_run
    assert {item["kind"] for parts in tickets.values() for item in _items(parts)} == set(KINDS)
    for ticket_id, parts in tickets.items():
        text = _flat(redacted[ticket_id])
        assert [i["value"] for i in _items(parts) if _flat(i["value"]) in text] == [], ticket_id
        assert all(_flat(item["token"]) in text for item in _items(parts)), ticket_id


def test_planted_tickets_are_quoted_so_a_leak_would_show(planted_run, demo_run):
    """The leak check can fail: planted tickets are quoted in the PDF, the e-mailed PDF,
    the HTML and summary.json, with what redaction keeps of them (order numbers, prices,
    versions) and the tokens that replaced the rest."""
    tickets, _redacted, pdf, envelopes = planted_run
    outputs = _outputs(pdf, envelopes, str(demo_run.week))
    for where in ("report.pdf", "e-mail attachment", "report.html", "summary.json"):
        quoted = sorted(set(re.findall(r"PII-\d{4}", outputs[where])))
        assert len(quoted) >= 3, (where, quoted)
        parts = [record for ticket in quoted for record in tickets[ticket]]
        # the corpus keeps its brand's handles, which this run was not told of
        kept = [v for record in parts for v in record["keep"] if not v.startswith("@")]
        missing = [value for value in kept if _flat(value) not in outputs[where]]
        assert kept and not missing, (where, missing)
        assert all(_flat(item["token"]) in outputs[where] for item in _items(parts)), where
        kinds = {item["kind"] for item in _items(parts)}
        assert len(kinds) >= 8, (where, kinds)


def test_no_planted_value_reaches_any_output(planted_run, demo_run):
    tickets, _redacted, pdf, envelopes = planted_run
    outputs = _outputs(pdf, envelopes, str(demo_run.week))
    expected = {"report.pdf", "report.html", "ranked_issues.csv", "summary.json", "run.json"}
    by_mail = {"e-mail body", "e-mail HTML body", "e-mail attachment"}
    assert expected | {"prefect artifacts"} | by_mail <= set(outputs)
    leaks = [
        (item["kind"], item["value"], where)
        for parts in tickets.values()
        for item in _items(parts)
        for where, text in outputs.items()
        if _flat(item["value"]) in text
    ]
    assert leaks == [], f"{len(leaks)} planted values leaked, e.g. {leaks[:5]}"
