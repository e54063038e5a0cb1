"""The one worker process Pulse shares work with, and the ways work is shared with it.

Ingest (cleaning, redaction), sentiment and the sampled UMAP all run on two cores: this
process plus one spawned worker (spawned, not forked, so it never inherits DuckDB's
threads or locks). The worker starts at the first moment a core is idle and is reused
by every later batch; where no worker can start, the caller does all the work itself,
so a function given to the pool must give the same result wherever it runs.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

#: Rows from which a batch is shared with the worker process.
PARALLEL_MIN_TEXTS = 20_000
#: Texts per chunk: big enough to amortise pickling, small enough that memory stays flat.
CHUNK_TEXTS = 2_000


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
    min_rows: int | None = None,
) -> Callable[[], list]:
    """`map_shared` begun now: the worker starts on its chunks at once; call the result.

    The call then works from the back with the worker as `map_shared` does and returns
    the rows. In between this process is free for work of its own (the sentiment stage
    loads and writes one chunk while the worker reads the next one's texts). A caller
    that streams many batches passes a lower `min_rows`: the worker is warm after the
    first, so a batch a little under PARALLEL_MIN_TEXTS pays to share as well.
    """
    if min_rows is None:
        min_rows = PARALLEL_MIN_TEXTS
    if len(columns[0]) < min_rows or pool_workers(workers) < 2:
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
    if len(starts) >= 2 and pool_workers(workers) >= 2:
        try:
            job = SharedJob(work, columns, constants, pool_workers(workers), chunk_size)
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
    return pool_workers(None) >= 2


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


def pool_workers(workers: int | None) -> int:
    """Processes a batch may use: `workers`, else two where the cores and the caller allow."""
    if _POOL is None and not spawn_is_safe():
        return 1
    return workers if workers is not None else min(2, os.cpu_count() or 1)


def warm_pool(workers: int | None = None, warmup: Callable[[], Any] | None = None) -> None:
    """Start the worker process once per process; later large files reuse it.

    A spawned interpreter takes a second or more to import Pulse. Starting it while
    DuckDB read and checked a 1M-row file was measured slower (50k rows/s against 69k,
    `python bench/ingest.py`): the import competed with DuckDB's threads for both
    cores. It starts when the first large batch of texts is cleaned in Python, the
    first moment a core is idle.
    """
    global _POOL
    workers = pool_workers(workers)
    if workers < 2 or _POOL is not None:
        return
    context = multiprocessing.get_context("spawn")
    _POOL = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)
    _POOL.submit(warmup or _ready)  # import in the worker now, not at first use
    atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)


def _ready() -> None:
    """The worker's first task: importing this module (and so Pulse) is the warm-up."""


def pool_running() -> bool:
    """Whether the worker process has started (later batches reuse it)."""
    return _POOL is not None


def shutdown_pool() -> None:
    """Stop the worker process, waiting for it to exit (the next large batch starts another).

    A benchmark calls this to count the worker's CPU time: a child's times reach
    `os.times()` only once it has exited.
    """
    global _POOL
    pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


class SharedJob:
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
