"""The topic registry's writes: topics registered and updated, statuses aged, the merge
grain kept (reads and writes DuckDB).

A matched topic keeps its id and CX ops' label; an unmatched cluster gets the next id of
`topic_id_seq`, which never hands out a number twice. Which cluster is which topic is
decided in pulse.topics.matching (pure); this module writes the outcome. Issues, the level
above sub-themes, are written by pulse.topics.issue_registry. The SQL is in
queries/topics/.
"""

from __future__ import annotations

import duckdb
import numpy as np

from pulse.db import run_query
from pulse.topics.label_keeping import keeps_label
from pulse.topics.labels import choose_labels
from pulse.topics.matching import match_by_documents, match_clusters
from pulse.topics.praise import praise_label
from pulse.weeks import IsoWeek

# Topics with no texts in this many weeks turn dormant (`mark_dormant`).
DORMANT_AFTER_WEEKS = 4


def register_seeds(con: duckdb.DuckDBPyConnection, seeds: list, week: IsoWeek) -> dict[str, int]:
    """The topic id of every seed in the file, registering the seeds seen for the first time."""
    known = dict(run_query(con, "topics_seed_ids").fetchall())
    result: dict[str, int] = {}
    for seed in seeds:
        if seed.key not in known:
            topic_id = next_topic_id(con)
            run_query(
                con,
                "topics_insert",
                {
                    "topic_id": topic_id,
                    "auto_label": seed.name,
                    "keywords": [],
                    "centroid": None,
                    "week": str(week),
                    "last_seen": str(week),
                    "level": "theme",
                    "label_keywords": None,
                },
            )
            run_query(
                con,
                "topics_seed_insert",
                {
                    "seed_key": seed.key,
                    "topic_id": topic_id,
                    "name": seed.name,
                    "examples": seed.examples,
                },
            )
            known[seed.key] = topic_id
        else:
            run_query(
                con,
                "topics_seed_update",
                {"seed_key": seed.key, "name": seed.name, "examples": seed.examples},
            )
        result[seed.key] = known[seed.key]
    return result


def next_topic_id(con: duckdb.DuckDBPyConnection) -> int:
    """The next id of `topic_id_seq`, which never hands out a number twice."""
    return run_query(con, "topics_next_id").fetchone()[0]


def topic_labels(
    con: duckdb.DuckDBPyConnection, level: str, with_merged: bool = False
) -> dict[int, tuple[str, str, list[str] | None]]:
    """Each topic of `level` ('theme' or 'issue'): its auto_label, label and label_keywords.

    Topics merged away count only `with_merged`: their names are free for others.
    """
    return {
        int(topic_id): (auto_label, label, label_keywords)
        for topic_id, auto_label, label, label_keywords in run_query(
            con, "topics_labels", {"level": level, "with_merged": with_merged}
        ).fetchall()
    }


def touch_seeded(
    con: duckdb.DuckDBPyConnection,
    topic_id: int,
    keywords: list[str] | None,
    week: IsoWeek,
    last_seen: str,
) -> None:
    """A seeded topic seen this run: its keywords, last week seen and status move on.

    Its label stays the seed's name (the taxonomy file's, applied after the run).
    """
    run_query(
        con,
        "topics_touch_seeded",
        {
            "keywords": None if keywords is None else keywords[:10],
            "last_seen": last_seen,
            "week": str(week),
            "topic_id": topic_id,
        },
    )


def stored_merge_threshold(con: duckdb.DuckDBPyConnection) -> float | None:
    """The registry's merge grain, or None before its first fit with enough clusters."""
    row = run_query(con, "topics_merge_threshold").fetchone()
    return None if row is None else float(row[0])


