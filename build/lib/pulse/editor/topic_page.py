"""A topic's page: example texts chosen for variety, sub-themes, near topics, its history.

Twenty texts that all say the same thing tell CX ops nothing about whether a topic is
one problem or three. The examples are picked by maximal marginal relevance over the
cached embeddings: each next text is close to the topic's centre but far from the texts
already picked, so the page shows the topic's range as well as its core. The pick is
deterministic (a fixed candidate sample, ties broken by position), so two people looking
at the same topic see the same texts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pulse.db import fetch_dicts
from pulse.editor.listing import TopicRow
from pulse.editor.source import RegistryView

EXAMPLES = 20
CANDIDATES = 1_000  # texts the examples are picked from (a hash-ordered sample)
RELEVANCE_WEIGHT = 0.6  # MMR's lambda: closeness to the centre against novelty
NEAR_DUPLICATE = 0.97  # a text this close to one already shown adds nothing
SIMILAR_TOPICS = 5


@dataclass
class ExampleText:
    """One text on a topic's page, redacted, with where it came from."""

    feedback_id: str
    text: str
    created_at: object
    channel: str | None
    sentiment: str | None
    clustered_id: int | None
    centre_cosine: float


def varied_examples(view: RegistryView, topic_id: int, count: int = EXAMPLES) -> list[ExampleText]:
    """Up to `count` of the topic's texts, each close to its centre and unlike the others."""
    from pulse.embed import load_vectors

    window = {k: v for k, v in view.window_params.items() if k != "tz"}
    params = {**window, "run_id": view.run_id, "topic_id": topic_id, "limit": CANDIDATES}
    rows = fetch_dicts(view.con, "editor_topic_texts", params)
    if not rows:
        return []
    rows.sort(key=lambda r: r["feedback_id"])  # positions, and so ties, independent of SQL
    vectors = load_vectors(view.con, [r["text_hash"] for r in rows])
    picked, cosines = pick_varied(vectors, count)
    return [
        ExampleText(
            feedback_id=rows[i]["feedback_id"],
            text=rows[i]["text_redacted"],
            created_at=rows[i]["created_at"],
            channel=rows[i]["channel"],
            sentiment=rows[i]["sentiment_label"],
            clustered_id=rows[i]["clustered_id"],
            centre_cosine=float(cosines[i]),
        )
        for i in picked
    ]


def pick_varied(vectors: np.ndarray, count: int) -> tuple[list[int], np.ndarray]:
    """Maximal marginal relevance: row indexes in pick order, and each row's centre cosine.

    The first pick is the most central text; each next maximises
    λ·cos(text, centre) − (1−λ)·max cos(text, picked). Near-duplicates of a picked text
    are skipped, so a template sent a hundred times shows once.
    """
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    centre = unit.mean(axis=0)
    centre = centre / (np.linalg.norm(centre) or 1.0)
    relevance = unit @ centre
    closest_picked = np.full(len(unit), -np.inf)
    available = np.ones(len(unit), dtype=bool)
    picked: list[int] = []
    while len(picked) < count and available.any():
        novelty = np.where(np.isfinite(closest_picked), closest_picked, 0.0)
        score = RELEVANCE_WEIGHT * relevance - (1 - RELEVANCE_WEIGHT) * novelty
        score[~available] = -np.inf
        best = int(np.argmax(score))  # the first of equal scores: deterministic
        picked.append(best)
        similarity = unit @ unit[best]
        closest_picked = np.maximum(closest_picked, similarity)
        available &= similarity < NEAR_DUPLICATE
    return picked, relevance


def similar_topics(
    view: RegistryView, topic_id: int, rows: dict[int, TopicRow], count: int = SIMILAR_TOPICS
) -> list[tuple[TopicRow, float]]:
    """The topics whose centroids are nearest this one's: the merges worth a look."""
    params = {"topic_id": topic_id, "n": count}
    return [
        (rows[r["topic_id"]], float(r["centroid_cosine"]))
        for r in fetch_dicts(view.con, "editor_similar_topics", params)
        if r["topic_id"] in rows
    ]


def sub_themes(topic_id: int, rows: dict[int, TopicRow]) -> list[TopicRow]:
    """The sub-themes listed under an issue, this week's biggest first."""
    found = [r for r in rows.values() if r.level == "theme" and r.issue_id == topic_id]
    return sorted(found, key=lambda r: (-r.volume, -r.window_volume, r.topic_id))
