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
dob       a date after "DOB", "born on" ... (redact_context)      ``[dob]``
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
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable

from pulse.redact_context import (
    CONTEXT_GATES,
    mask_dobs,
    mask_ids,
    mask_names,
    may_have_dob,
    may_have_id,
    may_have_name,
    name_gate,
)

#: No handle is a brand's unless the caller says so (settings' `brand_handles`; the demo
#: names its own): a private handle left visible would be a leak, a brand's masked is not.
DEFAULT_BRAND_HANDLES: tuple[str, ...] = ()

KINDS: tuple[str, ...] = (
    "email",
    "card",
    "iban",
    "ssn",
    "phone",
    "address",
    "handle",
    "profile",
    "ip",
    "dob",
    "id",
    "name",
)

TOKENS: dict[str, str] = {
    "email": "[email]",
    "card": "[card]",
    "iban": "[iban]",
    "ssn": "[ssn]",
    "phone": "[phone]",
    "address": "[address]",
    "handle": "@[user]",
    "profile": "[user]",
    "ip": "[ip]",
    "dob": "[dob]",
    "id": "[id]",
    "name": "[name]",
}

# A pass never repeats forever (each change removes digits, '@' or a capitalised word,
# and tokens hold none); the cap only guards against a future pattern that breaks that rule.
_MAX_ROUNDS = 5

# --------------------------------------------------------------------------- boundaries
# A number that continues a word, an id (ZD-104233, #12345), a price ($29.99) or a
# dotted version (v4.2.1) is not a phone/card start.
_NUM_START = r"(?<![\w#$£€¥/@+])(?<!\w[.\-])(?<!\d )"
# ...and one followed by more of a word, a percentage or another number part
# (14:30, 1.5, 2024-03) does not end here.
_NUM_END = r"(?![\w%]|[.,:/\-]\d)"

# --------------------------------------------------------------------------- e-mail
_AT = r"(?:@|\s?[\[({]\s?at\s?[\])}]\s?)"
_DOT = r"(?:\.|\s?[\[({]\s?dot\s?[\])}]\s?)"
_EMAIL_RE = re.compile(
    rf"(?<![\w.+%'-])[A-Za-z0-9][\w.+%'-]*{_AT}[A-Za-z0-9][\w-]*(?:{_DOT}[\w-]+)*{_DOT}"
    r"[A-Za-z]{2,24}\b",
    re.IGNORECASE,
)

# Spelled out: "john dot smith at gmail dot com", "jane (at) example [dot] co {dot} uk",
# "jo @ mail.com". A plain " at " needs more evidence (see _spelled_email).
_SPELLED_AT = r"(?:\s?[\[({<]\s?at\s?[\])}>]\s?|\s+at\s+|\s@\s|@)"
_SPELLED_DOT = r"(?:\s?[\[({<]\s?dot\s?[\])}>]\s?|\s+dot\s+|\.)"
_EMAIL_SPELLED_RE = re.compile(
    r"(?i)(?<![\w.+%'-])(?P<local>[A-Za-z0-9][\w+%'-]*"
    rf"(?:{_SPELLED_DOT}[A-Za-z0-9][\w+%'-]*)*)(?P<at>{_SPELLED_AT})"
    rf"(?P<domain>[A-Za-z0-9][\w-]*(?:{_SPELLED_DOT}[A-Za-z0-9][\w-]*)*?)(?P<dot>{_SPELLED_DOT})"
    # the last label: no "." or spelled "dot" and another label follow
    rf"(?P<tld>[A-Za-z]{{2,24}})\b(?![.\-]\w|{_SPELLED_DOT}[A-Za-z0-9])"
)
_COMMON_TLDS = frozenset(
    "com net org io co uk de fr me edu gov info ca au in es it nl us biz eu ch ie nz".split()
)
# "write to me at jo at example dot com": a mail word shortly before vouches for a plain "at".
_MAIL_CUE_RE = re.compile(
    r"(?i)\b(?:e-?mail|mail|inbox|address|write|reply|contact|reach)\b[^.\n\[\]]{0,25}$"
)

_MAIL_PROVIDERS = frozenset(
    "gmail googlemail yahoo hotmail outlook icloud aol proton protonmail live msn gmx web "
    "mail yandex zoho fastmail".split()
)

