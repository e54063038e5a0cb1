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

from pulse import workers
from pulse.db import sql_text
from pulse.demo import BRAND_HANDLES
from pulse.ingest import clean
from pulse.ingest.clean import clean_text
from pulse.ingest.redaction import redact_candidates
from pulse.redact import (
    ALL_GATES,
    ANY_GATE,
    GATE_CHARSET,
    KINDS,
    PASS_GATES,
    SCREEN_GATES,
    gates_of,
)
from pulse.redact import passes as redact_passes
from pulse.redact import redact as redact_with
from pulse.redact import redact_gated as redact_gated_with
from pulse.redact import redaction_counts as redaction_counts_with
from pulse.redact import screens as redact_screens


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


def test_corpus_plants_at_least_30_items_of_every_kind(corpus: list[dict]) -> None:
    kinds = Counter(item["kind"] for record in corpus for item in record["planted"])
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 30, kinds
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
        "Step 2 Open Road Map; at 3 PM Dr appointments clash; Mac M2 8GB.",
        "Case 00123456 reopened on 05.12.2023 on version 10.4.2.1.",
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (555) 123-4567 x89 today", "call [phone] today"),
        ("call (415) 123-4567 x89 today", "call [phone] today"),
        ("ring 555-123-4567 ext. 12 now", "ring [phone] now"),
        ("desk (415) 555-0123, extension 5.", "desk [phone]."),
    ],
)
def test_phones_with_an_extension_and_made_up_exchanges_are_masked_whole(
    text: str, expected: str
) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order no 415-555-0123 is late",
        "invoice 415-555-0123 was paid twice",
        "ticket #12345678 is open",
        "tracking 1Z999AA10123456784 shows nothing",
        "my account number is 415 555 0123",
        "app version number is 8.4.19.1046 and Version 10.0.15063.674",
    ],
)
def test_order_invoice_ticket_and_tracking_numbers_are_not_phones(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "email",
    [
        "john dot smith at gmail dot com",
        "JOHN DOT SMITH AT GMAIL DOT COM",
        "john.smith [at] example [dot] com",
        "john dot smith (at) gmail (dot) com",
        "jo {at} mail {dot} co {dot} uk",
        "jane @ outlook.com",
        "jane.doe at gmail.com",
    ],
)
def test_emails_spelled_with_at_and_dot_are_masked_whole(email: str) -> None:
    assert redact(f"write to {email} please") == "write to [email] please"


