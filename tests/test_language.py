"""Each text's language: py3langid's model over batches, filled in `feedback.language` at ingest."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pulse.db import connect
from pulse.ingest import fill_missing_languages, ingest_paths
from pulse.ingest.language import (
    MAX_CHARS,
    LanguageDetector,
    default_detector,
    detect_languages,
    language_names,
)

DATA = Path(__file__).parent / "data"
TICKETS = DATA / "ingest" / "multilingual_tickets.csv"
NOW = datetime(2026, 11, 20, tzinfo=UTC)
# The language each fixture ticket is written in; the last two have none.
EXPECTED = {
    "L-en": "en",
    "L-de": "de",
    "L-fr": "fr",
    "L-es": "es",
    "L-it": "it",
    "L-pt": "pt",
    "L-emoji": None,
    "L-digits": None,
}


def fixture_texts() -> list[str]:
    with TICKETS.open(encoding="utf-8", newline="") as f:
        return [f"{row['subject']}. {row['body']}" for row in csv.DictReader(f)]


def ingest(con, path: Path) -> None:
    ingest_paths(
        con,
        [path],
        source="demo_tickets",
        now=NOW,
        brand_handles=(),
        timezone="UTC",
        max_text_chars=100_000,
    )


def languages_by_id(con) -> dict[str, str | None]:
    return dict(con.execute("select external_id, language from feedback").fetchall())


def test_labels_are_py3langid_classify_s():
    """The batched walk is py3langid's own model: the same label and probability per text."""
    detector = LanguageDetector(min_confidence=0.0)
    texts = [t for t in fixture_texts() if any(c.isalpha() for c in t)] + [
        "Hallo, mein Konto wurde gesperrt",
        "why was I charged twice",
        "¿Dónde está mi reembolso?",
        "НЕ МОГУ ВОЙТИ В АККАУНТ",  # all capitals: py3langid reads it lower-cased
        "thanks",
    ]
    for text, (code, confidence) in zip(texts, detector.detect_with_confidence(texts), strict=True):
        label, expected = detector.model.classify(text)
        assert code == label
        assert confidence == pytest.approx(expected, abs=1e-5)


def test_texts_without_language_get_none():
    junk = (DATA / "texts_without_language.txt").read_text(encoding="utf-8").splitlines()
    assert detect_languages(["", "   ", None, *junk]) == [None] * (len(junk) + 3)


def test_a_text_gets_the_same_language_alone_or_in_a_batch():
    texts = fixture_texts() * 3 + ["Merci beaucoup pour votre aide rapide"]
    together = default_detector().detect_with_confidence(texts)
    alone = [default_detector().detect_with_confidence([text])[0] for text in texts]
    assert together == alone


def test_only_a_texts_first_characters_are_read():
    english = "My invoice shows the wrong amount and support never answered. " * 8
    assert len(english) > MAX_CHARS
    german = " Ich habe eine falsche Rechnung bekommen und niemand antwortet." * 20
    assert detect_languages([english + german, german]) == ["en", "de"]


def test_every_code_the_detector_gives_has_a_name():
    codes = {code for code in LanguageDetector().labels if code}
    assert codes <= set(language_names())
    assert language_names()["de"] == "German"


def test_ingest_fills_each_rows_language(tmp_path):
    with connect(tmp_path / "pulse.duckdb") as con:
        ingest(con, TICKETS)
        assert languages_by_id(con) == EXPECTED


def test_a_newer_version_of_a_ticket_gets_its_new_texts_language(tmp_path):
    newer = tmp_path / "newer.csv"
    rows = list(csv.DictReader(TICKETS.open(encoding="utf-8", newline="")))
    english = next(row for row in rows if row["ticket_id"] == "L-en")
    english.update(
        updated_at="2026-11-12T10:00:00Z",
        subject="Doble cobro",
        body="Me cobraron dos veces y nadie contesta mis mensajes.",
    )
    with newer.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(english))
        writer.writeheader()
        writer.writerow(english)
    with connect(tmp_path / "pulse.duckdb") as con:
        ingest(con, TICKETS)
        ingest(con, newer)
        assert languages_by_id(con)["L-en"] == "es"


def test_the_backfill_fills_only_the_windows_texts_without_a_language(tmp_path):
    """Rows loaded before ingest detected languages get theirs from the next run's window."""
    with connect(tmp_path / "pulse.duckdb") as con:
        ingest(con, TICKETS)
        con.execute("update feedback set language = null")  # as loaded by an older Pulse
        con.execute(
            "update feedback set created_at = timestamp '2026-09-01' where external_id = 'L-it'"
        )
        con.execute("select count(*) from feedback")  # a caller's open result (as the run has)
        filled = fill_missing_languages(con, datetime(2026, 11, 9), datetime(2026, 11, 16))
        assert filled == 5  # the six in the window with a language; emoji and digits stay unknown
        assert languages_by_id(con) == {**EXPECTED, "L-it": None}
