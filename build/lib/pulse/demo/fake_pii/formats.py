"""Personal data in every format redaction must catch: the redaction corpus's values.

scripts/make_pii_corpus.py plants these in support texts to score `pulse.redact`: spelled-out
and bracketed e-mail addresses, phone numbers with extensions and trunk prefixes, cards of
every network, IBANs, SSNs and NI numbers, street lines of several countries, handles,
profile links, IP addresses, dates of birth, identity numbers and names in context. Each
function draws only from the generator it is given, in a fixed order, so the corpus
rebuilds byte for byte. The words and places come from `vocabulary.yaml` beside this file.
"""

from __future__ import annotations

import random
import string

from pulse.demo.corpus import BLOCKS, read_data

_VOCABULARY = read_data("fake_pii/vocabulary.yaml")
FIRST = _VOCABULARY["first_names"]
LAST = _VOCABULARY["last_names"]
DOMAINS = _VOCABULARY["email_domains"]
STREET_NAMES = _VOCABULARY["street_names"]
STRONG_TYPES = _VOCABULARY["strong_street_types"]
WEAK_TYPES = _VOCABULARY["weak_street_types"]
US_CITIES = _VOCABULARY["us_cities"]
UK_TOWNS = _VOCABULARY["uk_towns"]
UK_POSTCODES = _VOCABULARY["uk_postcodes"]
PROFILE_HOSTS = _VOCABULARY["profile_hosts"]
#: Words that lead in to a value of each kind ("email me at", "my IBAN is" ...).
LEAD_INS: dict[str, list[str]] = _VOCABULARY["lead_ins"]
#: A date of birth and an identity number are found by their cue, which the lead-in carries.
DOB_CUES = _VOCABULARY["dob_cues"]
#: (cue, shape of the number that follows it), shapes as `id_number` knows them.
ID_CUES = _VOCABULARY["id_cues"]
#: Names of redaction's lexicon (pulse/redact/lexicons) and some it lacks, which need a strong cue.
NAME_FIRST = _VOCABULARY["name_first"]
NAME_LAST = _VOCABULARY["name_last"]
UNLISTED_NAMES = _VOCABULARY["unlisted_names"]
MONTHS = BLOCKS["months"]


def luhn_complete(partial: str) -> str:
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


def luhn_ok(number: str) -> bool:
    """Whether a string of digits passes the Luhn check (its last digit is the check digit)."""
    return luhn_complete(number[:-1]) == number


def digits(rng: random.Random, count: int) -> str:
    """`count` random decimal digits."""
    return "".join(rng.choice(string.digits) for _ in range(count))


def email(rng: random.Random) -> str:
    """An e-mail address, written plainly or spelled out ("jane dot doe at gmail dot com")."""
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


def phone(rng: random.Random) -> str:
    """A phone number in one of 30 national and international formats, some with an extension."""
    def d(count: int) -> str:
        return digits(rng, count)

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


def card(rng: random.Random) -> str:
    """A Luhn-valid card number of one of the networks, grouped as printed or run together."""
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
    number = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
    separator = rng.choice([" ", "-", ""])
    parts, start = [], 0
    for size in groups:
        parts.append(number[start : start + size])
        start += size
    return separator.join(parts)


def iban(rng: random.Random) -> str:
    """A mod-97-valid IBAN of one of five countries, grouped in fours or not."""
    country, bban = rng.choice(
        [
            ("GB", "WEST" + digits(rng, 14)),
            ("DE", digits(rng, 18)),
            ("NL", "ABNA" + digits(rng, 10)),
            ("FR", digits(rng, 23)),
            ("ES", digits(rng, 20)),
        ]
    )
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if rng.random() < 0.5:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def ssn(rng: random.Random) -> str:
    """A US social security number or a UK national insurance number."""
    if rng.random() < 0.6:
        area = rng.choice([n for n in range(1, 900) if n != 666])
        separator = rng.choice(["-", "-", " "])
        return separator.join(
            [f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"]
        )
    prefix = rng.choice(["AB", "CE", "JG", "PR", "TW", "HW", "NP"])
    six = digits(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix}{six}{suffix}"
    return f"{prefix} {six[:2]} {six[2:4]} {six[4:]} {suffix}"


def street_address(rng: random.Random) -> tuple[str, str]:
    """An address and a lead-in that suits it (weak forms need a cue)."""
    number = str(rng.choice([rng.randint(1, 99), rng.randint(100, 9999)]))
    name = rng.choice(STREET_NAMES)
    style = rng.randrange(11)
    if style == 0:
        return f"{number} {name} {rng.choice(STRONG_TYPES)}", rng.choice(LEAD_INS["address"])
    if style == 1:
        city, state = rng.choice(US_CITIES)
        street = f"{number} {name} {rng.choice(STRONG_TYPES)}"
        return f"{street}, {city}, {state} {digits(rng, 5)}", rng.choice(LEAD_INS["address"])
    if style == 2:
        street = f"{number}{rng.choice('ABC')} {name} {rng.choice(STRONG_TYPES)}"
        return f"{street}, {rng.choice(UK_TOWNS)} {rng.choice(UK_POSTCODES)}", "address:"
    if style == 3:
        unit = rng.choice(["Flat 3", "Apt 4B", "Unit 12", "Suite 210"])
        street = f"{number} {name} {rng.choice(STRONG_TYPES + WEAK_TYPES)}"
        return f"{unit}, {street}", rng.choice(LEAD_INS["address"])
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
        return f"{city}, {state} {digits(rng, 5)}", "billing address"
    if style == 8:
        return f"PO Box {rng.randint(10, 99999)}", "mail it to"
    if style == 9:
        street = rng.choice(["Hauptstraße", "Lindenweg", "Marktplatz", "Keizersgracht"])
        return f"{street} {number}, {digits(rng, 5)} {rng.choice(['Berlin', 'Köln'])}", "address:"
    street = rng.choice(["rue de Rivoli", "avenue des Champs-Élysées", "via Roma", "calle Mayor"])
    return f"{number} {street}, {digits(rng, 5)} {rng.choice(['Paris', 'Lyon'])}", "send it to"


def handle(rng: random.Random) -> str:
    """A private person's @handle."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(4)
    if style == 0:
        return f"@{first}_{last}"
    if style == 1:
        return f"@{first.capitalize()}{last.capitalize()}{rng.randint(1, 99)}"
    if style == 2:
        return f"@{first[0]}{last}"
    return f"@{first}{rng.randint(1970, 2005)}"


def profile_url(rng: random.Random) -> str:
    """A link to a person's profile on a social network, with or without a scheme."""
    host = rng.choice(PROFILE_HOSTS)
    name = f"{rng.choice(FIRST)}-{rng.choice(LAST)}-{rng.randint(100, 999)}"
    if "pronet" not in host and "linkedin" not in host:
        name = name.replace("-", "_")
    return host + name


def ip_address(rng: random.Random) -> str:
    """An IPv4 or IPv6 address, public or private, some with a port."""
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


def date_of_birth(rng: random.Random) -> str:
    """A date of birth between 1940 and 2008, in one of eight formats."""
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


def id_number(rng: random.Random, shape: str) -> str:
    """An identity number of `shape`: passport, ni, sin, nhs, licence, national, aadhaar,
    pan, or (any other) a tax id."""
    def d(count: int) -> str:
        return digits(rng, count)

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


def person_name(rng: random.Random) -> tuple[str, str, list[str]]:
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