def test_at_and_dot_in_prose_are_not_an_email() -> None:
    for text in ("I looked at the dot com site", "I shop at amazon.com", "meet at example.com"):
        assert redact(text) == text
    assert redact("e-mail me at jane at example dot com") == "e-mail me at [email]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see linkedin.com/in/jane-doe-123 now", "see linkedin.com/in/[user] now"),
        ("see uk.linkedin.com/in/jane-doe-123/", "see uk.linkedin.com/in/[user]/"),
        ("twitter.com/jane_doe/status/123", "twitter.com/[user]/status/123"),
        (
            "facebook.com/jane.doe or m.facebook.com/jdoe",
            "facebook.com/[user] or m.facebook.com/[user]",
        ),
        ("instagram.com/jane_doe", "instagram.com/[user]"),
        (
            "tiktok.com/@jane_doe and youtube.com/@janedoe",
            "tiktok.com/@[user] and youtube.com/@[user]",
        ),
        ("github.com/janedoe, reddit.com/user/jdoe", "github.com/[user], reddit.com/user/[user]"),
        ("pronet.com/in/jane-doe", "pronet.com/in/[user]"),
        (
            "https://www.facebook.com/profile.php?id=100012345678",
            "https://www.facebook.com/profile.php?id=[user]",
        ),
    ],
)
def test_profile_links_with_or_without_a_scheme_lose_the_person(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_social_sites_own_pages_are_not_profiles() -> None:
    text = "see twitter.com/search, facebook.com/help/123 and instagram.com/explore"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my IP is 203.0.113.7.", "my IP is [ip]."),
        ("from 192.168.001.010:8080 again", "from [ip]:8080 again"),
        ("http://10.0.0.1/admin fails", "http://[ip]/admin fails"),
        ("IPv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 here", "IPv6 [ip] here"),
        ("via 2001:db8::1 and ::ffff:192.0.2.128", "via [ip] and [ip]"),
        ("fe80::1ff:fe23:4567:890a%", "[ip]%"),
    ],
)
def test_ipv4_and_ipv6_addresses_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_versions_times_and_dates_are_not_ip_addresses() -> None:
    text = "version 1.2.3.4, build 10.0.0.1, Chrome 120.0.6099.110, 14:30:00, 05.12.2023, add::ed"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOB: 12/03/1985", "DOB: [dob]"),
        ("D.O.B. 1985-03-12", "D.O.B. [dob]"),
        ("my date of birth is 3 March 1990.", "my date of birth is [dob]."),
        ("I was born on March 3, 1990 in Leeds", "I was born on [dob] in Leeds"),
        ("born 3rd of May 1978", "born [dob]"),
        ("birthday: 12.03.85", "birthday: [dob]"),
        ("born in 1990", "born in [dob]"),
    ],
)
def test_dates_of_birth_are_masked_after_their_cue(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_dates_without_a_birth_cue_stay() -> None:
    text = "Charged on 12/03/2024, renewed 3 March 2024; born to run 5 km in 2019"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("passport no 123456789", "passport no [id]"),
        ("my passport number is X1234567.", "my passport number is [id]."),
        ("national insurance number QQ 12 34 56 A", "national insurance number [id]"),
        ("my SIN is 046 454 286", "my SIN is [id]"),
        ("NHS number 943 476 5919", "NHS number [id]"),
        ("driver's license number D1234567", "driver's license number [id]"),
        ("Aadhaar 1234 5678 9012 and PAN card ABCDE1234F", "Aadhaar [id] and PAN card [id]"),
        ("NI number AB123456C", "NI number [ssn]"),  # a valid NI number keeps its token
    ],
)
def test_identity_numbers_are_masked_after_their_cue(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_numbers_after_look_alike_words_stay() -> None:
    text = "Since 2019 the passport photo upload failed 3 times; sin 12345; ticket 123456789"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is Jane Doe and", "my name is [name] and"),
        ("my name is jane doe", "my name is [name]"),
        ("Name: Zbigniew Brzezinski", "Name: [name]"),
        ("Hi, I'm Sarah Connor.", "Hi, I'm [name]."),
        ("I am Priya and", "I am [name] and"),
        ("this is John from accounts", "this is [name] from accounts"),
        ("Hi Sarah, the app", "Hi [name], the app"),
        ("Dear Mr Smith,", "Dear Mr [name],"),
        ("Regards, John Smith", "Regards, [name]"),
        ("it broke. Thanks, Jane", "it broke. Thanks, [name]"),
        ("Sincerely, Oluwaseun Adebayo", "Sincerely, [name]"),
        ("the agent Sarah Connor hung up", "the agent [name] hung up"),
        ("John F. Smith called", "[name] called"),
    ],
)
def test_names_are_masked_where_their_context_says_so(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hi team, the feed is empty. Thanks, Support",
        "Hello ProNet, Thanks Spotify, Dear Customer",
        "Hey Alexa, Grace Period and Easy Apply are broken",
        "I am Premium and this is Apple being slow",
        "My Network tab, Sales Navigator and Recruiter Lite fail on Monday",
    ],
)
def test_capitalised_words_that_are_not_names_in_context_stay(text: str) -> None:
    assert redact(text) == text


