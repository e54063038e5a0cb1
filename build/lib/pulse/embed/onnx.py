"""MiniLM as an int8 ONNX graph, run so that a text's vector never depends on its batch."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: Vector size of every embedder (MiniLM's), and the word pieces MiniLM reads at most.
DIMENSIONS = 384
MAX_TOKENS = 256


class OnnxEmbedder:
    """MiniLM int8 in onnxruntime; a text's vector never depends on the texts beside it.

    `minilm-onnx-int8` (per_call_scales) quantises activations with one scale per call,
    picked from every value in it, padding included: a text batched with others came out
    up to 0.07 apart (cosine 0.93) from the same text alone, so its cached vector, and its
    sentiment score, would depend on which texts arrived in its week. It runs one text per
    call. `minilm-onnx-int8-v2` (scripts/build_embedders.py `minilm_graph`) uses fixed or
    per-token scales instead, so texts of one token length run as one call, with no padding
    and no mask, and give bit-identical vectors alone or batched; mean pooling and the L2
    norm run here, per text, for the same reason. Batching removes most of the per-call
    overhead that dominates 15-30-token texts.

    Calls run on `os.cpu_count()` threads with one intra-op thread each: onnxruntime
    releases the GIL, and small matrices parallelise worse inside one call than across calls.
    """

    # Texts per call of the batched model: at most this many tokens or texts. Smaller calls
    # keep a call's activations near the core's 1 MiB L2 (docs/TUNING.md, "Embedders"); a
    # text's vector does not depend on the split (tests/test_embed.py).
    BATCH_TOKENS = 768
    BATCH_TEXTS = 64

    def __init__(self, folder: Path, per_call_scales: bool) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # Spinning threads burn a shared core while waiting for work that is not coming.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        # tokenizer.json pads to 128 on its own; neither model wants padding.
        self.tokenizer.no_padding()
        self.workers = max(1, os.cpu_count() or 1)
        self.per_call_scales = per_call_scales

    def tokenize(self, texts: list[str]) -> list[np.ndarray]:
        """Word-piece ids per text (truncated to MAX_TOKENS, never padded)."""
        # encode_batch_fast skips the character offsets nothing here reads: the same ids,
        # in less tokenizer time.
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        return [np.array(e.ids, dtype=np.int64) for e in encode(texts)]

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Unit vectors of texts of one token length (ids shaped (texts, length))."""
        if self.per_call_scales:
            (vectors,) = self.session.run(
                None,
                {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.zeros_like(ids),
                },
            )
            return vectors
        (tokens,) = self.session.run(None, {"input_ids": ids})
        vectors = np.empty((len(ids), DIMENSIONS), dtype=np.float32)
        for row, one in enumerate(tokens):  # per text: same arithmetic in any batch
            mean = one.mean(axis=0)
            vectors[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return vectors

    def batches(self, ids: list[np.ndarray]) -> list[list[int]]:
        """Positions of texts grouped into calls: one token length per call, longest first."""
        if self.per_call_scales:
            return [[row] for row in range(len(ids))]
        by_length: dict[int, list[int]] = {}
        for row, one in enumerate(ids):
            by_length.setdefault(len(one), []).append(row)
        calls = []
        for length in sorted(by_length, reverse=True):
            rows = by_length[length]
            size = max(1, min(self.BATCH_TEXTS, self.BATCH_TOKENS // length))
            calls += [rows[i : i + size] for i in range(0, len(rows), size)]
        return calls

    def encode(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """Vectors for texts; `batch_size` is ignored (calls are cut by token length)."""
        del batch_size
        return self.encode_ids(self.tokenize(texts))

    def encode_ids(self, ids: list[np.ndarray]) -> np.ndarray:
        """Vectors for tokenised texts (`tokenize`'s output), in their order.

        Texts whose word pieces are the same run through the model once. The tokenizer
        lowercases and splits off punctuation, so texts that differ only in case or in
        spacing around punctuation ("Refund ?" and "refund?") are one input to the
        model, and a text's vector depends only on its ids (see the class docstring).
        """
        positions: dict[bytes, int] = {}
        where = np.fromiter(
            (positions.setdefault(one.tobytes(), len(positions)) for one in ids),
            dtype=np.int64,
            count=len(ids),
        )
        if len(positions) == len(ids):
            return self._encode_distinct(ids)
        first = np.empty(len(positions), dtype=np.int64)
        first[where] = np.arange(len(ids))  # a row of each sequence (their ids are equal)
        return self._encode_distinct([ids[row] for row in first])[where]

    def _encode_distinct(self, ids: list[np.ndarray]) -> np.ndarray:
        from concurrent.futures import ThreadPoolExecutor

        out = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)

        def run(rows: list[int]) -> tuple[list[int], np.ndarray]:
            return rows, self.forward(np.stack([ids[row] for row in rows]))

        calls = self.batches(ids)
        if self.workers == 1 or len(calls) < 2:
            for rows, vectors in map(run, calls):
                out[rows] = vectors
            return out
        with ThreadPoolExecutor(self.workers) as pool:
            for rows, vectors in pool.map(run, calls):
                out[rows] = vectors
        return out
