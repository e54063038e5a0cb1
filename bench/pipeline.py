"""The weekly run end to end at volume: cold, incremental, and a naive baseline, in one process.

    python bench/pipeline.py --texts 10000 --weeks 12
    python bench/pipeline.py --texts 100000 --weeks 12 --no-baseline
    python bench/pipeline.py --texts 100000 --weeks 12 --generate-only   # corpus check only
    python bench/pipeline.py --texts 100000 --weeks 12 --history 1000000 --no-baseline
    python bench/pipeline.py --texts 100000 --weeks 12 --history 1000000 --no-baseline \\
        --history-embedder minilm-m2v
    python bench/pipeline.py --cold-start                                # numba cache probe

Generates the demo corpus (pulse.demo, scaled) for W+1 weeks, every text in English unless
`--multilingual`, and splits its files at the last week's Monday:

- cold: the first W weeks (about N texts, every one new) go through the stages of the
  weekly flow (`pulse.ingest.ingest_paths`, `pulse.embed.embed_missing`, then `pulse.stages`:
  the functions the Prefect tasks call, without Prefect) for week W: the cost of an N-text
  week;
- incremental: the last week's files (about N/W new texts) arrive and week W+1 runs on
  the same database: only new files are ingested, only new texts embedded and scored,
  the window re-clustered;
- baseline: BERTopic with every default (the local MiniLM as `embedding_model`) fitted
  from scratch on the cold window's raw texts, no cache.

With `--history N`, about N older texts (demo generator, another seed, all distinct,
in the weeks before the window) are first ingested, embedded and scored for real: the
state a deployment with N texts of history is in. That setup runs in a process of
its own, so the peak RSS reported is the weekly runs' own, and is timed separately
(`history_load` in the JSON, not in total_s) and costs what embedding N texts costs
(about an hour per million on two cores); it exists to show what the weekly runs cost,
and how much memory they take, on top of a large history. `--history-embedder
minilm-m2v` sets that history up in minutes: the static model embeds it and its
vectors are filed under the serving model's name. The timed runs never read them (they
lie before the window), so they cost the runs what real ones would; the history's own
sentiment scores are then meaningless, and the JSON says which embedder it was.

Per stage: seconds, texts/s (the stage's new texts, or the window for topics and
baseline), peak RSS while the stage ran (sampled every 0.1 s). The raw forward-pass
throughput of the embedding model (the limit) is measured in the same process on 2,000
of the corpus's texts, right before and right after the cold embed stage (the mean of
the two is the limit). Time zone UTC, history window W weeks, seed 42.

The last line is JSON: total_s (cold run, ingest to PDF), incremental_s,
baseline_total_s, embed_texts_per_s, raw_model_texts_per_s, peak_rss_mib (the highest
stage peak of Pulse's two runs, worker processes included), baseline_peak_rss_mib and
the per-stage figures.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pulse  # noqa: E402,F401  (offline and cache environment first)

ANCHOR = "2026-W46"
TEXTS_PER_WEEK_AT_SCALE_1 = 443  # measured: scale 1.77 gave 9,406 texts in 12 weeks
RAW_SAMPLE = 2000


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def log(message: str) -> None:
    print(f"{message}  [load {load()}]", flush=True)


class RssSampler:
    """Peak resident memory of this process and its worker processes while a stage runs.

    VmRSS, every 0.1 s, summed over this process and its children: the spawned worker
    that shares ingest, sentiment and UMAP placement holds its own copy of what it works
    on (a fitted UMAP, a window's word counts), and a memory budget has to cover it too.
    """

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kib(pid: str) -> int:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:  # a child that just exited
            pass
        return 0

    @classmethod
    def current_kib(cls) -> int:
        children: set[str] = set()
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children", encoding="ascii") as handle:
                    children.update(handle.read().split())
            except OSError:
                pass
        return cls._rss_kib("self") + sum(cls._rss_kib(pid) for pid in children)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, self.current_kib())
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self.peak_kib = self.current_kib()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, self.current_kib())


def measure(stages: list[dict], name: str, texts: int, fn, *args, **kwargs):
    """Run one stage, record seconds, texts/s and peak RSS, print them."""
    with RssSampler() as rss:
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = time.perf_counter() - started
    row = {
        "stage": name,
        "seconds": round(seconds, 2),
        "texts": texts if not callable(texts) else texts(result),
        "peak_rss_mib": round(rss.peak_kib / 1024),
    }
    row["texts_per_s"] = round(row["texts"] / seconds, 1) if seconds > 0 else None
    stages.append(row)
    log(
        f"  {name:<10} {row['seconds']:8.1f} s  {row['texts']:>8,} texts  "
        f"{row['texts_per_s'] or 0:>9,.1f} texts/s  {row['peak_rss_mib']:>6,} MiB"
    )
    return result


def split_demo(demo_dir: Path, cutoff: str, out_dir: Path) -> tuple[list[Path], list[Path]]:
    """The demo files cut at `cutoff` (ISO UTC): history files, new-week files."""
    old_dir, new_dir = out_dir / "history", out_dir / "new_week"
    old_dir.mkdir(parents=True)
    new_dir.mkdir(parents=True)
    with (demo_dir / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        rows = list(reader)
    for folder, keep in ((old_dir, lambda r: r < cutoff), (new_dir, lambda r: r >= cutoff)):
        with (folder / "tickets.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(r for r in rows if keep(r["created_at"]))
    lines = (demo_dir / "social.jsonl").read_text(encoding="utf-8").splitlines()
    for folder, keep in ((old_dir, lambda r: r < cutoff), (new_dir, lambda r: r >= cutoff)):
        chosen = [line for line in lines if keep(json.loads(line)["created_at"])]
        (folder / "social.jsonl").write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return (
        [old_dir / "tickets.csv", old_dir / "social.jsonl"],
        [new_dir / "tickets.csv", new_dir / "social.jsonl"],
    )


def older_history(root: Path, last_week, texts: int, other_languages: bool = False) -> list[Path]:
    """About `texts` demo texts in the weeks before `last_week` (inclusive), all distinct
    from the main corpus (another seed) and with their own ids, so every one of them is a
    real row to ingest, embed and score.
    """
    from pulse.demo import generate_demo

    weeks = max(5, min(104, -(-texts // 8_000)))  # about 8k texts a week, like a 100k window
    scale = texts / (weeks * TEXTS_PER_WEEK_AT_SCALE_1)
    folder = root / "older"
    generate_demo(
        folder / "raw",
        anchor=last_week,
        weeks=weeks,
        scale=scale,
        seed=7,
        other_languages=other_languages,
    )
    with (folder / "raw" / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames or [], list(reader)
    with (folder / "tickets.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({**r, "ticket_id": f"old-{r['ticket_id']}"} for r in rows)
    with (folder / "social.jsonl").open("w", encoding="utf-8") as handle:
        for line in (folder / "raw" / "social.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            record["post_id"] = record["post_id"].replace("-", "-old", 1)
            handle.write(json.dumps(record) + "\n")
    return [folder / "tickets.csv", folder / "social.jsonl"]


def load_older(
    con, settings, files: list[Path], embedder: str | None = None
) -> tuple[list[dict], dict]:
    """Ingest, embed and score the older history: what earlier weekly runs would have done.

    With `embedder` (another model than the one serving), the history is embedded by that
    one and its vectors are filed under the serving model's name. Only for a quick setup
    of a large history: the timed runs never read those vectors (they lie before the
    window), they only have to exist, as they would after a year of weekly runs.
    """
    from pulse.embed import active_model_name, embed_missing
    from pulse.ingest import ingest_paths
    from pulse.stages import embed_sentiment_vectors, score_sentiment

    stages: list[dict] = []

    def ingest() -> int:
        for path in files:
            source = "demo_tickets" if path.suffix == ".csv" else "demo_social"
            ingest_paths(con, [path], source=source, brand_handles=settings.brand_handles)
        return con.execute("select count(*) from feedback").fetchone()[0]

    rows = measure(stages, "ingest", lambda n: n, ingest)
    serving = active_model_name()
    if embedder and embedder != serving:

        def embed_as_serving() -> int:
            count = embed_missing(con, model_name=embedder)
            con.execute(
                "update embeddings set model = $serving where model = $other",
                {"serving": serving, "other": embedder},
            )
            return count

        measure(stages, f"embed ({embedder})", lambda n: n, embed_as_serving)
    else:
        measure(stages, "embed", lambda n: n, embed_missing, con)
    measure(stages, "embed (sentiment vectors)", lambda n: n, embed_sentiment_vectors, con)
    measure(stages, "sentiment", lambda n: n, score_sentiment, con)
    distinct = con.execute("select count(distinct text_hash) from feedback").fetchone()[0]
    return stages, {"rows": rows, "distinct_texts": distinct}


def history_in_child(
    db_path: Path, files: list[Path], embedder: str | None
) -> tuple[list[dict], dict]:
    """`load_older` in a process of its own, as earlier weekly runs would have built it.

    Setting up a million texts of history takes several GB at its peak (DuckDB's sorts
    and buffers), memory a process keeps once it has it. In a child it goes when the
    setup ends, so this process's peak RSS is what the weekly runs themselves take.
    """
    import subprocess

    spec = {"db": str(db_path), "files": [str(f) for f in files], "embedder": embedder}
    done = subprocess.run(
        [sys.executable, __file__, "--history-setup", json.dumps(spec)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    lines = done.stdout.rstrip().splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    figures = json.loads(lines[-1])
    return figures["stages"], figures["counts"]


def history_setup(spec: str) -> int:
    """The child side of `history_in_child`: load the history, print its figures as JSON."""
    from pulse.config import Settings
    from pulse.db import connect

    job = json.loads(spec)
    db_path = Path(job["db"])
    settings = Settings(db_path=db_path, timezone="UTC", random_seed=42, snapshot=False)
    with connect(db_path) as con:
        stages, counts = load_older(con, settings, [Path(f) for f in job["files"]], job["embedder"])
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    log(f"  history setup process: peak RSS {peak:,} MiB")
    print(json.dumps({"stages": stages, "counts": {**counts, "peak_rss_mib": peak}}))
    return 0


def corpus_counts(history_files: list[Path], new_files: list[Path]) -> dict:
    """Texts and distinct texts (exact string match before redaction: an estimate of
    what the cache's text_hash sees) of the cold window and of the new week.

    The cache embeds each distinct text once and the naive baseline embeds every
    text, so the distinct share says how much of the speed-up is deduplication.
    """

    def texts_of(files: list[Path]) -> list[str]:
        out: list[str] = []
        for path in files:
            if path.suffix == ".csv":
                with path.open(encoding="utf-8", newline="") as handle:
                    # as sources.toml maps demo tickets: text = subject + ". " + body
                    out += [f"{r['subject']}. {r['body']}" for r in csv.DictReader(handle)]
            else:
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        out.append(json.loads(line)["text"])
        return out

    cold, new = texts_of(history_files), texts_of(new_files)
    cold_set = set(cold)
    return {
        "cold_texts": len(cold),
        "cold_distinct": len(cold_set),
        "cold_distinct_share": round(len(cold_set) / len(cold), 3) if cold else None,
        "new_texts": len(new),
        "new_distinct": len(set(new)),
        "new_not_in_cold": len(set(new) - cold_set),
    }


def run_week(
    settings, week, files: list[Path], output_dir: Path, probe=None
) -> tuple[list[dict], dict]:
    """One weekly run, stage by stage, as flows/weekly_report.py runs it: each stage on a
    connection of its own, so one stage's DuckDB buffers are gone before the next starts
    (one connection held over a million-text run ran out of DuckDB's memory limit).

    `probe(con)`, when given, is called right before and right after the embed stage
    (outside the stage's timing): the raw model's rate bracketing the stage it limits.
    """
    from pulse.db import connect
    from pulse.embed import embed_missing
    from pulse.ingest import ingest_paths
    from pulse.run import RunContext, finish_run, new_run_id, start_run
    from pulse.stages import (
        choose_embedder,
        cluster_topics,
        compute_metrics,
        embed_sentiment_vectors,
        render_week,
        score_sentiment,
    )

    db_path = settings.db_path
    stages: list[dict] = []
    ctx = RunContext(run_id=new_run_id(week), week=week, settings=settings)
    with connect(db_path) as con:
        start_run(con, ctx, {"week": str(week), "bench": True})
        before = con.execute("select count(*) from feedback").fetchone()[0]

    def on_own_connection(stage):
        def run(*args, **kwargs):
            with connect(db_path) as con:
                return stage(con, *args, **kwargs)

        return run

    def ingest(con) -> int:
        for path in files:
            source = "demo_tickets" if path.suffix == ".csv" else "demo_social"
            ingest_paths(con, [path], source=source, brand_handles=settings.brand_handles)
        return con.execute("select count(*) from feedback").fetchone()[0] - before

    new_rows = measure(stages, "ingest", lambda n: n, on_own_connection(ingest))
    with connect(db_path) as con:
        # As the flow does at the end of its ingest stage: the window's embedder from its
        # languages (MiniLM for an English corpus, USE once languages mix).
        embedder = choose_embedder(con, ctx)
        if probe:
            probe(con)

    def embed(con) -> int:
        # The window's vectors, then the ones the sentiment models read where they differ
        # (MiniLM for English texts of a USE window, USE for other languages), as
        # pulse.stages.embed_texts does.
        return embed_missing(con) + embed_sentiment_vectors(con, embedder)

    measure(stages, "embed", lambda n: n, on_own_connection(embed))
    with connect(db_path) as con:
        if probe:
            probe(con)
        start, end = ctx.bounds(ctx.window[0], ctx.week)
        window = con.execute(
            "select count(*) from feedback where created_at >= $s and created_at < $e",
            {"s": start, "e": end},
        ).fetchone()[0]
    measure(stages, "sentiment", lambda n: n, on_own_connection(score_sentiment))
    counts = measure(stages, "topics", window, on_own_connection(cluster_topics), ctx, rebuild=True)
    measure(stages, "metrics", window, on_own_connection(compute_metrics), ctx)
    paths = measure(stages, "report", window, on_own_connection(render_week), ctx, output_dir)
    with connect(db_path) as con:
        finish_run(con, ctx, "ok", Path(paths["pdf"]).parent)
    return stages, {"new_rows": new_rows, "window_texts": window, "embedder": embedder, **counts}


def raw_probe(model_name: str, rounds: list[float]):
    """A probe for `run_week`: the raw rate on RAW_SAMPLE of the texts the stage embeds."""
    bench_embed = load_bench_embed()

    def probe(con) -> None:
        from pulse.embed import EMBED_CHAR_CAP

        texts = [
            r[0]
            for r in con.execute(
                "select left(text, $cap) from feedback order by hash(feedback_id) limit $n",
                {"cap": EMBED_CHAR_CAP, "n": RAW_SAMPLE},
            ).fetchall()
        ]
        rate = bench_embed.raw_rate(model_name, texts)
        rounds.append(rate)
        log(f"  (raw forward pass: {rate:.1f} texts/s on {len(texts):,} texts)")

    return probe


def load_bench_embed():
    path = Path(__file__).with_name("embed.py")
    spec = importlib.util.spec_from_file_location("bench_embed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_UMAP_PROBE = """
import sys, time, numpy as np
started = time.perf_counter()
import pulse  # sets NUMBA_CACHE_DIR unless the caller did
from pulse.topics.model import reducer
imported = time.perf_counter()
# 6,000 rows: past umap-learn's 4,096-row limit, where it searches neighbours with
# pynndescent (whose functions numba cannot cache) unless Pulse gives it exact ones.
vectors = np.random.default_rng(42).normal(size=(6000, 384)).astype("float32")
times = []
for _ in range(2):
    began = time.perf_counter()
    model = reducer(42)
    model.set_params(exact_neighbours=sys.argv[1] == "exact")
    model.fit_transform(vectors)
    times.append(time.perf_counter() - began)
print(round(imported - started, 1), round(times[0], 1), round(times[1], 1))
"""


def cold_start(cache_dir: Path) -> dict:
    """Import and two UMAP fits (6,000 x 384, Pulse's reducer) in fresh processes.

    The first process fills an empty numba cache (what every process paid before the
    cache); the next ones find it full (what a scheduled run pays from the second week
    on), with Pulse's exact neighbours and with umap-learn's pynndescent, whose functions
    compile in every process. The first fit less the second is that process's JIT.
    """
    import shutil
    import subprocess

    shutil.rmtree(cache_dir, ignore_errors=True)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    figures = {}
    for label, neighbours in (
        ("empty_cache", "exact"),
        ("warm_cache", "exact"),
        ("warm_cache_pynndescent", "nndescent"),
    ):
        output = subprocess.run(
            [sys.executable, "-c", _UMAP_PROBE, neighbours],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        imported, first, second = (float(x) for x in output[-3:])
        figures[label] = {
            "import_s": imported,
            "first_fit_s": first,
            "second_fit_s": second,
            "jit_s": round(first - second, 1),
        }
        log(
            f"  {label:<24} import {imported} s, first fit {first} s, second {second} s: "
            f"JIT about {first - second:.1f} s"
        )
    files = list(cache_dir.rglob("*.nbi"))
    figures["cached_functions"] = len(files)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=10_000, help="texts in the cold window")
    parser.add_argument("--weeks", type=int, default=12, help="weeks in the cold window")
    parser.add_argument("--no-baseline", action="store_true", help="skip naive BERTopic")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--multilingual",
        action="store_true",
        help="the demo's texts as it ships them, one in ten in French, German, Spanish or "
        "Portuguese (the window then runs on USE, with MiniLM for English sentiment); by "
        "default every text is English, the corpus the earlier figures were measured on",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="first load about N older texts (before the window), embedded and scored for "
        "real, untimed: the steady state of an installation with N texts of history",
    )
    parser.add_argument(
        "--history-embedder",
        metavar="NAME",
        help="embed the --history texts with this embedder (e.g. minilm-m2v, about 30x "
        "faster) and file its vectors under the serving model's name: a quick setup for "
        "measuring the weekly runs on top of a large history, whose vectors they never read",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="only write and split the corpus, count its texts and distinct texts, and stop",
    )
    parser.add_argument(
        "--cold-start",
        action="store_true",
        help="only measure numba's cache: first UMAP fit in a fresh process, empty vs warm",
    )
    args = parser.parse_args(argv)
    if args.cold_start:
        log("cold start: first UMAP fit per process, numba cache empty then warm")
        figures = cold_start(Path(tempfile.mkdtemp(prefix="pulse-numba-")) / "numba")
        print(json.dumps({**figures, "load_end": load()}))
        return 0
    if args.weeks < 4:
        parser.error("--weeks must be at least 4 (the demo needs a baseline)")

    from pulse.config import Settings
    from pulse.db import connect
    from pulse.demo import generate_demo
    from pulse.embed import active_model_name
    from pulse.weeks import IsoWeek

    numba_dir = Path(os.environ["NUMBA_CACHE_DIR"])
    result: dict = {
        "texts": args.texts,
        "weeks": args.weeks,
        "embedding_model": active_model_name(),
        "multilingual": args.multilingual,
        "numba_cache_warm": numba_dir.exists() and any(numba_dir.rglob("*.nbi")),
        "load_start": load(),
    }
    anchor = IsoWeek.parse(ANCHOR)
    cold_week = anchor.shift(-1)
    root = args.keep or Path(tempfile.mkdtemp(prefix="pulse-bench-pipeline-"))
    root.mkdir(parents=True, exist_ok=True)
    scale = args.texts / (args.weeks * TEXTS_PER_WEEK_AT_SCALE_1)
    started = time.perf_counter()
    generate_demo(
        root / "demo",
        anchor=anchor,
        weeks=args.weeks + 1,
        scale=scale,
        other_languages=args.multilingual,
    )
    cutoff = anchor.monday.isoformat() + "T00:00:00Z"
    history_files, new_files = split_demo(root / "demo", cutoff, root / "split")
    log(
        f"demo corpus at scale {scale:.2f} written and split in "
        f"{time.perf_counter() - started:.0f} s ({root})"
    )
    older_files: list[Path] = []
    if args.history:
        older_files = older_history(
            root, anchor.shift(-(args.weeks + 1)), args.history, args.multilingual
        )
        log(f"older history of about {args.history:,} texts written ({root / 'older'})")
    corpus = corpus_counts(history_files, new_files)
    result["corpus"] = corpus
    log(
        f"corpus: cold window {corpus['cold_texts']:,} texts, "
        f"{corpus['cold_distinct']:,} distinct ({corpus['cold_distinct_share']:.0%}); "
        f"new week {corpus['new_texts']:,} texts, {corpus['new_not_in_cold']:,} not seen before"
    )
    if args.generate_only:
        result.update(generate_s=round(time.perf_counter() - started, 1), load_end=load())
        if not args.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
        print(json.dumps(result, default=str))
        return 0

    settings = Settings(
        db_path=root / "bench.duckdb",
        output_dir=root / "outputs",
        timezone="UTC",
        history_weeks=args.weeks,
        random_seed=42,
        snapshot=False,
    )
    if older_files:
        log("older history: ingest, embed and score (untimed setup, not in total_s)")
        result["history_load"], result["history_counts"] = history_in_child(
            settings.db_path, older_files, args.history_embedder
        )
        result["history_embedder"] = args.history_embedder or result["embedding_model"]
    log(f"cold run: week {cold_week}, {args.weeks}-week window")
    raw_rounds: list[float] = []
    probe = raw_probe(result["embedding_model"], raw_rounds)
    cold, cold_counts = run_week(settings, cold_week, history_files, settings.output_dir, probe)
    with connect(settings.db_path) as con:
        distinct = con.execute("select count(distinct text_hash) from feedback").fetchone()[0]
    log(f"incremental run: week {anchor}")
    incremental, inc_counts = run_week(settings, anchor, new_files, settings.output_dir)
    with connect(settings.db_path) as con:
        window_rows = con.execute(
            "select text from feedback where created_at < $cutoff order by feedback_id",
            {"cutoff": anchor.bounds_utc("UTC")[0]},
        ).fetchall()
    window_texts = [r[0] for r in window_rows]

    # The limit: the model's bare forward passes on a sample of the same texts, measured
    # right before and right after the cold embed stage; the machine's speed drifts by
    # ±15% over minutes, so a rate taken at another moment says little about this stage.
    raw = sum(raw_rounds) / len(raw_rounds)
    log(
        f"raw forward pass ({result['embedding_model']}, {RAW_SAMPLE} texts, before and after "
        f"the cold embed stage): {raw:.1f} texts/s (rounds "
        f"{', '.join(f'{r:.1f}' for r in raw_rounds)})"
    )

    baseline: list[dict] = []
    if not args.no_baseline:
        from bertopic import BERTopic

        from pulse.embed import load_embedding_model

        log("baseline: BERTopic defaults, local MiniLM, raw window texts, no cache")
        model = BERTopic(embedding_model=load_embedding_model())
        measure(baseline, "bertopic", len(window_texts), model.fit_transform, window_texts)

    embed_row = next(s for s in cold if s["stage"] == "embed")
    result.update(
        distinct_texts_cold=distinct,
        cold=cold,
        cold_counts=cold_counts,
        incremental=incremental,
        incremental_counts=inc_counts,
        baseline=baseline,
        total_s=round(sum(s["seconds"] for s in cold), 1),
        incremental_s=round(sum(s["seconds"] for s in incremental), 1),
        baseline_total_s=round(sum(s["seconds"] for s in baseline), 1) if baseline else None,
        embed_texts_per_s=embed_row["texts_per_s"],
        raw_model_texts_per_s=round(raw, 1),
        raw_model_rounds=[round(r, 1) for r in raw_rounds],
        embed_share_of_limit=round(embed_row["texts_per_s"] / raw, 3) if raw else None,
        # Pulse's runs, worker processes included (the stages' sampled peaks); the
        # baseline's apart, and the main process's own high-water mark for reference.
        peak_rss_mib=max(s["peak_rss_mib"] for s in cold + incremental),
        baseline_peak_rss_mib=max((s["peak_rss_mib"] for s in baseline), default=None),
        main_process_max_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        load_end=load(),
    )
    if result["baseline_total_s"]:
        result["speedup_vs_baseline"] = round(result["baseline_total_s"] / result["total_s"], 2)
    log(
        f"cold {result['total_s']} s, incremental {result['incremental_s']} s, "
        f"baseline {result['baseline_total_s']} s; embedding at "
        f"{result['embed_share_of_limit']:.0%} of the raw model"
    )
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--history-setup":
        sys.exit(history_setup(sys.argv[2]))
    sys.exit(main())
