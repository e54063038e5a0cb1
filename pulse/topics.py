"""Topics: cluster a run's window with BERTopic, then give each cluster a stable identity.

BERTopic renumbers its topics on every fit. Executives need the same issue under
the same name every week, so each fitted cluster is matched one-to-one to the
topic registry by centroid similarity; a match keeps its `topic_id` and label,
no match registers a new topic. Ids come from a sequence and are never reused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from pulse.embed import MODEL_NAME, load_embedding_model, load_vectors
from pulse.weeks import IsoWeek

# Two clusters are "the same topic" when their centroids are at least this
# similar; measured on the demo weeks, the same theme across overlapping
# windows sits above 0.93 and the closest distinct themes below 0.75.
MATCH_THRESHOLD = 0.80
# An outlier joins the nearest topic when its cosine similarity to that
# topic's centroid is at least this; below it, it stays unassigned and counted.
OUTLIER_THRESHOLD = 0.30
DORMANT_AFTER_WEEKS = 4
# HDBSCAN splits one complaint into several clusters by wording ("app crashes" /
# "reinstalled twice"); clusters whose centroids are this similar are one issue.
# On the demo data, sub-clusters of one theme sit at a median 0.74 and distinct
# themes below 0.74 in 99 of 100 pairs; merging at 0.75 lifts NMI from 0.82 to 0.91.
MERGE_THRESHOLD = 0.75

_TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]{2,}\b"
_EXTRA_STOP_WORDS = {
    "pronet",
    "pronethelp",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "pls",
    "please",
    "just",
    "really",
    "got",
    "get",
    "im",
    "ive",
    "dont",
    "cant",
    "doesnt",
    "didnt",
    "know",
    "like",
    "amp",
    "https",
    "http",
    "com",
    "www",
    "user",
    "email",
    "phone",
    "card",
    "address",
}


@dataclass
class ClusterResult:
    """What one fit produced, before and after matching to the registry."""

    feedback_ids: list[str]
    cluster_of_doc: list[int]  # -1 unassigned
    topic_of_cluster: dict[int, int]  # fitted cluster -> registry topic_id
    new_topics: list[int]
    unassigned: int
    n_clusters: int


def build_topic_model(n_docs: int, seed: int, min_topic_size: int):
    """A BERTopic wired for offline, deterministic runs.

    The embedding model is always passed in: BERTopic's default reaches for the
    model hub, which no machine here can reach.
    """
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
    from umap import UMAP

    min_cluster_size = max(min_topic_size, n_docs // 120)
    umap_model = UMAP(
        n_neighbors=15,
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        random_state=seed,
        low_memory=True,
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=5,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=False,
    )
    vectorizer = CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | _EXTRA_STOP_WORDS),
        ngram_range=(1, 2),
        min_df=2,
        token_pattern=_TOKEN_PATTERN,
    )
    return BERTopic(
        embedding_model=load_embedding_model(),
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=vectorizer,
        calculate_probabilities=False,
        verbose=False,
    )


def readable_label(keywords: list[str]) -> str:
    """A name a person would give, from ranked keywords.

    Prefers the best two-word phrase, adds the strongest keyword it does not
    already contain, and capitalises only the first letter: "Invite contacts ·
    undo" reads like a name; "3_invite_contacts_undo" does not.
    """
    words = [k.strip().lower() for k in keywords if k and k.strip()]
    if not words:
        return "Unlabelled topic"
    phrases = [w for w in words[:6] if " " in w]
    head = phrases[0] if phrases else words[0]
    used = set(head.split())
    extras = [w for w in words if " " not in w and w not in used and not _same_stem(w, used)]
    if " " not in head and extras:
        head = f"{head} {extras.pop(0)}" if len(extras) else head
        used = set(head.split())
        extras = [w for w in extras if w not in used and not _same_stem(w, used)]
    label = head
    if extras:
        label = f"{head} / {extras[0]}"
    label = re.sub(r"\s+", " ", label).strip()
    return label[:1].upper() + label[1:]


def _same_stem(word: str, others: set[str]) -> bool:
    return any(word[:5] == other[:5] for other in others if len(other) >= 5 and len(word) >= 5)


def cluster_window(
    con: duckdb.DuckDBPyConnection,
    week: IsoWeek,
    run_id: str,
    window_start,
    window_end,
    seed: int = 42,
    min_topic_size: int = 10,
) -> ClusterResult:
    """Fit topics on the window's texts, match them to the registry, write doc_topics."""
    rows = con.execute(
        """
        select feedback_id, text, text_hash
        from feedback
        where created_at >= $start and created_at < $end
        order by feedback_id
        """,
        {"start": window_start, "end": window_end},
    ).fetchall()
    feedback_ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    vectors = load_vectors(con, [r[2] for r in rows])

    if len(rows) < max(30, 3 * min_topic_size):
        # Too little to cluster honestly: everything stays unassigned and the
        # report says so instead of inventing topics.
        clusters = [-1] * len(rows)
        keywords_of: dict[int, list[str]] = {}
    else:
        clusters, keywords_of = _fit(texts, vectors, seed, min_topic_size)

    centroids = _centroids(vectors, clusters)
    topic_of_cluster, new_topics = _match_to_registry(con, centroids, keywords_of, week)
    _write_doc_topics(con, run_id, feedback_ids, clusters, topic_of_cluster, vectors, centroids)
    _mark_dormant(con, week)
    return ClusterResult(
        feedback_ids=feedback_ids,
        cluster_of_doc=clusters,
        topic_of_cluster=topic_of_cluster,
        new_topics=new_topics,
        unassigned=sum(1 for c in clusters if c < 0),
        n_clusters=len(centroids),
    )


