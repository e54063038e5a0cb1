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
"""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

SEED = 20261122
CORPUS_PATH = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_corpus.jsonl"

FIRST = [
    "jane",
    "john",
    "priya",
    "wei",
    "carlos",
    "amara",
    "liam",
    "sofia",
    "noah",
    "fatima",
    "oliver",
    "chloe",
    "mateo",
    "yuki",
    "ahmed",
    "grace",
    "lukas",
    "emma",
    "raj",
    "zoe",
]
LAST = [
    "doe",
    "smith",
    "patel",
    "chen",
    "garcia",
    "okafor",
    "murphy",
    "rossi",
    "kim",
    "khan",
    "brown",
    "dubois",
    "silva",
    "tanaka",
    "hassan",
    "walker",
    "schmidt",
    "jones",
    "singh",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "example.co.uk",
    "mail.example.org",
    "yahoo.fr",
    "company.io",
    "uni.ac.uk",
    "proton.me",
    "web.de",
    "fastmail.com",
]
STREET_NAMES = [
    "Baker",
    "Oak",
    "Maple",
    "High",
    "Church",
    "Elm",
    "Victoria",
    "Station",
    "Mill",
    "Cedar",
    "Pine",
    "Park",
    "Kings",
    "Queen",
    "Washington",
    "Lincoln",
    "Sunset",
    "Amphitheatre",
    "Evergreen",
    "Green Hill",
    "Old Mill",
    "5th",
    "42nd",
]
STRONG_TYPES = [
    "Street",
    "St",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Boulevard",
    "Blvd",
    "Lane",
    "Parkway",
    "Drive",
    "Highway",
]
WEAK_TYPES = ["Terrace", "Court", "Close", "Way", "Place", "Crescent", "Gardens", "Dr"]
US_CITIES = [
    ("Mountain View", "CA"),
    ("Austin", "TX"),
    ("Brooklyn", "NY"),
    ("Seattle", "WA"),
    ("Denver", "CO"),
    ("Miami", "FL"),
    ("Chicago", "IL"),
    ("Boston", "MA"),
]
UK_TOWNS = ["London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff", "York"]
UK_POSTCODES = [
    "SW1A 1AA",
    "SW1A 2AA",
    "NW1 6XE",
    "EC1A 1BB",
    "W1A 0AX",
    "M1 1AE",
    "B33 8TH",
    "CR2 6XH",
    "DN55 1PT",
    "LS1 4DY",
    "G2 3WT",
    "CF10 1EP",
    "YO1 7HH",
    "BS1 4DJ",
    "E14 5AB",
    "N1 9GU",
]
PROFILE_HOSTS = [
    "https://www.pronet.com/in/",
    "https://pronet.com/profile/",
    "https://twitter.com/",
    "https://x.com/",
    "https://www.facebook.com/",
    "linkedin.com/in/",
    "www.linkedin.com/in/",
    "uk.linkedin.com/in/",
    "pronet.com/in/",
    "twitter.com/",
    "x.com/",
    "facebook.com/",
    "m.facebook.com/",
    "instagram.com/",
    "https://www.instagram.com/",
    "tiktok.com/@",
    "github.com/",
    "reddit.com/user/",
    "youtube.com/@",
    "medium.com/@",
    "t.me/",
]

LEADINS = {
    "email": ["email me at", "my address is", "reply to", "my login is", "contact"],
    "phone": [
        "call me on",
        "my mobile is",
        "phone:",
        "please ring",
        "text me on",
        "my number is",
        "reach me on",
    ],
    "card": [
        "my card",
        "the card ending in full is",
        "charged to card",
        "card number",
        "I paid with",
    ],
    "iban": ["my IBAN is", "refund to IBAN", "account"],
    "ssn": ["my SSN is", "social security number", "NI number"],
    "address": [
        "ship to",
        "I live at",
        "my address is",
        "deliver to",
        "address:",
        "the invoice went to",
        "I moved to",
        "office at",
    ],
    "handle": ["my colleague", "ask", "cc", "thanks to"],
    "profile": ["my profile", "see", "this fake account", "my page is", "find me at"],
    "ip": ["my IP is", "it blocked", "logins came from", "the router at", "IP address:", "from"],
}
# A date of birth and an identity number are found by their cue, which the lead-in carries.
DOB_CUES = [
    "my DOB is",
    "DOB:",
    "D.O.B.",
    "date of birth",
    "my date of birth is",
    "born on",
    "I was born on",
    "born",
    "birth date:",
    "birthday:",
    "dob",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
ID_CUES = [
    ("passport no", "passport"),
    ("passport number", "passport"),
    ("my passport number is", "passport"),
    ("passport #", "passport"),
    ("Passport:", "passport"),
    ("national insurance number", "ni"),
    ("NI number", "ni"),
    ("my SIN is", "sin"),
    ("SIN:", "sin"),
    ("social insurance number", "sin"),
    ("NHS number", "nhs"),
    ("driver's license number", "licence"),
    ("driving licence", "licence"),
    ("national ID", "national"),
    ("ID card number", "national"),
    ("Aadhaar", "aadhaar"),
    ("PAN card", "pan"),
    ("tax ID", "tin"),
]
# Names are the lexicon's own (pulse/redact/lexicons) and some it lacks, which need a strong cue.
NAME_FIRST = ["Sarah", "John", "Jane", "Priya", "Wei", "Carlos", "Amara", "Liam", "Sofia",
              "Noah", "Fatima", "Oliver", "Chloe", "Mateo", "Yuki", "Ahmed", "Lukas", "Emma",
              "Raj", "Zoe", "Michael", "Jennifer", "David", "Linda", "Thomas", "Olga"]  # fmt: skip
NAME_LAST = ["Connor", "Smith", "Doe", "Patel", "Chen", "Garcia", "Okafor", "Murphy", "Rossi",
             "Kim", "Khan", "Dubois", "Silva", "Tanaka", "Hassan", "Walker", "Schmidt", "Jones",
             "Singh", "Johnson", "Williams", "Nguyen"]  # fmt: skip
UNLISTED_NAMES = ["Zbigniew Brzezinski", "Oluwaseun Adebayo", "Xochitl Ramirez", "Eamon Gallagher"]

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


def _luhn_complete(partial: str) -> str:
    """Append the check digit that makes `partial` Luhn-valid."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return partial + str((10 - total % 10) % 10)