def test_hostile_inputs_are_redacted_quickly() -> None:
    hostile = ["1" * 20000, "+" + "1 " * 10000, "@a" * 10000, "12 Aa Bb " * 2000, "a." * 10000]
    hostile += ["a dot " * 5000, "1:" * 10000, "Hi Sarah " * 3000, "passport 1 " * 3000]
    hostile += ["my name is " * 3000, "1.1." * 5000]
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
    # the passes of SCREEN_GATES, alone and together with the others
    "my name is Jane Doe, DOB 12/03/1985, passport no X1234567, IP 10.0.0.1",
    "Hi Sarah, reach me at john dot smith at gmail dot com or (555) 123-4567 x89",
    "linkedin.com/in/jane-doe-123 and facebook.com/profile.php?id=100012345678",
    "order no 415-555-0123 and invoice 415-555-0123 from 2001:db8::1",
    "born on March 3, 1990 - NHS number 943 476 5919, SIN 046 454 286",
    "Regards, John Smith, sent from 192.168.1.1:8080",
    "I'm Priya Patel and my number is 07700 900123 ext 12. Thanks, Jane",
    "Dear Mr Smith, my NI number is QQ 12 34 56 A and my date of birth 1985-03-12",
    "call Sarah Smithson-Whitfield-Jones 5550132",
    "mobile: jo at gmail dot com 555 1234 - Hi Olumide, name: Zbigniew Brzezinski",
    "jane @ gmail.com, jo {at} mail {dot} co {dot} uk, john dot smith (at) gmail (dot) com",
    "http://203.0.113.9/admin and https://twitter.com/janedoe and tiktok.com/@jane_doe",
    "Version 1.2.3.4, build 10.0.0.1 at 14:30:00; cafe::beef and fe80::1ff:fe23:4567:890a",
    "my name is jane doe and I was born in 1990",
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


# The kind each screening gate stands for (a kind can change a text only if its gate is open).
SCREEN_GATE_KINDS = {"ip": "ip", "dob": "dob", "national_id": "id", "name": "name"}


def test_each_screening_gate_opens_in_duckdb_and_python_for_every_text_its_pass_changes(
    corpus: list[dict],
) -> None:
    # DuckDB has no column for these gates, only ANY_GATE: if a gate missed a text its pass
    # changes, ingest would never send that text to Python and the datum would stay
    assert set(SCREEN_GATE_KINDS) == set(SCREEN_GATES)
    texts = [record["text"] for record in corpus] + GATE_PROBES + _generated_tickets(1000)
    if BANKING77_TEST.exists():
        with BANKING77_TEST.open(encoding="utf-8", newline="") as rows:
            texts += [row["text"] for row in csv.DictReader(rows)]
    texts = [clean_text(text) for text in texts]
    con = duckdb.connect()
    con.register("texts", pa.table({"line": list(range(len(texts))), "text": texts}))
    select = ", ".join(f"regexp_matches(text, ${name}) as {name}" for name in SCREEN_GATES)
    opened = con.execute(
        f"select {select}, regexp_matches(text, $any_gate) as any_gate from texts order by line",
        {**SCREEN_GATES, "any_gate": ANY_GATE},
    ).fetchall()
    changed_by_kind = Counter()
    for text, row in zip(texts, opened, strict=True):
        counts = redaction_counts(text)
        for (gate, kind), is_open in zip(SCREEN_GATE_KINDS.items(), row, strict=False):
            if counts[kind]:
                changed_by_kind[kind] += 1
                assert is_open and re.search(SCREEN_GATES[gate], text), (gate, text)
                assert row[-1], text
    assert min(changed_by_kind[kind] for kind in SCREEN_GATE_KINDS.values()) >= 30


