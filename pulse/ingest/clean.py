"""Text cleaning: what a customer wrote, without markup, signatures or the thread it quotes.

Texts made only of PLAIN_CHARSET are cleaned in SQL (`queries/ingest/stg_ingest_typed.sql`):
collapsing spaces is all they need. The rest are cleaned here in batched Python (one
list comprehension per file, not a row loop around SQL) because HTML, quoted replies
and NFKC are awkward in SQL; the checks that decide whether a pattern can occur at all
are cheap string tests. `redact_candidates` (or `start_redaction`) then redacts the
few texts whose redaction gates DuckDB found open. On a large file a spawned worker
process takes chunks of both jobs, whichever process is free first.
"""

from __future__ import annotations

import atexit
import functools
import html
import multiprocessing
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

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


def map_shared(
    work: Callable[..., list],
    columns: tuple[list, ...],
    constants: tuple = (),
    workers: int | None = None,
) -> list:
    """`work(*columns, *constants)`, its chunks shared with the worker process when it pays.

    From PARALLEL_MIN_TEXTS rows on, the worker (`warm_pool`, started here if need be)
    takes whichever chunks it reaches first while this process works from the other
    end; below that, or where no worker can start, this process does it all. `work`
    must be a module-level function (the worker imports it) that maps a chunk of each
    column to one result per row.
    """
    return start_shared(work, columns, constants, workers)()


def start_shared(
    work: Callable[..., list],
    columns: tuple[list, ...],
    constants: tuple = (),
    workers: int | None = None,
) -> Callable[[], list]:
    """`map_shared` begun now: the worker starts on its chunks at once; call the result.

    The call then works from the back with the worker as `map_shared` does and returns
    the rows. In between this process is free for work of its own (the sentiment stage
    loads and writes one chunk while the worker reads the next one's texts).
    """
    if len(columns[0]) < PARALLEL_MIN_TEXTS or _pool_workers(workers) < 2:
        return lambda: work(*columns, *constants)
    parts = start_chunks(work, columns, constants, CHUNK_TEXTS, workers)
    return lambda: [item for part in parts() for item in part]


def map_chunks(
    work: Callable[..., Any],
    columns: tuple[Sequence, ...],
    constants: tuple = (),
    chunk_size: int = CHUNK_TEXTS,
    workers: int | None = None,
) -> list:
    """`work(*chunk_of_each_column, *constants)` for each chunk, in order, shared with the worker.

    For work whose chunks are few and heavy (seconds each, e.g. placing 10,000 vectors
    with a fitted UMAP): from two chunks on, the worker process takes chunks from the
    front while this process works from the back. Each chunk's result is whatever `work`
    returns; the caller joins them. Without a worker this process does every chunk, so
    `work` must give the same result wherever it runs.
    """
    return start_chunks(work, columns, constants, chunk_size, workers)()


def start_chunks(
    work: Callable[..., Any],
    columns: tuple[Sequence, ...],
    constants: tuple = (),
    chunk_size: int = CHUNK_TEXTS,
    workers: int | None = None,
) -> Callable[[], list]:
    """`map_chunks` begun now (the worker starts on the front chunks); call the result."""
    starts = range(0, len(columns[0]), chunk_size)
    job = None
    if len(starts) >= 2 and _pool_workers(workers) >= 2:
        try:
            job = _SharedJob(work, columns, constants, _pool_workers(workers), chunk_size)
        except (BrokenProcessPool, OSError):
            job = None  # see RedactionJob

    def parts() -> list:
        if job is not None:
            try:
                return job.parts()
            except (BrokenProcessPool, OSError):
                pass  # the worker died: this process does it all
        return [
            work(*[column[start : start + chunk_size] for column in columns], *constants)
            for start in starts
        ]

    return parts


def can_share() -> bool:
    """Whether work can be shared with a worker process (two cores, a spawn-safe caller)."""
    return _pool_workers(None) >= 2


