"""The taxonomy file applied to the topic registry (writes DuckDB: `apply_taxonomy`).

`resolve_merges` and `seeds_fingerprint` are pure: where merge chains end, and a digest of
the seeds that says whether an earlier run's assignment may be reused. The SQL is in
queries/topics/ (topics_taxonomy_*).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pulse.db import run_query
from pulse.errors import PulseError
from pulse.topics.taxonomy import TopicEdit, read_taxonomy


def seeds_fingerprint(path: Path | None = None) -> str:
    """A digest of the file's seeds: a run may reuse an earlier assignment only if it is equal.

    Seeds change which texts a topic claims, so unlike renames (applied on every
    re-render) they need a fresh clustering run to take effect.
    """
    import hashlib
    import json

    seeds = sorted((s.key, s.examples) for s in read_taxonomy(path).seeds)
    return hashlib.sha256(json.dumps(seeds).encode("utf-8")).hexdigest()[:16]


def resolve_merges(edits: list[TopicEdit]) -> dict[int, int]:
    """Where each merged topic ends up: chains (15 -> 7 -> 3) end at their last topic."""
    target = {e.topic_id: e.merge_into for e in edits if e.merge_into is not None}
    final: dict[int, int] = {}
    for start, current in target.items():
        while current in target:
            current = target[current]
        final[start] = current
    return final


def apply_taxonomy(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> int:
    """Apply the file to the topic registry; returns how many entries it applied.

    Starts from Pulse's own view each time, so deleting a line from the file
    undoes its edit at the next run or re-render.
    """
    taxonomy = read_taxonomy(path)
    known = {row[0] for row in run_query(con, "topics_known_ids").fetchall()}
    referenced = [(e.line, t) for e in taxonomy.edits for t in (e.topic_id, e.merge_into)]
    referenced += [(a.line, a.topic_id) for a in taxonomy.actions]
    for line, topic in referenced:
        if topic is not None and topic not in known:
            raise PulseError(
                f"{taxonomy.path}, line {line}: topic {topic} does not exist; the "
                "current topics are listed by `pulse topics list` (fix the number or "
                "delete the entry)"
            )
    run_query(con, "topics_taxonomy_reset")
    # Seeded topics carry their seed's name, owner and notes unless an edit overrides them.
    seeded = dict(run_query(con, "topics_seed_ids").fetchall())
    for seed in taxonomy.seeds:
        topic_id = seeded.get(seed.key)
        if topic_id is None:
            continue  # registered by the next clustering run
        run_query(
            con,
            "topics_taxonomy_seed",
            {"name": seed.name, "owner": seed.owner, "notes": seed.notes, "topic_id": topic_id},
        )
    final_target = resolve_merges(taxonomy.edits)
    for edit in taxonomy.edits:
        run_query(
            con,
            "topics_taxonomy_edit",
            {
                "label": edit.label,
                "owner": edit.owner,
                "notes": edit.notes,
                "merged_into": final_target.get(edit.topic_id),
                "hide": edit.hide,
                "topic_id": edit.topic_id,
            },
        )
    return len(taxonomy.edits) + len(taxonomy.seeds)
