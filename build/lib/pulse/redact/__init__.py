"""Mask personal data in customer texts before any of it can reach a report.

Ticket and post texts are written by strangers and quoted in an executive PDF, so
everything that identifies a private person is replaced by a bracketed token:

========  =====================================================  ===============
kind      what                                                   token
========  =====================================================  ===============
email     addresses, also spelled out: "jane (at) example         ``[email]``
          (dot) com", "john dot smith at gmail dot com"
card      13-19 digits, spaces/dashes allowed, Luhn-valid         ``[card]``
iban      IBAN-shaped and mod-97 valid                            ``[iban]``
ssn       US SSN ``123-45-6789`` and UK NI number ``AB123456C``   ``[ssn]``
phone     international, NANP, national trunk-0 formats, with     ``[phone]``
          an extension ("x89", "ext. 12")
address   street lines, "City, ST 94043", UK postcodes, PO boxes  ``[address]``
handle    @handles other than the brand's own                     ``@[user]``
profile   the person part of a profile URL (``/in/jane-doe``),    ``[user]``
          with or without a scheme (``linkedin.com/in/...``)
ip        IPv4 and IPv6 addresses                                 ``[ip]``
dob       a date after "DOB", "born on" ... (context)             ``[dob]``
id        a number after "passport no", "SIN" ... (same)          ``[id]``
name      a person's name its context reveals (same)              ``[name]``
========  =====================================================  ===============

Decisions worth knowing:

* URLs stay as written (a help-centre link is useful context in a quote) but are
  shielded from the digit passes, so a tweet id or an order path never turns into a
  fake ``[card]`` or ``[phone]``. E-mail and IP addresses inside URLs are still masked,
  and so is the person segment of profile links (``/in/<name>``, ``/profile/<name>``,
  ``twitter.com/<name>``), because on a professional network a profile URL names a
  person. ``/in/<name>`` counts only as the URL's last segment: helpx.adobe.com/in/...
  uses it for a locale. A link without a scheme counts as one for social networks
  ("linkedin.com/in/jane-doe", "instagram.com/jane") and for profile paths.
* Precision guards: card numbers must pass Luhn (failing order numbers stay), IBANs
  must pass mod-97, a number written with a leading ``+`` is never a card, a bare run
  of digits is a phone only right after a phone word, a number right after "order no",
  "invoice", "ticket", "tracking" ... is never a phone, nor a dotted one after "version"
  or "build" (nor an IP address), a standalone UK postcode needs
  its space ("MD968LL/A" is a product code) and a ``[digit]GB``/``[digit]TB`` inward
  code (``M2 8GB``) is never a postcode. Street lines need a street-type word; weak
  types (Way, Close, Dr, Court ...) and lower-case names need an address cue ("ship
  to", "I live at", "address:") or a unit/city/postcode part; counting words before
  the number ("Step 2 Open Road") rule a street out. A spelled-out address after a
  plain "at" needs a mail provider, a mailbox-like local part or a mail word before it
  ("I looked at the dot com site" stays).
* Dates (other than a date of birth), times, prices, years, ticket ids (ZD-104233,
  #12345), versions (v4.2.1, iOS 17.1), percentages and short numbers are left alone.
* Known over-masking, accepted because a lost digit string costs less than a leaked
  one: companies' own hotlines become ``[phone]``, SSN-shaped product codes
  (``030-02-8711``) become ``[ssn]``, a title-case "3 Main Street branches" is
  read as an address, a private network address (192.168.1.1) becomes ``[ip]``, and
  a public figure's full name ("Tim Cook") becomes ``[name]``.
* Tokens contain neither digits nor ``@`` nor a capital letter, and `redact` repeats
  its passes until the text stops changing, so ``redact(redact(x)) == redact(x)``
  holds by construction.

Layout: `patterns` (what each kind looks like), `decisions` (whether a match is one),
`context` (names, dates of birth and identity numbers, by the words around them),
`gates` and `screens` (what lets a text skip passes), `passes` (`redact` itself).
Names are known from `pulse/redact/lexicons/`.
"""

from pulse.redact.gates import (
    ALL_GATES,
    ANY_GATE,
    GATE_CHARSET,
    PASS_GATES,
    SCREEN_GATES,
    gates_of,
)
from pulse.redact.passes import redact, redact_gated, redaction_counts
from pulse.redact.tokens import DEFAULT_BRAND_HANDLES, KINDS, TOKENS

__all__ = [
    "ALL_GATES",
    "ANY_GATE",
    "DEFAULT_BRAND_HANDLES",
    "GATE_CHARSET",
    "KINDS",
    "PASS_GATES",
    "SCREEN_GATES",
    "TOKENS",
    "gates_of",
    "redact",
    "redact_gated",
    "redaction_counts",
]
