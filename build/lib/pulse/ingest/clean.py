"""Text cleaning: what a customer wrote, without markup, signatures or the thread it quotes.

Texts made only of PLAIN_CHARSET are cleaned in SQL (`queries/ingest/stg_ingest_typed.sql`):
collapsing spaces is all they need. The rest are cleaned here in batched Python (one
list comprehension per file, not a row loop around SQL) because HTML, quoted replies
and NFKC are awkward in SQL; the checks that decide whether a pattern can occur at all
are cheap string tests. On a large file a spawned worker process takes chunks of the
work (`pulse.workers`); `pulse.ingest.redaction` then redacts the cleaned texts.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

from pulse.workers import map_shared

#: Characters of `feedback.text` the embedder should read. The full cleaned text
#: is stored; the embedder truncates to this many characters (MiniLM reads about
#: 256 word pieces, roughly 1,000-1,500 characters, so 2,000 loses nothing it uses).
EMBED_MAX_CHARS = 2000

#: Texts made only of these characters are cleaned in SQL: printable, NFKC-stable, no
#: markup ("<"), entities ("&") or line breaks, and the space is their only whitespace, so
#: `clean_text` would only collapse runs of spaces. tests/test_ingest.py checks each one.
PLAIN_CHARSET = "[ -%'-;=>-~£¥À-ÿ‘’“”–—€]*"

#: Characters of a rejected row kept in `rejected_rows.raw`: enough to find it.
REJECTED_RAW_MAX_CHARS = 500

_BLOCK_TAG_RE = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div|li)\b[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]{0,2000}>")
_SCRIPT_RE = re.compile(r"<\s*(script|style)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_HINT_RE = re.compile(r"<\s*/?\s*[a-zA-Z!]")

# A quoted reply chain starts at the first of these lines; everything after it is
# the earlier conversation, not what this customer wrote now.
_REPLY_HEADER_RE = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote:\s*$"
    r"|-{2,}\s*original message\s*-{2,}"
    r"|-{2,}\s*forwarded message\s*-{2,}"
    r"|_{5,}\s*$"
    r"|from:\s.*$"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE_RE = re.compile(r"^\s*>.*$\n?", re.MULTILINE)
# A signature starts at the RFC 3676 delimiter or a device footer.
_SIGNATURE_RE = re.compile(
    r"^(?:--\s*$|sent from my\b.*$|get outlook for\b.*$)", re.IGNORECASE | re.MULTILINE
)
# A closing word on its own line followed by at most three short lines (a name,
# a title, a phone number) at the very end of the text.
_VALEDICTION_RE = re.compile(
    r"\n\s*(?:best regards|kind regards|warm regards|regards|best|thanks|thank you|"
    r"many thanks|cheers|sincerely|yours sincerely|yours)\s*[,.!]?\s*"
    r"(?:\n[^\n]{0,60}){0,3}\s*\Z",
    re.IGNORECASE,
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u2060\ufeff]")
# Unicode format characters (category Cf): invisible, and the bidi controls among them
# reverse what a reader sees. All go, but the zero-width joiner inside an emoji sequence
# and the tag characters of a flag (handled below). Listed, since `re` has no \p{Cf}.
_FORMAT_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001]"
)
# A zero-width joiner stays only between two symbols (emoji): "👩\u200d💻" is one emoji.
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff"
_LONE_JOINER_RE = re.compile(f"(?<![{_EMOJI}\ufe0f])\u200d|\u200d(?![{_EMOJI}])")
# C1 controls (U+0080-U+009F) in real exports are Windows-1252 bytes read as Latin-1
# ("don\x92t"): each becomes the character it was, the undefined ones go.
_C1_TO_CP1252 = {
    code: (bytes([code]).decode("cp1252", errors="ignore") or None) for code in range(0x80, 0xA0)
}


def _strip_html(text: str) -> str:
    if _HTML_HINT_RE.search(text):
        text = _SCRIPT_RE.sub(" ", text)
        text = _BLOCK_TAG_RE.sub("\n", text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _strip_thread(text: str) -> str:
    """Drop quoted replies and signatures; keep the text if that would leave nothing."""
    original = text
    if ">" in text:
        text = _QUOTED_LINE_RE.sub("", text)
    match = _REPLY_HEADER_RE.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    match = _SIGNATURE_RE.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    if "\n" in text:
        text = _VALEDICTION_RE.sub("", text)
    return text if text.strip() else original


def clean_text(text: str | None, is_ticket: bool = True) -> str:
    """Return the text a reader and the topic model should see.

    Ticket bodies lose HTML, quoted reply chains and signatures; every text is
    NFKC-normalised (full-width letters, ligatures and non-breaking spaces
    become plain ones, so the same words hash and embed the same) and its
    whitespace collapsed to single spaces.

    Args:
        text: The raw text; None counts as empty.
        is_ticket: Whether to strip e-mail furniture (signatures, quoted replies).

    Returns:
        The cleaned text, possibly empty (the caller rejects empty texts).
    """
    if not text:
        return ""
    if "<" in text or "&" in text:
        text = _strip_html(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_ticket and "\n" in text:
        text = _strip_thread(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_C1_TO_CP1252))
        text = _CONTROL_RE.sub("", _LONE_JOINER_RE.sub("", _FORMAT_RE.sub("", text)))
    elif not text.isprintable():
        text = _CONTROL_RE.sub("", text.replace("\n", " ").replace("\t", " "))
    # str.split() splits on every Unicode whitespace and is several times faster than a regex.
    return " ".join(text.split())


def clean_texts(
    texts: Iterable[str | None], is_ticket: bool = True, workers: int | None = None
) -> list[str]:
    """Clean a batch of texts (one call per file keeps Python overhead off each row).

    From PARALLEL_MIN_TEXTS texts on, the worker process (`warm_pool`, which this
    starts) cleans whichever chunks it gets to first, as redaction shares its texts.
    """
    return map_shared(_clean_each, (list(texts),), (is_ticket,), workers)


def _clean_each(texts: Sequence[str | None], is_ticket: bool) -> list[str]:
    """`clean_text` over a chunk. Module-level for the pool."""
    return [clean_text(text, is_ticket) for text in texts]