# --------------------------------------------------------------------------- URLs
# Social networks whose links name a person, written with or without a scheme.
_SOCIAL_HOSTS = (
    r"(?:linkedin|twitter|x|facebook|fb|instagram|tiktok|youtube|github|medium|reddit|pinterest"
    r"|snapchat|tumblr|vk)\.com|threads\.net|t\.me"
)
_PROFILE_SEGMENTS = r"in|pub|profiles?|users?|u|people|members?"
_URL_RE = re.compile(
    r"(?:\b(?:https?://|www\.)[^\s<>\"'()\[\]]+"
    # bare: "linkedin.com/in/jane-doe", "m.facebook.com/jane.doe", "pronet.com/in/jane-doe"
    rf"|(?<![\w.@/\-])(?:[a-z0-9\-]+\.)?(?:{_SOCIAL_HOSTS})/[^\s<>\"'()\[\]]*"
    rf"|(?<![\w.@/\-])(?:[a-z0-9\-]+\.)+[a-z]{{2,24}}/(?:{_PROFILE_SEGMENTS})/[^\s<>\"'()\[\]]*)"
    r"[^\s<>\"'()\[\].,;:!?]",
    re.I,
)
_PROFILE_PATH_RE = re.compile(
    rf"(?i)(/(?:{_PROFILE_SEGMENTS})/)"
    r"(?![^/?#\s]*\.(?:html?|php|aspx?|jsp)\b)([^/?#\s\[]+)"
    r"(?=/?(?:[?#]|$))"
)
# The first path segment names the person (after "@" or "/in/" where the site puts it),
# unless it is one of the site's own pages.
_SOCIAL_PROFILE_RE = re.compile(
    r"(?i)(^(?:https?://)?(?:[a-z0-9\-]+\.)?"
    r"(?:(?:twitter|x|facebook|fb|instagram|pinterest|github|tumblr|vk)\.com/@?"
    r"|(?:tiktok|medium|youtube)\.com/@|youtube\.com/(?:c|user|channel)/|threads\.net/@?"
    r"|t\.me/|snapchat\.com/add/|linkedin\.com/(?:in|pub)/|reddit\.com/u(?:ser)?/))"
    r"(?!(?:i|intent|home|search|hashtag|share|sharer|help|settings|login|explore|status|groups"
    r"|pages|events|watch|marketplace|p|reel|reels|stories|about|features|pricing|orgs|topics"
    r"|notifications|messages|policies|privacy|legal|business|ads|jobs|company|school|feed"
    r"|signup|download|terms|profile\.php)(?:[/?#.]|$))"
    r"([A-Za-z0-9_.\-]+)"
)
# A Facebook profile by number: facebook.com/profile.php?id=100012345678
_FACEBOOK_ID_RE = re.compile(r"(?i)(facebook\.com/profile\.php\?(?:[^#\s]*&)?id=)(\d+)")
# Substrings without which no bare link (one without "://" or "www.") can be found.
_BARE_URL_HINTS = (".com/", ".net/", "t.me/", "/in/", "/pub/", "/u/", "/user", "/profile")
_BARE_URL_HINTS += ("/people/", "/member")

# --------------------------------------------------------------------------- IP addresses
_IP_RE = re.compile(
    r"(?<![\w.:])(?:(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)"
    r"|(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d))"
)
# "version 1.2.3.4", "build 10.0.0.1" and "app version number is 8.4.2.1" are versions,
# neither addresses nor phones.
_VERSION_BEFORE_RE = re.compile(
    r"(?i)\b(?:v|ver|version|build|release|firmware|fw|update[ds]?|upgrade[ds]?|ios|android"
    r"|macos|os|app|chrome|firefox|safari|edge|windows|kernel|driver|bios|patch|rev|revision)"
    r"(?:\.?\s(?:number|no\.?|is|was))*\.?\s?:?\s?$"
)

# --------------------------------------------------------------------------- cards
_CARD_RE = re.compile(rf"{_NUM_START}[1-9](?:[ \-]?\d){{12,18}}{_NUM_END}")

# --------------------------------------------------------------------------- IBAN
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")

# --------------------------------------------------------------------------- SSN-like
_SSN_RE = re.compile(
    rf"{_NUM_START}(?!000|666|9\d\d)\d{{3}}-(?!00)\d{{2}}-(?!0000)\d{{4}}{_NUM_END}"
)
# Spaced or run-together SSNs only after the words that announce one.
_SSN_CUED_RE = re.compile(
    r"(?i)(\b(?:ssn|social security(?: number| no\.?)?)\b[^\d\n]{0,12}?)"
    rf"({_NUM_START}(?!000|666|9\d\d)\d{{3}}[ \-]?(?!00)\d{{2}}[ \-]?(?!0000)\d{{4}}{_NUM_END})"
)
_NINO_RE = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)

