"""Issues: the problem areas an executive ranks, each a group of sub-themes (topics) (pure).

The fit's clusters are the sub-themes CX ops drill into ("charged twice", "price rise
not announced"); an executive ranks the problem area they belong to ("billing and
pricing"). Issues are read off the sub-themes themselves: their centres (centred on the
window's mean, as for merging) are joined by average linkage, weighted by their texts,
while the groups' average similarity is at least ISSUE_GRAIN. Each group keeps the
issue id it had last week when it holds most of that issue's sub-themes' texts (or most
of its own texts were that issue's), so an issue keeps its number and name while its
sub-themes come and go; an unmatched group is a new issue. Volumes add up: an issue's
texts are exactly its sub-themes' texts. docs/TUNING.md has the grain's measurements.
Writing the issues into the registry is pulse.topics.issue_registry's job.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pulse.topics.centroids import centred_unit_centroids
from pulse.topics.matching import overlap_assignment

#: Sub-themes whose (centred, text-weighted) average similarity is at least this are one
#: issue. Measured on the sets with two levels of truth (docs/TUNING.md).
ISSUE_GRAIN = 0.35
#: Hysteresis: sub-themes that were one issue after the last run stay together down to
#: ISSUE_GRAIN minus this, and sub-themes of two issues join only from ISSUE_GRAIN plus
#: this, so a pair whose similarity sits at the grain does not join and part week after
#: week (each week's re-fit moves the centres a little). Measured in docs/TUNING.md.
ISSUE_HYSTERESIS = 0.05
#: A group inherits an earlier issue's id when the texts they share are at least this
#: share of the group's texts or of the earlier issue's texts in this window.
ISSUE_OVERLAP_SHARE = 0.5


def group_themes(
    theme_ids: Sequence[int],
    centroids: np.ndarray,
    sizes: Sequence[float],
    grain: float = ISSUE_GRAIN,
    previous: Sequence[int | None] | None = None,
) -> list[int]:
    """Average-linkage groups of sub-themes: the group number of each, in the order given.

    `centroids` are unit rows (centred on the window's mean); the similarity of two groups
    is the text-weighted mean of their members' pairwise similarities (Lance-Williams for
    weighted average linkage). `previous` is each sub-theme's issue after the last run
    (None: none): a pair that shared one counts ISSUE_HYSTERESIS more similar, a pair
    that had two counts that much less. Ties go to the lower index, so the result is
    deterministic.
    """
    count = len(theme_ids)
    group = list(range(count))
    if count < 2:
        return group
    weight = np.asarray(sizes, dtype=np.float64).copy()
    sims = (centroids @ centroids.T).astype(np.float64)
    if previous is not None:
        issue = np.array([-1 if p is None else p for p in previous])
        both = (issue[:, None] >= 0) & (issue[None, :] >= 0)
        same = issue[:, None] == issue[None, :]
        sims += ISSUE_HYSTERESIS * (both & same) - ISSUE_HYSTERESIS * (both & ~same)
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


def issues_of(
    clusters: Sequence[int], vectors: np.ndarray, grain: float = ISSUE_GRAIN
) -> list[int]:
    """Each text's issue (-1: none) when one fit's clusters are grouped: for benches and tests."""
    labels = np.asarray(clusters)
    themes = sorted({int(c) for c in clusters if c >= 0})
    if not themes:
        return [-1] * len(labels)
    _, centroids, counts = centred_unit_centroids(vectors, labels)
    sizes = counts.astype(np.float64).tolist()
    group = dict(zip(themes, group_themes(themes, centroids, sizes, grain), strict=True))
    return [group[int(c)] if c >= 0 else -1 for c in labels]