def _fit(
    texts: list[str], vectors: np.ndarray, seed: int, min_topic_size: int
) -> tuple[list[int], dict[int, list[str]]]:
    model = build_topic_model(len(texts), seed, min_topic_size)
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    topics = _merge_similar(np.asarray(topics), vectors)
    topics = _reduce_outliers(list(topics), vectors)
    # Renumber by size so cluster numbers do not depend on HDBSCAN's internal order.
    sizes = sorted(
        ((sum(1 for t in topics if t == c), c) for c in set(topics) if c >= 0),
        key=lambda item: (-item[0], item[1]),
    )
    renumber = {old: new for new, (_, old) in enumerate(sizes)}
    topics = [renumber.get(t, -1) for t in topics]
    return topics, topic_keywords(texts, topics, vectors)


def _merge_similar(labels: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Join clusters whose centroids are at least MERGE_THRESHOLD similar, closest pair first."""
    labels = labels.copy()
    while True:
        centroids = _centroids(vectors, list(labels))
        if len(centroids) < 2:
            return labels
        ids = sorted(centroids)
        matrix = np.stack([centroids[i] for i in ids])
        sims = matrix @ matrix.T
        np.fill_diagonal(sims, -1.0)
        i, j = np.unravel_index(int(sims.argmax()), sims.shape)
        if sims[i, j] < MERGE_THRESHOLD:
            return labels
        keep, drop = min(ids[i], ids[j]), max(ids[i], ids[j])
        labels[labels == drop] = keep


def topic_keywords(
    texts: list[str], topics: list[int], vectors: np.ndarray, top_n: int = 10
) -> dict[int, list[str]]:
    """Keywords per topic: c-TF-IDF candidates re-ranked by closeness to the topic's centre.

    c-TF-IDF finds words frequent in one topic and rare in the others; the
    KeyBERT-style re-ranking keeps those that mean what the topic means, which
    drops fillers like "ve" or "today" that happen to be frequent.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    from pulse.embed import encode

    clusters = sorted(c for c in set(topics) if c >= 0)
    if not clusters:
        return {}
    joined = [" ".join(t for t, c in zip(texts, topics, strict=True) if c == k) for k in clusters]
    vectorizer = CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | _EXTRA_STOP_WORDS),
        ngram_range=(1, 2),
        token_pattern=_TOKEN_PATTERN,
        min_df=1,
    )
    try:
        counts = vectorizer.fit_transform(joined).toarray().astype(np.float64)
    except ValueError:  # nothing but stop words
        return {k: [] for k in clusters}
    vocabulary = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average_words = counts.sum() / len(clusters)
    idf = np.log(1.0 + average_words / np.maximum(counts.sum(axis=0), 1.0))
    ctfidf = tf * idf
    centroids = _centroids(vectors, topics)
    result: dict[int, list[str]] = {}
    for row, cluster in enumerate(clusters):
        order = np.argsort(-ctfidf[row], kind="stable")[:30]
        candidates = [vocabulary[i] for i in order if counts[row, i] >= 2]
        if not candidates:
            result[cluster] = []
            continue
        similarity = encode(candidates) @ centroids[cluster]
        # Mostly meaning, a little frequency: ties go to the more distinctive word.
        strength = ctfidf[row, [vectorizer.vocabulary_[c] for c in candidates]]
        score = similarity + 0.3 * strength / (strength.max() or 1.0)
        ranked = [candidates[i] for i in np.argsort(-score, kind="stable")]
        result[cluster] = _dedupe(ranked)[:top_n]
    return result


def _dedupe(words: list[str]) -> list[str]:
    """Drop a keyword when a better-ranked one already says it ("crash" after "app crashes")."""
    kept: list[str] = []
    for word in words:
        stems = {w[:5] for w in word.split()}
        if any(stems <= {w[:5] for w in other.split()} for other in kept):
            continue
        kept.append(word)
    return kept


