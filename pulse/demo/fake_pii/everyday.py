"""Personal data in the formats members most often type: the demo's texts and the ingest bench.

About one demo text in twenty carries an e-mail address, a phone number or a card number
(`support_pii_sentence`), and social posts name other members by handle
(`member_handle`); bench/ingest.py plants one datum of nine kinds in one text in twenty
(`numbered_pii_sentence`). Each function draws only from the generator it is given, in a
fixed order, so the demo files and the bench's input are byte-identical between runs.
"""

from __future__ import annotations

import random
from typing import Any

from pulse.demo.corpus import BLOCKS
from pulse.demo.fake_pii.formats import luhn_complete

FIRST_NAMES = BLOCKS["first_names"]
LAST_NAMES = BLOCKS["last_names"]


def member_handle(rng: random.Random) -> str:
    """A member's @handle on a social network, made from a first and a last name."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    style = rng.randint(0, 5)
    if style == 0:
        return f"@{first}_{last[0]}_{rng.randint(70, 99)}"
    if style == 1:
        return f"@{first}{last}"
    if style == 2:
        return f"@{first}{last[:3]}{rng.randint(1, 99)}"
    if style == 3:
        return f"@{first[0]}{last}_{rng.randint(1, 999)}"
    if style == 4:
        return f"@the_real_{first}"
    return f"@{first}_{last}"


def support_email(rng: random.Random) -> str:
    """A member's e-mail address at a mail provider, or at the company they work for."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = rng.choice([f"{first}.{last}", f"{first}_{last}{rng.randint(1, 99)}",
                        f"{first[0]}.{last}", f"{first}{rng.randint(70, 99)}"])
    if rng.random() < 0.2:
        return f"{first}.{last}@{rng.choice(BLOCKS['companies']).split()[0].lower()}.com"
    return f"{local}@{rng.choice(BLOCKS['email_domains'])}"


def support_phone(rng: random.Random) -> str:
    """A US, UK, German or Indian phone number as a member would type it."""
    ri = rng.randint
    return rng.choice([
        f"+1 ({ri(201, 989)}) 555-{ri(100, 199):04d}",
        f"{ri(201, 989)}-555-{ri(100, 199):04d}",
        f"{ri(201, 989)}.{ri(200, 999)}.{ri(1000, 9999)}",
        f"+44 7700 {ri(900000, 900999)}",
        f"+49 151 {ri(10000000, 99999999)}",
        f"+91 {ri(70000, 99999)} {ri(10000, 99999)}",
        f"07{ri(100, 999)} {ri(100000, 999999)}",
    ])


def support_card(rng: random.Random) -> str:
    """A Luhn-valid 16-digit number, so redaction that checks Luhn has something to catch."""
    partial = "".join(map(str, [rng.choice([4, 5])] + [rng.randint(0, 9) for _ in range(14)]))
    number = luhn_complete(partial)
    sep = rng.choice([" ", "-", ""])
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def support_pii_sentence(
    rng: random.Random, social: bool, phrases: dict[str, Any] | None = None
) -> tuple[str, list[str]]:
    """A sentence carrying personal data, and the kinds of data it carries.

    `phrases` are the sentences the data is written into, by kind (blocks.yaml's
    `pii_phrases`, English, when not given; a language's own in pulse/demo/languages/).
    """
    phrases = phrases or BLOCKS["pii_phrases"]
    roll = rng.random()
    if social:
        if roll < 0.5:
            return rng.choice(phrases["social_email"]).format(x=support_email(rng)), ["email"]
        return rng.choice(phrases["social_phone"]).format(x=support_phone(rng)), ["phone"]
    if roll < 0.4:
        return rng.choice(phrases["email"]).format(x=support_email(rng)), ["email"]
    if roll < 0.75:
        return rng.choice(phrases["phone"]).format(x=support_phone(rng)), ["phone"]
    if roll < 0.9:
        # One sentence, no choice drawn: the phone is drawn before the e-mail, whatever
        # order a language writes them in.
        phone = support_phone(rng)
        sentence = phrases["phone_and_email"].format(phone=phone, email=support_email(rng))
        return sentence, ["phone", "email"]
    return rng.choice(phrases["card"]).format(
        x=support_card(rng), m=rng.randint(1, 9), y=rng.randint(7, 9)
    ), ["card"]


def numbered_pii_sentence(rng: random.Random, index: int) -> str:
    """One sentence carrying a private person's data, of a varied kind and format.

    `index` (the text's row) makes the e-mail addresses, handles and profile links of
    a large file distinct, as a real export's are.
    """
    kind = rng.randrange(9)
    if kind == 0:
        return f"You can email me at {rng.choice(('jo', 'sam.lee', 'a_k'))}{index}@example.com."
    if kind == 1:
        after = rng.randrange(1, 12)
        return f"Call me on (415) 555-{rng.randrange(10**4):04d}, I am free after {after}."
    if kind == 2:
        return f"My mobile is +44 7700 9{rng.randrange(10**5):05d} if that helps."
    if kind == 3:
        card = luhn_complete("4" + "".join(str(rng.randrange(10)) for _ in range(14)))
        return f"The card was {card[:4]} {card[4:8]} {card[8:12]} {card[12:]}."
    if kind == 4:
        house = rng.randrange(1, 9999)
        return f"Please ship the badge to {house} Oak Street, Springfield, IL 62704."
    if kind == 5:
        return f"Thanks to @jane_{index % 997} for the tip, @ProNetHelp still silent."
    if kind == 6:
        return (
            f"My old profile is https://www.pronet.example/in/jane-doe-{index % 9973} please merge."
        )
    if kind == 7:
        return f"My SSN 078-05-{rng.randrange(1000, 9999)} was shown on the tax form page."
    return "IBAN GB82 WEST 1234 5698 7654 32 was debited."