def test_screening_gates_send_few_ordinary_texts_to_python() -> None:
    # the name gate opens on any known first name; on support tickets that must stay rare,
    # or ingest redacts most texts in Python
    tickets = [clean_text(text) for text in _generated_tickets(3000)]
    screened = [text for text in tickets if any(re.search(p, text) for p in SCREEN_GATES.values())]
    assert len(screened) < 0.05 * len(tickets), screened[:5]


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
    monkeypatch.setattr(workers, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(workers, "CHUNK_TEXTS", 7)
    texts = [clean_text(text) for text in GATE_PROBES + _generated_tickets(400)]
    texts += texts[:5]  # repeated texts share one call
    assert _ingest_gated(texts, workers=2) == [redact(text) for text in texts]


def test_clean_texts_shares_large_batches_with_the_worker_and_keeps_the_order(
    monkeypatch,
) -> None:
    monkeypatch.setattr(workers, "PARALLEL_MIN_TEXTS", 10)
    monkeypatch.setattr(workers, "CHUNK_TEXTS", 7)
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
    forced = tuple((*entry[:4], lambda _text: True) for entry in redact_passes._DIGIT_PASSES)
    monkeypatch.setattr(redact_passes, "_DIGIT_PASSES", forced)
    for cheap_test in ("_may_email", "_may_spell_email", "_may_ip", "_bare_url_hint"):
        monkeypatch.setattr(redact_passes, cheap_test, lambda *_args: True)
    for cheap_test in ("may_have_dob", "may_have_id", "may_have_name"):
        monkeypatch.setattr(redact_passes, cheap_test, lambda *_args: True)
    monkeypatch.setattr(redact_passes, "_still_open", lambda text, gates: gates)
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
    assert fooling == set(redact_screens._CASE_TRAPS)


def test_a_ticket_with_every_kind_of_personal_data_loses_all_of_it_at_ingest(
    tmp_path: Path,
) -> None:
    from pulse.db import connect
    from pulse.demo import TICKET_COLUMNS
    from pulse.ingest import ingest_paths

    # one item of every kind, with what must vanish from text_redacted
    items = {
        "email": ("john dot smith at gmail dot com", ["john", "smith at gmail"]),
        "card": ("4111 1111 1111 1111", ["4111 1111"]),
        "iban": ("GB82 WEST 1234 5698 7654 32", ["WEST 1234"]),
        "ssn": ("078-05-1120", ["078-05-1120"]),
        "phone": ("(555) 123-4567 x89", ["123-4567", "x89"]),
        "address": ("221B Baker Street", ["Baker"]),
        "handle": ("@janedoe99", ["janedoe99"]),
        "profile": ("linkedin.com/in/jane-doe-123", ["jane-doe-123"]),
        "ip": ("203.0.113.7 and 2001:db8::7", ["203.0.113.7", "2001:db8::7"]),
        "dob": ("12/03/1985", ["12/03/1985"]),
        "id": ("X1234567", ["X1234567"]),
        "name": ("Sarah Connor", ["Sarah", "Connor"]),
    }
    assert set(items) == set(KINDS)
    v = {kind: value for kind, (value, _hidden) in items.items()}
    body = (
        f"Hi, my name is {v['name']}, DOB {v['dob']}, passport no {v['id']}. Email "
        f"{v['email']} or call {v['phone']}. Card {v['card']}, IBAN {v['iban']}, SSN "
        f"{v['ssn']}. I live at {v['address']}. cc {v['handle']}, see {v['profile']}, my IP is "
        f"{v['ip']}. My order no 415-555-0123 is late."
    )
    bodies = {
        "T-plain": body,  # cleaned in SQL
        "T-html": f"<p>{body}</p><p>Thanks &amp; regards</p>",  # cleaned in Python
        "T-name-only": "Thanks, the feed works again. Regards, Sarah Connor",
    }
    source = tmp_path / "tickets.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TICKET_COLUMNS)
        writer.writeheader()
        for ticket_id, text in bodies.items():
            row = dict.fromkeys(TICKET_COLUMNS, "")
            row.update(
                ticket_id=ticket_id,
                created_at="2026-11-10T10:00:00Z",
                channel="email",
                subject="Account",
                body=text,
                is_escalated="false",
            )
            writer.writerow(row)
    with connect(tmp_path / "pulse.duckdb") as con:
        [report] = ingest_paths(con, [source], source="demo_tickets", brand_handles=())
        rows = dict(con.execute("select external_id, text_redacted from feedback").fetchall())
    assert report.rows_loaded == 3 and set(rows) == set(bodies)
    for ticket_id, redacted in rows.items():
        leaked = [
            (kind, hidden)
            for kind, (_value, hiding) in items.items()
            for hidden in hiding
            if hidden in redacted
        ]
        assert leaked == [], (ticket_id, redacted)
    for ticket_id in ("T-plain", "T-html"):
        assert "order no 415-555-0123" in rows[ticket_id]
        for token in ("[email]", "[phone]", "[ip]", "[dob]", "[id]", "[name]", "[user]"):
            assert token in rows[ticket_id], (token, rows[ticket_id])
