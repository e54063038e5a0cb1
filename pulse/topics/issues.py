"""Issues: the problem areas an executive ranks, each a group of sub-themes (topics).

The fit's clusters are the sub-themes CX ops drill into ("charged twice", "price rise
not announced"); an executive ranks the problem area they belong to ("billing and
pricing"). Issues are read off the sub-themes themselves: their centres (centred on the
window's mean, as for merging) are joined by average linkage, weighted by their texts,
while the groups' average similarity is at least ISSUE_GRAIN. Each group keeps the
issue id it had last week when it holds most of that issue's sub-themes' texts (or most
of its own texts were that issue's), so an issue keeps its number and name while its
sub-themes come and go; an unmatched group is a new issue. Volumes add up: an issue's
texts are exactly its sub-themes' texts. docs/TUNING.md has the grain's measurements.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

#: Sub-themes whose (centred, text-weighted) average similarity is at least this are one
#: issue. Measured on the sets with two levels of truth (docs/TUNING.md).
ISSUE_GRAIN = 0.35
#: A group inherits an earlier issue's id when the texts they share are at least this
#: share of the group's texts or of the earlier issue's texts in this window.
ISSUE_OVERLAP_SHARE = 0.5


def group_themes(
    theme_ids: Sequence[int],
    centroids: np.ndarray,
    sizes: Sequence[float],
    grain: float = ISSUE_GRAIN,
) -> list[int]:
    """Average-linkage groups of sub-themes: the group number of each, in the order given.

    `centroids` are unit rows (centred on the window's mean); the similarity of two groups
    is the text-weighted mean of their members' pairwise similarities (Lance-Williams for
    weighted average linkage). Ties go to the lower index, so the result is deterministic.
    """
    count = len(theme_ids)
    group = list(range(count))
    if count < 2:
        return group
    weight = np.asarray(sizes, dtype=np.float64).copy()
    sims = (centroids @ centroids.T).astype(np.float64)
    np.fill_diagonal(sims, -np.inf)
    alive = np.ones(count, dtype=bool)
    while alive.sum() > 1:
        flat = int(np.argmax(sims))
        a, b = divmod(flat, count)
        if sims[a, b] < grain:
            break
        a, b = min(a, b), max(a, b)
        merged = (weight[a] * sims[a] + weight[b] * sims[b]) / (weight[a] + weight[b])
        weight[a] += weight[b]
        alive[b] = False
        merged[~alive] = -np.inf
        merged[a] = -np.inf
        sims[a, :] = merged
        sims[:, a] = merged
        sims[b, :] = -np.inf
        sims[:, b] = -np.inf
        group = [a if g == b else g for g in group]
    return group


def match_issues(
    group_of_theme: dict[int, int],
    theme_volume: dict[int, int],
    previous_parent: dict[int, int | None],
    live_issues: set[int],
) -> dict[int, int]:
    """Each group that is an earlier issue, one to one, by the texts they share.

    `previous_parent` is each sub-theme's issue after the last run; a group holding most
    of an issue's texts (or most of whose texts were that issue's) keeps its id.
    """
    groups = sorted(set(group_of_theme.values()))
    issues = sorted({p for p in previous_parent.values() if p is not None and p in live_issues})
    if not groups or not issues:
        return {}
    shared = np.zeros((len(groups), len(issues)))
    issue_size = dict.fromkeys(issues, 0.0)
    group_size = dict.fromkeys(groups, 0.0)
    for theme, group in group_of_theme.items():
        volume = float(theme_volume.get(theme, 0))
        group_size[group] += volume
        parent = previous_parent.get(theme)
        if parent in issue_size:
            issue_size[parent] += volume
            shared[groups.index(group), issues.index(parent)] += volume
    return {
        groups[r]: issues[c]
        for r, c in overlap_assignment(
            shared,
            [group_size[g] for g in groups],
            [issue_size[i] for i in issues],
            ISSUE_OVERLAP_SHARE,
        )
    }


def overlap_assignment(
    shared: np.ndarray, row_size: Sequence[float], col_size: Sequence[float], share: float
) -> list[tuple[int, int]]:
    """One-to-one pairs (row, column) keeping the most shared texts (Hungarian), each pair
    kept only when the shared texts are at least `share` of the row's or the column's size:
    a new grouping is an old one when it holds most of the old one's texts, or the reverse.
    """
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-shared)
    return [
        (int(r), int(c))
        for r, c in zip(rows, cols, strict=True)
        if shared[r, c] > 0
        and (shared[r, c] >= share * row_size[r] or shared[r, c] >= share * col_size[c])
    ]


def previous_parents(
    con: duckdb.DuckDBPyConnection, theme_ids: Sequence[int]
) -> dict[int, int | None]:
    """Each sub-theme's issue after the last run (None: none yet)."""
    rows = con.execute(
        "select topic_id, parent_id from topics where list_contains($ids, topic_id)",
        {"ids": list(theme_ids)},
    ).fetchall()
    return {int(t): (None if p is None else int(p)) for t, p in rows}