def store_merge_threshold(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    """Keep the grain a fit read off (pulse.topics.merge) for every later run to reuse."""
    run_query(con, "topics_merge_threshold_store", {"value": float(threshold)})


def register_clusters(
    con: duckdb.DuckDBPyConnection,
    centroids: dict[int, np.ndarray],
    keywords_of: dict[int, list[str]],
    week: IsoWeek,
    last_seen: dict[int, str] | None = None,
    exclude: set[int] | None = None,
    labels_of: dict[int, str] | None = None,
    shared: dict[int, dict[int, int]] | None = None,
    candidates: dict | None = None,
    texts_of: dict[int, list[str]] | None = None,
    praise_of: dict[int, bool] | None = None,
    background: set[str] | None = None,
    sizes: dict[int, int] | None = None,
) -> tuple[dict[int, int], list[int]]:
    """Match clusters to the registry, update the matched topics, register the rest as new.

    A matched topic keeps its id, CX ops' label, and its published label while its
    content is what that label was named for (pulse.topics.label_keeping.keeps_label); it
    takes the new centroid, so a slowly drifting issue keeps matching. An unmatched
    cluster gets the next id of `topic_id_seq`, which never hands out a number twice.
    Clusters that need a name get one no other sub-theme has (`candidates`, from
    `rank_candidates`, spelt after `texts_of`), larger clusters (`sizes`, else their
    `texts_of`) first; `labels_of` gives names outright instead (tests, benches).
    `last_seen` is the newest week each cluster has texts in (default: `week`).
    `shared` (from `shared_documents`) matches clusters by the texts they share with
    earlier topics first; centroids match the rest.
    """
    last_seen = last_seen or {}
    labels_of = labels_of or {}
    praise_of = praise_of or {}
    exclude = exclude or set()
    width = len(next(iter(centroids.values()))) if centroids else 0
    # A centroid of another width was made by the embedder the registry left for the
    # multilingual one (pulse.embed.choice): its topics are matched by documents only.
    registry = [
        (topic_id, np.asarray(centroid, dtype=np.float32))
        for topic_id, centroid in run_query(con, "topics_theme_centroids").fetchall()
        if topic_id not in exclude and len(centroid) == width
    ]
    # A topic deleted since (a rebuilt registry) cannot be inherited.
    known = {row[0] for row in run_query(con, "topics_known_ids").fetchall()}
    gone = {t for row in (shared or {}).values() for t in row} - known
    mapping = {
        c: t for c, t in match_by_documents(shared or {}, exclude | gone).items() if c in centroids
    }
    taken_ids = set(mapping.values())
    mapping.update(
        match_clusters(
            {c: v for c, v in centroids.items() if c not in mapping},
            [(t, v) for t, v in registry if t not in taken_ids],
        )
    )
    published = topic_labels(con, "theme")
    kept = {
        c: published[mapping[c]][0]
        for c in centroids
        if c in mapping
        and mapping[c] in published
        and keeps_label(
            published[mapping[c]][2],
            keywords_of.get(c, []),
            published[mapping[c]][0],
            background,
            (candidates or {}).get(c),
            (texts_of or {}).get(c, []),
        )
    }
    to_name = [c for c in sorted(centroids) if c not in kept]
    renamed_ids = {mapping[c] for c in to_name if c in mapping}
    taken = {t: row[1] for t, row in published.items() if t not in renamed_ids}
    # No sub-theme takes an issue's name (an issue may share one with its own sub-theme).
    issue_labels = {t: row[1] for t, row in topic_labels(con, "issue").items()}
    if candidates is not None:
        size_of = sizes or {c: len(found) for c, found in (texts_of or {}).items()}
        order = sorted(to_name, key=lambda c: (-size_of.get(c, 0), c))
        named = choose_labels(candidates, order, texts_of or {}, taken, other_level=issue_labels)
    else:
        named = {
            c: labels_of.get(c) or (keywords_of.get(c) or ["Other feedback"])[0].capitalize()
            for c in to_name
        }
    new_topics = []
    for cluster in sorted(centroids):
        keywords = keywords_of.get(cluster, [])[:10]
        seen = last_seen.get(cluster, str(week))
        if cluster in kept:  # its words stay; the praise mark follows this window's tone
            known = cluster in praise_of
            label = praise_label(kept[cluster], praise_of[cluster]) if known else kept[cluster]
            label_keywords = None
        else:
            label = praise_label(named[cluster], praise_of.get(cluster, False))
            label_keywords = keywords
        if cluster in mapping:
            run_query(
                con,
                "topics_update_matched",
                {
                    "centroid": centroids[cluster].tolist(),
                    "keywords": keywords,
                    "auto_label": label,
                    "label_keywords": label_keywords,
                    "last_seen": seen,
                    "week": str(week),
                    "topic_id": mapping[cluster],
                },
            )
        else:
            topic_id = next_topic_id(con)
            run_query(
                con,
                "topics_insert",
                {
                    "topic_id": topic_id,
                    "auto_label": label,
                    "keywords": keywords,
                    "centroid": centroids[cluster].tolist(),
                    "week": str(week),
                    "last_seen": seen,
                    "level": "theme",
                    "label_keywords": keywords,
                },
            )
            mapping[cluster] = topic_id
            new_topics.append(topic_id)
    return mapping, new_topics


def mark_dormant(
    con: duckdb.DuckDBPyConnection, week: IsoWeek, keep: set[int] | None = None
) -> None:
    """Topics with no texts in the last DORMANT_AFTER_WEEKS weeks turn dormant; NEW wears off.

    Seeded topics (`keep`) stay active while their seed is in the file: CX ops
    asked to watch them, and a quiet week is an answer too.
    """
    run_query(
        con,
        "topics_mark_dormant",
        {
            "cutoff": str(week.shift(-DORMANT_AFTER_WEEKS)),
            "week": str(week),
            "keep": sorted(keep or set()),
        },
    )