# --------------------------------------------------------------------------- phones
# An extension stays with its number: "x89", "ext. 12", ", extension 5".
_EXT_WORDS = r",?\s?(?:ext\.?|extn\.?|extension|x)\s?[:.]?\s?\d{1,5}\b"
_EXT = rf"(?:{_EXT_WORDS})?"
_PHONE_INTL = (
    r"(?:\+|\b00)[1-9]\d{0,2}(?:[ .\-]?\(0\))?"
    r"(?:[ .\-]?\(\d{1,4}\)|[ .\-]?\d{1,4})(?:[ .\-]?\d{2,8}){1,5}"
)
# Any exchange once the number is written in groups ("(555) 123-4567": made-up numbers
# are still someone's to a reader); run together, the exchange must look real.
_PHONE_NANP = (
    r"(?:\b1[ .\-]?)?(?:\([2-9]\d{2}\)[ .\-]?|[2-9]\d{2}[ .\-])(?:\d{3}[ .\-]|[2-9]\d{2})\d{4}"
)
_PHONE_TRUNK = r"(?:\(0[1-9]\d{0,3}\)|\(0\) ?[1-9]\d{0,3}|\b0[1-9]\d{0,3})(?:[ .\-]?\d{2,8}){1,4}"
_PHONE_RE = re.compile(
    rf"{_NUM_START}(?:{_PHONE_INTL}|{_PHONE_NANP}|{_PHONE_TRUNK}){_EXT}{_NUM_END}", re.I
)
# A bare run of digits is a phone only right after a phone word ("text me on 4155550132").
_PHONE_CUED_RE = re.compile(
    r"(?i)(\b(?=[cptmswrln])(?:call|phone|tel|telephone|mobile|cell|text|whatsapp|sms|ring|"
    r"reach me|contact me|landline|my number|number is)\b[^\d\n#]{0,14}?)"
    rf"({_NUM_START}\d(?:[ .\-]?\d){{6,14}}{_NUM_END})"
)
# A number right after the noun it belongs to ("order no 415-555-0123", "invoice
# 415-555-0123", "ticket #4155550123") is that thing's number, not a phone.
_NOT_A_PHONE_BEFORE_RE = re.compile(
    r"(?i)\b(?:order|invoice|ticket|case|ref|reference|tracking|confirmation|receipt|transaction"
    r"|account|acct|booking|reservation|claim|policy|serial|sku|parcel|shipment|item|po)"
    r"(?:\s?(?:no\.?|nr\.?|num(?:ber)?|#|id|code))?(?:\s(?:is|was))?\s?[:#]?\s?$"
)
_NOT_A_PHONE_CUE_RE = re.compile(
    r"(?i)\b(?:order|ticket|case|invoice|ref|reference|id|account|acct|tracking|"
    r"transaction|confirmation|receipt)\b"
)