def _luhn_ok(digits: str) -> bool:
    return _luhn_complete(digits[:-1]) == digits


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _email(rng: random.Random) -> str:
    first, last, domain = rng.choice(FIRST), rng.choice(LAST), rng.choice(DOMAINS)
    style = rng.randrange(11)
    if style == 0:
        return f"{first}.{last}@{domain}"
    provider = rng.choice(["gmail", "outlook", "yahoo", "hotmail", "icloud"])
    if style == 7:
        return f"{first} dot {last} at {provider} dot com"
    if style == 8:
        return f"{first}.{last} {{at}} {provider} {{dot}} com"
    if style == 9:
        return f"{first} dot {last} (at) {provider} (dot) com"
    if style == 10:
        return f"{first}{last} @ {provider}.com"
    if style == 1:
        return f"{first}_{last}{rng.randrange(10, 99)}@{domain}"
    if style == 2:
        return f"{first[0]}.{last}+pronet@{domain}"
    if style == 3:
        return f"{first.upper()}.{last.upper()}@{domain.upper()}"
    name, host = domain.rsplit(".", 1)
    if style == 6:
        return f"{first}{rng.randint(1, 99)} at {rng.choice(['gmail', 'outlook'])} dot com"
    if style == 4:
        return f"{first}{last} (at) {name} (dot) {host}"
    return f"{first}.{last} [at] {name} [dot] {host}"