def _reduce_outliers(topics: list[int], vectors: np.ndarray) -> list[int]:
    """Give each outlier to the nearest topic centroid when it is similar enough.

    Same idea as BERTopic's `reduce_outliers(strategy="embeddings")`, done on the
    cached vectors so no text is embedded twice.
    """
    centroids = _centroids(vectors, topics)
    if not centroids:
        return topics
    ids = sorted(centroids)
    matrix = np.stack([centroids[i] for i in ids])
    result = list(topics)
    outliers = [i for i, t in enumerate(topics) if t < 0]
    if not outliers:
        return result
    sims = vectors[outliers] @ matrix.T
    best = sims.argmax(axis=1)
    for row, doc in enumerate(outliers):
        if sims[row, best[row]] >= OUTLIER_THRESHOLD:
            result[doc] = ids[best[row]]
    return result


def _centroids(vectors: np.ndarray, clusters: list[int]) -> dict[int, np.ndarray]:
    labels = np.asarray(clusters)
    out = {}
    for cluster in sorted(set(clusters)):
        if cluster < 0:
            continue
        mean = vectors[labels == cluster].mean(axis=0)
        out[cluster] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
    return out


def _match_to_registry(
    con: duckdb.DuckDBPyConnection,
    centroids: dict[int, np.ndarray],
    keywords_of: dict[int, list[str]],
    week: IsoWeek,
) -> tuple[dict[int, int], list[int]]:
    """One-to-one assignment of clusters to registry topics (Hungarian on cosine)."""
    from scipy.optimize import linear_sum_assignment

    registry = con.execute(
        """
        select topic_id, centroid, first_seen_week
        from topics
        where centroid is not null
        order by topic_id
        """
    ).fetchall()
    cluster_ids = sorted(centroids)
    mapping: dict[int, int] = {}
    if registry and cluster_ids:
        reg_matrix = np.asarray([r[1] for r in registry], dtype=np.float32)
        clu_matrix = np.stack([centroids[c] for c in cluster_ids])
        sims = clu_matrix @ reg_matrix.T
        rows, cols = linear_sum_assignment(-sims)
        for r, c in zip(rows, cols, strict=True):
            if sims[r, c] >= MATCH_THRESHOLD:
                mapping[cluster_ids[r]] = registry[c][0]
    new_topics = []
    for cluster in cluster_ids:
        keywords = keywords_of.get(cluster, [])[:10]
        if cluster in mapping:
            topic_id = mapping[cluster]
            con.execute(
                """
                update topics set
                    centroid = $centroid,
                    keywords = $keywords,
                    auto_label = $auto_label,
                    last_seen_week = greatest(last_seen_week, $week),
                    first_seen_week = least(first_seen_week, $week),
                    status = case when status in ('hidden', 'merged') then status
                                  when first_seen_week >= $week then 'new'
                                  else 'active' end
                where topic_id = $topic_id
                """,
                {
                    "centroid": centroids[cluster].tolist(),
                    "keywords": keywords,
                    "auto_label": readable_label(keywords),
                    "week": str(week),
                    "topic_id": topic_id,
                },
            )
        else:
            topic_id = con.execute("select nextval('topic_id_seq')").fetchone()[0]
            label = readable_label(keywords)
            con.execute(
                """
                insert into topics (topic_id, auto_label, label, keywords, centroid,
                                    first_seen_week, last_seen_week, status)
                values ($topic_id, $label, $label, $keywords, $centroid, $week, $week, 'new')
                """,
                {
                    "topic_id": topic_id,
                    "label": label,
                    "keywords": keywords,
                    "centroid": centroids[cluster].tolist(),
                    "week": str(week),
                },
            )
            mapping[cluster] = topic_id
            new_topics.append(topic_id)
    return mapping, new_topics


def _write_doc_topics(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    feedback_ids: list[str],
    clusters: list[int],
    topic_of_cluster: dict[int, int],
    vectors: np.ndarray,
    centroids: dict[int, np.ndarray],
) -> None:
    topic_ids, probabilities = [], []
    for i, cluster in enumerate(clusters):
        if cluster < 0:
            topic_ids.append(None)
            probabilities.append(None)
        else:
            topic_ids.append(topic_of_cluster[cluster])
            probabilities.append(float(vectors[i] @ centroids[cluster]))
    table = pa.table(
        {
            "run_id": pa.array([run_id] * len(feedback_ids), pa.string()),
            "feedback_id": pa.array(feedback_ids, pa.string()),
            "topic_id": pa.array(topic_ids, pa.int32()),
            "probability": pa.array(probabilities, pa.float64()),
        }
    )
    con.register("new_doc_topics", table)
    try:
        con.execute("delete from doc_topics where run_id = $run_id", {"run_id": run_id})
        con.execute("insert into doc_topics select * from new_doc_topics")
    finally:
        con.unregister("new_doc_topics")


def _mark_dormant(con: duckdb.DuckDBPyConnection, week: IsoWeek) -> None:
    cutoff = str(week.shift(-DORMANT_AFTER_WEEKS))
    con.execute(
        """
        update topics set status = 'dormant'
        where status in ('active', 'new') and last_seen_week < $cutoff
        """,
        {"cutoff": cutoff},
    )


def embedding_model_name() -> str:
    return MODEL_NAME