# --------------------------------------------------------------------------- addresses
_STRONG_TYPES = (
    r"Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Parkway|Pkwy|Highway|Hwy|"
    r"Drive|Broadway"
)
_WEAK_TYPES = (
    r"Way|Close|Court|Ct|Place|Pl|Square|Sq|Terrace|Ter|Crescent|Cres|Grove|Gardens|"
    r"Gdns|Mews|Row|Hill|Walk|Circle|Cir|Plaza|Trail|Dr|Loop|Alley|Embankment|Quay"
)
_STATES = (
    r"AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|"
    r"NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_UK_POSTCODE = (
    r"(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPS-UW\d]? ?(?!\d[GT]B\b)\d[ABD-HJLNP-UW-Z]{2})"
)
_NAME_WORD = r"(?!(?:AM|PM|am|pm)\b)(?:[A-Za-z][A-Za-z'’\-]*|\d{1,3}(?:st|nd|rd|th))"
_UNIT = (
    r"(?:\b(?i:Flat|Apt|Apartment|Unit|Suite|Ste|Floor|Fl)\b\.?|#)"
    r"\s?(?:\d[\w\-]{0,4}|[A-Za-z]\d{0,3}\b)"
)
_STREET_RE = re.compile(
    # The lookahead is a cheap first-character filter; without it every position
    # would try the unit alternation.
    rf"(?=[\dFfAaUuSs#])(?P<unit_before>{_UNIT},?\s+)?"
    rf"(?<![\w.#$£€/\-])(?P<number>\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?)\s+"
    r"(?P<dir>(?:[NSEW]\.?|North|South|East|West)\s+)?"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})\s+"
    rf"(?P<type>(?i:{_STRONG_TYPES}|{_WEAK_TYPES}))\.?(?![\w'’])"
    r"(?P<dir_after>\s+(?:[NSEW]{1,2})\b)?"
    rf"(?P<unit_after>,?\s+{_UNIT})?"
    rf"(?P<tail>,?\s+(?:[A-Za-z][A-Za-z'’\-]+\s?){{0,3}},?\s*"
    rf"(?:(?i:{_STATES})\s+\d{{5}}(?:-\d{{4}})?\b|(?:{_STATES})\b|\d{{5}}(?:-\d{{4}})?\b"
    rf"|(?i:{_UK_POSTCODE})\b))?"
)
_ADDRESS_CUE_RE = re.compile(
    r"(?i)(?:\blive[sd]? at|\bliving at|\baddress(?: is|:)?|\bship(?:ped|ping)? (?:it )?to|"
    r"\bdeliver(?:ed|y)? (?:it )?to|\bsend (?:it |them )?to|\bmoved to|\blocated at|"
    r"\breside at|\bpost(?:ed)? (?:it )?to|\bmail(?:ed)? (?:it )?to|\bsent to)\s*:?\s*$"
)
_NOT_AN_ADDRESS_BEFORE_RE = re.compile(
    r"(?i)\b(?:step|steps|tip|tips|option|chapter|part|version|v|level|plan|page|section|"
    r"stage|phase|point|item|rule|no|number|top|season|episode|ios|android|windows|gen|"
    r"series|model|tier)"
    r"\s*:?\s*$"
)
_ABBREVIATED_TYPES = frozenset("st rd ave blvd ln pkwy hwy ct pl sq ter cres gdns cir dr".split())
_AT_CUE_RE = re.compile(r"(?i)\bat\s*$")
_STRONG_TYPE_RE = re.compile(_STRONG_TYPES, re.IGNORECASE)
_CITY_STATE_ZIP_RE = re.compile(
    rf"\b[A-Z][A-Za-z'’\-]+(?: [A-Z][A-Za-z'’\-]+){{0,2}}, "
    rf"(?:{_STATES})\s{{1,2}}\d{{5}}(?:-\d{{4}})?\b"
)
# Standalone, a postcode needs its space: "MD968LL/A" is a product code.
_UK_POSTCODE_RE = re.compile(rf"\b(?=[A-Z\d]{{2,4}} \d){_UK_POSTCODE}\b(?!/)")
_PO_BOX_RE = re.compile(r"(?i)\bP\.? ?O\.? ?Box \d{1,6}\b")
# Continental forms: "Hauptstraße 5", "12 rue de Rivoli", each with an optional
# ", 10115 Berlin" (5-digit postcode and town).
_EU_POSTCODE_TOWN = r"(?:,?\s+\d{4,5}\s+[A-ZÀ-Þ][\wÀ-ÿ'\-]+)?"
_EU_STREET_RE = re.compile(
    r"\b(?=[A-ZÀ-Þ][\wÀ-ÿ.\-]*\s\d)[A-ZÀ-Þ][\wÀ-ÿ\-]*"
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|laan|straat|gracht|plein)"
    rf"\s\d{{1,4}}[a-z]?\b{_EU_POSTCODE_TOWN}"
    r"|(?<![\w.#$£€/\-])\d{1,4}(?:\s?(?:bis|ter))?,?\s"
    r"(?i:rue|avenue|boulevard|bd|place|chemin|allée|quai|impasse|calle|via|viale|piazza|corso)"
    # A name follows: capitalised, or after de/des/du/della/del ("2 via email" is prose).
    r"\s(?:(?i:de|des|du|della|del|di|la|le|les|l['’])\s?)*[A-ZÀ-Þ][\wÀ-ÿ'’\-]*"
    r"(?:\s[\wÀ-ÿ'’\-]+){0,3}?"
    rf"(?=[,.;:!?)]|\s[a-z]|$){_EU_POSTCODE_TOWN}"
)

# --------------------------------------------------------------------------- handles
_HANDLE_RE = re.compile(r"(?<![\w@.+/\-])@([A-Za-z0-9_]{1,30})\b")

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
_GATE_CHARSET_RE = re.compile(GATE_CHARSET)


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
# Cheap tests that let most texts skip whole groups of passes.
_GATE_RES = {
    name: re.compile(pattern) for name, pattern in (*PASS_GATES.items(), *SCREEN_GATES.items())
}
_SCREEN_GATE_NAMES = frozenset(SCREEN_GATES)
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