def start_in_worker(work: Callable[..., Any], *args: Any) -> Future | None:
    """`work(*args)` started in the worker process (started if need be), or None.

    For work that can run on the idle core while this process does something else
    (warming the worker's imports, counting a window's words during UMAP's serial fit).
    None where no worker can run; the caller then does the work itself, and so it must
    also when the future raises BrokenProcessPool or OSError.
    """
    if not can_share():
        return None
    try:
        warm_pool()
        return None if _POOL is None else _POOL.submit(work, *args)
    except (BrokenProcessPool, OSError):
        return None


def _clean_each(texts: Sequence[str | None], is_ticket: bool) -> list[str]:
    """`clean_text` over a chunk. Module-level for the pool."""
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

    `candidates` is `queries/ingest/stg_ingest_redact_candidates.sql`'s result: a text outside
    the gate charset runs every pass, any other only the passes whose gate is open.
    """
    return start_redaction(candidates, brand_handles, workers).result()


class RedactionJob:
    """Redaction of one batch of candidates, started by `start_redaction`.

    Until `result()` is called, the worker process redacts the batch chunk by chunk
    while this process does other work (ingest cleans the texts DuckDB could not);
    `result()` then redacts what the worker has not claimed yet and collects the rest.
    """

    def __init__(
        self,
        candidates: pa.Table,
        brand_handles: tuple[str, ...],
        workers: int | None,
    ):
        names = list(PASS_GATES)
        columns = [candidates.column(f"gate_{name}").to_pylist() for name in names]
        unscreened = candidates.column("is_unscreened").to_pylist()
        self._lines = candidates.column("line")
        self._texts = candidates.column("text").to_pylist()
        # Equal texts share one call.
        self._distinct: dict[str, int] = {}
        self._unique_texts: list[str] = []
        self._unique_gates: list[tuple[str, ...] | None] = []
        for index, text in enumerate(self._texts):
            if text in self._distinct:
                continue
            self._distinct[text] = len(self._unique_texts)
            self._unique_texts.append(text)
            self._unique_gates.append(
                None
                if unscreened[index]
                else tuple(
                    name for name, column in zip(names, columns, strict=True) if column[index]
                )
            )
        self._brand_handles = brand_handles
        self._job: _SharedJob | None = None
        workers = _pool_workers(workers)
        worth_sharing = len(self._unique_texts) >= (
            2 * CHUNK_TEXTS if _POOL is not None else PARALLEL_MIN_TEXTS
        )
        if workers >= 2 and worth_sharing:
            try:
                self._job = _SharedJob(
                    _redact_each,
                    (self._unique_texts, self._unique_gates),
                    (brand_handles,),
                    workers,
                )
            except (BrokenProcessPool, OSError):
                # e.g. a script without `if __name__ == "__main__":` cannot spawn workers
                self._job = None

    def result(self) -> pa.Table:
        """`line` and `text_redacted` of every candidate, in the candidates' order."""
        masked = None
        if self._job is not None:
            try:
                masked = [item for part in self._job.parts() for item in part]
            except (BrokenProcessPool, OSError):
                masked = None
        if masked is None:
            masked = _redact_each(self._unique_texts, self._unique_gates, self._brand_handles)
        redacted = [masked[self._distinct[text]] for text in self._texts]
        return pa.table({"line": self._lines, "text_redacted": pa.array(redacted, pa.string())})


def start_redaction(
    candidates: pa.Table, brand_handles: tuple[str, ...], workers: int | None = None
) -> RedactionJob:
    """Start redacting `candidates` (see `redact_candidates`); `.result()` finishes it.

    From PARALLEL_MIN_TEXTS distinct texts on (or two chunks, once the worker runs),
    the worker process starts on the chunks at once; the worker is spawned (not
    forked, so it never inherits DuckDB's threads or locks) and its start-up
    (~0.5 s) only pays off on large files.
    """
    return RedactionJob(candidates, brand_handles, workers)


