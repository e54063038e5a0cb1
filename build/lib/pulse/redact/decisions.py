"""Whether a pattern's match is personal data, and the token that replaces it.

A pattern finds candidates; these checks (Luhn, mod-97, the words before a number)
keep order numbers, versions and prose that only look like personal data.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable

from pulse.redact.patterns import (
    _ABBREVIATED_TYPES,
    _ADDRESS_CUE_RE,
    _AT_CUE_RE,
    _COMMON_TLDS,
    _EXT_WORDS,
    _MAIL_CUE_RE,
    _MAIL_PROVIDERS,
    _NOT_A_PHONE_BEFORE_RE,
    _NOT_A_PHONE_CUE_RE,
    _NOT_AN_ADDRESS_BEFORE_RE,
    _STRONG_TYPE_RE,
    _VERSION_BEFORE_RE,
)
from pulse.redact.tokens import TOKENS


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    as_number = "".join(str(int(char, 36)) for char in rearranged)
    return int(as_number) % 97 == 1


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


_Replacer = Callable[[re.Match[str]], str | None]


def _substitute(
    pattern: re.Pattern[str], text: str, kind: str, counts: Counter[str], decide: _Replacer
) -> str:
    """Replace each match for which `decide` returns a string; None keeps the match."""

    def replace(match: re.Match[str]) -> str:
        result = decide(match)
        if result is None:
            return match.group(0)
        counts[kind] += 1
        return result

    return pattern.sub(replace, text)


def _card(match: re.Match[str]) -> str | None:
    digits = re.sub(r"\D", "", match.group(0))
    return TOKENS["card"] if 13 <= len(digits) <= 19 and _luhn_ok(digits) else None


def _iban(match: re.Match[str]) -> str | None:
    return TOKENS["iban"] if _iban_ok(match.group(0)) else None


def _phone(match: re.Match[str]) -> str | None:
    before = match.string[max(0, match.start() - 30) : match.start()]
    if _NOT_A_PHONE_BEFORE_RE.search(before) or (
        "." in match.group(0) and _VERSION_BEFORE_RE.search(before)
    ):
        return None
    number = _EXT_END_RE.sub("", match.group(0))
    digits = _digit_count(number)
    if number.startswith("+"):
        return TOKENS["phone"] if 8 <= digits <= 16 else None
    if number.startswith("00"):
        # "00" dials abroad like "+", but short zero-padded ids ("case 00123456") are common.
        return TOKENS["phone"] if 11 <= digits <= 17 else None
    if number.lstrip("(").startswith("0"):
        return TOKENS["phone"] if 10 <= digits <= 12 else None
    return TOKENS["phone"] if 10 <= digits <= 11 else None


_EXT_END_RE = re.compile(rf"(?i){_EXT_WORDS}$")


def _ip(match: re.Match[str]) -> str | None:
    candidate = match.group(0)
    if ":" not in candidate:
        # leading zeros ("010.001.001.001") are still an address to a reader
        if any(int(part) > 255 for part in candidate.split(".")):
            return None
        before = match.string[max(0, match.start() - 20) : match.start()]
        return None if _VERSION_BEFORE_RE.search(before) else TOKENS["ip"]
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return None  # "14:30:00", "3:2:1"
    # "::" or "cafe::beef" (letters only) reads as text, not an address
    return TOKENS["ip"] if any(char.isdigit() for char in candidate) else None


def _cued_phone(match: re.Match[str]) -> str | None:
    cue, number = match.group(1), match.group(2)
    if _NOT_A_PHONE_CUE_RE.search(cue):
        return None
    # "number is" names a phone only if no other noun owns it ("reference number is").
    if cue.lower().startswith("number") and _NOT_A_PHONE_CUE_RE.search(
        match.string[max(0, match.start() - 20) : match.start()]
    ):
        return None
    if not 7 <= _digit_count(number) <= 15:
        return None
    # "app version number is 8.4.19.1046"
    if "." in number and _VERSION_BEFORE_RE.search(
        match.string[max(0, match.start() - 30) : match.end(1)]
    ):
        return None
    return cue + TOKENS["phone"]


def _street(match: re.Match[str]) -> str | None:
    before = match.string[max(0, match.start() - 40) : match.start()]
    has_cue = bool(_ADDRESS_CUE_RE.search(before))
    # "at" alone is a weaker cue ("meet me at 5 Main Street" but also "at 3 Open Road"),
    # so it only vouches for title-case names.
    at_cue = bool(_AT_CUE_RE.search(before))
    has_tail = any(match.group(part) for part in ("tail", "unit_after", "unit_before"))
    title_case = all(word[0].isupper() or word[0].isdigit() for word in match["name"].split())
    is_strong = bool(_STRONG_TYPE_RE.fullmatch(match["type"]))

    if has_cue or has_tail:
        accept = True
    elif not title_case or _NOT_AN_ADDRESS_BEFORE_RE.search(before):
        accept = False
    elif is_strong:
        accept = True
    else:
        # Weak street types in title case: "742 Evergreen Terrace" after "at", or a
        # house number that does not read like a count ("221B", "1600").
        number = match["number"]
        accept = at_cue or not number.isdigit() or len(number) >= 2
    if not accept:
        return None
    # "Street." ends a sentence; only an abbreviation ("St.") owns its full stop.
    if match.group(0).endswith(".") and match["type"].lower() not in _ABBREVIATED_TYPES:
        return TOKENS["address"] + "."
    return TOKENS["address"]


def _spelled_email(match: re.Match[str]) -> str | None:
    at, tld = match["at"].strip().lower(), match["tld"].lower()
    if at != "at":
        # "@" or a bracketed "(at)" is meant as an address; "dot" spelled out, with a TLD
        if "dot" in match["dot"].lower() and tld not in _COMMON_TLDS:
            return None
        return TOKENS["email"]
    # "looked at the dot com site" is prose: after a plain "at", a spelled-out address
    # needs a mail provider's name, a local part no English word has (a dot, digit or
    # underscore, also spelled "dot"), or a mail word just before ("e-mail me at").
    if tld not in _COMMON_TLDS:
        return None
    local = match["local"].lower()
    looks_like_mailbox = bool(re.search(r"[._\d]|\sdot\s|[\[({<]", local))
    provider = re.split(r"\s?[\[({<]?\s?dot\b|\.", match["domain"].lower())[0].strip()
    mail_cue = _MAIL_CUE_RE.search(match.string[max(0, match.start() - 40) : match.start()])
    if looks_like_mailbox or provider in _MAIL_PROVIDERS or mail_cue:
        return TOKENS["email"]
    return None


def _cued(kind: str) -> _Replacer:
    token = TOKENS[kind]
    return lambda match: match.group(1) + token


def _always(kind: str) -> _Replacer:
    token = TOKENS[kind]
    return lambda _match: token


def _keep_brand(brand: frozenset[str]) -> _Replacer:
    return lambda match: None if match.group(1).lower() in brand else TOKENS["handle"]