def _phone(rng: random.Random) -> str:
    def d(count: int) -> str:
        return _digits(rng, count)

    def nanp3() -> str:
        return str(rng.randint(2, 9)) + d(2)

    formats = [
        lambda: f"+44 20 7946 {d(4)}",
        lambda: f"+44 7700 {d(6)}",
        lambda: f"+44 (0)20 7946 {d(4)}",
        lambda: f"+447700{d(6)}",
        lambda: f"({nanp3()}) {nanp3()}-{d(4)}",
        lambda: f"{nanp3()}.{nanp3()}.{d(4)}",
        lambda: f"+1-{nanp3()}-{nanp3()}-{d(4)}",
        lambda: f"{nanp3()}-{nanp3()}-{d(4)}",
        lambda: f"1-800-{nanp3()}-{d(4)}",
        lambda: f"+1 ({nanp3()}) {nanp3()} {d(4)}",
        lambda: f"07700 {d(6)}",
        lambda: f"020 7946 {d(4)}",
        lambda: f"0161 496 {d(4)}",
        lambda: f"(020) 7946 {d(4)}",
        lambda: f"(555) {d(3)}-{d(4)} x{d(2)}",
        lambda: f"555-{d(3)}-{d(4)} ext. {d(2)}",
        lambda: f"({nanp3()}) {nanp3()}-{d(4)}, extension {d(1)}",
        lambda: f"{nanp3()}.555.{d(4)} ext {d(3)}",
        lambda: f"(555) 555-{d(4)} x{d(3)}",
        lambda: f"+49 30 {d(7)}",
        lambda: f"+49 (0)30 {d(4)} {d(4)}",
        lambda: f"030 {d(7)}",
        lambda: f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"06 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"+91 9{d(4)} {d(5)}",
        lambda: f"+61 2 9876 {d(4)}",
        lambda: f"0412 {d(3)} {d(3)}",
        lambda: f"({nanp3()}) {nanp3()}-{d(4)} ext. {d(3)}",
        lambda: f"0044 20 7946 {d(4)}",
        lambda: f"{nanp3()}{nanp3()}{d(4)}",
        lambda: f"+353 1 {d(3)} {d(4)}",
        lambda: f"(0)20 7946 {d(4)}",
        lambda: f"(02) 9876 {d(4)}",
        lambda: f"{nanp3()} {nanp3()}{d(4)}",
    ]
    return rng.choice(formats)()


def _card(rng: random.Random) -> str:
    prefix, length, groups = rng.choice(
        [
            ("4", 16, (4, 4, 4, 4)),
            ("51", 16, (4, 4, 4, 4)),
            ("55", 16, (4, 4, 4, 4)),
            ("2221", 16, (4, 4, 4, 4)),
            ("34", 15, (4, 6, 5)),
            ("37", 15, (4, 6, 5)),
            ("6011", 16, (4, 4, 4, 4)),
            ("3528", 16, (4, 4, 4, 4)),
            ("36", 14, (4, 6, 4)),
            ("4", 13, (13,)),
            ("62", 19, (4, 4, 4, 4, 3)),
        ]
    )
    number = _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
    separator = rng.choice([" ", "-", ""])
    parts, start = [], 0
    for size in groups:
        parts.append(number[start : start + size])
        start += size
    return separator.join(parts)


