"""Redacting the texts DuckDB found a redaction gate open for, shared with the worker process.

Ingest screens every text with the gates in SQL (`stg_ingest_redact_candidates.sql`);
only the candidates reach Python, and equal texts share one call. On a large file the
spawned worker process redacts chunks while this process cleans the other texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

import pyarrow as pa

from pulse import workers as pool
from pulse.redact import PASS_GATES, redact, redact_gated
from pulse.workers import SharedJob, pool_running, pool_workers, warm_pool


def warm_redaction(workers: int | None = None) -> None:
    """Start the worker process with the redaction patterns imported (ingest's warm-up)."""
    warm_pool(workers, _warm_redaction)


def _warm_redaction() -> None:
    _redact_each([], [], ())


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
        self._job: SharedJob | None = None
        workers = pool_workers(workers)
        worth_sharing = len(self._unique_texts) >= (
            2 * pool.CHUNK_TEXTS if pool_running() else pool.PARALLEL_MIN_TEXTS
        )
        if workers >= 2 and worth_sharing:
            try:
                self._job = SharedJob(
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
