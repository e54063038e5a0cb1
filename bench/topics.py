"""Benchmark: Pulse's topics (quality, stability, cost, real weeks) against BERTopic's defaults.

Quality: banking77 (test split, 3,080 texts, 77 intents), Bitext customer service
(8,175 texts, 27 intents) and IBM Twitter customer care (1,177 customer tweets of dev and
test, the company as the label: topic sanity across 25 brands). NMI, ARI and unassigned
share of Pulse's final assignment (fit, leaf split, merge at the window's grain or of
isolated groups, outlier reduction) against the labels, beside BERTopic with its default
settings on the same MiniLM vectors; and, for Pulse's final topics, how many labels repeat
another (exactly, or reading the same) and how many name a brand, a handle or a mask;
and, at both levels, how many labels share a word with the truth label most of their
texts carry (banking77's intents; Bitext's intents for sub-themes, its categories for
issues), a proxy for a label that says what the texts are about.
BERTopic's default UMAP has no seed, so its figures move a little between runs (banking77
NMI 0.789-0.795 on the int8 vectors). SemEval-2017 is a sentiment set: it is measured in
`bench/sentiment.py`, not here.

Stability: Pulse's full weekly path (`cluster_window` + registry + taxonomy) run over
weeks 1..N, then 1..N+1, on the demo data (12 weeks) and on the 9 real weeks of
@SpotifyCares inbound tweets; the share of the documents of weeks 1..N that keep their
topic id. A CX rename in the taxonomy file is checked after each of 10 consecutive
demo runs.

Real sets (bench/realsets.py, shared with bench/signals.py): SpotifyCares, Threads reviews,
the March 2020 corona tweets, the Alexa reviews and the CrowdFlower Apple tweets, one
Monday run per ISO week with the registry carried
over; per week the ranking's repeated labels, brand/mask labels, label stability, flags,
unassigned and negative shares, and the top 8 labels an executive reads.

Cost: embeddings per second, the second embed run against the first (the cache), and
clustering time at 10k, 50k and 100k texts (banking77 + Bitext + SpotifyCares texts;
past the distinct pool, copies with perturbed vectors).

Embeddings are cached in /tmp/pulse-bench-cache, the real sets in /tmp/pulse-bench-realsets
(never in the repository).
Usage:  python bench/topics.py [--data-dir ../shared/data] [--sizes 10000,50000,100000]
        python bench/topics.py --only realsets --sets threads,corona [--recluster]
        python bench/topics.py --only quality --quality-sets ibm
The last line printed is one JSON object (banking77 figures at the top level).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import realsets  # noqa: E402  (the repository root on the path first)

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_CACHE_DIR = Path("/tmp/pulse-bench-cache")
SEED = 42
# A fixed grain for comparison: what a registry whose stored grain were 0.75 would give
# (pulse/topics/merge.py reads a grain off the data, or merges isolated groups without one).
FINE_MERGE_THRESHOLD = 0.75


def log(message: str) -> None:
    print(message, flush=True)


# --- data -------------------------------------------------------------------------------


def read_banking77(data_dir: Path) -> tuple[list[str], list[str]]:
    with (data_dir / "banking77" / "test.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def read_bitext(data_dir: Path, release: str = "customer_service_8k") -> tuple[list, list]:
    folder = data_dir / "bitext_customer_support" / release
    path = next(folder.glob("*.csv"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["utterance"] for r in rows], [r["intent"] for r in rows]


def read_bitext_categories(data_dir: Path, release: str = "customer_service_8k") -> list[str]:
    """Bitext's 11 categories (ORDER, REFUND, ACCOUNT ...): problem areas over its intents."""
    folder = data_dir / "bitext_customer_support" / release
    path = next(folder.glob("*.csv"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [r["category"] for r in csv.DictReader(handle)]


def read_ibm(data_dir: Path) -> tuple[list[str], list[str]]:
    """Every customer tweet of the IBM conversations (dev and test), labelled by company."""
    texts, companies = [], []
    for split in ("dev", "test"):
        path = data_dir / "ibm_twitter_customer_care" / f"{split}.json"
        for conversation in json.loads(path.read_text(encoding="utf-8")):
            company = conversation["dialogHeader"]["company"]
            for turn in conversation["dialogContent"]:
                if "client" in turn and turn.get("message", "").strip():
                    texts.append(turn["message"])
                    companies.append(company)
    return texts, companies


# The 25 support handles of the IBM set and the brand names inside them: words a topic
# about, say, a locked account should not be named after.
IBM_HANDLES = (
    "AdobeCare AmazonHelp AppleSupport AskPlayStation Ask_Spectrum Ask_WellsFargo AskeBay "
    "ChaseSupport Delta DropboxSupport GoDaddyHelp Google HPSupport MicrosoftHelps "
    "MojangSupport RockstarSupport SouthwestAir SpotifyCares TMobileHelp TeamYouTube "
    "Uber_Support XboxSupport YahooCare hulu_support zoom_us"
).split()
IBM_BRANDS = tuple(
    {h.lower() for h in IBM_HANDLES}
    | {
        "adobe",
        "amazon",
        "apple",
        "playstation",
        "spectrum",
        "wellsfargo",
        "ebay",
        "chase",
        "dropbox",
        "godaddy",
        "microsoft",
        "mojang",
        "rockstar",
        "southwest",
        "spotify",
        "tmobile",
        "youtube",
        "uber",
        "xbox",
        "yahoo",
        "hulu",
        "zoom",
        "gmail",
    }
)


def read_banking77_train(data_dir: Path) -> list[str]:
    with (data_dir / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        return [r["text"] for r in csv.DictReader(handle)]


def embed_cached(texts: list[str], cache_dir: Path, name: str) -> np.ndarray:
    """MiniLM vectors for texts, computed once and kept in the bench cache."""
    from pulse.embed import active_model_name, encode

    # Keyed by the model that serves (PULSE_EMBEDDING_MODEL), not the default's name.
    model = active_model_name()
    digest = hashlib.sha256(("\n".join(texts) + model).encode("utf-8")).hexdigest()[:20]
    path = cache_dir / f"{name}-{digest}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = encode(texts)
    log(f"  embedded {len(texts):,} {name} texts in {time.perf_counter() - started:.0f} s")
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


# --- quality ----------------------------------------------------------------------------


def pulse_assignment(
    texts: list[str], vectors: np.ndarray, merge_threshold: float | None = None
) -> list[int]:
    """Pulse's final assignment: fit, merge, outlier reduction (as `cluster_window` does)."""
    from pulse.topics.cluster import _fit

    # No threshold: read off this fit, as a new registry's first run does.
    return _fit(texts, vectors, SEED, 10, merge_threshold=merge_threshold)


def default_bertopic(texts: list[str], vectors: np.ndarray) -> list[int]:
    """BERTopic with every default, but the local model instead of a hub download."""
    from bertopic import BERTopic

    from pulse.embed import load_embedding_model

    topics, _ = BERTopic(embedding_model=load_embedding_model()).fit_transform(
        texts, embeddings=vectors
    )
    return list(topics)


def scores(truth: list[str], predicted: list[int]) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    # Unassigned texts form one "-1" cluster, as a reader of the report would see them.
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, predicted)), 4),
        "ari": round(float(adjusted_rand_score(truth, predicted)), 4),
        "unassigned_share": round(sum(1 for p in predicted if p < 0) / len(predicted), 4),
        "topics": len({p for p in predicted if p >= 0}),
    }


