"""Text cleaning: what a customer wrote, without markup, signatures or the thread it quotes.

Texts made only of PLAIN_CHARSET are cleaned in SQL (`queries/stg_ingest_typed.sql`):
collapsing spaces is all they need. The rest are cleaned here in batched Python (one
list comprehension per file, not a row loop around SQL) because HTML, quoted replies
and NFKC are awkward in SQL; the checks that decide whether a pattern can occur at all
are cheap string tests. `redact_candidates` then redacts the few texts whose
redaction gates DuckDB found open.
"""

from __future__ import annotations

import atexit
import html
import multiprocessing
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pyarrow as pa

from pulse.redact import PASS_GATES, redact, redact_gated

#: Characters of `feedback.text` the embedder should read. The full cleaned text
#: is stored; the embedder truncates to this many characters (MiniLM reads about
#: 256 word pieces, roughly 1,000-1,500 characters, so 2,000 loses nothing it uses).
EMBED_MAX_CHARS = 2000

#: Redaction candidates (distinct texts) from which a worker process shares the work.
PARALLEL_MIN_TEXTS = 20_000
#: Texts per chunk: big enough to amortise pickling, small enough that memory stays flat.
CHUNK_TEXTS = 2_000

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


def _redact_each(
    texts: Sequence[str], gates: Sequence[tuple[str, ...] | None], brand_handles: tuple[str, ...]
) -> list[str]:
    """Redact each text with its open gates (None: every pass). Module-level for the pool."""
    return [
        redact(text, brand_handles)
        if open_gates is None
        else redact_gated(text, open_gates, brand_handles)
        for text, open_gates in zip(texts, gates, strict=True)
    ]


def redact_candidates(
    candidates: pa.Table, brand_handles: tuple[str, ...], workers: int | None = None
) -> pa.Table:
    """Redact the texts DuckDB found a redaction gate open for; `line` and `text_redacted` out.

    `candidates` is `queries/stg_ingest_redact_candidates.sql`'s result: a text outside
    the gate charset runs every pass, any other only the passes whose gate is open.
    Equal texts share one call. Above PARALLEL_MIN_TEXTS distinct texts, a worker
    process takes every other chunk while this process redacts the rest: the worker is
    spawned (not forked, so it never inherits DuckDB's threads or locks) and its start-up
    (~0.5 s) only pays off on large files.
    """
    names = list(PASS_GATES)
    columns = [candidates.column(f"gate_{name}").to_pylist() for name in names]
    unscreened = candidates.column("is_unscreened").to_pylist()
    texts = candidates.column("text").to_pylist()
    distinct: dict[str, int] = {}
    unique_texts: list[str] = []
    unique_gates: list[tuple[str, ...] | None] = []
    for index, text in enumerate(texts):
        if text in distinct:
            continue
        distinct[text] = len(unique_texts)
        unique_texts.append(text)
        unique_gates.append(
            None
            if unscreened[index]
            else tuple(name for name, column in zip(names, columns, strict=True) if column[index])
        )
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    masked = None
    if workers >= 2 and len(unique_texts) >= PARALLEL_MIN_TEXTS:
        try:
            masked = _redact_shared(unique_texts, unique_gates, brand_handles, workers)
        except (BrokenProcessPool, OSError):
            # e.g. a script without `if __name__ == "__main__":` cannot spawn workers
            masked = None
    if masked is None:
        masked = _redact_each(unique_texts, unique_gates, brand_handles)
    redacted = [masked[distinct[text]] for text in texts]
    return pa.table(
        {"line": candidates.column("line"), "text_redacted": pa.array(redacted, pa.string())}
    )


_POOL: ProcessPoolExecutor | None = None


def warm_pool(workers: int | None = None) -> None:
    """Start the redaction worker once per process; later large files reuse it.

    A spawned interpreter takes a second or more to import Pulse. Starting it early,
    while DuckDB read and checked a 1M-row file, was measured slower (50k rows/s
    against 69k, `python bench/ingest.py`), so it starts when redaction first needs it.
    """
    global _POOL
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers < 2 or _POOL is not None:
        return
    context = multiprocessing.get_context("spawn")
    _POOL = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)
    _POOL.submit(_redact_each, [], [], ())  # import in the worker now, not at first use
    atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)


def _redact_shared(
    texts: list[str],
    gates: list[tuple[str, ...] | None],
    brand_handles: tuple[str, ...],
    workers: int,
) -> list[str]:
    """`_redact_each` shared with a worker process, chunk by chunk, whoever is free first.

    Every chunk is offered to the worker in order; this process works from the last
    chunk backwards and takes a chunk itself only when it can still cancel the
    worker's claim on it, so neither side waits while the other has work left.
    """
    global _POOL
    warm_pool(workers)
    pool = _POOL
    assert pool is not None
    starts = list(range(0, len(texts), CHUNK_TEXTS))
    parts: dict[int, list[str]] = {}
    try:
        futures = {
            start: pool.submit(
                _redact_each,
                texts[start : start + CHUNK_TEXTS],
                gates[start : start + CHUNK_TEXTS],
                brand_handles,
            )
            for start in starts
        }
    except BrokenProcessPool:
        _POOL = None
        raise
    for start in reversed(starts):
        if futures[start].cancel():
            chunk = slice(start, start + CHUNK_TEXTS)
            parts[start] = _redact_each(texts[chunk], gates[chunk], brand_handles)
    try:
        for start, future in futures.items():
            if start not in parts:
                parts[start] = future.result()
    except BrokenProcessPool:
        _POOL = None
        raise
    return [text for start in sorted(parts) for text in parts[start]]
