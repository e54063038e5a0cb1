"""The patterns that find personal data with a shape of its own, one group per kind.

Each pattern's reasons (what it takes, what it leaves) are in `pulse.redact`'s table;
the decisions that accept or refuse a match are in `pulse.redact.decisions`.
"""

from __future__ import annotations

import re

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
# Dots in a local part or a domain, at most: an address has a few. Unbounded, a text of
# "a dot a dot …" with no "at" was scanned to its end from every word (5 s for 30 kB).
_MAX_LABELS = 16
_EMAIL_SPELLED_RE = re.compile(
    r"(?i)(?<![\w.+%'-])(?P<local>[A-Za-z0-9][\w+%'-]*"
    rf"(?:{_SPELLED_DOT}[A-Za-z0-9][\w+%'-]*){{0,{_MAX_LABELS}}})(?P<at>{_SPELLED_AT})"
    rf"(?P<domain>[A-Za-z0-9][\w-]*(?:{_SPELLED_DOT}[A-Za-z0-9][\w-]*){{0,{_MAX_LABELS}}}?)"
    rf"(?P<dot>{_SPELLED_DOT})"
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