def final_labels(
    texts: list[str],
    vectors: np.ndarray,
    clusters: list[int],
    sub_themes: tuple[list[int], dict[int, str]] | None = None,
) -> dict[int, str]:
    """The labels Pulse would publish for these topics, named as `cluster_window` names them
    (keywords with a new user's brand handles as stop words, praise marked by sentiment);
    issues pass their sub-themes (each text's, and their labels)."""
    from pulse.config import Settings
    from pulse.sentiment import score_texts
    from pulse.topics.naming import name_clusters

    tones = [label for label, _ in score_texts(texts, vectors)]
    brands = Settings().brand_handles
    return name_clusters(texts, clusters, vectors, brands, tones, sub_themes=sub_themes)


def truth_words(name: str) -> set[str]:
    """A truth label's words, stemmed as labels are ("card_arrival" -> card, arrival)."""
    from pulse.topics.labels import _CONNECTORS
    from pulse.topics.vocabulary import stem

    words = re.sub(r"[^a-z]+", " ", name.lower()).split()
    return {stem(w) for w in words if w not in _CONNECTORS and w != "praise"}


def names_truth(labels: dict[int, str], clusters: list[int], truth: list[str]) -> float:
    """The share of topics whose label shares a word with the truth label most of their
    texts carry: a label that says what the texts are about, not "Issue" or "Tried".
    Synonyms miss ("Agent" for CONTACT), so it compares versions, it is not a grade."""
    if not labels:
        return 0.0
    majority: dict[int, Counter] = {}
    for cluster, name in zip(clusters, truth, strict=True):
        if cluster in labels:
            majority.setdefault(cluster, Counter())[name] += 1
    hits = sum(
        bool(truth_words(label) & truth_words(majority[c].most_common(1)[0][0]))
        for c, label in labels.items()
    )
    return round(hits / len(labels), 3)