def live_issue_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The issues a group may inherit: any issue row that is not merged away."""
    return {
        int(row[0])
        for row in con.execute(
            "select topic_id from topics where level = 'issue' and status <> 'merged'"
        ).fetchall()
    }


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
) -> dict[int, int]:
    """Group the window's sub-themes into issues and write them; returns theme -> issue id.

    `terms` is `document_terms` of the window (or None), `background` its background words;
    an issue's keywords and label are read off its texts against the other issues' (see
    pulse.topics.labels), and a published label stays while its content does.
    """
    from pulse.topics.labels import choose_labels, keeps_label, rank_candidates

    themes = sorted({t for t in theme_of_doc if t is not None})
    if not themes:
        return {}
    index = np.asarray([t if t is not None else -1 for t in theme_of_doc])
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    sizes = np.asarray([(index == t).sum() for t in themes], dtype=np.float64)
    centroids = np.stack([centred[index == t].mean(axis=0) for t in themes])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    group_of_theme = dict(zip(themes, group_themes(themes, centroids, sizes), strict=True))
    volume = {t: int(n) for t, n in zip(themes, sizes, strict=True)}
    inherited = match_issues(
        group_of_theme, volume, previous_parents(con, themes), live_issue_ids(con)
    )
    issue_of_doc = [group_of_theme[t] if t is not None else -1 for t in theme_of_doc]
    candidates = (
        rank_candidates(terms[0], terms[1], issue_of_doc, vectors, background) if terms else {}
    )
    groups = sorted(set(group_of_theme.values()))
    members = {g: [i for i, d in enumerate(issue_of_doc) if d == g] for g in groups}
    known = {
        int(topic_id): (auto_label, label, label_keywords)
        for topic_id, auto_label, label, label_keywords in con.execute(
            "select topic_id, auto_label, label, label_keywords from topics where level = 'issue'"
        ).fetchall()
    }
    keywords = {g: candidates[g].keywords() if g in candidates else [] for g in groups}
    keep = {
        g: known[inherited[g]][0]
        for g in groups
        if g in inherited
        and keeps_label(known[inherited[g]][2], keywords[g], known[inherited[g]][0], background)
    }
    renamed = {g for g in groups if g not in keep}
    taken = {t: row[1] for t, row in known.items() if t not in {inherited.get(g) for g in renamed}}
    taken.update({-1 - g: label for g, label in keep.items()})
    # No issue takes a sub-theme's name, but one of its own sub-themes'.
    theme_labels = dict(
        con.execute(
            "select topic_id, label from topics "
            "where coalesce(level, 'theme') = 'theme' and status <> 'merged'"
        ).fetchall()
    )
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
        {g: [texts[i] for i in members[g][:500]] for g in order},
        taken,
        own,
        theme_labels,
    )
    issue_of_group: dict[int, int] = {}
    for group in groups:
        docs = members[group]
        tones = [sentiments[i] for i in docs]
        praise = tones.count("positive") >= 0.5 * len(docs) and tones.count(
            "positive"
        ) > tones.count("negative")
        label = keep.get(group) or _praise(chosen[group], praise)
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
            con.execute(
                """
                update topics set
                    keywords = $keywords,
                    centroid = $centroid,
                    auto_label = $auto_label,
                    label_keywords = coalesce($label_keywords, label_keywords),
                    last_seen_week = greatest(last_seen_week, $last_seen),
                    first_seen_week = least(first_seen_week, $week),
                    status = case when status in ('hidden', 'merged') then status
                                  when first_seen_week >= $week then 'new'
                                  else 'active' end
                where topic_id = $topic_id
                """,
                {**params, "topic_id": inherited[group]},
            )
        else:
            topic_id = con.execute("select nextval('topic_id_seq')").fetchone()[0]
            issue_of_group[group] = int(topic_id)
            con.execute(
                """
                insert into topics (topic_id, auto_label, label, keywords, centroid,
                                    first_seen_week, last_seen_week, status, level,
                                    label_keywords)
                values ($topic_id, $auto_label, $auto_label, $keywords, $centroid, $week,
                        $last_seen, 'new', 'issue', $label_keywords)
                """,
                {**params, "topic_id": topic_id},
            )
    issue_of_theme = {t: issue_of_group[g] for t, g in group_of_theme.items()}
    if not issue_of_theme:
        return {}
    con.executemany(
        "update topics set parent_id = ? where topic_id = ?",
        [(issue, theme) for theme, issue in sorted(issue_of_theme.items())],
    )
    return issue_of_theme


def _praise(label: str, praise: bool) -> str:
    """Praise is marked in its name: the ranking leaves mostly positive topics out."""
    return f"Praise: {label[:1].lower() + label[1:]}" if praise else label


def issues_of(
    clusters: Sequence[int], vectors: np.ndarray, grain: float = ISSUE_GRAIN
) -> list[int]:
    """Each text's issue (-1: none) when one fit's clusters are grouped: for benches and tests."""
    labels = np.asarray(clusters)
    themes = sorted({int(c) for c in clusters if c >= 0})
    if not themes:
        return [-1] * len(labels)
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    centroids = np.stack([centred[labels == t].mean(axis=0) for t in themes])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    sizes = [float((labels == t).sum()) for t in themes]
    group = dict(zip(themes, group_themes(themes, centroids, sizes, grain), strict=True))
    return [group[int(c)] if c >= 0 else -1 for c in labels]
