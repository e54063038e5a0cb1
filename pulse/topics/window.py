"""The topics stage for one run: cluster the window, match the registry, write the result.

`cluster_window` is the function the stage calls (then `taxonomy_apply.apply_taxonomy`).
It reads the window's texts, lets the taxonomy's seeds claim theirs, fits the rest
(pulse.topics.cluster), names and matches the clusters, and writes the registry
(pulse.topics.registry), each text's topic (assignments) and each sub-theme's issue
(issue_registry). It reads and writes DuckDB; the decisions are made in the pure modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pulse.db import run_query
from pulse.embed import load_vectors
from pulse.topics.assignments import (
    remember_topics,
    remembered_topics,
    shared_documents,
    write_doc_topics,
    write_run_parents,
)
from pulse.topics.centroids import unit_centroids
from pulse.topics.cluster import fit_window
from pulse.topics.issue_registry import assign_issues
from pulse.topics.labels import rank_candidates
from pulse.topics.languages import naming_of, naming_texts
from pulse.topics.matching import keep_remembered
from pulse.topics.praise import is_praise, window_negative_share
from pulse.topics.registry import (
    mark_dormant,
    register_clusters,
    register_seeds,
    store_merge_threshold,
    stored_merge_threshold,
    touch_seeded,
)
from pulse.topics.seeds import SEED_CLUSTER_BASE, assign_seeds, seed_centroid
from pulse.topics.taxonomy import read_taxonomy
from pulse.topics.vocabulary import (
    background_gains,
    gains_background,
    handle_words,
    settled_background,
    start_document_terms,
)
from pulse.weeks import IsoWeek

# The steps `cluster_window` tells its `on_phase` about, in order: fit the window's texts
# (UMAP, HDBSCAN, the seeds' claims), name the clusters, match them to the registry, write
# each text's topic and each sub-theme's issue.
TOPIC_PHASES = ("fit", "name", "match", "write")


@dataclass
class ClusterResult:
    """What one fit produced, before and after matching to the registry."""

    feedback_ids: list[str]
    cluster_of_doc: list[int]  # -1 unassigned
    topic_of_cluster: dict[int, int]  # fitted cluster -> registry topic_id
    new_topics: list[int]
    unassigned: int
    n_clusters: int


def cluster_window(
    con: duckdb.DuckDBPyConnection,
    week: IsoWeek,
    run_id: str,
    window_start,
    window_end,
    seed: int = 42,
    min_topic_size: int = 10,
    taxonomy_path: Path | None = None,
    brand_handles: list[str] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> ClusterResult:
    """Fit sub-themes on the window's texts, match them to the registry, group them into
    issues, write doc_topics.

    Seeded topics from the taxonomy file claim the texts close to their example
    phrases first-hand, so a known issue is tracked even when it is too small
    to form a cluster of its own. Keywords and labels come from the redacted texts (what
    any output may show) in the language most of a topic's texts use (English where none
    has most: pulse.topics.languages); the window's background words (a brand, a
    publisher's mask) never name a topic, and `brand_handles`, when configured, are stop
    words too. `on_phase` hears each of TOPIC_PHASES as it starts (the CLI's progress).
    """
    phase = on_phase or (lambda name: None)
    phase("fit")
    window = run_query(
        con, "topics_window_texts", {"window_start": window_start, "window_end": window_end}
    ).to_arrow_table()
    # Column by column, never a tuple per row: a million-text window's rows as Python
    # tuples held 1.1 GB through the whole stage (docs/TUNING.md).
    feedback_ids = window.column("feedback_id").to_pylist()
    texts = window.column("text_redacted").to_pylist()
    sentiments = _shared_values(window.column("sentiment_label"))
    languages = _shared_values(window.column("language"))
    vectors = load_vectors(con, window.column("text_hash"))
    doc_weeks = _weeks_of(window.column("weeks_ago"), week)
    originals = window.column("text")
    window = None  # the other columns are read; the original texts stream below
    seeds = read_taxonomy(taxonomy_path).seeds
    seed_topics = register_seeds(con, seeds, week)
    seed_centroids = {SEED_CLUSTER_BASE + i: seed_centroid(s.examples) for i, s in enumerate(seeds)}

    # The window's words are counted on the idle core while UMAP fits on the other.
    terms_of_window = start_document_terms(texts, list(brand_handles or []))
    if len(texts) < max(30, 3 * min_topic_size):
        # Too little to cluster honestly: only seeds claim texts, the rest stays
        # unassigned and the report says so instead of inventing topics.
        clusters = assign_seeds([-1] * len(texts), vectors, seed_centroids)
    else:
        stored = stored_merge_threshold(con)
        clusters, merge_threshold = fit_window(
            texts, vectors, seed, min_topic_size, seed_centroids, stored
        )
        if stored is None and merge_threshold is not None:
            store_merge_threshold(con, merge_threshold)
    phase("name")
    terms = terms_of_window() if any(c >= 0 for c in clusters) else None
    gains = background_gains(terms[0], terms[1], clusters) if terms else {}
    # the handles most texts are addressed to are the brand's (their words, too)
    handles = handle_words(_streamed(originals))
    background = gains_background(gains, handles)
    # a published label goes only for a word clearly background (a margin: see vocabulary)
    settled = settled_background(gains, handles)
    originals = None
    naming, named_in = naming_of(clusters, languages)
    candidates = (
        rank_candidates(terms[0], terms[1], naming, vectors, background, named_in) if terms else {}
    )
    keywords_of = {c: found.keywords() for c, found in candidates.items()}

    phase("match")
    centroids = unit_centroids(vectors, clusters)
    last_seen = _last_seen_weeks(clusters, doc_weeks)
    members = {c: [i for i, d in enumerate(clusters) if d == c] for c in centroids}
    # the window's rate of complaints, over the texts in a topic (as the ranking counts)
    share = window_negative_share([s for s, c in zip(sentiments, clusters, strict=True) if c >= 0])
    topic_of_cluster = {
        cluster: seed_topics[seeds[cluster - SEED_CLUSTER_BASE].key]
        for cluster in centroids
        if cluster >= SEED_CLUSTER_BASE
    }
    fitted = {c: v for c, v in centroids.items() if c < SEED_CLUSTER_BASE}
    matched, new_topics = register_clusters(
        con,
        fitted,
        keywords_of,
        week,
        last_seen,
        exclude=set(seed_topics.values()),
        shared=shared_documents(con, feedback_ids, clusters),
        candidates=candidates,
        texts_of=naming_texts(texts, naming, list(fitted)),
        # larger first; past 500 texts the fit's numbering (by size) breaks the tie
        sizes={c: min(len(members[c]), 500) for c in fitted},
        praise_of={c: is_praise([sentiments[i] for i in members[c]], share) for c in fitted},
        background=settled,
    )
    topic_of_cluster.update(matched)
    for cluster, topic_id in topic_of_cluster.items():
        if cluster >= SEED_CLUSTER_BASE:
            touch_seeded(con, topic_id, keywords_of.get(cluster, []), week, last_seen[cluster])
    phase("write")
    clusters = keep_remembered(
        clusters, vectors, centroids, topic_of_cluster, remembered_topics(con, feedback_ids)
    )
    write_doc_topics(con, run_id, feedback_ids, clusters, topic_of_cluster, vectors, centroids)
    remember_topics(con, feedback_ids, clusters, topic_of_cluster)
    issue_of_theme = assign_issues(
        con,
        week,
        [topic_of_cluster.get(c) if c >= 0 else None for c in clusters],
        vectors,
        terms,
        background,
        texts,
        sentiments,
        doc_weeks,
        languages,
        settled,
    )
    write_run_parents(con, run_id, issue_of_theme)
    mark_dormant(con, week, keep=set(seed_topics.values()))
    return ClusterResult(
        feedback_ids=feedback_ids,
        cluster_of_doc=clusters,
        topic_of_cluster=topic_of_cluster,
        new_topics=new_topics,
        unassigned=sum(1 for c in clusters if c < 0),
        n_clusters=len(centroids),
    )


def _weeks_of(weeks_ago: pa.ChunkedArray, week: IsoWeek) -> list[str]:
    """Each text's run-calendar week, counted back from the window's end (`weeks_ago`)."""
    counts = weeks_ago.to_numpy()
    names = {int(n): str(week.shift(-max(int(n), 0))) for n in np.unique(counts)}
    return [names[n] for n in counts.tolist()]


def _shared_values(column: pa.ChunkedArray) -> list:
    """A column of few distinct values (labels, languages) as a list sharing one object per
    value, not a new string per row."""
    values = column.to_pylist()
    one_of = {value: value for value in set(values)}
    return [one_of[value] for value in values]


def _streamed(column: pa.ChunkedArray, rows: int = 50_000) -> Iterator[str | None]:
    """A string column as Python strings, `rows` at a time."""
    for start in range(0, len(column), rows):
        yield from column.slice(start, rows).to_pylist()


def _last_seen_weeks(clusters: list[int], doc_weeks: list[str]) -> dict[int, str]:
    last: dict[int, str] = {}
    for cluster, doc_week in zip(clusters, doc_weeks, strict=True):
        if cluster >= 0 and doc_week > last.get(cluster, ""):
            last[cluster] = doc_week
    return last
