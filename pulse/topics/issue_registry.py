"""Issues written into the registry: one row per issue, each sub-theme's parent set (reads
and writes DuckDB).

The grouping and the matching to last week's issues are pulse.topics.issues' (pure); an
issue's keywords and label are read off its texts against the other issues'
(pulse.topics.labels), and a published label stays while its content does. The SQL is
in queries/topics/.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from pulse.db import run_query
from pulse.topics.centroids import centred_unit_centroids
from pulse.topics.issues import group_themes, match_issues
from pulse.topics.label_keeping import keeps_label
from pulse.topics.labels import (
    choose_labels,
    is_fallback,
    rank_candidates,
    sub_theme_name,
)
from pulse.topics.languages import naming_of, naming_texts
from pulse.topics.praise import is_praise, praise_label, window_negative_share
from pulse.topics.registry import next_topic_id, topic_labels


def previous_parents(
    con: duckdb.DuckDBPyConnection, theme_ids: Sequence[int]
) -> dict[int, int | None]:
    """Each sub-theme's issue after the last run (None: none yet)."""
    rows = run_query(con, "topics_parents", {"theme_ids": list(theme_ids)}).fetchall()
    return {int(t): (None if p is None else int(p)) for t, p in rows}


def live_issue_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The issues a group may inherit: any issue row that is not merged away."""
    return set(topic_labels(con, "issue"))


def assign_issues(
    con: duckdb.DuckDBPyConnection,
    week,
    theme_of_doc: Sequence[int | None],
    vectors: np.ndarray,
    terms,
    background: set[str],
    texts: Sequence[str],
    sentiments: Sequence[str | None],
    doc_weeks: Sequence[str],
    languages: Sequence[str | None] | None = None,
    settled: set[str] | None = None,
) -> dict[int, int]:
    """Group the window's sub-themes into issues and write them; returns theme -> issue id.

    `terms` is `document_terms` of the window (or None), `background` its background words
    (`settled`: those that unseat a published label; default `background`);
    an issue's keywords and label are read off its texts in the language most of them
    use (`languages`, each text's; pulse.topics.languages) against the other issues' (see
    pulse.topics.labels), and a published label stays while its content does.
    """
    themes = sorted({t for t in theme_of_doc if t is not None})
    if not themes:
        return {}
    index = np.asarray([t if t is not None else -1 for t in theme_of_doc])
    _, centroids, counts = centred_unit_centroids(vectors, index)
    sizes = counts.astype(np.float64)
    parents = previous_parents(con, themes)
    live = live_issue_ids(con)
    before = [parents.get(t) if parents.get(t) in live else None for t in themes]
    group_of_theme = dict(
        zip(themes, group_themes(themes, centroids, sizes, previous=before), strict=True)
    )
    volume = {t: int(n) for t, n in zip(themes, sizes, strict=True)}
    inherited = match_issues(group_of_theme, volume, parents, live)
    issue_of_doc = [group_of_theme[t] if t is not None else -1 for t in theme_of_doc]
    naming, named_in = naming_of(issue_of_doc, languages)
    candidates = (
        rank_candidates(terms[0], terms[1], naming, vectors, background, named_in) if terms else {}
    )
    groups = sorted(set(group_of_theme.values()))
    members = {g: [i for i, d in enumerate(issue_of_doc) if d == g] for g in groups}
    known = topic_labels(con, "issue", with_merged=True)
    keywords = {g: candidates[g].keywords() if g in candidates else [] for g in groups}
    texts_of = naming_texts(texts, naming, groups)
    theme_labels = {t: row[1] for t, row in topic_labels(con, "theme").items()}
    theme_names = _theme_names(group_of_theme, volume, theme_labels)
    keep = {
        g: known[inherited[g]][0]
        for g in groups
        if g in inherited
        # a nameless issue takes the name one of its sub-themes has come to hold
        and not (g in theme_names and is_fallback(known[inherited[g]][0]))
        and keeps_label(
            known[inherited[g]][2],
            keywords[g],
            known[inherited[g]][0],
            background if settled is None else settled,
            candidates.get(g),
            texts_of[g],
        )
    }
    renamed = {g for g in groups if g not in keep}
    taken = {t: row[1] for t, row in known.items() if t not in {inherited.get(g) for g in renamed}}
    taken.update({-1 - g: label for g, label in keep.items()})
    # No issue takes a sub-theme's name, but one of its own sub-themes'.
    own = {
        g: [
            theme_labels[t]
            for t, group in group_of_theme.items()
            if group == g and t in theme_labels
        ]
        for g in groups
    }
    order = sorted(renamed, key=lambda g: (-len(members[g]), g))
    chosen = choose_labels(
        candidates,
        order,
        texts_of,
        taken,
        own,
        theme_labels,
        theme_names,
        distinct=True,
    )
    issue_of_group: dict[int, int] = {}
    # the window's rate of complaints, over the texts in an issue (as the ranking counts)
    share = window_negative_share([sentiments[i] for g in groups for i in members[g]])
    for group in groups:
        docs = members[group]
        praise = is_praise([sentiments[i] for i in docs], share)
        # A kept label keeps its words; the praise mark follows this window's tone.
        label = praise_label(keep[group] if group in keep else chosen[group], praise)
        centre = vectors[docs].mean(axis=0)
        centre = (centre / (np.linalg.norm(centre) or 1.0)).astype(np.float32)
        last_seen = max(doc_weeks[i] for i in docs)
        params = {
            "keywords": keywords[group],
            "centroid": centre.tolist(),
            "auto_label": label,
            "label_keywords": keywords[group] if group in renamed else None,
            "last_seen": last_seen,
            "week": str(week),
        }
        if group in inherited:
            issue_of_group[group] = inherited[group]
            run_query(con, "topics_update_matched", {**params, "topic_id": inherited[group]})
        else:
            topic_id = next_topic_id(con)
            issue_of_group[group] = int(topic_id)
            run_query(con, "topics_insert", {**params, "topic_id": topic_id, "level": "issue"})
    issue_of_theme = {t: issue_of_group[g] for t, g in group_of_theme.items()}
    if not issue_of_theme:
        return {}
    for theme, issue in sorted(issue_of_theme.items()):
        run_query(con, "topics_set_parent", {"parent_id": issue, "topic_id": theme})
    return issue_of_theme


def _theme_names(
    group_of_theme: dict[int, int], volume: dict[int, int], theme_labels: dict[int, str]
) -> dict[int, str]:
    """The name each group would take from its sub-themes if no phrase names it."""
    sizes: dict[int, dict[str, int]] = {}
    for theme, group in group_of_theme.items():
        if theme in theme_labels:
            named = sizes.setdefault(group, {})
            named[theme_labels[theme]] = named.get(theme_labels[theme], 0) + volume[theme]
    return {g: name for g, n in sizes.items() if (name := sub_theme_name(n))}