def _iban(rng: random.Random) -> str:
    country, bban = rng.choice(
        [
            ("GB", "WEST" + _digits(rng, 14)),
            ("DE", _digits(rng, 18)),
            ("NL", "ABNA" + _digits(rng, 10)),
            ("FR", _digits(rng, 23)),
            ("ES", _digits(rng, 20)),
        ]
    )
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if rng.random() < 0.5:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _ssn(rng: random.Random) -> str:
    if rng.random() < 0.6:
        area = rng.choice([n for n in range(1, 900) if n != 666])
        separator = rng.choice(["-", "-", " "])
        return separator.join(
            [f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"]
        )
    prefix = rng.choice(["AB", "CE", "JG", "PR", "TW", "HW", "NP"])
    digits = _digits(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix}{digits}{suffix}"
    return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"


def _address(rng: random.Random) -> tuple[str, str]:
    """Return an address and a lead-in that suits it (weak forms need a cue)."""
    number = str(rng.choice([rng.randint(1, 99), rng.randint(100, 9999)]))
    name = rng.choice(STREET_NAMES)
    style = rng.randrange(11)
    if style == 0:
        return f"{number} {name} {rng.choice(STRONG_TYPES)}", rng.choice(LEADINS["address"])
    if style == 1:
        city, state = rng.choice(US_CITIES)
        street = f"{number} {name} {rng.choice(STRONG_TYPES)}"
        return f"{street}, {city}, {state} {_digits(rng, 5)}", rng.choice(LEADINS["address"])
    if style == 2:
        street = f"{number}{rng.choice('ABC')} {name} {rng.choice(STRONG_TYPES)}"
        return f"{street}, {rng.choice(UK_TOWNS)} {rng.choice(UK_POSTCODES)}", "address:"
    if style == 3:
        unit = rng.choice(["Flat 3", "Apt 4B", "Unit 12", "Suite 210"])
        street = f"{number} {name} {rng.choice(STRONG_TYPES + WEAK_TYPES)}"
        return f"{unit}, {street}", rng.choice(LEADINS["address"])
    if style == 4:
        return f"{number} {name} {rng.choice(WEAK_TYPES)}", rng.choice(
            ["I live at", "ship to", "deliver to", "my address is"]
        )
    if style == 5:
        street = f"{number} {name.lower()} {rng.choice(STRONG_TYPES + WEAK_TYPES).lower()}"
        return street, rng.choice(["ship to", "I live at", "my address is", "send it to"])
    if style == 6:
        return rng.choice(UK_POSTCODES), "my postcode is"
    if style == 7:
        city, state = rng.choice(US_CITIES)
        return f"{city}, {state} {_digits(rng, 5)}", "billing address"
    if style == 8:
        return f"PO Box {rng.randint(10, 99999)}", "mail it to"
    if style == 9:
        street = rng.choice(["Hauptstraße", "Lindenweg", "Marktplatz", "Keizersgracht"])
        return f"{street} {number}, {_digits(rng, 5)} {rng.choice(['Berlin', 'Köln'])}", "address:"
    street = rng.choice(["rue de Rivoli", "avenue des Champs-Élysées", "via Roma", "calle Mayor"])
    return f"{number} {street}, {_digits(rng, 5)} {rng.choice(['Paris', 'Lyon'])}", "send it to"


def _handle(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(4)
    if style == 0:
        return f"@{first}_{last}"
    if style == 1:
        return f"@{first.capitalize()}{last.capitalize()}{rng.randint(1, 99)}"
    if style == 2:
        return f"@{first[0]}{last}"
    return f"@{first}{rng.randint(1970, 2005)}"


def _profile(rng: random.Random) -> str:
    host = rng.choice(PROFILE_HOSTS)
    name = f"{rng.choice(FIRST)}-{rng.choice(LAST)}-{rng.randint(100, 999)}"
    if "pronet" not in host and "linkedin" not in host:
        name = name.replace("-", "_")
    return host + name


def _ip(rng: random.Random) -> str:
    def octet() -> int:
        return rng.randint(1, 254)

    def group() -> str:
        return f"{rng.randrange(16**4):x}"

    formats = [
        lambda: f"203.0.113.{octet()}",
        lambda: f"198.51.100.{octet()}",
        lambda: f"{rng.randint(11, 223)}.{octet()}.{octet()}.{octet()}",
        lambda: f"192.168.{rng.randint(0, 9)}.{octet()}",
        lambda: f"10.{octet()}.{octet()}.{octet()}",
        lambda: f"172.16.{octet()}.{octet()}:8080",
        lambda: f"2001:db8:{group()}::{group()}",
        lambda: ":".join(f"{rng.randrange(16**4):04x}" for _ in range(8)),
        lambda: f"2001:0db8:85a3:0000:0000:8a2e:0370:{rng.randrange(10**4):04d}",
        lambda: f"fe80::{group()}:{group()}:{rng.randint(1000, 9999)}",
        lambda: f"::ffff:192.0.2.{octet()}",
        lambda: f"2a00:1450:4009:{rng.randint(100, 999)}::200e",
    ]
    return rng.choice(formats)()


def _dob(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1940, 2008)
    name = MONTHS[month - 1]
    formats = [
        f"{day:02d}/{month:02d}/{year}",
        f"{year}-{month:02d}-{day:02d}",
        f"{day} {name} {year}",
        f"{name} {day}, {year}",
        f"{day}{'th' if day > 3 else ['st', 'nd', 'rd'][day - 1]} of {name} {year}",
        f"{day:02d}.{month:02d}.{year % 100:02d}",
        f"{name[:3]} {day} {year}",
        f"{month}-{day}-{year}",
    ]
    return rng.choice(formats)


def _id_number(rng: random.Random, shape: str) -> str:
    def d(count: int) -> str:
        return _digits(rng, count)

    letters = string.ascii_uppercase
    if shape == "passport":
        return rng.choice(
            [d(9), f"{rng.choice(letters)}{d(7)}", f"GB {d(4)} {d(4)}", f"C01X{d(2)}T{d(2)}"]
        )
    if shape == "ni":
        # shapes the NINO pass rejects (Q, D, F, U or V first): only the cue finds them
        prefix = rng.choice("QDFUV") + rng.choice(letters)
        return f"{prefix} {d(2)} {d(2)} {d(2)} {rng.choice('ABCD')}"
    if shape == "sin":
        return rng.choice([f"{d(3)} {d(3)} {d(3)}", f"{d(3)}-{d(3)}-{d(3)}", d(9)])
    if shape == "nhs":
        return f"{d(3)} {d(3)} {d(4)}"
    if shape == "licence":
        return rng.choice([f"MORGA{d(6)}SM9IJ", f"D{d(7)}", f"{d(3)}-{d(3)}-{d(3)}"])
    if shape == "national":
        return rng.choice([f"{d(8)}{rng.choice(letters)}", f"ID{d(7)}", f"{d(4)} {d(4)} {d(4)}"])
    if shape == "aadhaar":
        return f"{d(4)} {d(4)} {d(4)}"
    if shape == "pan":
        return "".join(rng.choice(letters) for _ in range(5)) + d(4) + rng.choice(letters)
    return f"{d(2)}-{d(7)}"


def _name(rng: random.Random) -> tuple[str, str, list[str]]:
    """A name in a context that reveals it: the value, the text and the words to hide."""
    first, last = rng.choice(NAME_FIRST), rng.choice(NAME_LAST)
    full = f"{first} {last}"
    contexts = [
        (full, f"my name is {full}"),
        (full, f"I'm {full}"),
        (first, f"I am {first}"),
        (first, f"this is {first} from the finance team"),
        (first, f"Hi {first},"),
        (first, f"hello {first}"),
        (last, f"Dear Mr {last},"),
        (last, f"Ms. {last} said"),
        (full, f"Regards, {full}"),
        (first, f"Thanks, {first}"),
        (full, f"Sincerely, {full}"),
        (full, f"the agent {full} was rude"),
        (full, f"I spoke with {full}"),
        (full, f"Name: {full}"),
        (full.lower(), f"my name is {full.lower()}"),
    ]
    value, text = rng.choice(contexts)
    if rng.random() < 0.15:
        value = rng.choice(UNLISTED_NAMES)
        text = rng.choice([f"my name is {value}", f"Regards, {value}", f"Sincerely, {value}"])
    return value, text, value.split()


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
        value, text, words = _name(rng)
        item = _planted(kind, value)
        item["fragments"] = sorted(set(item["fragments"]) | set(words))
        return item, text
    if kind == "dob":
        value = _dob(rng)
        return _planted(kind, value), f"{rng.choice(DOB_CUES)} {value}"
    if kind == "id":
        cue, shape = rng.choice(ID_CUES)
        value = _id_number(rng, shape)
        return _planted(kind, value), f"{cue} {value}"
    if kind == "address":
        value, leadin = _address(rng)
    else:
        value = {
            "email": _email,
            "phone": _phone,
            "card": _card,
            "iban": _iban,
            "ssn": _ssn,
            "handle": _handle,
            "profile": _profile,
            "ip": _ip,
        }[kind](rng)
        leadin = rng.choice(LEADINS[kind])
        if kind == "ssn" and not value[0].isdigit():
            leadin = "NI number"
        elif kind == "ssn" and " " in value:
            leadin = "my SSN is"
    return _planted(kind, value), f"{leadin} {value}"


def _ordinary(rng: random.Random) -> dict[str, str]:
    luhn_failing = _digits(rng, 15)
    while _luhn_ok(luhn_failing):
        luhn_failing = _digits(rng, 15)
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
