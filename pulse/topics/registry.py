"""The topic registry's writes: topics registered and updated, statuses aged, the merge
grain kept (reads and writes DuckDB).

A matched topic keeps its id and CX ops' label; an unmatched cluster gets the next id of
`topic_id_seq`, which never hands out a number twice. Which cluster is which topic is
decided in pulse.topics.matching (pure); this module writes the outcome. Issues, the level
above sub-themes, are written by pulse.topics.issue_registry.
"""

from __future__ import annotations

import duckdb
import numpy as np

from pulse.topics.labels import choose_labels, keeps_label, praise_label
from pulse.topics.matching import match_by_documents, match_clusters
from pulse.weeks import IsoWeek

# Topics with no texts in this many weeks turn dormant (`mark_dormant`).
DORMANT_AFTER_WEEKS = 4


def register_seeds(con: duckdb.DuckDBPyConnection, seeds: list, week: IsoWeek) -> dict[str, int]:
    """The topic id of every seed in the file, registering the seeds seen for the first time."""
    known = dict(con.execute("select seed_key, topic_id from topic_seeds").fetchall())
    result: dict[str, int] = {}
    for seed in seeds:
        if seed.key not in known:
            topic_id = con.execute("select nextval('topic_id_seq')").fetchone()[0]
            con.execute(
                """
                insert into topics (topic_id, auto_label, label, keywords, centroid,
                                    first_seen_week, last_seen_week, status)
                values ($topic_id, $name, $name, [], null, $week, $week, 'new')
                """,
                {"topic_id": topic_id, "name": seed.name, "week": str(week)},
            )
            con.execute(
                "insert into topic_seeds values ($key, $topic_id, $name, $examples)",
                {
                    "key": seed.key,
                    "topic_id": topic_id,
                    "name": seed.name,
                    "examples": seed.examples,
                },
            )
            known[seed.key] = topic_id
        else:
            con.execute(
                "update topic_seeds set name = $name, examples = $examples where seed_key = $key",
                {"key": seed.key, "name": seed.name, "examples": seed.examples},
            )
        result[seed.key] = known[seed.key]
    return result


def touch_seeded(
    con: duckdb.DuckDBPyConnection,
    topic_id: int,
    keywords: list[str],
    week: IsoWeek,
    last_seen: str,
) -> None:
    """A seeded topic seen this run: its keywords, last week seen and status move on.

    Its label stays the seed's name (the taxonomy file's, applied after the run).
    """
    con.execute(
        """
        update topics set keywords = $keywords,
            last_seen_week = greatest(last_seen_week, $last_seen),
            status = case when status in ('hidden', 'merged') then status
                          when first_seen_week >= $week then 'new' else 'active' end
        where topic_id = $topic_id
        """,
        {
            "keywords": keywords[:10],
            "last_seen": last_seen,
            "week": str(week),
            "topic_id": topic_id,
        },
    )


def stored_merge_threshold(con: duckdb.DuckDBPyConnection) -> float | None:
    """The registry's merge grain, or None before its first fit with enough clusters."""
    row = con.execute("select value from topic_meta where key = 'merge_threshold'").fetchone()
    return None if row is None else float(row[0])


def store_merge_threshold(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    """Keep the grain a fit read off (pulse.topics.merge) for every later run to reuse."""
    con.execute(
        "insert or replace into topic_meta values ('merge_threshold', $value)",
        {"value": float(threshold)},
    )


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
) -> tuple[dict[int, int], list[int]]:
    """Match clusters to the registry, update the matched topics, register the rest as new.

    A matched topic keeps its id, CX ops' label, and its published label while its
    content is what that label was named for (pulse.topics.labels.keeps_label); it
    takes the new centroid, so a slowly drifting issue keeps matching. An unmatched
    cluster gets the next id of `topic_id_seq`, which never hands out a number twice.
    Clusters that need a name get one no other sub-theme has (`candidates`, from
    `rank_candidates`); `labels_of` gives names outright instead (tests, benches).
    `last_seen` is the newest week each cluster has texts in (default: `week`).
    `shared` (from `shared_documents`) matches clusters by the texts they share with
    earlier topics first; centroids match the rest.
    """
    last_seen = last_seen or {}
    labels_of = labels_of or {}
    praise_of = praise_of or {}
    exclude = exclude or set()
    registry = [
        (topic_id, np.asarray(centroid, dtype=np.float32))
        for topic_id, centroid in con.execute(
            "select topic_id, centroid from topics "
            "where centroid is not null and coalesce(level, 'theme') = 'theme' order by topic_id"
        ).fetchall()
        if topic_id not in exclude
    ]
    # A topic deleted since (a rebuilt registry) cannot be inherited.
    known = {row[0] for row in con.execute("select topic_id from topics").fetchall()}
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
    published = {
        int(topic_id): (auto_label, label, label_keywords)
        for topic_id, auto_label, label, label_keywords in con.execute(
            "select topic_id, auto_label, label, label_keywords from topics "
            "where coalesce(level, 'theme') = 'theme' and status <> 'merged'"
        ).fetchall()
    }
    kept = {
        c: published[mapping[c]][0]
        for c in centroids
        if c in mapping
        and mapping[c] in published
        and keeps_label(
            published[mapping[c]][2], keywords_of.get(c, []), published[mapping[c]][0], background
        )
    }
    to_name = [c for c in sorted(centroids) if c not in kept]
    renamed_ids = {mapping[c] for c in to_name if c in mapping}
    taken = {t: row[1] for t, row in published.items() if t not in renamed_ids}
    # No sub-theme takes an issue's name (an issue may share one with its own sub-theme).
    issue_labels = dict(
        con.execute(
            "select topic_id, label from topics where level = 'issue' and status <> 'merged'"
        ).fetchall()
    )
    if candidates is not None:
        order = sorted(to_name, key=lambda c: (-len((texts_of or {}).get(c, [])), c))
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
        if cluster in kept:
            label, label_keywords = kept[cluster], None
        else:
            label = praise_label(named[cluster], praise_of.get(cluster, False))
            label_keywords = keywords
        if cluster in mapping:
            con.execute(
                """
                update topics set
                    centroid = $centroid,
                    keywords = $keywords,
                    auto_label = $auto_label,
                    label_keywords = coalesce($label_keywords, label_keywords),
                    last_seen_week = greatest(last_seen_week, $last_seen),
                    first_seen_week = least(first_seen_week, $week),
                    status = case when status in ('hidden', 'merged') then status
                                  when first_seen_week >= $week then 'new'
                                  else 'active' end
                where topic_id = $topic_id
                """,
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
            topic_id = con.execute("select nextval('topic_id_seq')").fetchone()[0]
            con.execute(
                """
                insert into topics (topic_id, auto_label, label, keywords, centroid,
                                    first_seen_week, last_seen_week, status, level,
                                    label_keywords)
                values ($topic_id, $label, $label, $keywords, $centroid, $week, $last_seen,
                        'new', 'theme', $keywords)
                """,
                {
                    "topic_id": topic_id,
                    "label": label,
                    "keywords": keywords,
                    "centroid": centroids[cluster].tolist(),
                    "week": str(week),
                    "last_seen": seen,
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
    con.execute(
        """
        update topics set status = case
            when last_seen_week <= $cutoff and not list_contains($keep, topic_id) then 'dormant'
            when status = 'new' and first_seen_week < $week then 'active'
            else status end
        where status in ('active', 'new')
        """,
        {
            "cutoff": str(week.shift(-DORMANT_AFTER_WEEKS)),
            "week": str(week),
            "keep": sorted(keep or set()),
        },
    )
