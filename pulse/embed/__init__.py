"""Sentence embeddings with a cache: each distinct text is embedded once, ever.

Embedding is the costliest stage, so vectors are stored in DuckDB keyed by
(text_hash, model) and a weekly run only pays for the texts it has not seen before.

Five embedders fill that cache, MiniLM's four with 384-d unit vectors:

- `minilm-onnx-int8-v2` (default): the bundled MiniLM as an int8 ONNX graph whose
  activation scales never depend on other texts, so texts of one token length run as
  one batch (see `pulse.embed.onnx`); as close to fp32 as the previous default, and
  faster (docs/TUNING.md, "Embedders").
- `minilm-onnx-int8`: the previous default, the MiniLM export int8-quantised per call,
  hence one text per call; the sentiment model (trained on fp32 vectors) scores the same
  on it.
- `all-MiniLM-L6-v2`: the bundled model through sentence-transformers, torch fp32.
- `minilm-m2v`: a model2vec static model distilled from MiniLM; a different
  vector space (hence a different cache key) at two orders of magnitude more
  texts per second, for when volume matters more than nuance.

- `use-multilingual-v3`: Universal Sentence Encoder multilingual, 512-d, one space for
  16 languages (`pulse.embed.multilingual`); the embedder of a window whose texts are not
  all English (`pulse.embed.choice`).

The three built ones are made from the bundled weights by `scripts/build_embedders.py`
on first use, never downloaded. Which one serves is the `embedding_model` setting
(`PULSE_EMBEDDING_MODEL`); bench/embed.py measures speed and topic quality of each, and
bench/embedders.py the candidates for a faster one (none yet at equal quality:
docs/TUNING.md, "Embedders").

Layout: `models` (which embedder, loading it, `encode`), `onnx` (the int8 MiniLM runner),
`cache` (`embed_missing`, `load_vectors`), `dask` (the same stage on a Dask cluster).
"""

from pulse.embed.cache import embed_missing, load_vectors
from pulse.embed.models import (
    BATCH_SIZE,
    EMBED_CHAR_CAP,
    EMBEDDERS,
    FP32,
    MODEL_NAME,
    ONNX_EMBEDDERS,
    ONNX_INT8,
    ONNX_INT8_V2,
    STATIC_M2V,
    USE_M3,
    active_model_name,
    dimensions,
    encode,
    load_embedding_model,
)
from pulse.embed.onnx import DIMENSIONS, MAX_TOKENS

__all__ = [
    "BATCH_SIZE",
    "DIMENSIONS",
    "EMBEDDERS",
    "EMBED_CHAR_CAP",
    "FP32",
    "MAX_TOKENS",
    "MODEL_NAME",
    "ONNX_EMBEDDERS",
    "ONNX_INT8",
    "ONNX_INT8_V2",
    "STATIC_M2V",
    "USE_M3",
    "active_model_name",
    "dimensions",
    "embed_missing",
    "encode",
    "load_embedding_model",
    "load_vectors",
]
