"""One fit's labels without a registry, as a new registry's first run would name them.

For benches and tests (bench/topics.py's quality rows, tests/test_languages.py): the same
path `cluster_window` takes through pulse.topics.labels, with no published labels to keep.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pulse.topics.labels import FALLBACK_LABEL, choose_labels, rank_candidates, sub_theme_name
from pulse.topics.languages import naming_of, naming_texts
from pulse.topics.praise import is_praise, praise_label, window_negative_share


def name_clusters(
    texts: Sequence[str],
    clusters: Sequence[int],
    vectors: np.ndarray,
    brand_handles: Sequence[str] = (),
    sentiments: Sequence[str | None] | None = None,
    languages: Sequence[str | None] | None = None,
    sub_themes: tuple[Sequence[int], dict[int, str]] | None = None,
) -> dict[int, str]:
    """Labels for one fit's clusters, named as a new registry's first run names them.

    The path `cluster_window` takes (terms, background words, candidates in each topic's
    language, unique labels by size, praise marked), without a registry: for benches
    and tests. Issues pass their sub-themes (`sub_themes`: each text's, and their labels):
    an issue takes no sub-theme's label but one of its own.
    """
    from pulse.topics.vocabulary import background_words, document_terms

    terms = document_terms(texts, brand_handles)
    if terms is None:
        return {c: FALLBACK_LABEL for c in set(clusters) if c >= 0}
    background = background_words(terms[0], terms[1], clusters)
    naming, named_in = naming_of(clusters, languages)
    found = rank_candidates(terms[0], terms[1], naming, vectors, background, named_in)
    members: dict[int, list[int]] = {}
    for doc, cluster in enumerate(clusters):
        if cluster >= 0:
            members.setdefault(cluster, []).append(doc)
    order = sorted(members, key=lambda c: (-len(members[c]), c))
    below, below_labels = sub_themes or ((), {})
    # each cluster's sub-theme labels and their texts: its own names, and the one it may take
    sizes: dict[int, dict[str, int]] = {}
    for cluster, theme in zip(clusters, below, strict=False):
        if cluster >= 0 and theme in below_labels:
            named = sizes.setdefault(cluster, {})
            named[below_labels[theme]] = named.get(below_labels[theme], 0) + 1
    texts_of = naming_texts(texts, naming, order)
    allowed = {c: sorted(named) for c, named in sizes.items()}
    theme_names = {c: name for c, n in sizes.items() if (name := sub_theme_name(n))}
    labels = choose_labels(
        found, order, texts_of, None, allowed, below_labels, theme_names, sub_themes is not None
    )
    if sentiments is None:
        return labels
    share = window_negative_share([sentiments[i] for docs in members.values() for i in docs])
    return {
        cluster: praise_label(label, is_praise([sentiments[i] for i in members[cluster]], share))
        for cluster, label in labels.items()
    }