def label_figures(labels: list[str], brand_words: tuple[str, ...]) -> dict:
    """Repeated labels (exact, reading the same) and labels naming a brand or mask."""
    branded = [label for label in labels if realsets.brand_or_mask_words(label, brand_words)]
    repeated = realsets.repeated_labels(labels, reads_same=True)
    return {
        "labels": len(labels),
        "duplicate_labels": len(realsets.repeated_labels(labels)),
        "duplicate_labels_reads_same": len(repeated),
        "repeated": sorted(set(repeated)),
        "brand_or_mask_labels": len(branded),
        "branded": branded,
    }


def quality(
    name: str,
    texts: list[str],
    truth: list[str],
    cache_dir: Path,
    brand_words: tuple[str, ...] = (),
    coarse_truth: list[str] | None = None,
    truth_is_subject: bool = True,
) -> dict:
    """Pulse's sub-themes against the labels (and its issues against `coarse_truth`, the
    set's problem areas, where it has them), beside BERTopic's defaults."""
    from pulse.topics.issues import issues_of

    vectors = embed_cached(texts, cache_dir, name)
    started = time.perf_counter()
    assignment = pulse_assignment(texts, vectors)
    pulse = scores(truth, assignment)
    pulse["seconds"] = round(time.perf_counter() - started, 1)
    themes = final_labels(texts, vectors, assignment)
    pulse.update(label_figures([themes[c] for c in sorted(themes)], brand_words))
    issues = issues_of(assignment, vectors)
    pulse["issues"] = scores(coarse_truth or truth, issues)
    log(
        f"  issues: {pulse['issues']['topics']} grouping {pulse['topics']} sub-themes; "
        f"NMI {pulse['issues']['nmi']:.3f} against the "
        f"{'problem areas' if coarse_truth else 'labels'}"
    )
    if truth_is_subject:  # not IBM's, whose labels are the companies a label must not name
        pulse["labels_name_truth"] = names_truth(themes, assignment, truth)
        issue_labels = final_labels(texts, vectors, issues, (assignment, themes))
        named = names_truth(issue_labels, issues, coarse_truth or truth)
        pulse["issues"]["labels_name_truth"] = named
        log(
            f"  labels sharing a word with the truth most of their texts carry: "
            f"sub-themes {pulse['labels_name_truth']:.1%}, issues {named:.1%}"
        )
    started = time.perf_counter()
    fine = scores(truth, pulse_assignment(texts, vectors, FINE_MERGE_THRESHOLD))
    fine["seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    baseline = scores(truth, default_bertopic(texts, vectors))
    baseline["seconds"] = round(time.perf_counter() - started, 1)
    log(f"\n{name}: {len(texts):,} texts, {len(set(truth))} labels")
    log(f"  {'':<26} {'NMI':>6} {'ARI':>6} {'unassigned':>11} {'topics':>7} {'seconds':>8}")
    rows = (
        ("Pulse (default)", pulse),
        (f"Pulse (merge {FINE_MERGE_THRESHOLD})", fine),
        ("BERTopic default", baseline),
    )
    for label, result in rows:
        log(
            f"  {label:<26} {result['nmi']:>6.3f} {result['ari']:>6.3f} "
            f"{result['unassigned_share']:>10.1%} {result['topics']:>7} {result['seconds']:>8.1f}"
        )
    log(
        f"  Pulse's {pulse['labels']} labels: {pulse['duplicate_labels']} repeat another, "
        f"{pulse['duplicate_labels_reads_same']} read the same as another "
        f"{pulse['repeated'][:6]}; {pulse['brand_or_mask_labels']} name a brand or mask "
        f"{pulse['branded'][:6]}"
    )
    return {"pulse": pulse, "pulse_fine": fine, "baseline": baseline}


# --- stability --------------------------------------------------------------------------


def weekly_runs(
    db_path: Path,
    weeks: list,
    first_run: int,
    taxonomy: Path,
    timezone: str,
    on_run=None,
    brand_handles: list[str] | None = None,
) -> list[dict[str, int | None]]:
    """Run Pulse's topic stage for windows weeks[0..N], N = first_run .. end; doc -> topic."""
    import duckdb

    from pulse.topics.taxonomy_apply import apply_taxonomy
    from pulse.topics.window import cluster_window

    con = duckdb.connect(str(db_path))
    start, _ = weeks[0].bounds_utc(timezone)
    assignments = []
    for n in range(first_run, len(weeks)):
        _, end = weeks[n].bounds_utc(timezone)
        run_id = f"bench-{weeks[n]}"
        con.execute("begin transaction")
        cluster_window(
            con,
            weeks[n],
            run_id,
            start,
            end,
            seed=SEED,
            taxonomy_path=taxonomy,
            brand_handles=brand_handles,
        )
        apply_taxonomy(con, taxonomy)
        con.execute("commit")
        assignment = dict(
            con.execute(
                "select feedback_id, topic_id from doc_topics where run_id = $r", {"r": run_id}
            ).fetchall()
        )
        assignments.append(assignment)
        if on_run:
            on_run(con, n, run_id, assignment)
    con.close()
    return assignments


def id_stability(assignments: list[dict]) -> list[float]:
    """Per consecutive pair: share of the earlier run's documents that keep their topic id."""
    shares = []
    for before, after in zip(assignments, assignments[1:], strict=False):
        kept = sum(1 for doc, topic in before.items() if after.get(doc) == topic)
        shares.append(kept / max(len(before), 1))
    return shares


def prepare_db(db_path: Path, load) -> None:
    """A DuckDB with the texts loaded and embedded, kept in the cache between bench runs."""
    from pulse.db import connect
    from pulse.embed import embed_missing

    if db_path.exists():
        # Cached texts; embed only what the active embedder has not seen (a second model).
        with connect(db_path) as con:
            count = embed_missing(con)
        if count:
            log(f"  embedded {count:,} texts for the active embedder")
        return
    partial = db_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with connect(partial) as con:
        load(con)
        started = time.perf_counter()
        count = embed_missing(con)
        log(f"  embedded {count:,} texts in {time.perf_counter() - started:.0f} s")
    partial.rename(db_path)


def fresh_copy(db_path: Path, work: Path) -> Path:
    """The cached DB with no topics yet, so every bench run starts from an empty registry.

    Opened with Pulse's `connect`, which creates any topic table a cache made by older
    code lacks (queries/schema/schema_topics.sql), so emptying them is enough.
    """
    from pulse.db import connect

    target = work / db_path.name
    shutil.copy(db_path, target)
    with connect(target) as con:
        for table in ("doc_topics", "topics", "topic_seeds", "topic_doc_memory", "topic_meta"):
            con.execute(f"delete from {table}")
    return target


def stability_demo(cache_dir: Path, work: Path, runs: int = 11) -> dict:
    from pulse.demo import generate_demo, ingest_demo
    from pulse.weeks import IsoWeek, week_range

    anchor = IsoWeek.parse("2026-W46")
    demo_dir = cache_dir / "demo-2026-W46"
    if not (demo_dir / "truth.json").exists():
        generate_demo(demo_dir, anchor=anchor, scale=1.0)
    truth = json.loads((demo_dir / "truth.json").read_text(encoding="utf-8"))
    db_path = cache_dir / "demo-2026-W46.duckdb"
    prepare_db(db_path, lambda con: ingest_demo(con, demo_dir, now=datetime(2030, 1, 1)))
    weeks = week_range(IsoWeek.parse(truth["weeks"][0]), anchor)
    taxonomy = work / "taxonomy.yaml"
    shutil.copy(REPO_ROOT / "topics" / "taxonomy.yaml", taxonomy)
    label_checks: list[bool] = []
    renamed: dict = {}

    def rename_after_first(con, n, run_id, assignment):
        """After the first run, CX ops rename the biggest topic; every later run must keep it."""
        from pulse.cli.topics import edit_taxonomy

        counts: dict = {}
        for topic in assignment.values():
            if topic is not None:
                counts[topic] = counts.get(topic, 0) + 1
        if not renamed:
            topic_id = max(sorted(counts), key=counts.get)
            theme = majority_theme(assignment, topic_id, truth["doc_theme"])
            edit_taxonomy(taxonomy, "rename", topic_id, label="CX: our billing issue")
            from pulse.topics.taxonomy_apply import apply_taxonomy

            apply_taxonomy(con, taxonomy)
            renamed.update(topic_id=topic_id, theme=theme)
            return
        label = con.execute(
            "select label from topics where topic_id = $t", {"t": renamed["topic_id"]}
        ).fetchone()[0]
        same_theme = majority_theme(assignment, renamed["topic_id"], truth["doc_theme"])
        label_checks.append(label == "CX: our billing issue" and same_theme == renamed["theme"])

    # 11 runs by default: the first sets the rename, the next 10 must keep it.
    first = len(weeks) - runs
    assignments = weekly_runs(
        fresh_copy(db_path, work), weeks, first, taxonomy, "Europe/London", rename_after_first
    )
    shares = id_stability(assignments)
    return {
        "runs": len(assignments),
        "pair_shares": [round(s, 4) for s in shares],
        "id_stability": round(float(np.mean(shares)), 4),
        "id_stability_min": round(float(np.min(shares)), 4),
        "topics_last": len({t for t in assignments[-1].values() if t is not None}),
        "label_survives_runs": sum(label_checks),
        "label_runs_checked": len(label_checks),
    }


def majority_theme(assignment: dict, topic_id: int, doc_theme: dict) -> str | None:
    themes = [
        doc_theme.get(doc.split(":", 1)[1])
        for doc, topic in assignment.items()
        if topic == topic_id
    ]
    themes = [t for t in themes if t]
    return max(sorted(set(themes)), key=themes.count) if themes else None


def stability_twcs(data_dir: Path, cache_dir: Path, work: Path, runs: int) -> dict:
    from pulse.ingest import ingest_paths
    from pulse.weeks import IsoWeek, week_range

    path = data_dir / "twcs_customer_support_twitter" / "spotifycares_inbound_requests.csv"
    db_path = cache_dir / "spotifycares.duckdb"
    prepare_db(
        db_path,
        lambda con: ingest_paths(con, [path], source="twcs", now=datetime(2030, 1, 1)),
    )
    # The 9 real weeks; a few stray older tweets fall outside the window.
    weeks = week_range(IsoWeek.parse("2017-W40"), IsoWeek.parse("2017-W48"))
    taxonomy = work / "empty-taxonomy.yaml"
    taxonomy.write_text("topics: []\n", encoding="utf-8")
    labels: list[str] = []

    def top_labels(con, n, run_id, assignment):
        """The labels CX ops would read first: the brand's handle must not be one of them."""
        labels[:] = [
            row[0]
            for row in con.execute(
                """
                select t.label from doc_topics as d join topics as t using (topic_id)
                where d.run_id = $r group by t.label order by count(*) desc, t.label limit 8
                """,
                {"r": run_id},
            ).fetchall()
        ]

    assignments = weekly_runs(
        fresh_copy(db_path, work),
        weeks,
        len(weeks) - runs,
        taxonomy,
        "UTC",
        top_labels,
        brand_handles=["SpotifyCares"],
    )
    shares = id_stability(assignments)
    unassigned = [sum(1 for t in a.values() if t is None) / len(a) for a in assignments]
    return {
        "runs": len(assignments),
        "pair_shares": [round(s, 4) for s in shares],
        "id_stability": round(float(np.mean(shares)), 4),
        "id_stability_min": round(float(np.min(shares)), 4),
        "unassigned_share_last": round(unassigned[-1], 4),
        "texts_last": len(assignments[-1]),
        # One topic for everything would be perfectly stable and useless: show the count.
        "topics_last": len({t for t in assignments[-1].values() if t is not None}),
        "top_labels_last": labels,
    }


# --- real sets ----------------------------------------------------------------------------


def print_top_labels(results: dict[str, dict], count: int = 8) -> None:
    """What an executive reads first: the top labels of each week (E emerging, I improving,
    N new)."""
    for name, result in results.items():
        if "skipped" in result:
            continue
        log(f"\n{name}: top {count} labels per week")
        for r in result["weeks"]:
            labels = " | ".join(
                f"{t['label']}{' [' + t['marks'] + ']' if t['marks'] else ''}"
                for t in r["top"][:count]
            )
            log(f"  {r['week']}: {labels}")
        for r in result["weeks"]:
            sub = r.get("sub_themes_relabelled") or []
            if r["repeated"] or r["nested"] or r["branded"] or r["relabelled"] or sub:
                log(f"  {r['week']}: repeated {r['repeated']}")
                if r["nested"]:
                    log(f"    nested: {r['nested']}")
                log(f"    brand/mask: {[b['label'] for b in r['branded']]}")
                if r["other_brand_labels"]:
                    log(f"    another brand as the subject: {r['other_brand_labels']}")
                changes = [f"{c['before']} -> {c['after']}" for c in r["relabelled"]]
                log(f"    relabelled: {changes}")
                if sub:
                    sub_changes = [f"{c['before']} -> {c['after']}" for c in sub]
                    log(f"    sub-themes relabelled: {sub_changes}")


# --- cost -------------------------------------------------------------------------------


def embed_cost(texts: list[str], work: Path) -> dict:
    """First and second embed run on one DuckDB: the second finds everything cached."""
    import pyarrow as pa

    from pulse.db import connect
    from pulse.embed import embed_missing, load_embedding_model

    load_embedding_model()  # model load is not embedding time
    db_path = work / "embed-cost.duckdb"
    with connect(db_path) as con:
        table = pa.table(
            {
                "feedback_id": [f"bench:{i}" for i in range(len(texts))],
                "source": ["bench"] * len(texts),
                "external_id": [str(i) for i in range(len(texts))],
                "kind": ["social"] * len(texts),
                "channel": ["twitter"] * len(texts),
                "created_at": [datetime(2026, 1, 5)] * len(texts),
                "text": texts,
                "text_redacted": texts,
                "text_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
            }
        )
        con.register("bench_rows", table)
        con.execute("insert into feedback by name select * from bench_rows")
        con.unregister("bench_rows")
        started = time.perf_counter()
        first_count = embed_missing(con)
        first = time.perf_counter() - started
        started = time.perf_counter()
        second_count = embed_missing(con)
        second = time.perf_counter() - started
    return {
        "texts": first_count,
        "embeddings_per_second": round(first_count / first, 1),
        "first_run_seconds": round(first, 2),
        "second_run_seconds": round(second, 3),
        "second_run_embedded": second_count,
    }


def clustering_cost(pool_texts: list[str], pool: np.ndarray, sizes: list[int]) -> dict:
    """Wall time of Pulse's clustering (fit, merge, outliers, names) at each size."""
    from pulse.topics.cluster import _fit
    from pulse.topics.naming import name_clusters

    rng = np.random.default_rng(SEED)
    results = {}
    for size in sizes:
        if size <= len(pool_texts):
            pick = np.sort(rng.choice(len(pool_texts), size=size, replace=False))
            texts = [pool_texts[i] for i in pick]
            vectors = pool[pick]
        else:
            # Past the distinct pool: copies whose vectors are nudged, so they are new points.
            extra = rng.choice(len(pool_texts), size=size - len(pool_texts), replace=True)
            texts = pool_texts + [pool_texts[i] for i in extra]
            noise = rng.normal(0, 0.02, size=(len(extra), pool.shape[1])).astype(np.float32)
            copies = pool[extra] + noise
            copies /= np.linalg.norm(copies, axis=1, keepdims=True)
            vectors = np.vstack([pool, copies])
        started = time.perf_counter()
        clusters = _fit(texts, vectors, SEED, 10)
        name_clusters(texts, clusters, vectors)
        seconds = time.perf_counter() - started
        unassigned = sum(1 for c in clusters if c < 0) / len(clusters)
        results[str(size)] = {
            "seconds": round(seconds, 1),
            "topics": len({c for c in clusters if c >= 0}),
            "unassigned_share": round(unassigned, 4),
        }
        log(
            f"  {size:>7,} texts: {seconds:7.1f} s, {results[str(size)]['topics']} topics, "
            f"{unassigned:.1%} unassigned"
        )
    return results


# --- main -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pulse topics vs BERTopic defaults")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--twcs-runs", type=int, default=3, help="SpotifyCares weekly runs")
    parser.add_argument("--demo-runs", type=int, default=11, help="demo weekly runs (max 12)")
    parser.add_argument(
        "--skip",
        default="",
        help="comma list of: quality,stability,demo,twcs,realsets,multilingual,cost",
    )
    parser.add_argument(
        "--only",
        default="",
        help="run only these sections: quality,stability,realsets,cost,multilingual",
    )
    parser.add_argument("--quality-sets", default="banking77,bitext,ibm")
    parser.add_argument(
        "--recluster",
        action="store_true",
        help="re-cluster the real sets' cached weekly runs (done anyway when the code changed)",
    )
    realsets.add_arguments(parser)
    args = parser.parse_args(argv)
    set_names = realsets.chosen_sets(args.sets)
    if not args.data_dir.exists():
        reason = (
            f"{args.data_dir} not found; the labelled benchmark sets live in the shared folder "
            "beside the repository (pass --data-dir to point elsewhere)"
        )
        print(f"SKIPPED: {reason}")
        print(json.dumps({"skipped": reason}))
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    skip |= {"quality", "stability", "realsets", "cost", "multilingual"} - only if only else set()
    quality_sets = {s.strip() for s in args.quality_sets.split(",") if s.strip()}
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    work = args.cache_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    summary: dict = {}
    b77_texts, b77_truth = read_banking77(args.data_dir)
    bitext_texts, bitext_truth = read_bitext(args.data_dir)

    if "quality" not in skip:
        log("== quality: Pulse vs BERTopic defaults, same MiniLM vectors")
        if "banking77" in quality_sets:
            summary["banking77"] = quality("banking77-test", b77_texts, b77_truth, args.cache_dir)
        if "bitext" in quality_sets:
            summary["bitext"] = quality(
                "bitext-8k",
                bitext_texts,
                bitext_truth,
                args.cache_dir,
                coarse_truth=read_bitext_categories(args.data_dir),
            )
        if "ibm" in quality_sets:
            ibm_texts, ibm_truth = read_ibm(args.data_dir)
            summary["ibm"] = quality(
                "ibm-customer-care",
                ibm_texts,
                ibm_truth,
                args.cache_dir,
                IBM_BRANDS,
                truth_is_subject=False,
            )

    if "stability" not in skip:
        log("\n== stability: runs over weeks 1..N then 1..N+1")
        if "demo" not in skip:
            started = time.perf_counter()
            summary["stability_demo"] = stability_demo(args.cache_dir, work, args.demo_runs)
            seconds = time.perf_counter() - started
            log(f"  demo: {json.dumps(summary['stability_demo'])} ({seconds:.0f} s)")
        if "twcs" not in skip:
            started = time.perf_counter()
            summary["stability_twcs"] = stability_twcs(
                args.data_dir, args.cache_dir, work, args.twcs_runs
            )
            seconds = time.perf_counter() - started
            log(f"  twcs: {json.dumps(summary['stability_twcs'])} ({seconds:.0f} s)")

    if "realsets" not in skip:
        log("\n== real sets: one Monday run per week, registry carried over")
        started = time.perf_counter()
        results = realsets.measure(
            set_names, args.data_dir, args.realsets_dir, args.recluster, args.rebuild_base
        )
        realsets.print_weeks(results)
        print_top_labels(results)
        summary["realsets"] = realsets.json_rows(results)
        log(f"  real sets: {time.perf_counter() - started:.0f} s")

    if "multilingual" not in skip:
        from bench import multilingual

        summary["multilingual"] = multilingual.measure(args.data_dir, args.cache_dir)

    if "cost" not in skip:
        log("\n== cost")
        sample = read_banking77_train(args.data_dir)[:2000]
        summary["embedding"] = embed_cost(sample, work)
        log(f"  embedding: {json.dumps(summary['embedding'])}")
        # The distinct pool: the sets already embedded above (no new embedding cost).
        twcs_texts, twcs_vectors = read_twcs(args.cache_dir)
        pool_texts = b77_texts + bitext_texts + twcs_texts
        pool = np.vstack(
            [
                embed_cached(b77_texts, args.cache_dir, "banking77-test"),
                embed_cached(bitext_texts, args.cache_dir, "bitext-8k"),
                twcs_vectors,
            ]
        )
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        log(f"  clustering (pool of {len(pool_texts):,} texts)")
        summary["clustering"] = clustering_cost(pool_texts, pool, sizes)

    shutil.rmtree(work, ignore_errors=True)
    final = {}
    if "banking77" in summary:
        pulse, baseline = summary["banking77"]["pulse"], summary["banking77"]["baseline"]
        final.update(
            nmi=pulse["nmi"],
            ari=pulse["ari"],
            unassigned_share=pulse["unassigned_share"],
            baseline_nmi=baseline["nmi"],
            baseline_ari=baseline["ari"],
            baseline_unassigned_share=baseline["unassigned_share"],
            fine_nmi=summary["banking77"]["pulse_fine"]["nmi"],
        )
    if "stability_demo" in summary:
        final["id_stability"] = summary["stability_demo"]["id_stability"]
    if "stability_twcs" in summary:
        final["id_stability_twcs"] = summary["stability_twcs"]["id_stability"]
    final.update(summary)
    print(json.dumps(final))
    return 0


def read_twcs(cache_dir: Path) -> tuple[list[str], np.ndarray]:
    """The SpotifyCares texts as Pulse cleaned them, with their cached vectors."""
    import duckdb

    from pulse.embed import DIMENSIONS, load_vectors

    db_path = cache_dir / "spotifycares.duckdb"
    if not db_path.exists():
        return [], np.zeros((0, DIMENSIONS), dtype=np.float32)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute("select text, text_hash from feedback order by feedback_id").fetchall()
        return [r[0] for r in rows], load_vectors(con, [r[1] for r in rows])
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
