"""Personal data that only its context gives away: names, dates of birth, identity numbers.

`pulse.redact` masks what has a shape of its own (an e-mail, a phone number); a name, a
date or a passport number looks like any other word or number, so these passes read the
words around it:

=====  ====================================================================  ==========
kind   when                                                                  token
=====  ====================================================================  ==========
name   after "my name is", "name:", a title (Mr, Dr ...), a strong sign-off  ``[name]``
       (Regards, Sincerely ...); a known first name after "I'm", "this is",
       a greeting or a short sign-off (Hi, Thanks ...); a known first name
       followed by a known surname anywhere ("Sarah Connor")
dob    a date after "DOB", "date of birth", "born on", "birthday" ...         ``[dob]``
id     a number after "passport no", "national insurance", "SIN", "NHS       ``[id]``
       number", "driver's licence" ...
=====  ====================================================================  ==========

Decisions worth knowing:

* No named-entity model: the only English NER models on PyPI are third-party re-uploads
  of spaCy's en_core_web_sm, which its own release notes put at ~8,500 words/s on a CPU,
  some 300 texts/s on short tickets against ~250,000 for these regular expressions; and a
  model reads every text, while a cue word or a known name lets ingest skip the others.
* Known names come from `pulse/redact/lexicons/` (US Census 1990 lists plus names they miss),
  without the names that are more often a word, a place or a brand ("Grace", "Austin",
  "Alexa"). A name outside the lists is masked only after a strong cue ("my name is",
  "Regards,", "Mr"); a lower-case name only after "my name is" / "name:".
* A capitalised word that is never a name in a customer text ("Team", "Support",
  "Customer", a weekday; `pulse/redact/lexicons/not_names.txt`) ends a name and is never one:
  "Hi team" and "Thanks, Support" stay.
* Each pass replaces only the name, date or number, never its cue ("Hi [name],",
  "DOB: [dob]"), and no match crosses a "[" or "]", so a token never joins a cue to a
  value that were apart (which keeps the gates in `CONTEXT_GATES` sound: see there).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

_LEXICONS = Path(__file__).resolve().parent / "lexicons"


def _read_words(name: str) -> frozenset[str]:
    lines = (_LEXICONS / name).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


FIRST_NAMES = _read_words("first_names.txt")
LAST_NAMES = _read_words("last_names.txt")
NOT_NAMES = _read_words("not_names.txt")
_FIRST_LOWER = frozenset(name.lower() for name in FIRST_NAMES)
_FIRST_NAMES_ASCII = frozenset(name.encode("ascii") for name in FIRST_NAMES)
_LAST_LOWER = frozenset(name.lower() for name in LAST_NAMES)

# --------------------------------------------------------------------------- names
_UPPER = "A-ZÀ-ÖØ-Þ"
_LETTER = "A-Za-zÀ-ÖØ-öø-ÿ"
# A capitalised word with at least one lower-case letter (McDonald, not NASA), whole:
# not inside a handle, hashtag, path, address or another word.
_CAP_WORD_RE = re.compile(
    rf"(?<![\w@#/.'’\-\[])[{_UPPER}][{_LETTER}]*[a-zß-öø-ÿ][{_LETTER}]*"
    rf"(?:-[{_UPPER}][{_LETTER}]*[a-zß-öø-ÿ][{_LETTER}]*)?(?![\w@'’\-])"
)
# What may join two parts of one name: a space, or a middle initial ("John F. Smith").
_NAME_JOIN_RE = re.compile(rf"[ ](?:[{_UPPER}]\.? )?")
_SEPARATORS = r"[ \n,:;.!\-–—]{0,4}"
# Cues after which any capitalised word is a name.
_STRONG_CUE_RE = re.compile(
    r"(?i)(?:\bmy (?:full )?name(?: is|['’]s|:)|\bname\s?:|\bi go by|\bsigned|\bsincerely"
    r"|\bregards|\byours (?:truly|sincerely|faithfully)|\brespectfully|\bbest wishes"
    rf"|\bwarm wishes){_SEPARATORS}$"
)
_TITLE_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Mister|Madam)\.? {1,2}$")
# Cues after which a known first name is a name (and a capitalised word after it, its surname).
_WEAK_CUE_RE = re.compile(
    r"(?i)\b(?:i['’]?m|i am|this is|it['’]?s|it is|here is|here['’]s|call me|named|called"
    r"|hi|hello|hey|hiya|dear|morning|good (?:morning|afternoon|evening)|greetings|thanks"
    r"|thank you|thx|cheers|ta|love|best|spoke (?:to|with)|talked (?:to|with)|chatted with"
    r"|agent|rep|advisor|adviser|miss)"
    rf"{_SEPARATORS}$"
)
# "my name is jane doe": lower case, so only known names.
_LOWER_NAME_RE = re.compile(
    r"(?i)(\bmy (?:full )?name(?: is|['’]s|:) {1,2}|\bname ?: ?)([a-z]+)(?:( )([a-z]+))?\b"
)
_CUE_REACH = 40
#: Cue words of the strong cues, and titles: a text without any (and without a known
#: first name) has no name these passes would mask.
_STRONG_GATE = (
    r"(?i:name(?: is|['’]s| ?:)|sincerely|regards|yours|respectfully|wishes|go by|signed)"
    rf"|(?:Mr|Mrs|Ms|Mx|Dr|Prof|Mister|Madam)\.? {{1,2}}[{_UPPER}]"
)
# The cheap tests before the name pass, on the lower-cased text and on the text: what the
# strong cues and the titles of _STRONG_CUE_RE, _LOWER_NAME_RE and _TITLE_RE hold.
_STRONG_WORD_RE = re.compile(
    r"name(?: is|['’]s|\s?:)|sincerely|regards|yours|respectfully|wishes|go by|signed"
)
_TITLE_WORD_RE = re.compile(rf"(?:Mr|Mrs|Ms|Mx|Dr|Prof|Mister|Madam)\.? {{1,2}}[{_UPPER}]")
# Every byte but an ASCII letter becomes a space: split, a text's runs of ASCII letters
# (a non-ASCII character becomes "?" first). Several times faster than a regex's findall.
_LETTERS_ONLY = bytes.maketrans(
    bytes(code for code in range(256) if not chr(code).isascii() or not chr(code).isalpha()),
    b" " * sum(1 for code in range(256) if not chr(code).isascii() or not chr(code).isalpha()),
)


def ascii_words(text: str) -> list[bytes]:
    """The runs of ASCII letters in `text`, as bytes: every word an ASCII pattern matches whole."""
    return text.encode("ascii", "replace").translate(_LETTERS_ONLY).split()


_CASE_TRAPS = ("\u0130", "\u0131", "\u017f")


def _is_name_word(word: str) -> bool:
    return word not in NOT_NAMES and word.split("-")[0] not in NOT_NAMES


def _extend_name(text: str, end: int, more: int, need_known: bool) -> int:
    """End of the name that ends at `end` after up to `more` further capitalised words."""
    for _ in range(more):
        join = _NAME_JOIN_RE.match(text, end)
        if join is None:
            break
        word = _CAP_WORD_RE.match(text, join.end())
        if word is None or not _is_name_word(word.group(0)):
            break
        if need_known and word.group(0) not in LAST_NAMES and word.group(0) not in FIRST_NAMES:
            break
        end = word.end()
    return end


def _name_end(text: str, word: re.Match[str], has_strong_cue: bool) -> int | None:
    """Where the name starting at `word` ends, or None if context does not make it one.

    `has_strong_cue` False says the text holds no strong cue or title at all.
    """
    name = word.group(0)
    if not _is_name_word(name) or (name not in FIRST_NAMES and not has_strong_cue):
        return None
    before = text[max(0, word.start() - _CUE_REACH) : word.start()]
    if "[" in before or "]" in before:
        before = before[max(before.rfind("["), before.rfind("]")) + 1 :]
    if has_strong_cue and (_STRONG_CUE_RE.search(before) or _TITLE_RE.search(before)):
        return _extend_name(text, word.end(), 2, need_known=False)
    if name not in FIRST_NAMES:
        return None
    if _WEAK_CUE_RE.search(before):
        return _extend_name(text, word.end(), 2, need_known=False)
    # "Sarah Connor", "Mary Ann Smith", "John F. Smith": a known surname must follow.
    end = _extend_name(text, word.end(), 2, need_known=True)
    last = _CAP_WORD_RE.search(text, word.end(), end) if end > word.end() else None
    if last is None:
        return None
    words = _CAP_WORD_RE.findall(text, word.end(), end)
    return end if any(part in LAST_NAMES for part in words) else None


def mask_names(text: str, counts: Counter[str]) -> str:
    """Replace each name its context reveals with ``[name]`` (see the module's table)."""
    pieces: list[str] = []
    position = 0
    has_strong_cue = _has_strong_cue(text)
    for word in _CAP_WORD_RE.finditer(text):
        if word.start() < position:
            continue
        end = _name_end(text, word, has_strong_cue)
        if end is None:
            continue
        pieces += [text[position : word.start()], "[name]"]
        counts["name"] += 1
        position = end
    if pieces:
        text = "".join(pieces) + text[position:]

    def lower_case(match: re.Match[str]) -> str:
        first, space, last = match.group(2), match.group(3), match.group(4)
        if first.lower() not in _FIRST_LOWER or first.lower() in _LOWER_NOT_NAMES:
            return match.group(0)
        counts["name"] += 1
        if last and last.lower() in _LAST_LOWER:
            return match.group(1) + "[name]"
        return match.group(1) + "[name]" + (space + last if last else "")

    if "name" in text.lower():
        text = _LOWER_NAME_RE.sub(lower_case, text)
    return text


_LOWER_NOT_NAMES = frozenset(word.lower() for word in NOT_NAMES)


def _has_strong_cue(text: str, low: str | None = None) -> bool:
    if not text.isascii() and any(trap in text for trap in _CASE_TRAPS):
        return True  # Python's case-insensitive match equates these with "i" or "s"
    return bool(_STRONG_WORD_RE.search(low or text.lower()) or _TITLE_WORD_RE.search(text))


def may_have_name(text: str, low: str | None = None) -> bool:
    """A cheap necessary condition for `mask_names` to change `text` (lower-cased: `low`)."""
    if _has_strong_cue(text, low):
        return True
    # A known first name is a whole word of ASCII letters, which this split finds whole.
    return not _FIRST_NAMES_ASCII.isdisjoint(ascii_words(text))


@cache
def name_gate() -> str:
    """The name pass's gate: a strong cue word, a title or a known first name as a word."""
    known = "|".join(re.escape(name) for name in sorted(FIRST_NAMES))
    return rf"{_STRONG_GATE}|\b(?:{known})\b"


# --------------------------------------------------------------------------- dates of birth
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {{1,2}}{_MONTH}\.?(?:,? {{1,2}}'?\d{{2,4}})?"
    rf"|{_MONTH}\.? {{1,2}}\d{{1,2}}(?:st|nd|rd|th)?(?:,? {{1,2}}\d{{4}})?"
    rf"|{_MONTH}\.?,? {{1,2}}\d{{4}}|(?:19|20)\d{{2}})"
)
_DOB_CUES = r"d\.?o\.?b\.?|date of birth|birth ?date|birthday|born"
_DOB_RE = re.compile(
    rf"(?i)(\b(?:{_DOB_CUES})(?![a-z])[^\d\n\[\]]{{0,16}}?)(?<![\w])({_DATE})(?![\w]|[./\-]\d)"
)
#: A cue, then within 40 characters a digit: the date's first digit comes at most 16 + 9
#: ("september") + 4 characters after the cue's end.
_DOB_GATE = r"(?i:d\.?o\.?b|birth|born)[^0-9]{0,40}[0-9]"

# --------------------------------------------------------------------------- identity numbers
# Each cue with the shape its number must have (digits counted after dropping separators).
_ID_CUES: tuple[tuple[str, str], ...] = (
    ("passport(?: card)?", "any"),
    ("national insurance|ni (?:number|no\\.?)|nino", "any"),
    ("social insurance(?: number)?|sin", "9"),
    ("national id(?:entity)?(?: card)?|identity card|id card|personal id(?:entity)?", "any"),
    ("driver['’]?s? licen[cs]e|driving licen[cs]e|licen[cs]e number", "any"),
    ("tax id|tax identification|tin|ein", "9"),
    ("nhs(?: number| no\\.?)?|medicare(?: number| no\\.?)?|health card", "any"),
    ("aadhaa?r", "12"),
    ("pan(?: card)?", "pan"),
    ("dni|nie|nif|cpf|bsn|curp|rut|codice fiscale|personnummer|steuer-?id", "any"),
)
_ID_CUE_ALTERNATION = "|".join(cue for cue, _shape in _ID_CUES)
_ID_SHAPES = [(re.compile(rf"(?i)(?:{cue})$"), shape) for cue, shape in _ID_CUES]
_ID_FILLER = r"(?:[ :#=.\-]{1,3}(?:no|nr|num|number|is|was|id|#)\b\.?){0,3}[ :#=.\-]{1,4}"
_ID_GROUP = r"(?:[A-Za-z]{0,5}\d[A-Za-z0-9]*|[A-Z]{1,2})"
_ID_RE = re.compile(
    rf"(?i:(\b(?:{_ID_CUE_ALTERNATION})){_ID_FILLER})"
    rf"(?<![\w])({_ID_GROUP}(?:[ \-]{_ID_GROUP}){{0,5}})(?![\w]|[./]\d)"
)
#: A cue and a separator ("since 3" is no SIN), then within 40 characters a digit: the
#: filler takes at most 34 characters and a number at most 5 letters before its first
#: digit. (An RE2 \b before an ASCII letter is a boundary wherever Python's is, so the
#: gate opens at least where the pass matches.)
_ID_GATE = rf"(?i:\b(?:{_ID_CUE_ALTERNATION})[ :#=.\-])[^0-9]{{0,40}}[0-9]"
_PAN_RE = re.compile(r"[A-Z]{5}\d{4}[A-Z]")


def _id_shape_ok(cue: str, number: str) -> bool:
    compact = re.sub(r"[ \-]", "", number)
    digits = sum(char.isdigit() for char in compact)
    if not 4 <= digits <= 20 or len(compact) > 24 or len(compact) < 6:
        return False
    shape = next(shape for pattern, shape in _ID_SHAPES if pattern.search(cue))
    if shape == "pan":
        return _PAN_RE.fullmatch(compact.upper()) is not None
    return shape == "any" or (compact.isdigit() and len(compact) == int(shape))


def mask_ids(text: str, counts: Counter[str]) -> str:
    """Replace identity numbers after their cue words with ``[id]``."""

    def replace(match: re.Match[str]) -> str:
        if not _id_shape_ok(match.group(1), match.group(2)):
            return match.group(0)
        counts["id"] += 1
        return match.group(0)[: match.start(2) - match.start()] + "[id]"

    return _ID_RE.sub(replace, text)


def mask_dobs(text: str, counts: Counter[str]) -> str:
    """Replace dates after a date-of-birth cue with ``[dob]``."""

    def replace(match: re.Match[str]) -> str:
        counts["dob"] += 1
        return match.group(1) + "[dob]"

    return _DOB_RE.sub(replace, text)


_DOB_GATE_RE = re.compile(_DOB_GATE)


def may_have_dob(text: str) -> bool:
    """A necessary condition for `mask_dobs` to change `text`."""
    low = text.lower()  # no character folds onto b, d, h, n, o, r or t
    if not any(hint in low for hint in ("dob", "d.o", "do.b", "birth", "born")):
        return False
    return _DOB_GATE_RE.search(text) is not None


_ID_GATE_RE = re.compile(_ID_GATE)
# The first word of each cue, as [a-z]+ splits it ("driver's" gives "driver").
_ID_CUE_WORDS = frozenset(
    b"passport national ni nino social sin identity id personal driver drivers driving licence "
    b"license tax tin ein nhs medicare health aadhaar aadhar pan dni nie nif cpf bsn curp rut "
    b"codice personnummer steuer steuerid".split()
)


def may_have_id(text: str) -> bool:
    """A necessary condition for `mask_ids` to change `text`."""
    if text.isascii() or not any(trap in text for trap in _CASE_TRAPS):
        if _ID_CUE_WORDS.isdisjoint(ascii_words(text.lower())):
            return False
    return _ID_GATE_RE.search(text) is not None


#: Gates of these passes, for RE2 and Python's re alike (see `pulse.redact.PASS_GATES`):
#: a text none of them matches (nor any other gate) never reaches Python at ingest. Each
#: holds on the original text whenever its pass changes the text in any round, because
#: a pass's match never spans a "[" or "]": it lies between tokens, in text as written.
CONTEXT_GATES: dict[str, str] = {
    "dob": _DOB_GATE,
    "national_id": _ID_GATE,
}