_POOL: ProcessPoolExecutor | None = None


_MAIN_GUARD = re.compile(r"""__name__\s*==\s*['"]__main__['"]""")


def spawn_is_safe() -> bool:
    """Whether a spawned worker can start without running the caller's script again.

    A spawned interpreter imports the main script afresh. A script that calls Pulse at
    its top level, with no `if __name__ == "__main__":` guard, would then run its
    whole ingest again in the worker (waiting on the same DuckDB lock), and the caller
    hung at exit waiting for that worker (seen with a 200k-row file). Such a script
    gets the single-process path: slower on large files, never stuck. A main module
    without a file (`python -c`, a REPL, a notebook) re-runs nothing.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return True if not path else _has_main_guard(str(path))


@functools.lru_cache(maxsize=4)
def _has_main_guard(path: str) -> bool:
    """Read once per script: every large batch asks, until the worker has started."""
    try:
        source = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(_MAIN_GUARD.search(source))


def _pool_workers(workers: int | None) -> int:
    if _POOL is None and not spawn_is_safe():
        return 1
    return workers if workers is not None else min(2, os.cpu_count() or 1)


def warm_pool(workers: int | None = None) -> None:
    """Start the worker process once per process; later large files reuse it.

    A spawned interpreter takes a second or more to import Pulse. Starting it while
    DuckDB read and checked a 1M-row file was measured slower (50k rows/s against 69k,
    `python bench/ingest.py`): the import competed with DuckDB's threads for both
    cores. It starts when the first large batch of texts is cleaned in Python, the
    first moment a core is idle.
    """
    global _POOL
    workers = _pool_workers(workers)
    if workers < 2 or _POOL is not None:
        return
    context = multiprocessing.get_context("spawn")
    _POOL = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)
    _POOL.submit(_redact_each, [], [], ())  # import in the worker now, not at first use
    atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)


def shutdown_pool() -> None:
    """Stop the worker process, waiting for it to exit (the next large batch starts another).

    A benchmark calls this to count the worker's CPU time: a child's times reach
    `os.times()` only once it has exited.
    """
    global _POOL
    pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


class _SharedJob:
    """`work(*chunk_of_each_column, *constants)` shared with a worker process, chunk by chunk.

    Every chunk is offered to the worker in order as soon as the job is made;
    `result()` works from the last chunk backwards and takes a chunk itself only
    when it can still cancel the worker's claim on it, so neither side waits while
    the other has work left. Results come back in the order of `columns`, whoever
    made them.
    """

    def __init__(
        self,
        work: Callable[..., list],
        columns: tuple[list, ...],
        constants: tuple,
        workers: int,
        chunk_size: int | None = None,
    ):
        global _POOL
        warm_pool(workers)
        pool = _POOL
        assert pool is not None
        self._work = work
        self._columns = columns
        self._constants = constants
        # Read at call time, not bound as a default: tests shrink CHUNK_TEXTS.
        self._size = chunk_size or CHUNK_TEXTS
        self._starts = list(range(0, len(columns[0]), self._size))
        try:
            self._futures = {
                start: pool.submit(work, *self._chunk(start), *constants) for start in self._starts
            }
        except BrokenProcessPool:
            _POOL = None
            raise

    def _chunk(self, start: int) -> list:
        return [column[start : start + self._size] for column in self._columns]

    def parts(self) -> list:
        """Each chunk's result, in chunk order, whoever made it."""
        global _POOL
        parts: dict[int, Any] = {}
        for start in reversed(self._starts):
            if self._futures[start].cancel():
                parts[start] = self._work(*self._chunk(start), *self._constants)
        try:
            for start, future in self._futures.items():
                if start not in parts:
                    parts[start] = future.result()
        except BrokenProcessPool:
            _POOL = None
            raise
        return [parts[start] for start in self._starts]
