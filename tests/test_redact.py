"""Redaction: every planted personal datum goes, ordinary support content stays."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import time
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pulse import redact as redact_module
from pulse.db import sql_text
from pulse.demo import BRAND_HANDLES
from pulse.ingest import clean
from pulse.ingest.clean import clean_text, redact_candidates
from pulse.redact import (
    ALL_GATES,
    ANY_GATE,
    GATE_CHARSET,
    KINDS,
    PASS_GATES,
    gates_of,
)
from pulse.redact import redact as redact_with
from pulse.redact import redact_gated as redact_gated_with
from pulse.redact import redaction_counts as redaction_counts_with


# The corpus and most cases are written around the demo brand: its handles stay visible.
def redact(text: str, brand_handles=BRAND_HANDLES) -> str:
    return redact_with(text, brand_handles)


def redact_gated(text: str, gates, brand_handles=BRAND_HANDLES) -> str:
    return redact_gated_with(text, gates, brand_handles)


def redaction_counts(text: str) -> dict[str, int]:
    return redaction_counts_with(text, BRAND_HANDLES)


def test_no_handle_is_a_brands_unless_the_caller_names_it() -> None:
    assert redact_with("@ProNetHelp and @janedoe") == "@[user] and @[user]"

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_PATH = REPO_ROOT / "tests" / "data" / "pii_corpus.jsonl"
BANKING77_TEST = REPO_ROOT.parent / "shared" / "data" / "banking77" / "test.csv"

# Measured on 2026-11-22: 0 of 3,080 banking77 test texts (0 of 13,083 with train) change.
# The bound leaves room for a rule that trades a stray false positive for recall.
BANKING77_MAX_FALSE_POSITIVE_RATE = 0.001


@pytest.fixture(scope="session")
def corpus() -> list[dict]:
    with CORPUS_PATH.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _planted_misses(records: list[dict]) -> list[str]:
    misses = []
    for record in records:
        redacted = redact(record["text"])
        for item in record["planted"]:
            leaked = [fragment for fragment in item["fragments"] if fragment in redacted]
            if leaked or item["token"] not in redacted:
                misses.append(f"{record['id']} {item['kind']} {item['value']!r} -> {redacted!r}")
    return misses


def test_committed_corpus_equals_a_fresh_build_of_the_script(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_pii_corpus", REPO_ROOT / "scripts" / "make_pii_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rebuilt = tmp_path / "pii_corpus.jsonl"
    script.write_corpus(rebuilt)
    assert rebuilt.read_bytes() == CORPUS_PATH.read_bytes()


def test_corpus_plants_at_least_200_items_covering_every_kind(corpus: list[dict]) -> None:
    kinds = Counter(item["kind"] for record in corpus for item in record["planted"])
    assert sum(kinds.values()) >= 200
    assert set(kinds) == set(KINDS)
    assert any(len(record["planted"]) == 2 for record in corpus)


def test_every_planted_item_is_gone_and_replaced_by_its_token(corpus: list[dict]) -> None:
    planted = sum(len(record["planted"]) for record in corpus)
    misses = _planted_misses(corpus)
    recall = 1 - len(misses) / planted
    print(f"redaction recall {recall:.4f} over {planted} planted items")
    assert misses == []


def test_ordinary_content_next_to_planted_items_survives(corpus: list[dict]) -> None:
    lost = [
        (record["id"], keep)
        for record in corpus
        for keep in record["keep"]
        if keep not in redact(record["text"])
    ]
    assert lost == []


def test_clean_corpus_texts_come_out_unchanged(corpus: list[dict]) -> None:
    clean = [record for record in corpus if not record["planted"]]
    changed = [(record["text"], redact(record["text"])) for record in clean]
    changed = [pair for pair in changed if pair[0] != pair[1]]
    assert len(clean) >= 40
    assert changed == []


def test_redacting_twice_changes_nothing_more(corpus: list[dict]) -> None:
    for record in corpus:
        once = redact(record["text"])
        assert redact(once) == once


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "(415) 555-0132",
        "415.555.0132",
        "+1-415-555-0132",
        "07700 900123",
        "+49 30 1234567",
        "+44 (0)20 7946 0958",
        "+33 1 23 45 67 89",
        "1-800-555-0199",
        "0161 496 0000 ext. 12",
        "0044 20 7946 0958",
        "(0)20 7946 0958",
        "(02) 9876 5432",
        "415 5550132",
    ],
)
def test_phone_numbers_in_many_formats_become_a_phone_token(phone: str) -> None:
    assert redact(f"Please call me on {phone} tomorrow.") == "Please call me on [phone] tomorrow."


def test_a_bare_ten_digit_number_is_a_phone_only_after_a_phone_word() -> None:
    assert redact("text me on 4155550132") == "text me on [phone]"
    assert redact("order number 4155550132 is late") == "order number 4155550132 is late"
    assert redact("Reference number is 16934380.") == "Reference number is 16934380."
    assert redact("my number is 555 0132") == "my number is [phone]"


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "5500005555555559", "3782 822463 10005"],
)
def test_luhn_valid_card_numbers_become_a_card_token(card: str) -> None:
    assert redact(f"I paid with {card} twice") == "I paid with [card] twice"


def test_a_card_sized_order_number_that_fails_luhn_stays() -> None:
    assert redact("Order 4111 1111 1111 1112 never came") == "Order 4111 1111 1111 1112 never came"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at 221B Baker Street.", "I live at [address]."),
        (
            "HQ is 1600 Amphitheatre Parkway, Mountain View, CA 94043 now",
            "HQ is [address] now",
        ),
        ("Flat 3, 10 Downing Street, London SW1A 2AA", "[address]"),
        ("my postcode is SW1A 1AA", "my postcode is [address]"),
        ("ship to 12 oak lane please", "ship to [address] please"),
        ("I live at 742 Evergreen Terrace", "I live at [address]"),
        ("mail it to PO Box 4410", "mail it to [address]"),
    ],
)
def test_recognisable_postal_addresses_become_an_address_token(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_every_address_in_a_list_is_masked_and_a_closing_full_stop_kept() -> None:
    text = "We moved from 5 Main St and 10 Oak Road to 12 Abbey Way."
    assert redact(text) == "We moved from [address] and [address] to [address]."


def test_product_codes_and_counted_steps_are_not_addresses() -> None:
    text = "Smart Cover (MD968LL/A); Step 2 Open Road Map; Mac M2 8GB"
    assert redact(text) == text


def test_emails_including_spelled_out_ones_become_an_email_token() -> None:
    text = "jane.doe+vip@example.co.uk or jane (at) example (dot) com"
    assert redact(text) == "[email] or [email]"


def test_plainly_spelled_emails_are_masked_but_prose_with_at_and_dot_is_not() -> None:
    assert redact("write to jane.doe at gmail dot com") == "write to [email]"
    assert redact("I looked at the dot com site") == "I looked at the dot com site"


def test_continental_street_lines_are_addresses_but_via_in_prose_is_not() -> None:
    text = "from Hauptstraße 5, 10115 Berlin to 12 rue de Rivoli, 75001 Paris"
    assert redact(text) == "from [address] to [address]"
    assert redact("I sent 2 via email") == "I sent 2 via email"


def test_a_spaced_ssn_is_masked_only_after_the_word_ssn() -> None:
    assert redact("my SSN is 123 45 6789") == "my SSN is [ssn]"
    assert redact("we sold 123 45 6789 units") == "we sold 123 45 6789 units"


def test_private_handles_are_masked_and_brand_handles_kept_whatever_their_case() -> None:
    text = "@janedoe99 told @ProNetHelp and @pronet, cc @Bob_Smith"
    assert redact(text) == "@[user] told @ProNetHelp and @pronet, cc @[user]"


def test_brand_handles_come_from_the_caller() -> None:
    assert redact("@AcmeCare @ProNetHelp", brand_handles=["@acmecare"]) == "@AcmeCare @[user]"


def test_iban_and_ssn_like_strings_are_masked_when_their_checks_pass() -> None:
    text = "IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789, NI AB123456C"
    assert redact(text) == "IBAN [iban], SSN [ssn], NI [ssn]"
    assert redact("IBAN GB83 WEST 1234 5698 7654 32") == "IBAN GB83 WEST 1234 5698 7654 32"


def test_a_locale_segment_named_in_is_not_taken_for_a_profile() -> None:
    text = "see https://helpx.adobe.com/in/photoshop/kb/cc-apps.html first"
    assert redact(text) == text


def test_urls_stay_but_the_person_in_a_profile_link_is_masked() -> None:
    text = (
        "https://help.pronet.com/articles/360012345 vs https://www.pronet.com/in/jane-doe-123 "
        "and https://twitter.com/janedoe/status/1234567890123456789"
    )
    assert redact(text) == (
        "https://help.pronet.com/articles/360012345 vs https://www.pronet.com/in/[user] "
        "and https://twitter.com/[user]/status/1234567890123456789"
    )


@pytest.mark.parametrize(
    "text",
    [
        "On 2024-03-15 at 14:30 I paid $29.99 and then £19.99/month.",
        "Ticket ZD-104233 and #12345 are about v4.2.1 on iOS 17.1.",
        "Renewals fell 12.5% in 2023; 3 of 7 agents agreed.",
        "Step 2 Open Road Map; at 3 PM Dr Smith called; Mac M2 8GB.",
        "Case 00123456 reopened on 05.12.2023 from 192.168.1.1.",
    ],
)
def test_ordinary_support_content_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_redaction_counts_name_every_kind_and_count_what_was_masked() -> None:
    counts = redaction_counts(
        "Mail jane@example.com or john@example.org, call +44 20 7946 0958, ping @janedoe "
        "and @ProNetHelp"
    )
    assert set(counts) == set(KINDS)
    assert counts["email"] == 2
    assert counts["phone"] == 1
    assert counts["handle"] == 1
    assert counts["card"] == 0


def test_hostile_inputs_are_redacted_quickly() -> None:
    hostile = ["1" * 20000, "+" + "1 " * 10000, "@a" * 10000, "12 Aa Bb " * 2000, "a." * 10000]
    started = time.perf_counter()
    for text in hostile:
        redact(text)
    assert time.perf_counter() - started < 5


@pytest.mark.skipif(
    not BANKING77_TEST.exists(),
    reason=f"banking77 is not available at {BANKING77_TEST} (../shared is absent)",
)
def test_banking77_queries_are_almost_never_changed() -> None:
    with BANKING77_TEST.open(encoding="utf-8", newline="") as rows:
        texts = [row["text"] for row in csv.DictReader(rows)]
    changed = [text for text in texts if redact(text) != text]
    rate = len(changed) / len(texts)
    print(f"banking77 false positives {len(changed)}/{len(texts)} = {rate:.4%}")
    assert len(texts) == 3080
    assert rate <= BANKING77_MAX_FALSE_POSITIVE_RATE, changed[:10]


# Texts that probe how a gate can open only after another pass wrote its token: a long
# e-mail shortening the gap after a phone cue, tokens that spell a cue ("[phone]", "[ssn]"),
# a street line that ends inside a word, brackets the customer typed, and the characters
# at the edges of GATE_CHARSET.
GATE_PROBES = [
    "call jane.doe.long.address@example.com 4155550132",
    "text me at jane(at)example(dot)com 415 555 0132 please",
    "+1 415 555 0132 4155550 is the other one",
    "SSN 078-05-1120 and 123456789 too",
    "my NI is AB 12 34 56 C then 5550132",
    "ship to 12 Oak Street Apt 5bcall me 4155550132",
    "call [me] 4155550132",
    "5 Main Street[x] was where",
    "Café at 12 Rue de Rivoli, 75001 Paris or 4155550132 ☎",
    "Straße 5 and Hauptstraße 12, 10115 Berlin 😡",
    "Wohnung: Musterstraße 7, 80331 München",
    "@jane_doe and @ProNetHelp: see https://twitter.com/jane_doe and /in/jane-doe",
    "Write to PO Box 1234, Springfield, IL 62704 or P.O. Box 77",
    "GB82 WEST 1234 5698 7654 32 then 4111 1111 1111 1111",
    "4111-1111-1111-1111x and 030-02-8711",
    "reach me: 020 7946 0958 ext 12, or +44 (0) 20 7946 0958",
    "flat 3, 221B Baker Street, London NW1 6XE",
    "call back within 2 hours about order 123456789",
    "I live at 742 Evergreen Terrace",
    "number is 4155550132, reference number is 123456789",
    "jane dot doe at gmail dot com or SW1A 1AA",
    "The card was 4000 0566 5566 5556.",
    # a cue brought near a number only once another pass has put a short token between
    "call me at jo.smith.long.name@example.com 4155550132",
    "Tel. jo at gmail dot com 12345678 text @ProNetHelp",
    "mobile: jo at gmail dot com 555 1234 or jo at gmail dot com",
    "social security number:        078 05 1120",
]


def _ingest_gated(texts: list[str], workers: int | None = None) -> list[str]:
    """Redact texts the way ingest does: gates in DuckDB, then `redact_candidates`."""
    con = duckdb.connect()
    con.execute(
        "create temp table ingest_typed (line bigint, text varchar, is_redaction_candidate boolean)"
    )
    cleaned = pa.table({"line": list(range(len(texts))), "text": texts})
    con.register("ingest_messy_cleaned", cleaned)
    params: dict[str, object] = {"gate_charset": GATE_CHARSET, "any_gate": ANY_GATE}
    params.update({f"gate_{name}": pattern for name, pattern in PASS_GATES.items()})
    candidates = con.sql(sql_text("stg_ingest_redact_candidates"), params=params).to_arrow_table()
    redacted = dict(
        zip(
            candidates.column("line").to_pylist(),
            redact_candidates(candidates, ("ProNetHelp", "ProNet"), workers=workers)
            .column("text_redacted")
            .to_pylist(),
            strict=True,
        )
    )
    return [redacted.get(line, text) for line, text in enumerate(texts)]


def _generated_tickets(count: int) -> list[str]:
    spec = importlib.util.spec_from_file_location("bench_ingest", REPO_ROOT / "bench" / "ingest.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = bench.random.Random(3)
    return [bench.support_text(rng, index) for index in range(count)]


def test_ingest_gates_skip_only_passes_that_could_not_change_a_text(corpus: list[dict]) -> None:
    texts = [record["text"] for record in corpus] + GATE_PROBES + _generated_tickets(3000)
    if BANKING77_TEST.exists():
        with BANKING77_TEST.open(encoding="utf-8", newline="") as rows:
            texts += [row["text"] for row in csv.DictReader(rows)]
    texts = [clean_text(text) for text in texts]
    gated = _ingest_gated(texts)
    differ = [(text, mine) for text, mine in zip(texts, gated, strict=True) if mine != redact(text)]
    assert not differ, differ[:5]
    # the gates must also be selective, or ingest gains nothing
    assert sum(bool(gates_of(text)) for text in texts[-3000:]) < 0.2 * 3000


def test_gates_evaluated_in_python_agree_with_full_redaction() -> None:
    for text in GATE_PROBES + _generated_tickets(500):
        text = clean_text(text)
        assert redact_gated(text, gates_of(text)) == redact(text), text


def test_a_phone_word_far_from_any_number_opens_no_gate() -> None:
    # "call back" and an order number in one ticket are common; the cued passes need
    # the number within a few characters of the word, and so does their gate
    text = "I was promised a call back within 12 hours. Reference E7462, transaction 249877425."
    assert gates_of(text) == frozenset() and redact(text) == text
    assert "cued" in gates_of("Call me on 4155550132 after six")
    assert redact_gated("Call me on 4155550132", gates_of("Call me on 4155550132")) == (
        "Call me on [phone]"
    )


def test_a_text_outside_the_gate_charset_opens_every_gate() -> None:
    assert gates_of("Call ＋４４ ７７００ ９００１２３ 电话") == ALL_GATES
    assert gates_of("Plain text, no digits") == frozenset()
    assert redact_gated("mail jo@example.com", ALL_GATES) == redact("mail jo@example.com")


def test_a_worker_process_shares_large_batches_and_keeps_the_order(monkeypatch) -> None:
    monkeypatch.setattr(clean, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(clean, "CHUNK_TEXTS", 7)
    texts = [clean_text(text) for text in GATE_PROBES + _generated_tickets(400)]
    texts += texts[:5]  # repeated texts share one call
    assert _ingest_gated(texts, workers=2) == [redact(text) for text in texts]


def test_clean_texts_shares_large_batches_with_the_worker_and_keeps_the_order(
    monkeypatch,
) -> None:
    monkeypatch.setattr(clean, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(clean, "CHUNK_TEXTS", 7)
    texts = _generated_tickets(300) + ["<p>Hi &amp; bye</p>", "Help\n\nThanks,\nSam", None]
    assert clean.clean_texts(texts, workers=2) == [clean_text(text) for text in texts]


def test_the_cheap_conditions_before_each_pass_never_skip_a_change(monkeypatch) -> None:
    # the conditions only save time: with every pass forced to run, nothing differs
    texts = [clean_text(text) for text in GATE_PROBES + _generated_tickets(1500)]
    texts += [
        "ſsn 078-05-1120",
        "SOCIAL SECURITY NO. 078 05 1120",
        "CALL ME: +44 (0) 20 7946 0958",
        "telephone:     4155550132",
        "number is 415 555 0132, my number 4155550133",
        "jo@example.com wrote to @ProNetHelp and @jane_doe",
        "card 4111-1111-1111-1111 and (0) 20 7946 0958",
        "Mobİle 4155550132",
    ]
    fast = [redact(text) for text in texts] + [redact_gated(text, gates_of(text)) for text in texts]
    forced = tuple((*entry[:4], lambda _text: True) for entry in redact_module._DIGIT_PASSES)
    monkeypatch.setattr(redact_module, "_DIGIT_PASSES", forced)
    monkeypatch.setattr(redact_module, "_may_email", lambda _text: True)
    monkeypatch.setattr(redact_module, "_still_open", lambda text, gates: gates)
    slow = [redact(text) for text in texts] + [redact_gated(text, gates_of(text)) for text in texts]
    assert fast == slow


def test_only_three_characters_fool_the_lower_case_test_for_cue_words() -> None:
    # Python's case-insensitive matching equates these with an ASCII letter while
    # str.lower() does not turn them into it; the cue-word tests must know them all
    letter = re.compile("[a-z]", re.IGNORECASE)
    fooling = {
        char
        for char in map(chr, range(0x80, 0x110000))
        if letter.fullmatch(char) and not re.fullmatch("[a-z]", char.lower())
    }
    assert fooling == set(redact_module._CASE_TRAPS)
