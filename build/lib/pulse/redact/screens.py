"""Cheap tests that must hold for a pass to match: most texts skip most passes.

Each is a necessary condition, so skipping a pass whose test fails changes nothing
(tests/test_redact.py runs every pass anyway and compares).
"""

from __future__ import annotations

import re

from pulse.redact.gates import _GATE_CHARSET_RE, PASS_GATES
from pulse.redact.patterns import _BARE_URL_HINTS

# Necessary conditions, tested before a pass runs on the text as it is then: each
# is a cheap scan (a digit-led pattern or a substring test), while the passes'
# lookbehinds and alternations cost ~10 µs per text in Python's re, and `redact`
# runs every open pass at least twice (the last round only confirms nothing changes).
# A pass whose condition fails cannot match, so skipping it changes nothing.
# \d here is the passes' own \d (any Unicode digit); the separators are those the
# passes allow between two digits of one number.
_DIGIT_RE = re.compile(r"\d")
_RUN7_RE = re.compile(r"\d(?:[ .\-]?\d){6}")  # a cued number: 7+ digits
# A phone `_phone` accepts: 8+ digits after "+", else 10+ (at most ") (" between two).
_RUN8_PHONE_RE = re.compile(r"\d(?:[ .()\-]{0,3}\d){7}")
_RUN10_PHONE_RE = re.compile(r"\d(?:[ .()\-]{0,3}\d){9}")
_RUN13_RE = re.compile(r"\d(?:[ \-]?\d){12}")  # a card: 13+ digits
# The only characters that Python's case-insensitive matching equates with an ASCII
# letter while str.lower() does not map them onto it (tests/test_redact.py checks).
_CASE_TRAPS = ("\u0130", "\u0131", "\u017f")
_STREET_GATE_RE = re.compile(PASS_GATES["street"])


def _lowered(text: str) -> str | None:
    """`text` lower-cased, to test cheaply whether a case-insensitive cue word could match.

    A pattern compiled with re.IGNORECASE that spells a word in ASCII matches only
    where `text.lower()` holds that word, except around three characters that Python's
    matching equates with "i" or "s" while lower() does not; a text with one of them
    gets None (no shortcut: run the pattern).
    """
    if not text.isascii() and any(trap in text for trap in _CASE_TRAPS):
        return None
    return text.lower()


#: Cue words of _PHONE_CUED_RE ("telephone" has "tel"; "my number" and "number is"
#: have "number") and of _SSN_CUED_RE, lower-cased.
_PHONE_CUES = (
    "call", "phone", "tel", "mobile", "cell", "text", "whatsapp", "sms", "ring",
    "reach me", "contact me", "landline", "number",
)  # fmt: skip
_SSN_CUES = ("ssn", "social security")
#: A cued number starts within this many characters after one of those words ends:
#: _PHONE_CUED_RE allows 14 after its cue, which ends up to 6 after the word found
#: ("tel" in "telephone"); _SSN_CUED_RE allows 12 after "ssn", or after "social
#: security" plus " number".
_CUE_REACH = 21


def _cue_before_digit(text: str, cues: tuple[str, ...]) -> bool:
    """Whether some cue word is followed, within _CUE_REACH characters, by a digit."""
    low = _lowered(text)
    if low is None or len(low) != len(text):
        return True
    for cue in cues:
        start = low.find(cue)
        while start >= 0:
            end = start + len(cue)
            if _DIGIT_RE.search(text, end, end + _CUE_REACH):
                return True
            start = low.find(cue, start + 1)
    return False


def _may_phone_cued(text: str) -> bool:
    return _cue_before_digit(text, _PHONE_CUES) and _RUN7_RE.search(text) is not None


def _may_ssn_cued(text: str) -> bool:
    return _cue_before_digit(text, _SSN_CUES) and _RUN7_RE.search(text) is not None


def _may_phone(text: str) -> bool:
    if "+" in text and _RUN8_PHONE_RE.search(text):
        return True
    return _RUN10_PHONE_RE.search(text) is not None


def _may_street(text: str) -> bool:
    # The street gate is a necessary condition on any text of GATE_CHARSET, tokens
    # included (see PASS_GATES); another text runs the pass.
    return _GATE_CHARSET_RE.fullmatch(text) is None or _STREET_GATE_RE.search(text) is not None


def _may_card(text: str) -> bool:
    return _RUN13_RE.search(text) is not None


def _may_ssn(text: str) -> bool:
    return "-" in text


def _always_may(_text: str) -> bool:
    return True


_IPV4_HINT_RE = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")
_IPV6_FULL_HINT_RE = re.compile(r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]")


def _may_ip(text: str) -> bool:
    # the "ip" gate, one alternative at a time, each behind a substring it needs
    if "::" in text:
        return True
    if text.count(".") >= 3 and _IPV4_HINT_RE.search(text):
        return True
    return text.count(":") >= 7 and _IPV6_FULL_HINT_RE.search(text) is not None


# _EMAIL_RE needs a local part's character, then "@" or a bracketed "at", then a letter
# or digit (same flags, so the same characters count as letters).
_EMAIL_AT_HINT_RE = re.compile(r"[\w.+%'-]@[A-Za-z0-9]", re.IGNORECASE)
_EMAIL_BRACKET_HINT_RE = re.compile(r"[\[({<]\s?at\s?[\])}>]", re.IGNORECASE)
_SPELLED_EMAIL_HINT_RE = re.compile(PASS_GATES["spelled_email"])


# What a bracketed "(at)" or a spelled " at " or "dot" holds, lower-cased (no character
# folds onto a, t, d or o, so lower() finds every case-insensitive match).
_SPELLED_HINT_RE = re.compile(r"dot|[ (\[{<]at")
_BRACKET_AT_HINT_RE = re.compile(r"[ (\[{<]at")


def _may_email(text: str, low: str) -> bool:
    # "@ProNetHelp" alone (a brand handle kept by the handle pass) is no address
    if "@" in text and _EMAIL_AT_HINT_RE.search(text):
        return True
    return _BRACKET_AT_HINT_RE.search(low) is not None and (
        _EMAIL_BRACKET_HINT_RE.search(text) is not None
    )


def _may_spell_email(text: str, low: str) -> bool:
    # An address written with a bare "@" and dots is _EMAIL_RE's; this pass is for the
    # ones with a spaced "@", or "at" or "dot" in words or brackets.
    if " @" in text or "@ " in text:
        return True
    return _SPELLED_HINT_RE.search(low) is not None and (
        _SPELLED_EMAIL_HINT_RE.search(text) is not None
        or _EMAIL_BRACKET_HINT_RE.search(text) is not None
    )


def _bare_url_hint(low: str) -> bool:
    return any(hint in low for hint in _BARE_URL_HINTS)
