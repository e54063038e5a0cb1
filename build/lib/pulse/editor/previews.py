"""What an edit would do, shown before it is saved: a merge's counts, a seed's texts.

A merge preview saves the merge to a throw-away copy of the taxonomy file, through the
same `edit_taxonomy` as the real save (so it is refused with the same words), and counts
the copy as the next report would. A seed preview embeds the example phrases and asks the
topic stage's own rule (`pulse.topics.assign_seeds`, at its SEED_THRESHOLD, including the
rule that a sub-theme losing half its texts to the seed goes whole) which of the window's
texts the seed would claim.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pulse.db import fetch_dicts
from pulse.editor.listing import TopicRow, topic_rows
from pulse.editor.source import RegistryView, registry_view
from pulse.topics.edits import edit_taxonomy

SHOWN_TEXTS = 40


@dataclass
class MergePreview:
    """A topic and its merge target, as they count now and as they would after the merge."""

    source: TopicRow
    target: TopicRow
    target_after: TopicRow
    summary: str


def merge_preview(settings, taxonomy: Path, topic_id: int, into: int, known: set[int]):
    """Counts before and after merging `topic_id` into `into` (the file itself untouched)."""
    with registry_view(settings, taxonomy) as view:
        before = topic_rows(view)
    with tempfile.TemporaryDirectory(prefix="pulse-merge-preview-") as folder:
        trial = Path(folder) / taxonomy.name
        if taxonomy.exists():
            shutil.copyfile(taxonomy, trial)
        summary = edit_taxonomy(trial, "merge", topic_id, into=into, known_topics=known)
        with registry_view(settings, trial) as view:
            after = topic_rows(view)
    return MergePreview(before[topic_id], before[into], after[into], summary)


@dataclass
class SeedPreview:
    """The texts a seed would claim in the run's window, and where they count now."""

    phrases: list[str]
    threshold: float
    claimed_count: int = 0
    this_week_count: int = 0
    texts: list[dict] = field(default_factory=list)  # the closest claimed texts
    sources: list[dict] = field(default_factory=list)  # per sub-theme: moved, of how many


def seed_preview(view: RegistryView, phrases: list[str], rows: dict[int, TopicRow]) -> SeedPreview:
    """Which texts a seed with these example phrases would claim at the next clustering."""
    from pulse.embed import load_vectors
    from pulse.topics.seeds import SEED_CLUSTER_BASE, SEED_THRESHOLD, assign_seeds, seed_centroid

    preview = SeedPreview(phrases=phrases, threshold=SEED_THRESHOLD)
    if not phrases:
        return preview
    params = {**view.window_params, "run_id": view.run_id}
    texts = fetch_dicts(view.con, "editor_window_texts", params)
    if not texts:
        return preview
    vectors = load_vectors(view.con, [t["text_hash"] for t in texts])
    clusters = [t["clustered_id"] for t in texts]
    centroid = seed_centroid(phrases)
    claimed = assign_seeds(clusters, vectors, {SEED_CLUSTER_BASE: centroid})
    moved = [i for i, c in enumerate(claimed) if c == SEED_CLUSTER_BASE]
    cosines = vectors @ centroid
    preview.claimed_count = len(moved)
    preview.this_week_count = sum(texts[i]["week"] == str(view.week) for i in moved)
    totals = Counter(clusters)
    taken = Counter(clusters[i] for i in moved)
    preview.sources = [
        {"row": rows.get(topic_id), "topic_id": topic_id, "moved": count, "of": totals[topic_id]}
        for topic_id, count in sorted(taken.items(), key=lambda item: (-item[1], item[0]))
    ]
    order = sorted(moved, key=lambda i: (-float(cosines[i]), texts[i]["feedback_id"]))
    preview.texts = [
        {
            "feedback_id": texts[i]["feedback_id"],
            "text": texts[i]["text_redacted"],
            "cosine": float(cosines[i]),
            "week": texts[i]["week"],
            "row": rows.get(clusters[i]),
        }
        for i in order[:SHOWN_TEXTS]
    ]
    return preview


def phrases_from(text: str) -> list[str]:
    """Example phrases typed one per line, blank lines and repeats left out."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
