"""Text cleaning: what a customer wrote, without markup, signatures or the thread it quotes.

Cleaning runs in batched Python (one list comprehension per file, not a row
loop around SQL) because HTML, quoted replies and NFKC are awkward in SQL. The
checks that decide whether a pattern can occur at all are cheap string tests,
so plain short texts, the bulk of any export, cost a few microseconds each.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from pulse.redact import redact

#: Characters of `feedback.text` the embedder should read. The full cleaned text
#: is stored; the embedder truncates to this many characters (MiniLM reads about
#: 256 word pieces, roughly 1,000-1,500 characters, so 2,000 loses nothing it uses).
EMBED_MAX_CHARS = 2000

#: Batches at least this large are cleaned and redacted on every core.
PARALLEL_MIN_TEXTS = 50_000
#: Texts per chunk sent to a worker: big enough to amortise pickling, small enough
#: that memory stays flat.
CHUNK_TEXTS = 20_000

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
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")


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
        text = unicodedata.normalize("NFKC", text)
        text = _CONTROL_RE.sub("", text)
    elif not text.isprintable():
        text = _CONTROL_RE.sub("", text.replace("\n", " ").replace("\t", " "))
    # str.split() splits on every Unicode whitespace and is several times faster than a regex.
    return " ".join(text.split())


def clean_texts(texts: Iterable[str | None], is_ticket: bool = True) -> list[str]:
    """Clean a batch of texts (one call per file keeps Python overhead off each row)."""
    return [clean_text(text, is_ticket) for text in texts]


def clean_and_redact(
    texts: Sequence[str | None], is_ticket: bool, brand_handles: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """Clean a batch of texts and redact each distinct cleaned text once.

    Redaction is the costliest step of a load, so identical texts (retweets,
    canned messages, re-exports) share one call. Module-level so a process pool
    can run it on chunks of a large file.
    """
    cleaned = clean_texts(texts, is_ticket)
    cache: dict[str, str] = {}
    redacted = []
    for text in cleaned:
        masked = cache.get(text)
        if masked is None:
            masked = redact(text, brand_handles) if text else ""
            cache[text] = masked
        redacted.append(masked)
    return cleaned, redacted


def clean_and_redact_column(
    texts: pa.Array | pa.ChunkedArray,
    is_ticket: bool,
    brand_handles: tuple[str, ...],
    workers: int | None = None,
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """`clean_and_redact` over a column of texts, on every core for big batches.

    The column is handled in chunks of CHUNK_TEXTS texts, at most two per worker
    in flight, and each result goes straight back into compact Arrow arrays, so
    memory stays flat however large the file. Worker processes are spawned (not
    forked) so they never inherit DuckDB's threads or locks; their start-up cost
    (~0.5 s) only pays off above PARALLEL_MIN_TEXTS texts. Chunks keep their
    order, so results line up with the input.
    """
    workers = workers or os.cpu_count() or 1
    total = len(texts)
    if workers < 2 or total < PARALLEL_MIN_TEXTS:
        cleaned, redacted = clean_and_redact(texts.to_pylist(), is_ticket, brand_handles)
        return (
            pa.chunked_array([pa.array(cleaned, pa.string())], pa.string()),
            pa.chunked_array([pa.array(redacted, pa.string())], pa.string()),
        )
    cleaned_parts: list[pa.Array] = []
    redacted_parts: list[pa.Array] = []
    in_flight: deque = deque()

    def collect() -> None:
        part_cleaned, part_redacted = in_flight.popleft().result()
        cleaned_parts.append(pa.array(part_cleaned, pa.string()))
        redacted_parts.append(pa.array(part_redacted, pa.string()))

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for start in range(0, total, CHUNK_TEXTS):
            chunk = texts.slice(start, CHUNK_TEXTS).to_pylist()
            in_flight.append(pool.submit(clean_and_redact, chunk, is_ticket, brand_handles))
            if len(in_flight) >= 2 * workers:
                collect()
        while in_flight:
            collect()
    return pa.chunked_array(cleaned_parts, pa.string()), pa.chunked_array(
        redacted_parts, pa.string()
    )
