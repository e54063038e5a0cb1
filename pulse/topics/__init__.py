"""Topics: cluster a run's window with BERTopic, then give each cluster a stable identity.

BERTopic renumbers its topics on every fit. Executives need the same issue under
the same name every week, so each fitted cluster is matched one-to-one to the
topic registry by centroid similarity; a match keeps its `topic_id` and label,
no match registers a new topic. Ids come from a sequence and are never reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pulse.embed import encode, load_vectors
from pulse.topics.vocabulary import document_terms, start_document_terms
from pulse.weeks import IsoWeek

__all__ = ["cluster_window", "document_terms", "fit_window", "start_document_terms"]

# Two clusters are "the same topic" when their centroids are at least this
# similar; measured on the demo weeks, the same theme across overlapping
# windows sits above 0.93 and the closest distinct themes below 0.75.
MATCH_THRESHOLD = 0.80
# An outlier joins the nearest topic when its cosine similarity to that
# topic's centroid is at least this; below it, it stays unassigned and counted.
OUTLIER_THRESHOLD = 0.30
DORMANT_AFTER_WEEKS = 4
# HDBSCAN splits one complaint into several clusters by wording ("app crashes" /
# "reinstalled twice"); clusters whose centroids, centred on the window's mean, are
# similar enough are one issue. How similar sets the report's grain, and no single
# constant serves every data set (bench/topics.py data, centred cosines of the raw
# clusters): the demo's pieces of one theme sit at 0.51-0.77 and its distinct themes at
# most 0.45, while banking77's distinct intents reach 0.79 and merging any of them
# costs NMI (0.60 gave 0.762, no merge 0.802). No feature of a single pair told the two
# apart (nor its ratio to the clusters' spreads), so the grain is read off the data:
# sort each cluster's similarity to its nearest other cluster and find the widest step
# between neighbours in that list whose upper end lies in [MERGE_GAP_LOW,
# MERGE_GAP_HIGH]; a step of at least MERGE_GAP_MIN separates the pieces of one issue
# from distinct issues, and the threshold is its middle. Demo, 12 weeks:
# 0.45 | 0.62 -> 0.535 (NMI 0.961); its first 2-week window 0.41 | 0.63 -> 0.52.
# banking77's widest step is 0.07 (0.43 | 0.50), Bitext's 0.05, SpotifyCares' 0.06:
# no grain. Merging nothing there gave 0.813 / 0.860 (defaults 0.804 / 0.704), but the
# small demo (scale 0.3, 1.6k texts) has no clear step either (0.078 at 0.48 | 0.56),
# and merging nothing split its themes into pieces (its fading theme into four, none
# then flagged as improving). A window without a grain therefore stores nothing and
# joins its leaves only where a group of them stands apart (GROUP_STEP_MIN). Read off
# every window, the grain moved between the demo's weekly windows (their steps vary)
# and id stability fell to 0.84, so it is read once per registry, on its first fit
# (table topic_meta), and later runs reuse it.
# Counting the bounds as steps put the demo's first window at 0.776 (stability 0.862);
# a low bound of 0.40 let one isolated SpotifyCares cluster (0.29 | 0.40) set 0.35,
# which merged its 36 clusters into 8 topics; a minimum step of 0.10 let a 10k mix of
# banking77, Bitext and SpotifyCares texts (step 0.40 | 0.51) merge 37 clusters into 6.
# The demo's steps (0.17 on 12 weeks, 0.22 on its first window) clear 0.15; the others'
# (at most 0.11) do not.
MERGE_GAP_LOW = 0.50
MERGE_GAP_HIGH = 0.90
MERGE_GAP_MIN = 0.15
# The grain is read only off a fit with at least this many clusters; a smaller first fit
# merges isolated groups (below) and leaves the choice to a later, richer window.
MERGE_GRAIN_MIN_CLUSTERS = 5
# Without a grain, a group of leaves is one issue when its members joined at
# MERGE_THRESHOLD or above and the group joined everything else at least GROUP_STEP_MIN
# lower (merge_isolated_groups). MERGE_THRESHOLD was the one merge threshold for every
# pair before groups (the demo's best single value; it cost banking77 NMI 0.760 against
# the default's 0.795). GROUP_STEP_MIN is twice MERGE_GAP_MIN: a step read off one group
# rather than a whole window's sorted list needs the wider margin. Measured on one fit
# each (bench/topics.py data, leaves, centred cosines): the small demo's pieces of a theme
# stand apart by 0.35-0.51 ("app crashes", its fading theme: 0.51) and two of its themes
# by 0.21-0.25; banking77's families of distinct intents (virtual card 0.26, cash
# withdrawal 0.27, wrong exchange rate 0.28) stay under 0.30, though two of its intent
# pairs stand apart by 0.49 and merge ("why verify identity" / "unable to verify
# identity"; "request refund" / "refund not showing up"). Every step from 0.20 to 0.35
# gave banking77 0.801-0.811 and kept the small demo's fading theme whole; 0.15 merged
# banking77's families (0.777).
MERGE_THRESHOLD = 0.60
GROUP_STEP_MIN = 0.30
# A text joins a seeded topic when its cosine to the mean of the seed's example
# phrases is at least this. Measured on the demo data with three phrases per
# seed (fake company page, InMail credits, app crashes): precision 1.00 and
# recall 0.85-0.92 at 0.55; at 0.45 precision falls to 0.89-0.99.
SEED_THRESHOLD = 0.55
# A fitted cluster that loses this share of its texts to one seed is that seed's issue.
SEED_ABSORB_SHARE = 0.5
# Seed clusters are numbered from here, far above any fitted cluster.
SEED_CLUSTER_BASE = 1_000_000
# UMAP is fitted on at most this many texts of a window (bench/umap_sampling.py: a 20k
# sample took 1.8x / 5.0x / 4.6x less CPU than fitting all 30k / 60k / 100k texts, with
# HDBSCAN's NMI on banking77 + Bitext 0.68-0.70 against 0.54-0.63). A 10k sample was a
# little cheaper still, but it also sampled the 15k-text SpotifyCares windows and their
# id stability fell from 0.714 to 0.663; windows up to 20k texts stay exact.
UMAP_MAX_FIT = 20_000
# HDBSCAN's "eom" selection sometimes calls most of a window one cluster: on the
# SpotifyCares weeks it gave 24 clusters over weeks 1..7 and 3 over weeks 1..8, so no
# id could stay put. When one cluster holds more than this share of the window, the
# fit is redone with "leaf" selection, which gave 25 / 25 / 22 clusters over weeks
# 1..7 / 1..8 / 1..9 there. The demo and banking77 never trigger it (largest cluster
# under 10%), so their "eom" results stand (leaf there: NMI 0.922 vs 0.961 on the demo).
GIANT_CLUSTER_SHARE = 0.30
# A fitted cluster inherits the topic id of a previous run's topic when they share
# documents (the same texts clustered again): at least this share of the cluster's
# previously assigned texts, or of the topic's texts in this window, must be shared.
OVERLAP_SHARE = 0.5
# A text of an earlier week moves from its remembered topic to its new cluster only when
# it is closer to the new centroid by more than this (keep_remembered). SpotifyCares id
# stability (3 runs, before the grain): none 0.714, 0.05 0.886, 0.10 0.931, 0.20 0.955;
# demo 0.943 -> 0.954 at 0.05. 0.10 is the smallest margin that met 0.90 with room, and
# a text closer to its new cluster by more than 0.10 still moves (a real split).
HYSTERESIS_MARGIN = 0.10


@dataclass
class ClusterResult:
    """What one fit produced, before and after matching to the registry."""

    feedback_ids: list[str]
    cluster_of_doc: list[int]  # -1 unassigned
    topic_of_cluster: dict[int, int]  # fitted cluster -> registry topic_id
    new_topics: list[int]
    unassigned: int
    n_clusters: int


# Parts of BERTopic that import sentence-transformers or transformers (with torch's
# compiler stack) at import time: an image-and-text backend, and representations that
# run a language model or caption images. Pulse uses none of them.
_UNUSED_BERTOPIC_PARTS = (
    "bertopic.backend._multimodal",
    "bertopic.representation._textgeneration",
    "bertopic.representation._visual",
    "bertopic.representation._zeroshot",
)


def import_bertopic():  # -> type[bertopic.BERTopic]
    """`bertopic.BERTopic`, imported without the parts that load transformers.

    BERTopic imports every optional backend and representation that is installed, and
    sentence-transformers and transformers are (the fp32 embedder needs them): that was
    3.5 of the 6.8 s `import bertopic` took (`python -X importtime`; 3.3 s now), in a
    topics stage that uses none of them. BERTopic guards each of those imports and, when one fails,
    puts a "not installed" placeholder in its place, which is what they become here. The
    block lasts only for the import: the modules still import for whoever asks.
    """
    import sys

    if "bertopic" not in sys.modules and "transformers" not in sys.modules:
        for name in _UNUSED_BERTOPIC_PARTS:
            sys.modules[name] = None  # type: ignore[assignment]  # import: ModuleNotFoundError
        try:
            import bertopic  # noqa: F401
        finally:
            for name in _UNUSED_BERTOPIC_PARTS:
                if name in sys.modules and sys.modules[name] is None:
                    del sys.modules[name]
    from bertopic import BERTopic

    return BERTopic


def _pulse_embedder():  # -> bertopic.backend.BaseEmbedder
    """BERTopic's embedder hook, answered by Pulse's own embedder (pulse.embed.encode).

    BERTopic without an embedder reaches for the model hub, which no machine here can
    reach; with this one it embeds (in `transform`, for instance) in the same vector
    space as the cached document vectors, and the topics stage never loads a second
    model.
    """
    import_bertopic()
    from bertopic.backend import BaseEmbedder

    class PulseEmbedder(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return encode(list(documents))

    return PulseEmbedder()


def reducer(seed: int, max_fit: int | None = UMAP_MAX_FIT, transform_batch: int | None = None):
    """Pulse's UMAP; above `max_fit` texts fitted on a seeded sample (None: on every text).

    UMAP's cost grows faster than the window, so a large window is fitted on a sample
    and the rest placed with transform (pulse/topics/sampled_umap.py); windows up to `max_fit`
    texts get exactly the plain UMAP. bench/umap_sampling.py measures both through here.
    """
    from umap import UMAP

    from pulse.topics.sampled_umap import SampledUMAP

    umap = UMAP(
        n_neighbors=15,
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        random_state=seed,
        low_memory=True,
    )
    if max_fit is None:
        return umap
    if transform_batch is None:
        return SampledUMAP(umap, max_fit=max_fit)
    return SampledUMAP(umap, max_fit=max_fit, transform_batch=transform_batch)


def _placeholder_words(document: str) -> list[str]:
    """BERTopic's analyzer: the same two words for every document (see build_topic_model).

    Two, not one: BERTopic's c-TF-IDF squeezes a one-word vocabulary's weights to a scalar
    and fails.
    """
    del document
    return ["pulse", "topic"]


def build_topic_model(n_docs: int, seed: int, min_topic_size: int):
    """A BERTopic wired for offline, deterministic runs.

    The embedding model is always passed in: BERTopic's default reaches for the
    model hub, which no machine here can reach.
    """
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer

    min_cluster_size = max(min_topic_size, n_docs // 120)
    umap_model = reducer(seed)
    hdbscan_model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=5,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=False,
        # The default (4) starts four joblib worker processes that stay alive holding
        # about 200 MB each: 780 MB of a 100k window's peak, for core distances that one
        # process computes in a second or two on 5-d points. Same labels either way.
        core_dist_n_jobs=1,
    )
    # Pulse names its topics itself, after merging (pulse.topics.labels), and never reads
    # BERTopic's own c-TF-IDF words: tokenising every text for them again took 5-6 s of a
    # 100k window's topics stage (py-spy). Placeholder words keep BERTopic's bookkeeping
    # intact at no cost.
    vectorizer = CountVectorizer(analyzer=_placeholder_words)
    return import_bertopic()(
        embedding_model=_pulse_embedder(),
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=vectorizer,
        calculate_probabilities=False,
        verbose=False,
    )


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
) -> ClusterResult:
    """Fit sub-themes on the window's texts, match them to the registry, group them into
    issues, write doc_topics.

    Seeded topics from the taxonomy file claim the texts close to their example
    phrases first-hand, so a known issue is tracked even when it is too small
    to form a cluster of its own. Keywords and labels come from the redacted texts (what
    any output may show); the window's background words (a brand, a publisher's mask)
    never name a topic, and `brand_handles`, when configured, are stop words too.
    """
    from pulse.topics.issues import assign_issues
    from pulse.topics.labels import rank_candidates
    from pulse.topics.taxonomy import read_taxonomy
    from pulse.topics.vocabulary import background_words, handle_words, start_document_terms

    rows = con.execute(
        """
        select f.feedback_id, f.text_redacted, f.text_hash, f.created_at,
            (select min(s.label) from sentiment as s where s.feedback_id = f.feedback_id),
            f.text
        from feedback as f
        where f.created_at >= $start and f.created_at < $end
        order by f.feedback_id
        """,
        {"start": window_start, "end": window_end},
    ).fetchall()
    feedback_ids = [r[0] for r in rows]
    texts = [r[1] for r in rows]
    sentiments = [r[4] for r in rows]
    vectors = load_vectors(con, [r[2] for r in rows])
    doc_weeks = [_week_of(r[3], week, window_end) for r in rows]
    seeds = read_taxonomy(taxonomy_path).seeds
    seed_topics = register_seeds(con, seeds, week)
    seed_centroids = {SEED_CLUSTER_BASE + i: seed_centroid(s.examples) for i, s in enumerate(seeds)}

    # The window's words are counted on the idle core while UMAP fits on the other.
    terms_of_window = start_document_terms(texts, list(brand_handles or []))
    if len(rows) < max(30, 3 * min_topic_size):
        # Too little to cluster honestly: only seeds claim texts, the rest stays
        # unassigned and the report says so instead of inventing topics.
        clusters = assign_seeds([-1] * len(rows), vectors, seed_centroids)
    else:
        stored = stored_merge_threshold(con)
        clusters, merge_threshold = fit_window(
            texts, vectors, seed, min_topic_size, seed_centroids, stored
        )
        if stored is None and merge_threshold is not None:
            store_merge_threshold(con, merge_threshold)
    terms = terms_of_window() if any(c >= 0 for c in clusters) else None
    background = background_words(terms[0], terms[1], clusters) if terms else set()
    # the handles most texts are addressed to are the brand's (their words, too)
    background |= handle_words([r[5] for r in rows])
    candidates = rank_candidates(terms[0], terms[1], clusters, vectors, background) if terms else {}
    keywords_of = {c: found.keywords() for c, found in candidates.items()}

    centroids = _centroids(vectors, clusters)
    last_seen = _last_seen_weeks(clusters, doc_weeks)
    members = {c: [i for i, d in enumerate(clusters) if d == c] for c in centroids}
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
        texts_of={c: [texts[i] for i in members[c][:500]] for c in fitted},
        praise_of={c: _is_praise([sentiments[i] for i in members[c]]) for c in fitted},
        background=background,
    )
    topic_of_cluster.update(matched)
    for cluster, topic_id in topic_of_cluster.items():
        if cluster >= SEED_CLUSTER_BASE:
            _touch_seeded(con, topic_id, keywords_of.get(cluster, []), week, last_seen[cluster])
    clusters = keep_remembered(
        clusters, vectors, centroids, topic_of_cluster, remembered_topics(con, feedback_ids)
    )
    _write_doc_topics(con, run_id, feedback_ids, clusters, topic_of_cluster, vectors, centroids)
    _remember(con, feedback_ids, clusters, topic_of_cluster)
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
    )
    con.execute("delete from run_topic_parents where run_id = $run_id", {"run_id": run_id})
    if issue_of_theme:
        con.executemany(
            "insert into run_topic_parents values (?, ?, ?)",
            [(run_id, theme, issue) for theme, issue in sorted(issue_of_theme.items())],
        )
    mark_dormant(con, week, keep=set(seed_topics.values()))
    return ClusterResult(
        feedback_ids=feedback_ids,
        cluster_of_doc=clusters,
        topic_of_cluster=topic_of_cluster,
        new_topics=new_topics,
        unassigned=sum(1 for c in clusters if c < 0),
        n_clusters=len(centroids),
    )


def _is_praise(tones: list[str | None]) -> bool:
    """Mostly positive texts: praise, which the ranking leaves out of the issues."""
    positive, negative = tones.count("positive"), tones.count("negative")
    return positive >= 0.5 * len(tones) and positive > negative


def _week_of(created_at, week: IsoWeek, window_end) -> str:
    """The run-calendar week of a text, counted back from the window's end (time zone safe)."""
    weeks_ago = int((window_end - created_at).total_seconds() // (7 * 24 * 3600))
    return str(week.shift(-max(weeks_ago, 0)))


def _last_seen_weeks(clusters: list[int], doc_weeks: list[str]) -> dict[int, str]:
    last: dict[int, str] = {}
    for cluster, doc_week in zip(clusters, doc_weeks, strict=True):
        if cluster >= 0 and doc_week > last.get(cluster, ""):
            last[cluster] = doc_week
    return last


def seed_centroid(examples: list[str]) -> np.ndarray:
    """The unit-length mean of a seed's example phrases, embedded like any text."""

    mean = encode(examples).mean(axis=0)
    return (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)


def assign_seeds(
    clusters: list[int], vectors: np.ndarray, seed_centroids: dict[int, np.ndarray]
) -> list[int]:
    """Give each text close enough to a seed to that seed's cluster.

    A text at cosine SEED_THRESHOLD or more from a seed's centroid joins the
    closest such seed, whatever cluster it was in. A fitted cluster that lost
    most of its texts to one seed is that seed's issue, so the rest of it
    follows; otherwise CX ops would see the same issue twice.
    """
    result = list(clusters)
    if not seed_centroids or not len(result):
        return result
    ids = sorted(seed_centroids)
    sims = vectors @ np.stack([seed_centroids[i] for i in ids]).T
    best = sims.argmax(axis=1)
    for doc in range(len(result)):
        if sims[doc, best[doc]] >= SEED_THRESHOLD:
            result[doc] = ids[best[doc]]
    for cluster in sorted({c for c in clusters if 0 <= c < SEED_CLUSTER_BASE}):
        members = [i for i, c in enumerate(clusters) if c == cluster]
        claimed = [result[i] for i in members if result[i] >= SEED_CLUSTER_BASE]
        if not claimed:
            continue
        top = max(sorted(set(claimed)), key=claimed.count)
        if claimed.count(top) >= SEED_ABSORB_SHARE * len(members):
            for i in members:
                if result[i] == cluster:
                    result[i] = top
    return result


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


def _touch_seeded(
    con: duckdb.DuckDBPyConnection,
    topic_id: int,
    keywords: list[str],
    week: IsoWeek,
    last_seen: str,
) -> None:
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


def _fit(
    texts: list[str],
    vectors: np.ndarray,
    seed: int,
    min_topic_size: int,
    seed_centroids: dict[int, np.ndarray] | None = None,
    merge_threshold: float | None = None,
) -> list[int]:
    """`fit_window`'s clusters alone, for the benches that score one fit."""
    return fit_window(texts, vectors, seed, min_topic_size, seed_centroids, merge_threshold)[0]


def fit_window(
    texts: list[str],
    vectors: np.ndarray,
    seed: int,
    min_topic_size: int,
    seed_centroids: dict[int, np.ndarray] | None = None,
    merge_threshold: float | None = None,
) -> tuple[list[int], float | None]:
    """Cluster one window: fit, merge, reassign outliers.

    Clusters are cut into their leaves; with a grain (`merge_threshold`, or one this fit
    shows) the leaves merge back at it, and without one only the groups of leaves that
    stand apart from everything else merge (`merge_isolated_groups`).

    Returns the clusters and the merge threshold read off this fit (`grain_threshold`)
    when none was given, so the caller can keep it for the registry (None: this fit had
    no clear grain, and merged isolated groups).
    """
    model = build_topic_model(len(texts), seed, min_topic_size)
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    topics = np.asarray(topics)
    leaves = _leaf_clusters(model.hdbscan_model)
    if _giant_cluster(topics):
        topics = leaves
    derived = None
    if merge_threshold is None:
        derived = merge_threshold = grain_threshold(topics, vectors)
    if merge_threshold is None:
        # No clear grain for the whole window: the leaves, joined where a group of them
        # stands apart from everything else (`merge_isolated_groups`). Merging nothing split
        # the small demo's (scale 0.3) fading theme into four topics, none of which then
        # counted as improving; one cosine threshold for every pair (0.60) merged banking77's
        # distinct intents (NMI 0.760 against the default's 0.795).
        topics = merge_isolated_groups(split_to_leaves(topics, leaves, vectors), vectors)
    else:
        topics = _merge_similar(split_to_leaves(topics, leaves, vectors), vectors, merge_threshold)
    topics = _reduce_outliers(list(topics), vectors)
    # Renumber by size so cluster numbers do not depend on HDBSCAN's internal order.
    sizes = sorted(
        ((sum(1 for t in topics if t == c), c) for c in set(topics) if c >= 0),
        key=lambda item: (-item[0], item[1]),
    )
    renumber = {old: new for new, (_, old) in enumerate(sizes)}
    topics = [renumber.get(t, -1) for t in topics]
    return assign_seeds(topics, vectors, seed_centroids or {}), derived


def split_to_leaves(labels: np.ndarray, leaves: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each cluster cut into the leaf clusters of the same HDBSCAN tree that lie inside it.

    "eom" selection keeps a parent cluster when its leaves are not much more stable,
    so distinct fine issues (banking77's intents: 54 clusters for 77) end up as one;
    the leaves keep them apart, and the merge step joins back the leaves that are
    one issue at the registry's grain. A text the leaves call noise joins the nearest
    leaf of its own cluster (centroid cosine), so outliers stay exactly the same.
    Banking77: NMI 0.802 -> 0.813 with nothing merged (0.811 with isolated groups
    merged); the demo's 0.961 is unchanged at its grain (the leaves merge back).
    """
    out = np.full(len(labels), -1, dtype=np.int64)
    pieces: dict[tuple[int, int], int] = {}
    for doc, (label, leaf) in enumerate(zip(labels.tolist(), leaves.tolist(), strict=True)):
        if label >= 0 and leaf >= 0:
            out[doc] = pieces.setdefault((label, leaf), len(pieces))
    # Pieces lie inside one cluster, so placing one cluster's rest moves no other's centroid.
    centroids = _centroids(vectors, out.tolist())
    for label in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == label)
        rest = members[out[members] < 0]
        if not len(rest):
            continue
        own = sorted(set(out[members].tolist()) - {-1})
        if not own:
            out[rest] = pieces.setdefault((label, -1), len(pieces))
            continue
        matrix = np.stack([centroids[p] for p in own])
        out[rest] = np.asarray(own)[np.argmax(vectors[rest] @ matrix.T, axis=1)]
    return out


def grain_threshold(labels: np.ndarray, vectors: np.ndarray) -> float | None:
    """The merge threshold this window's own clusters suggest (see MERGE_GAP_LOW).

    Each cluster's centred cosine to its nearest other cluster, sorted; the middle of
    the widest step between neighbours whose upper end lies in the gap bounds, when it
    is at least MERGE_GAP_MIN wide. None when there is no such step (the small demo's
    widest is 0.078, like banking77's 0.07: no grain tells them apart) or the fit has
    fewer than MERGE_GRAIN_MIN_CLUSTERS clusters: too few to say.
    """
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    centroids = _centroids(centred, list(labels))
    if len(centroids) < MERGE_GRAIN_MIN_CLUSTERS:
        return None
    matrix = np.stack([centroids[i] for i in sorted(centroids)])
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -1.0)
    nearest = np.sort(sims.max(axis=1))
    steps = np.diff(nearest)
    upper = nearest[1:]
    steps[(upper < MERGE_GAP_LOW) | (upper > MERGE_GAP_HIGH)] = 0.0
    widest = int(np.argmax(steps)) if len(steps) else 0
    if not len(steps) or steps[widest] < MERGE_GAP_MIN:
        return None
    # Never below the low bound: a step from far under it (a 100k mix of banking77,
    # Bitext and SpotifyCares: 0.35 | 0.50 -> 0.43) merged 39 clusters into 4 (9 at 0.50).
    middle = float(nearest[widest] + nearest[widest + 1]) / 2
    return round(max(middle, MERGE_GAP_LOW), 4)


def stored_merge_threshold(con: duckdb.DuckDBPyConnection) -> float | None:
    """The registry's merge grain, or None before its first fit with enough clusters."""
    row = con.execute("select value from topic_meta where key = 'merge_threshold'").fetchone()
    return None if row is None else float(row[0])


def store_merge_threshold(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    con.execute(
        "insert or replace into topic_meta values ('merge_threshold', $value)",
        {"value": float(threshold)},
    )


def _giant_cluster(labels: np.ndarray) -> bool:
    """Whether one cluster holds more than GIANT_CLUSTER_SHARE of the window's texts."""
    assigned = labels[labels >= 0]
    return bool(len(assigned)) and np.bincount(assigned).max() > GIANT_CLUSTER_SHARE * len(labels)


def _leaf_clusters(fitted) -> np.ndarray:
    """The same HDBSCAN on the same reduced vectors, with "leaf" selection.

    Reuses the reduced vectors the first fit clustered, so UMAP runs once, and when
    the fit kept its condensed tree, the tree too: "leaf" only selects other nodes of
    it, so no spanning tree is built twice.
    """
    from hdbscan import HDBSCAN

    params = fitted.get_params()
    tree = getattr(fitted, "_condensed_tree", None)
    if tree is not None:
        from hdbscan._hdbscan_tree import compute_stability, get_clusters

        labels, _, _ = get_clusters(
            tree,
            compute_stability(tree),
            "leaf",
            params["allow_single_cluster"],
            params["match_reference_implementation"],
            params["cluster_selection_epsilon"],
            params["max_cluster_size"],
            params.get("cluster_selection_epsilon_max", float("inf")),
        )
        return np.asarray(labels)
    params["cluster_selection_method"] = "leaf"
    return HDBSCAN(**params).fit(fitted._raw_data).labels_


def _merge_similar(
    labels: np.ndarray, vectors: np.ndarray, threshold: float = MERGE_THRESHOLD
) -> np.ndarray:
    """Join clusters whose centred centroids are at least `threshold` similar, closest first.

    Vectors are centred on the window's mean first: what every text shares (a
    brand handle opening every tweet, the product's vocabulary) says nothing
    about which issue a text is about, and left in, it makes every pair of
    clusters look alike (SpotifyCares tweets merged into one topic).
    """
    labels = labels.copy()
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    while True:
        centroids = _centroids(centred, list(labels))
        if len(centroids) < 2:
            return labels
        ids = sorted(centroids)
        matrix = np.stack([centroids[i] for i in ids])
        sims = matrix @ matrix.T
        np.fill_diagonal(sims, -1.0)
        i, j = np.unravel_index(int(sims.argmax()), sims.shape)
        if sims[i, j] < threshold:
            return labels
        keep, drop = min(ids[i], ids[j]), max(ids[i], ids[j])
        labels[labels == drop] = keep


def merge_isolated_groups(
    labels: np.ndarray,
    vectors: np.ndarray,
    floor: float = MERGE_THRESHOLD,
    step: float = GROUP_STEP_MIN,
) -> np.ndarray:
    """Join each group of clusters that is far closer inside than to anything outside it.

    A window without a grain (no step in its nearest-cluster similarities) still holds
    issues cut into pieces by wording: the small demo's "app crashes" in four leaves at
    0.72-0.83 of each other, with no other theme above 0.21 of them. What marks such
    pieces is not how close two of them are (banking77's distinct "virtual card"
    intents are closer, 0.81) but that the group they form stands apart: the grain rule
    read locally, per group, instead of once per window. Distinct issues that share a
    subject (banking77's virtual-card, cash-withdrawal and exchange-rate families) sit
    among neighbours: the family joins the next one soon after it forms, so no step.

    The clusters' centred centroids (as in `_merge_similar`: what every text shares says
    nothing) are joined closest first, down to one, and a group is one issue when its
    members joined at `floor` or above and the group joined the rest at least `step`
    lower. Groups are taken from the top, so the largest such group wins over its parts
    and a group is never cut across; a window whose clusters all joined at `floor` or
    above is one group (nothing outside it). Ties go to the lower cluster number, so the
    result is deterministic.
    """
    labels = np.asarray(labels).copy()
    ids = sorted(set(labels.tolist()) - {-1})
    if len(ids) < 2:
        return labels
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    sums = np.stack([centred[labels == i].sum(axis=0) for i in ids]).astype(np.float64)
    units = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    sims = units @ units.T
    np.fill_diagonal(sims, -np.inf)
    alive = np.ones(len(ids), dtype=bool)
    node_of_row = list(range(len(ids)))  # the dendrogram node each row stands for
    height: dict[int, float] = {}
    parent: dict[int, int] = {}
    children: dict[int, tuple[int, int]] = {}
    node_members: dict[int, list[int]] = {row: [i] for row, i in enumerate(ids)}
    next_node = len(ids)
    for _ in range(len(ids) - 1):
        a, b = np.unravel_index(int(np.argmax(sims)), sims.shape)
        a, b = int(min(a, b)), int(max(a, b))
        node = next_node
        next_node += 1
        height[node] = float(sims[a, b])
        left, right = node_of_row[a], node_of_row[b]
        parent[left] = parent[right] = node
        children[node] = (left, right)
        node_members[node] = node_members[left] + node_members[right]
        # Row a becomes the joined group; row b leaves.
        sums[a] += sums[b]
        units[a] = sums[a] / max(float(np.linalg.norm(sums[a])), 1e-12)
        node_of_row[a] = node
        alive[b] = False
        row = np.where(alive, units @ units[a], -np.inf)
        row[a] = -np.inf
        sims[a, :] = row
        sims[:, a] = row
        sims[b, :] = -np.inf
        sims[:, b] = -np.inf
    out = labels.copy()
    pending = [next_node - 1]
    while pending:
        node = pending.pop()
        if node not in children:
            continue
        joined_rest = height[parent[node]] if node in parent else -1.0
        if height[node] >= floor and height[node] - joined_rest >= step:
            keep = min(node_members[node])
            for cluster in node_members[node]:
                out[labels == cluster] = keep
            continue
        pending.extend(children[node])
    return out


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


def match_clusters(
    centroids: dict[int, np.ndarray],
    registry: list[tuple[int, np.ndarray]],
    threshold: float = MATCH_THRESHOLD,
) -> dict[int, int]:
    """One-to-one matching of fitted clusters to registry topics (Hungarian on cosine).

    One-to-one, because two of this week's clusters claiming one topic id would
    merge two issues behind CX ops' back; a pair below `threshold` is no match.
    Ties resolve by order (clusters by number, topics by id), so the result is
    deterministic.
    """
    from scipy.optimize import linear_sum_assignment

    cluster_ids = sorted(centroids)
    if not registry or not cluster_ids:
        return {}
    reg_matrix = np.asarray([np.asarray(v, dtype=np.float32) for _, v in registry])
    clu_matrix = np.stack([centroids[c] for c in cluster_ids])
    sims = clu_matrix @ reg_matrix.T
    rows, cols = linear_sum_assignment(-sims)
    return {
        cluster_ids[r]: int(registry[c][0])
        for r, c in zip(rows, cols, strict=True)
        if sims[r, c] >= threshold
    }


def shared_documents(
    con: duckdb.DuckDBPyConnection, feedback_ids: list[str], clusters: list[int]
) -> dict[int, dict[int, int]]:
    """Per fitted cluster, how many of its texts each earlier topic held.

    Texts no earlier fit assigned count under topic -1 (so a cluster of mostly new
    texts is not an old topic); texts outside the fitted clusters under cluster -1.
    """
    table = pa.table(
        {"feedback_id": pa.array(feedback_ids, pa.string()), "cluster": pa.array(clusters)}
    )
    con.register("window_clusters", table)
    try:
        rows = con.execute(
            """
            select case when w.cluster >= 0 and w.cluster < $base then w.cluster else -1 end,
                coalesce(m.topic_id, -1), count(*)
            from window_clusters as w
            left join topic_doc_memory as m using (feedback_id)
            group by all
            order by all
            """,
            {"base": SEED_CLUSTER_BASE},
        ).fetchall()
    finally:
        con.unregister("window_clusters")
    shared: dict[int, dict[int, int]] = {}
    for cluster, topic_id, count in rows:
        shared.setdefault(int(cluster), {})[int(topic_id)] = int(count)
    return shared


def remembered_topics(con: duckdb.DuckDBPyConnection, feedback_ids: list[str]) -> list[int | None]:
    """The registry topic each text had after the last fit that clustered it (None: none)."""
    table = pa.table(
        {
            "feedback_id": pa.array(feedback_ids, pa.string()),
            "position": pa.array(np.arange(len(feedback_ids), dtype=np.int64)),
        }
    )
    con.register("window_ids", table)
    try:
        rows = con.execute(
            """
            select w.position, m.topic_id
            from window_ids as w join topic_doc_memory as m using (feedback_id)
            """
        ).fetchall()
    finally:
        con.unregister("window_ids")
    result: list[int | None] = [None] * len(feedback_ids)
    for position, topic_id in rows:
        result[int(position)] = None if topic_id is None else int(topic_id)
    return result


def keep_remembered(
    clusters: list[int],
    vectors: np.ndarray,
    centroids: dict[int, np.ndarray],
    topic_of_cluster: dict[int, int],
    remembered: list[int | None],
    margin: float | None = None,
) -> list[int]:
    """Hysteresis: a text of an earlier week stays in its remembered topic while that topic lives.

    Every run re-clusters its whole window, and a large diffuse cluster of generic
    texts splits a little differently each time; without this, last week's counts
    would be restated by noise. A text whose remembered topic matched a fitted
    cluster in this run keeps that topic unless it is closer to its new cluster's
    centroid by more than `margin` (a real split still happens), and only while it
    is at least OUTLIER_THRESHOLD similar to the remembered one. Seeded topics claim
    their texts first-hand and are neither taken from nor given to here.
    """
    margin = HYSTERESIS_MARGIN if margin is None else margin
    cluster_of_topic = {
        t: c for c, t in topic_of_cluster.items() if 0 <= c < SEED_CLUSTER_BASE and c in centroids
    }
    result = list(clusters)
    for doc, (cluster, topic_id) in enumerate(zip(clusters, remembered, strict=True)):
        if topic_id is None or cluster >= SEED_CLUSTER_BASE:
            continue
        home = cluster_of_topic.get(topic_id)
        if home is None or home == cluster:
            continue
        home_sim = float(vectors[doc] @ centroids[home])
        if home_sim < OUTLIER_THRESHOLD:
            continue
        if cluster >= 0 and float(vectors[doc] @ centroids[cluster]) - home_sim > margin:
            continue
        result[doc] = home
    return result


def _remember(
    con: duckdb.DuckDBPyConnection,
    feedback_ids: list[str],
    clusters: list[int],
    topic_of_cluster: dict[int, int],
) -> None:
    table = pa.table(
        {
            "feedback_id": pa.array(feedback_ids, pa.string()),
            "topic_id": pa.array([topic_of_cluster.get(c) for c in clusters], pa.int32()),
        }
    )
    con.register("new_memory", table)
    try:
        con.execute("insert or replace into topic_doc_memory select * from new_memory")
    finally:
        con.unregister("new_memory")


def match_by_documents(
    shared: dict[int, dict[int, int]], exclude: set[int] | None = None
) -> dict[int, int]:
    """One-to-one matching of fitted clusters to earlier topics by the texts they share.

    The texts of earlier weeks are clustered again every run; a cluster that
    holds most of an earlier topic's texts (or whose earlier texts were mostly
    that topic's) is that topic, even when its centroid moved. Hungarian on the
    shared counts keeps the most texts under their old id. `shared[-1]` holds
    the window's texts outside any fitted cluster, counted in each topic's size;
    topic -1 the texts no earlier fit assigned, counted in each cluster's size.
    """
    from pulse.topics.issues import overlap_assignment

    exclude = exclude or set()
    cluster_ids = sorted(c for c in shared if c >= 0)
    topic_ids = sorted({t for row in shared.values() for t in row if t >= 0} - exclude)
    if not cluster_ids or not topic_ids:
        return {}
    counts = np.zeros((len(cluster_ids), len(topic_ids)))
    for r, cluster in enumerate(cluster_ids):
        for c, topic_id in enumerate(topic_ids):
            counts[r, c] = shared[cluster].get(topic_id, 0)
    cluster_size = {c: sum(shared[c].values()) for c in cluster_ids}
    topic_size = {t: sum(row.get(t, 0) for row in shared.values()) for t in topic_ids}
    return {
        cluster_ids[r]: topic_ids[c]
        for r, c in overlap_assignment(
            counts,
            [cluster_size[c] for c in cluster_ids],
            [topic_size[t] for t in topic_ids],
            OVERLAP_SHARE,
        )
    }


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
    from pulse.topics.issues import _praise
    from pulse.topics.labels import choose_labels, keeps_label

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
            label = _praise(named[cluster], praise_of.get(cluster, False))
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
