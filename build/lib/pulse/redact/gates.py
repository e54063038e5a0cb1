"""Gates: patterns that must match for a group of passes to change a text.

Ingest evaluates them for a whole file in DuckDB (RE2) and sends Python only the texts
with a gate open; `redact_gated` runs only the passes whose gate is open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pulse.redact.context import CONTEXT_GATES, name_gate
from pulse.redact.patterns import _PROFILE_SEGMENTS, _STRONG_TYPES, _WEAK_TYPES

# --------------------------------------------------------------------------- gates
# A gate is a necessary condition for a group of passes to change a text: if its pattern
# finds nothing, none of those passes can match, so ingest skips them. Gates are written
# for RE2 (DuckDB's regexp_matches evaluates them for a whole file at once, on every
# core) and for Python's re alike: no lookaround, no \b, literal non-ASCII characters.
# They are only sound on texts made of GATE_CHARSET, where RE2's ASCII classes and
# Python's Unicode ones agree (\d is 0-9, the only whitespace is a space); any other
# text runs every pass. Two properties keep a gate valid across the rounds of `redact`:
# a gate never matches "[" or "]", and every token starts with "[" or "@[" and ends
# with "]", so replacing a match with a token never creates a match for a gate that
# had none. tests/test_redact.py checks gated and full redaction agree on every corpus.
GATE_CHARSET = "[ -~£¥À-ÿ‘’“”–—€\u2600-\u27bf\ufe0f\U0001f300-\U0001faff]*"
_RUN7 = r"[0-9](?:[ .\-]?[0-9]){6}"
_TYPE_WORDS = f"(?i:{_STRONG_TYPES}|{_WEAK_TYPES})"
PASS_GATES: dict[str, str] = {
    "email": r"@|[\[({<]\s?(?i:at)\s?[\])}>]",
    # " dot ", a bracketed "(dot)", or a plain " at " before a dotted domain ("jo at gmail.com");
    # the spelled pass also runs when "email" is open (for "@" and a bracketed "(at)").
    "spelled_email": (
        r"\s(?i:dot)\s|[\[({<]\s?(?i:dot)\s?[\])}>]"
        # a domain label holds no space, dot, bracket or colon ("at 14:30." is a time)
        r"|\s(?i:at)\s+[^\s.\[\](){}<>:;,!?/@'\"]+\.[A-Za-z0-9]"
    ),
    "profile": (
        rf"(?i:/(?:{_PROFILE_SEGMENTS})/|(?:linkedin|twitter|x|facebook|fb|instagram|tiktok|youtube"
        r"|github|medium|reddit|pinterest|snapchat|tumblr|vk)\.com/|threads\.net/|t\.me/)"
    ),
    "iban": r"[A-Z]{2}[0-9]{2} ?[A-Z0-9]{4} ?[A-Z0-9]{4}",
    "card": r"[0-9](?:[ \-]?[0-9]){12}",
    "ssn": r"[0-9]{3}-[0-9]{2}-[0-9]{4}",
    # 8+ digits after "+", else 10+; at most ") (" between two digits
    "phone": r"\+[0-9](?:[ .()\-]{0,3}[0-9]){7}|[0-9](?:[ .()\-]{0,3}[0-9]){9}",
    # A cue word, then at most 20 characters without a digit, then 7+ digits: what
    # _PHONE_CUED_RE (14 after its cue) and _SSN_CUED_RE (12 after "social security
    # number") need on the text as it is. Another pass can bring a cue and a number
    # together (a shorter token replaces an e-mail between them; tokens spell "phone"
    # and "ssn"; a street line can end inside a word, "Apt 5b"), so this gate also
    # opens whenever any other gate is open (see _with_implied_gates): alone, it only
    # judges texts that no other pass changes. (It can match "[" or "]", which the
    # other gates never do; that is why it never stands alone once a token is made.)
    "cued": (
        r"\b(?i:call|phone|tel|telephone|mobile|cell|text|whatsapp|sms|ring|reach me|contact me"
        rf"|landline|my number|number is|ssn|social security)\b[^0-9\n]{{0,20}}{_RUN7}"
    ),
    "nino": r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]",
    "street": (
        rf"[0-9][A-Za-z]?(?:-[0-9]+)?\s+(?:[A-Za-z0-9'’.\-]+\s+){{1,4}}{_TYPE_WORDS}"
        r"(?:[^A-Za-z0-9_'’]|$)"
    ),
    "city_state_zip": r", [A-Z]{2}\s{1,2}[0-9]{5}",
    "uk_postcode": r"[A-Z][A-Z0-9]{1,3} [0-9][A-Z]{2}",
    "po_box": r"(?i:p\.? ?o\.? ?box [0-9])",
    "eu_street": (
        r"(?i:(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|laan|straat|gracht|plein)"
        r" [0-9]|[0-9](?: ?(?:bis|ter))?,? (?:rue|avenue|boulevard|bd|place|chemin|allée|quai"
        r"|impasse|calle|via|viale|piazza|corso) )"
    ),
    "handle": r"@[A-Za-z0-9_]",
}
#: Gates that only screen: DuckDB tests them within ANY_GATE to pick the texts Python
#: redacts, but has no column for each (queries/ingest/stg_ingest_redact_candidates.sql names one
#: per PASS_GATES entry). Their passes run on every text that reaches Python, each behind
#: a cheap test of its own, so `redact_gated` treats them as open.
SCREEN_GATES: dict[str, str] = {
    # an IPv4 dotted quad; an IPv6 address has "::" or eight groups (or ends in a quad)
    "ip": (
        r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|::"
        r"|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    ),
    **CONTEXT_GATES,
    "name": name_gate(),
}
#: Any gate at all: a text of GATE_CHARSET that this finds nothing in redacts to itself.
ANY_GATE = "|".join(f"(?:{pattern})" for pattern in (*PASS_GATES.values(), *SCREEN_GATES.values()))
ALL_GATES: frozenset[str] = frozenset(PASS_GATES) | frozenset(SCREEN_GATES)


# Cheap tests that let most texts skip whole groups of passes.
_GATE_RES = {
    name: re.compile(pattern) for name, pattern in (*PASS_GATES.items(), *SCREEN_GATES.items())
}
_SCREEN_GATE_NAMES = frozenset(SCREEN_GATES)
_GATE_CHARSET_RE = re.compile(GATE_CHARSET)


def _still_open(text: str, gates: frozenset[str]) -> frozenset[str]:
    """The gates of `gates` that still match `text`, which a round of passes has changed.

    Most rounds after the first only confirm that nothing changes any more, and
    most of their passes' gates closed when the first round put tokens where the
    data was. A gate that found nothing stays closed through later rounds (see
    PASS_GATES), so only the open ones are tested again. "cued" and SCREEN_GATES stay
    open once open: their passes test their own cheap conditions (`_may_phone_cued`).
    """
    return frozenset(
        name
        for name in gates
        if name == "cued" or name in SCREEN_GATES or _GATE_RES[name].search(text)
    )


def _with_implied_gates(gates: Iterable[str]) -> frozenset[str]:
    """Open "cued" whenever another pass runs: any change can bring a cue near a number.

    A token can end up between a cue and a number, or be one ("[phone]"), and a shorter
    token can close the gap the "cued" gate measured; only a text that no other pass
    changes can be judged by that gate alone.
    """
    opened = frozenset(gates)
    if opened and "cued" not in opened:
        opened |= {"cued"}
    return opened


def gates_of(text: str) -> frozenset[str]:
    """The gates open for `text`, evaluated in Python (ingest evaluates them in DuckDB).

    Args:
        text: A cleaned customer text.

    Returns:
        `ALL_GATES` for a text outside `GATE_CHARSET`, else the gates whose pattern matches.
    """
    if not _GATE_CHARSET_RE.fullmatch(text):
        return ALL_GATES
    return frozenset(name for name, pattern in _GATE_RES.items() if pattern.search(text))
