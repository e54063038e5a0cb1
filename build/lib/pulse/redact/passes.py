"""`redact`: every pass in order, repeated until the text stops changing.

The passes for e-mail and IP addresses run first, then links are set apart (kept, but
their person segment masked) and the digit, address, handle and name passes run on
the text between them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from pulse.redact.context import (
    mask_dobs,
    mask_ids,
    mask_names,
    may_have_dob,
    may_have_id,
    may_have_name,
)
from pulse.redact.decisions import (
    _always,
    _card,
    _cued,
    _cued_phone,
    _iban,
    _ip,
    _keep_brand,
    _phone,
    _Replacer,
    _spelled_email,
    _street,
    _substitute,
)
from pulse.redact.gates import (
    _GATE_CHARSET_RE,
    _SCREEN_GATE_NAMES,
    ALL_GATES,
    _still_open,
    _with_implied_gates,
)
from pulse.redact.patterns import (
    _CARD_RE,
    _CITY_STATE_ZIP_RE,
    _EMAIL_RE,
    _EMAIL_SPELLED_RE,
    _EU_STREET_RE,
    _FACEBOOK_ID_RE,
    _HANDLE_RE,
    _IBAN_RE,
    _IP_RE,
    _NINO_RE,
    _PHONE_CUED_RE,
    _PHONE_RE,
    _PO_BOX_RE,
    _PROFILE_PATH_RE,
    _SOCIAL_PROFILE_RE,
    _SSN_CUED_RE,
    _SSN_RE,
    _STREET_RE,
    _UK_POSTCODE_RE,
    _URL_RE,
)
from pulse.redact.screens import (
    _DIGIT_RE,
    _always_may,
    _bare_url_hint,
    _may_card,
    _may_email,
    _may_ip,
    _may_phone,
    _may_phone_cued,
    _may_spell_email,
    _may_ssn,
    _may_ssn_cued,
    _may_street,
)
from pulse.redact.tokens import DEFAULT_BRAND_HANDLES, KINDS, TOKENS

# A pass never repeats forever (each change removes digits, '@' or a capitalised word,
# and tokens hold none); the cap only guards against a future pattern that breaks that rule.
_MAX_ROUNDS = 5

# The digit passes in order, strictest first: an IBAN or card is taken before its
# digits can be read as a phone, a street line before its ZIP is read alone. Each
# pass: pattern, kind, decision, gate, and the cheap test that must hold for it to match.
_DIGIT_PASSES: tuple[tuple[re.Pattern[str], str, _Replacer, str, Callable[[str], bool]], ...] = (
    (_IBAN_RE, "iban", _iban, "iban", _always_may),
    (_CARD_RE, "card", _card, "card", _may_card),
    (_SSN_RE, "ssn", _always("ssn"), "ssn", _may_ssn),
    (_SSN_CUED_RE, "ssn", _cued("ssn"), "cued", _may_ssn_cued),
    (_NINO_RE, "ssn", _always("ssn"), "nino", _always_may),
    (_PHONE_RE, "phone", _phone, "phone", _may_phone),
    (_PHONE_CUED_RE, "phone", _cued_phone, "cued", _may_phone_cued),
    (_STREET_RE, "address", _street, "street", _may_street),
    (_CITY_STATE_ZIP_RE, "address", _always("address"), "city_state_zip", _always_may),
    (_UK_POSTCODE_RE, "address", _always("address"), "uk_postcode", _always_may),
    (_PO_BOX_RE, "address", _always("address"), "po_box", _always_may),
    (_EU_STREET_RE, "address", _always("address"), "eu_street", _always_may),
)

def _redact_plain(
    text: str,
    brand: frozenset[str],
    counts: Counter[str],
    gates: frozenset[str],
    has_digit: bool = True,
    low: str | None = None,
) -> str:
    """Run the passes meant for text outside URLs (those whose gate is open).

    `has_digit` False and `low` (the text lower-cased) spare tests the caller made.
    """
    before = text
    if has_digit and _DIGIT_RE.search(text):
        for pattern, kind, decide, gate, may_match in _DIGIT_PASSES:
            if gate in gates and may_match(text):
                text = _substitute(pattern, text, kind, counts, decide)
            # dates of birth and identity numbers come right after national insurance
            # numbers, which keep their own token, and before phones ("NHS number 943 476
            # 5919" is an id, not a phone)
            if pattern is _NINO_RE:
                text = _redact_dob_and_ids(text, counts, gates)
    if "handle" in gates and "@" in text:
        text = _substitute(_HANDLE_RE, text, "handle", counts, _keep_brand(brand))
    changed = text is not before
    if "name" in gates and may_have_name(text, low if low is not None and not changed else None):
        text = mask_names(text, counts)
    return text


def _redact_dob_and_ids(text: str, counts: Counter[str], gates: frozenset[str]) -> str:
    if "dob" in gates and may_have_dob(text):
        text = mask_dobs(text, counts)
    if "national_id" in gates and may_have_id(text):
        text = mask_ids(text, counts)
    return text


def _redact_url(url: str, counts: Counter[str]) -> str:
    def person(match: re.Match[str]) -> str:
        counts["profile"] += 1
        return match.group(1) + TOKENS["profile"]

    url = _SOCIAL_PROFILE_RE.sub(person, url)
    url = _FACEBOOK_ID_RE.sub(person, url)
    return _PROFILE_PATH_RE.sub(person, url)


def _redact_once(
    text: str, brand: frozenset[str], counts: Counter[str], gates: frozenset[str]
) -> str:
    # Spelled-out addresses first: "john dot smith (at) gmail (dot) com" is one address,
    # which _EMAIL_RE would cut after "dot".
    low = text.lower()
    if ("email" in gates or "spelled_email" in gates) and _may_spell_email(text, low):
        text = _substitute(_EMAIL_SPELLED_RE, text, "email", counts, _spelled_email)
        low = text.lower()
    if "email" in gates and _may_email(text, low):
        text = _substitute(_EMAIL_RE, text, "email", counts, _always("email"))
        low = text.lower()
    # IP addresses before URLs are set apart: "http://203.0.113.9/admin" names a machine
    has_digit = _DIGIT_RE.search(text) is not None
    if has_digit and "ip" in gates and _may_ip(text):
        text = _substitute(_IP_RE, text, "ip", counts, _ip)
        low = text.lower()
    if "://" not in text and "www." not in low and ("/" not in text or not _bare_url_hint(low)):
        return _redact_plain(text, brand, counts, gates, has_digit, low)
    pieces: list[str] = []
    position = 0
    for match in _URL_RE.finditer(text):
        pieces.append(_redact_plain(text[position : match.start()], brand, counts, gates))
        url = match.group(0)
        pieces.append(_redact_url(url, counts) if "profile" in gates else url)
        position = match.end()
    pieces.append(_redact_plain(text[position:], brand, counts, gates))
    return "".join(pieces)


def _redact_with_counts(
    text: str,
    brand_handles: Iterable[str],
    gates: frozenset[str] = ALL_GATES,
    recheck_gates: bool = False,
) -> tuple[str, Counter[str]]:
    brand = frozenset(handle.lstrip("@").lower() for handle in brand_handles)
    counts: Counter[str] = Counter()
    recheck_gates = recheck_gates and _GATE_CHARSET_RE.fullmatch(text) is not None
    for _ in range(_MAX_ROUNDS):
        redacted = _redact_once(text, brand, counts, gates)
        if redacted == text:
            break
        text = redacted
        if recheck_gates:
            gates = _still_open(text, gates)
    return text, counts


def redact(text: str, brand_handles: Iterable[str] = DEFAULT_BRAND_HANDLES) -> str:
    """Return `text` with personal data replaced by tokens such as ``[email]``.

    Quotes in the report come from strangers; masking at ingest means no later stage
    (embedding cache, topic keywords, PDF) ever holds a private person's contact data.
    Brand handles are kept, compared without case, because "@ProNetHelp never replied"
    is the complaint itself.

    Args:
        text: A customer text, as cleaned at ingest.
        brand_handles: The brand's own @handles (with or without the "@").

    Returns:
        The masked text; applying `redact` again returns it unchanged.
    """
    return _redact_with_counts(text, brand_handles)[0]


def redact_gated(
    text: str,
    gates: Iterable[str],
    brand_handles: Iterable[str] = DEFAULT_BRAND_HANDLES,
) -> str:
    """`redact`, running only the passes whose gate (a `PASS_GATES` name) is open.

    Ingest evaluates the gates for a whole file in DuckDB and calls this for the few
    texts with any gate open; for a text of `GATE_CHARSET` whose open gates are given,
    the result equals ``redact(text)``. Other texts must pass `ALL_GATES`. After a
    round that changed the text, a text of `GATE_CHARSET` tests its open gates again,
    so the confirming round runs only the passes that could still match. The passes
    of `SCREEN_GATES` always run (behind their own cheap tests): DuckDB has no column
    for their gates, only ANY_GATE, which sent the text here.

    Args:
        text: A cleaned customer text.
        gates: Names of the gates whose patterns match `text`.
        brand_handles: The brand's own @handles (with or without the "@").

    Returns:
        The masked text.
    """
    opened = _with_implied_gates(frozenset(gates) | _SCREEN_GATE_NAMES)
    return _redact_with_counts(text, brand_handles, opened, recheck_gates=True)[0]


def redaction_counts(
    text: str, brand_handles: Iterable[str] = DEFAULT_BRAND_HANDLES
) -> dict[str, int]:
    """Count what `redact` masks in `text`, by kind, so coverage can be reported per run.

    Args:
        text: A customer text.
        brand_handles: The brand's own @handles, kept unmasked and not counted.

    Returns:
        A count for every kind in `KINDS` (zero when none was found).
    """
    counts = _redact_with_counts(text, brand_handles)[1]
    return {kind: counts.get(kind, 0) for kind in KINDS}
