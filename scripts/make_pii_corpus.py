"""Write tests/data/pii_corpus.jsonl: planted personal data and ordinary texts for redaction.

The corpus is generated, not collected, so it holds no real person's data and can be
rebuilt byte for byte: `python scripts/make_pii_corpus.py` (a test checks that the
committed file equals a fresh build).

Each line is one support text:
``{"id", "text", "planted": [{"kind", "value", "token", "fragments"}], "keep": [...]}``.
`fragments` are the pieces that must not survive redaction (the value itself, its
runs of 4+ digits, an e-mail's local part, a handle's name); `keep` are ordinary
strings (ticket ids, dates, prices, versions, brand handles) that must survive
unchanged. Records whose id starts with "clean-" plant nothing and must come out
exactly as they went in.

The values come from `pulse.demo.fake_pii.formats` (their words and places from
pulse/demo/fake_pii/vocabulary.yaml); this script places them in support texts.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from pulse.demo.fake_pii import formats

SEED = 20261122
CORPUS_PATH = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_corpus.jsonl"

TEMPLATES_ONE = [
    "Hi, ticket {ticket}: since the iOS {ios} update on {date} I can't sign in; {a}.",
    "@ProNetHelp I was billed {price} twice on {date}, {a}. Order {order}.",
    "Premium renewal failed at {time} ({pct} of my invites lost). {a} please.",
    "Still waiting on {ticket} after 3 days... {a}, app {version}.",
    "The {price} charge is wrong. {a}. Sent from Android {android}.",
    "{a} - nobody answered my chat on {date} at {time}.",
    "Your recruiter tool ({version}) keeps crashing, {a}, ref {ticket}.",
    "Hello @ProNet, {a}. My plan is {price} and it renewed on {date}.",
]
TEMPLATES_TWO = [
    "Ticket {ticket}: {a}, and {b}. Charged {price} on {date}.",
    "{a}; also {b}. This started with {version} at {time}.",
    "@ProNetHelp please help, {a} and {b}! Order {order}, {pct} refund promised.",
    "I've written 4 times ({ticket}). {a}, otherwise {b}.",
]

CLEAN_TEXTS = [
    "On 2024-03-15 at 14:30 I was charged $29.99 instead of £19.99/month.",
    "Ticket ZD-104233 is still open, and #12345 was closed without an answer.",
    "After updating to v4.2.1 on iOS 17.1 the feed is blank.",
    "Conversion dropped 12.5% in 2023 and another 3% this year.",
    "I have 3 connections pending and 2 messages I can't open.",
    "The app crashed at 09:15 and again at 10:30-11:45 on 2024-11-04T10:30:00Z.",
    "Renewal is €39.00 per month, or $299 a year; I was billed 2 times.",
    "Android 14 build 2024.11.3 fails to load the jobs tab.",
    "See https://www.pronet.com/help/articles/360012345 and https://help.pronet.com/hc/en-us",
    "@ProNetHelp and @ProNet, please answer ticket ZD-998877.",
    "Step 2 Open Road Map was not in the tutorial; Step 3 Click Close did nothing.",
    "My Mac M2 8GB freezes when I open messages at 3 PM Dr appointments and video calls.",
    "Dates 05.12.2023 and 15/03/2024 both show as invalid; version 1.2.3.4 too.",
    "Premium costs 19.99 GBP; 1 in 4 users see the error (25%).",
    "Order 1234567890123 was never delivered.",
    "Version 10.4.2 (build 5512) still has the bug from 10.3.",
    "Page 2 of the billing history lists 14 invoices for 2022 and 2023.",
    "Your status page said 99.9% uptime but I saw 4 outages in 2 weeks.",
    "My invoice INV-2024-00317 shows 15 seats at $12.50 each.",
    "It took 45 minutes and 3 agents; CSAT 1/5, NPS 0.",
    "Q3 2024 numbers: 1,234 applications, 56 interviews, 7 offers.",
    "Error code 0x80070005 when exporting 250 contacts.",
    "Room 101 at the Level 2 meetup was great, 5 stars.",
    "Windows 11 Home 23H2 with Chrome 120.0.6099.110 shows a blank page.",
    "I paid 49.99 on 01-02-2024 and 49.99 on 01-03-2024.",
    "Tracking says 3 of 5 parcels arrived by 18:00.",
    "Case 00123456 was escalated twice (tier 2, then tier 3).",
    "I lost 1500 followers and 20 endorsements overnight.",
    "The job post #A-55321 expired after 30 days instead of 60.",
    "ProNet Learning course 7 of 12 won't mark as complete.",
    "My order no 415-555-0123 has not shipped and invoice 415-555-0123 was paid twice.",
    "Ticket #12345678 is open; tracking 1Z999AA10123456784 shows no movement.",
    "Order number 4155550123 and reference number is 2125550199.",
    "Hi team, the export at 14:30:00 failed again. Thanks, Support",
    "Updated to version 1.2.3.4 and build 10.0.0.1, still crashing at 10:30:45.",
    "Hey Alexa, the Echo stopped at 3:45 and Grace Period ended on 2024-03-01.",
    "I looked at the dot com site and the app; I shop at amazon.com anyway.",
    "Dear ProNet, your Premium plan is $29.99 and Easy Apply is broken.",
    "Born to run: my 5 km app logs 3 runs a week since 2019.",
    "The passport photo upload failed 3 times; the ID card scan works.",
    "Thanks ProNet, the My Network tab loads again after 2 days.",
    "I am on iOS 17.1 and this is Premium Plus, billed 12 times.",
    "Hello Support, my Saved Jobs list shows 0 of 25 items.",
    "Spoke with an agent at 9:15, ratio 16:9 videos still crop.",
    "The Sales Navigator seat costs $79.99; Recruiter Lite is $170.",
]


def _planted(kind: str, value: str) -> dict:
    # a port after an IPv4 address ("172.16.4.8:8080") is no one's: only the address must go
    hidden = value.split(":")[0] if kind == "ip" and value.count(":") == 1 else value
    fragments = [hidden]
    fragments += [run for run in re.findall(r"\d+", hidden) if len(run) >= 4]
    if kind == "email":
        fragments.append(re.split(r"\s?[@\[({]| at ", value)[0])
    if kind == "handle":
        fragments.append(value)
    if kind == "profile":
        fragments.append(value.rsplit("/", 1)[1])
    token = {
        "email": "[email]",
        "phone": "[phone]",
        "card": "[card]",
        "iban": "[iban]",
        "ssn": "[ssn]",
        "address": "[address]",
        "handle": "@[user]",
        "profile": "[user]",
        "ip": "[ip]",
        "dob": "[dob]",
        "id": "[id]",
        "name": "[name]",
    }[kind]
    return {"kind": kind, "value": value, "token": token, "fragments": sorted(set(fragments))}


def _item(rng: random.Random, kind: str) -> tuple[dict, str]:
    if kind == "name":
        value, text, words = formats.person_name(rng)
        item = _planted(kind, value)
        item["fragments"] = sorted(set(item["fragments"]) | set(words))
        return item, text
    if kind == "dob":
        value = formats.date_of_birth(rng)
        return _planted(kind, value), f"{rng.choice(formats.DOB_CUES)} {value}"
    if kind == "id":
        cue, shape = rng.choice(formats.ID_CUES)
        value = formats.id_number(rng, shape)
        return _planted(kind, value), f"{cue} {value}"
    if kind == "address":
        value, leadin = formats.street_address(rng)
    else:
        value = {
            "email": formats.email,
            "phone": formats.phone,
            "card": formats.card,
            "iban": formats.iban,
            "ssn": formats.ssn,
            "handle": formats.handle,
            "profile": formats.profile_url,
            "ip": formats.ip_address,
        }[kind](rng)
        leadin = rng.choice(formats.LEAD_INS[kind])
        if kind == "ssn" and not value[0].isdigit():
            leadin = "NI number"
        elif kind == "ssn" and " " in value:
            leadin = "my SSN is"
    return _planted(kind, value), f"{leadin} {value}"


def _ordinary(rng: random.Random) -> dict[str, str]:
    luhn_failing = formats.digits(rng, 15)
    while formats.luhn_ok(luhn_failing):
        luhn_failing = formats.digits(rng, 15)
    return {
        "ticket": rng.choice(
            [f"ZD-{rng.randint(100000, 999999)}", f"#{rng.randint(10000, 99999)}"]
        ),
        "date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "price": rng.choice(["$29.99", "£19.99/month", "€39.00", "$299", "£7.50"]),
        "pct": f"{rng.randint(1, 99)}%",
        "version": f"v{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        "ios": f"{rng.randint(15, 18)}.{rng.randint(0, 4)}",
        "android": str(rng.randint(10, 15)),
        "order": luhn_failing,
    }


KINDS = ["email", "phone", "card", "address", "handle", "iban", "ssn", "profile", "ip", "dob"]
KINDS += ["id", "name"]
ITEMS_PER_KIND = 40


def build_corpus(seed: int = SEED) -> list[dict]:
    """Build the records; the same seed gives the same list."""
    rng = random.Random(seed)
    # every kind planted ITEMS_PER_KIND times, in shuffled order; every third text has two
    schedule = [kind for kind in KINDS for _ in range(ITEMS_PER_KIND)]
    rng.shuffle(schedule)
    records: list[dict] = []
    index = 0
    while schedule:
        ordinary = _ordinary(rng)
        two = index % 3 == 0 and len(schedule) >= 2
        template = rng.choice(TEMPLATES_TWO if two else TEMPLATES_ONE)
        chosen = [schedule.pop() for _ in range(2 if two else 1)]
        planted, fillers = [], []
        for kind in chosen:
            item, filler = _item(rng, kind)
            planted.append(item)
            fillers.append(filler)
        slots = dict(ordinary, a=fillers[0], b=fillers[-1])
        text = template.format(**slots)
        keep = [ordinary[name] for name in ordinary if "{" + name + "}" in template]
        keep += [handle for handle in ("@ProNetHelp", "@ProNet") if handle in text]
        records.append({"id": f"pii-{index:04d}", "text": text, "planted": planted, "keep": keep})
        index += 1
    for index, text in enumerate(CLEAN_TEXTS):
        records.append({"id": f"clean-{index:04d}", "text": text, "planted": [], "keep": []})
    for index in range(20):
        order = _ordinary(rng)["order"]
        grouped = " ".join(order[i : i + 4] for i in range(0, len(order), 4))
        text = f"Order {grouped} was refunded ({order}) but the card was charged again."
        records.append({"id": f"clean-order-{index:04d}", "text": text, "planted": [], "keep": []})
    return records


def write_corpus(path: Path = CORPUS_PATH) -> None:
    """Write one JSON object per line, keys sorted, so a rebuild is byte-identical."""
    lines = [json.dumps(record, sort_keys=True, ensure_ascii=False) for record in build_corpus()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_corpus()
    print(f"wrote {CORPUS_PATH}")
