"""BERTopic and UMAP, built for offline, deterministic runs on cached vectors (pure).

Nothing here touches DuckDB. BERTopic is imported without the parts that load
transformers (`import_bertopic`), embeds through Pulse's own embedder so it never reaches
for the model hub, and counts placeholder words because Pulse names its topics itself
(pulse.topics.labels). Large windows fit UMAP on a sample (sampled_umap.py).
"""

from __future__ import annotations

import numpy as np

from pulse.embed import encode

# UMAP is fitted on at most this many texts of a window and places the rest; windows up to
# it stay exact. A smaller sample was cheaper but cost id stability (docs/TUNING.md).
UMAP_MAX_FIT = 20_000
# HDBSCAN clusters at most this many texts of a window; the others take their nearest
# clustered text's cluster (pulse/topics/sampled_hdbscan.py). Windows up to it are exact.
HDBSCAN_MAX_FIT = 300_000

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

    from pulse.topics.sampled_hdbscan import SampledHDBSCAN

    min_cluster_size = max(min_topic_size, n_docs // 120)
    umap_model = reducer(seed)
    hdbscan = HDBSCAN(
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
    hdbscan_model = SampledHDBSCAN(hdbscan, max_fit=HDBSCAN_MAX_FIT, random_state=seed)
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
