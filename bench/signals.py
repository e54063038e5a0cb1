"""Benchmark: do the emerging/improving flags find what was planted, and stay quiet otherwise?

Two measurements, one run:

* Demo data (pulse.demo.generate_demo) at scale 1.0 and 0.3: the flow's stages are run once
  for the anchor week (ingest, embed, sentiment, topics); then the metrics stage is re-run for
  EACH of the twelve weeks on the same topic assignment (each week as its own run id, so the
  window shifts back with it). Topics are mapped to demo themes by the majority theme of their
  texts (truth.json's doc_theme). Counted per week: emerging and improving flags on themes with
  no planted change (false flags), and, in the anchor week, whether the surging theme is
  flagged emerging and ranks in the top three and whether the fading theme is flagged
  improving.
* The real SpotifyCares weeks (twcs export, 2017-W40..W48): clustered once for 2017-W48, then
  the number of emerging (and improving) flags printed per week.
* The real dated sets run as Mondays would run them (bench/realsets.py, shared with
  bench/topics.py): SpotifyCares, Threads reviews (launch week 2023-W27), the March 2020
  corona tweets (spike in 2020-W11), the Alexa reviews and the Apple tweets, one run per
  ISO week with the registry carried over.
  Per week: EMERGING / IMPROVING flags (each with its volume against its baseline), event
  week or quiet week, the weeks of baseline the test had, share negative; per set, flags
  per quiet week against flags per event week.

Clustered databases are cached in --work-dir (default /tmp/pulse-bench-signals), so a second
run only re-runs the SQL; delete the folder (or pass --fresh) to start over. The real sets
are cached in /tmp/pulse-bench-realsets and re-clustered when the code that clusters changed.

Usage:  python bench/signals.py [--work-dir DIR] [--fresh] [--scales 1.0 0.3]
        python bench/signals.py --only realsets --sets threads,corona [--recluster]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pulse  # noqa: E402,F401  (offline environment before the model libraries load)
from bench import realsets  # noqa: E402
from pulse import stages  # noqa: E402
from pulse.config import Settings  # noqa: E402
from pulse.db import connect  # noqa: E402
from pulse.embed import embed_missing  # noqa: E402
from pulse.run import RunContext  # noqa: E402
from pulse.weeks import IsoWeek  # noqa: E402

DEMO_ANCHOR = IsoWeek.parse("2026-W46")
SPOTIFY_CSV = (
    REPO_ROOT.parent
    / "shared"
    / "data"
    / "twcs_customer_support_twitter"
    / "spotifycares_inbound_requests.csv"
)
SPOTIFY_ANCHOR = IsoWeek.parse("2017-W48")
SPOTIFY_FIRST = IsoWeek.parse("2017-W40")
ANCHOR_RUN = "bench-anchor"


def _prepare(db_path: Path, anchor: IsoWeek, load, recluster: bool = False) -> None:
    """Ingest, embed, score and cluster once for the anchor week (skipped when cached).

    `recluster` keeps the loaded texts, embeddings and sentiment but fits the topics again
    from an empty registry: what to do after the topic stage's code changed.
    """
    if db_path.exists():
        with connect(db_path) as con:
            done = con.execute(
                "select count(*) from doc_topics where run_id = $r", {"r": ANCHOR_RUN}
            ).fetchone()[0]
            if done and recluster:
                con.execute("delete from doc_topics; delete from topics")
                ctx = RunContext(run_id=ANCHOR_RUN, week=anchor, settings=Settings())
                started = time.perf_counter()
                stages.cluster_topics(con, ctx, rebuild=True)
                print(f"  re-clustered {db_path.name} in {time.perf_counter() - started:.0f} s")
        if done:
            return
        db_path.unlink()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(run_id=ANCHOR_RUN, week=anchor, settings=Settings())
    with connect(db_path) as con:
        started = time.perf_counter()
        load(con)
        embed_missing(con)
        stages.embed_sentiment_vectors(con)
        stages.score_sentiment(con)
        stages.cluster_topics(con, ctx, rebuild=True)
        print(f"  prepared {db_path.name} in {time.perf_counter() - started:.0f} s", flush=True)


def _rank_week(con, week: IsoWeek, anchor_run: str = ANCHOR_RUN) -> list[dict]:
    """Re-run the metrics stage for one week on the anchor run's topic assignment."""
    run_id = f"{anchor_run}-{week}"
    con.execute("delete from doc_topics where run_id = $r", {"r": run_id})
    con.execute(
        """
        insert into doc_topics
        select $r, feedback_id, topic_id, probability from doc_topics where run_id = $anchor
        """,
        {"r": run_id, "anchor": anchor_run},
    )
    ctx = RunContext(run_id=run_id, week=week, settings=Settings())
    stages.compute_metrics(con, ctx)
    cursor = con.execute(
        "select * from ranked_issues where run_id = $r order by rank", {"r": run_id}
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _topic_themes(con, truth: dict) -> dict[int, str]:
    """Each topic's majority demo theme (merged topics count under their target), for the
    sub-themes texts are assigned to and for the issues the ranking ranks (their parents)."""
    rows = con.execute(
        """
        select coalesce(t.merged_into, t.topic_id), p.parent_id, f.external_id
        from doc_topics as d
        inner join feedback as f using (feedback_id)
        inner join topics as t on t.topic_id = d.topic_id
        left join run_topic_parents as p on p.run_id = d.run_id and p.topic_id = d.topic_id
        where d.run_id = $r
        """,
        {"r": ANCHOR_RUN},
    ).fetchall()
    votes: dict[int, Counter] = {}
    for topic_id, issue_id, external_id in rows:
        theme = truth["doc_theme"].get(external_id)
        if theme:
            for voter in {topic_id, issue_id} - {None}:
                votes.setdefault(voter, Counter())[theme] += 1
    return {t: c.most_common(1)[0][0] for t, c in votes.items()}


def measure_demo(work_dir: Path, scale: float, recluster: bool = False) -> dict:
    from pulse.demo import generate_demo, ingest_demo

    demo_dir = work_dir / f"demo-{scale}"
    truth = generate_demo(demo_dir, anchor=DEMO_ANCHOR, scale=scale)
    db_path = work_dir / f"demo-{scale}.duckdb"
    _prepare(db_path, DEMO_ANCHOR, lambda con: ingest_demo(con, demo_dir), recluster)
    surging, fading = truth["surging_theme"], truth["fading_theme"]
    weeks = [IsoWeek.parse(w) for w in truth["weeks"]]
    # the fade is planted over the anchor and the three weeks before it (pulse.demo)
    fade_weeks = set(weeks[-4:])
    # an action CX ops took that worked makes its theme fall from the action's week on
    worked = [
        (a["theme"], IsoWeek.of(date.fromisoformat(a["on"])))
        for a in truth.get("actions", [])
        if a.get("expected_verdict") == "worked"
    ]
    per_week = []
    with connect(db_path) as con:
        themes = _topic_themes(con, truth)
        for week in weeks:
            ranked = _rank_week(con, week)
            planted = {surging} if week == DEMO_ANCHOR else set()
            if week in fade_weeks:
                planted.add(fading)
            planted |= {theme for theme, since in worked if week >= since}
            false_emerging = [
                r for r in ranked if r["is_emerging"] and themes.get(r["topic_id"]) not in planted
            ]
            false_improving = [
                r
                for r in ranked
                if r["is_improving"] and themes.get(r["topic_id"]) not in planted
            ]
            row = {
                "week": str(week),
                "topics": len(ranked),
                "false_emerging": len(false_emerging),
                "false_improving": len(false_improving),
                "false_themes": sorted(
                    {themes.get(r["topic_id"], "?") for r in false_emerging + false_improving}
                ),
            }
            if week == DEMO_ANCHOR:
                surge = [r for r in ranked if themes.get(r["topic_id"]) == surging]
                fade = [r for r in ranked if themes.get(r["topic_id"]) == fading]
                row["surging_emerging"] = any(r["is_emerging"] for r in surge)
                row["surging_best_rank"] = min((r["rank"] for r in surge), default=None)
                row["surging_p"] = min((r["p_value_up"] for r in surge), default=None)
                row["fading_improving"] = any(r["is_improving"] for r in fade)
                row["fading_p"] = min((r["p_value_down"] for r in fade), default=None)
            per_week.append(row)
    anchor_row = per_week[-1]
    return {
        "scale": scale,
        "weeks": per_week,
        "surging_emerging": anchor_row["surging_emerging"],
        "surging_rank": anchor_row["surging_best_rank"],
        "fading_improving": anchor_row["fading_improving"],
        "max_false_per_week": max(r["false_emerging"] + r["false_improving"] for r in per_week),
        "false_flags_total": sum(r["false_emerging"] + r["false_improving"] for r in per_week),
    }


KMEANS_RUN = "bench-kmeans"
KMEANS_TOPIC_BASE = 900_000


def _kmeans_topics(con, anchor: IsoWeek, k: int = 20, seed: int = 42) -> str:
    """A stand-in topic assignment: k-means (k=20) on the embeddings of the anchor window.

    It isolates the significance test from the topic stage: the flags then reflect real
    week-to-week variation of real complaint groups, whatever the clustering makes of them.
    """
    import numpy as np
    from sklearn.cluster import KMeans

    from pulse.embed import load_vectors

    start, _ = anchor.shift(-(Settings().history_weeks - 1)).bounds_utc("UTC")
    _, end = anchor.bounds_utc("UTC")
    rows = con.execute(
        """
        select feedback_id, text_hash from feedback
        where created_at >= $start and created_at < $end order by feedback_id
        """,
        {"start": start, "end": end},
    ).fetchall()
    vectors = load_vectors(con, [r[1] for r in rows])
    labels = KMeans(k, random_state=seed, n_init=4).fit_predict(np.asarray(vectors))
    con.execute("delete from doc_topics where run_id = $r", {"r": KMEANS_RUN})
    con.execute("delete from topics where topic_id > $base", {"base": KMEANS_TOPIC_BASE})
    for cluster in range(k):
        con.execute(
            """
            insert into topics (topic_id, auto_label, label, first_seen_week, last_seen_week,
                                status)
            values ($t, $l, $l, $first, $last, 'active')
            """,
            {"t": KMEANS_TOPIC_BASE + 1 + cluster, "l": f"k-means {cluster + 1}",
             "first": str(SPOTIFY_FIRST), "last": str(anchor)},
        )
    import pyarrow as pa

    con.register("kmeans_rows", pa.table({
        "feedback_id": [r[0] for r in rows],
        "topic_id": [KMEANS_TOPIC_BASE + 1 + int(c) for c in labels],
    }))
    con.execute(
        "insert into doc_topics select $r, feedback_id, topic_id, 1.0 from kmeans_rows",
        {"r": KMEANS_RUN},
    )
    con.unregister("kmeans_rows")
    return KMEANS_RUN


def measure_spotify(work_dir: Path, recluster: bool = False) -> dict | None:
    if not SPOTIFY_CSV.exists():
        print(f"SKIPPED SpotifyCares: {SPOTIFY_CSV} not found (the shared data folder)")
        return None
    from pulse.ingest import ingest_paths

    db_path = work_dir / "spotifycares.duckdb"
    _prepare(
        db_path,
        SPOTIFY_ANCHOR,
        lambda con: ingest_paths(con, [SPOTIFY_CSV], source="twcs"),
        recluster,
    )
    result = {}
    with connect(db_path) as con:
        anchors = {"pulse_topics": ANCHOR_RUN, "kmeans_topics": _kmeans_topics(con, SPOTIFY_ANCHOR)}
        for name, anchor_run in anchors.items():
            per_week = []
            week = SPOTIFY_FIRST
            while week <= SPOTIFY_ANCHOR:
                ranked = _rank_week(con, week, anchor_run)
                per_week.append(
                    {
                        "week": str(week),
                        "ranked_texts": int(sum(r["volume"] for r in ranked)),
                        "topics": len(ranked),
                        "emerging": sum(1 for r in ranked if r["is_emerging"]),
                        "improving": sum(1 for r in ranked if r["is_improving"]),
                    }
                )
                week = week.shift(1)
            result[name] = per_week
    return result


def print_flags(results: dict[str, dict]) -> None:
    """Each EMERGING / IMPROVING flag with its volume against the topic's baseline."""
    for name, result in results.items():
        if "skipped" in result:
            continue
        print(f"\n{name}: flags per week (volume vs baseline mean, p-value)")
        for r in result["weeks"]:
            mark = "event" if r["is_event_week"] else "quiet"
            print(
                f"  {r['week']} ({mark}): {r['emerging']} emerging, {r['improving']} improving "
                f"of {r['ranked']} ranked; baseline weeks {r['baseline_weeks']}",
                flush=True,
            )
            for f in r["flagged"]:
                p = "-" if f["p"] is None else f"{f['p']:.1g}"
                print(
                    f"    {f['flag']:<9} #{f['rank']:<3} {f['label']} ({f['volume']} vs "
                    f"{f['baseline_volume']}, p={p})"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Emerging/improving flags: planted vs quiet")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/pulse-bench-signals"))
    parser.add_argument("--fresh", action="store_true", help="start from an empty work dir")
    parser.add_argument(
        "--recluster",
        action="store_true",
        help="fit topics again on the cached databases (real sets: even if the code is unchanged)",
    )
    parser.add_argument("--scales", type=float, nargs="*", default=[1.0, 0.3])
    parser.add_argument("--skip-spotify", action="store_true")
    parser.add_argument(
        "--only", default="", help="run only these parts: demo,spotify,realsets (default all)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=realsets.DATA_DIR, help="the shared data (real sets)"
    )
    realsets.add_arguments(parser)
    args = parser.parse_args(argv)
    set_names = realsets.chosen_sets(args.sets)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    parts = only or {"demo", "spotify", "realsets"}
    if args.skip_spotify:
        parts.discard("spotify")
    if args.fresh and args.work_dir.exists():
        shutil.rmtree(args.work_dir)
    args.work_dir.mkdir(parents=True, exist_ok=True)

    demo = []
    for scale in args.scales if "demo" in parts else []:
        result = measure_demo(args.work_dir, scale, args.recluster)
        demo.append(result)
        print(
            f"\nDemo data, scale {scale} (surge planted in {DEMO_ANCHOR}; fade over it and the "
            "three weeks before)"
        )
        header = f"{'week':<10} {'topics':>6} {'false emerging':>15} {'false improving':>16}"
        print(f"  {header}  themes falsely flagged")
        for row in result["weeks"]:
            print(
                f"  {row['week']:<10} {row['topics']:>6} {row['false_emerging']:>15} "
                f"{row['false_improving']:>16}  {', '.join(row['false_themes'])}"
            )
        last = result["weeks"][-1]
        print(
            f"  anchor: surging theme emerging={last['surging_emerging']} "
            f"best rank={last['surging_best_rank']} (p={last['surging_p']:.2g}); "
            f"fading theme improving={last['fading_improving']} (p={last['fading_p']:.2g})"
        )

    spotify = measure_spotify(args.work_dir, args.recluster) if "spotify" in parts else None
    if spotify:
        for name, title in (("pulse_topics", "Pulse's topics"),
                            ("kmeans_topics", "k-means stand-in topics, k=20")):
            print(f"\nSpotifyCares (real tweets), flags per week, {title}")
            print(f"  {'week':<10} {'ranked texts':>12} {'topics':>6} {'emerging':>9} "
                  f"{'improving':>10}")
            for row in spotify[name]:
                print(
                    f"  {row['week']:<10} {row['ranked_texts']:>12} {row['topics']:>6} "
                    f"{row['emerging']:>9} {row['improving']:>10}"
                )

    real = None
    if "realsets" in parts:
        print("\n== real sets: one Monday run per week, registry carried over", flush=True)
        started = time.perf_counter()
        real = realsets.measure(
            set_names, args.data_dir, args.realsets_dir, args.recluster, args.rebuild_base
        )
        realsets.print_weeks(real)
        print_flags(real)
        print(f"  real sets: {time.perf_counter() - started:.0f} s", flush=True)

    summary = {
        "demo": [
            {
                "scale": d["scale"],
                "surging_emerging": d["surging_emerging"],
                "surging_rank": d["surging_rank"],
                "fading_improving": d["fading_improving"],
                "max_false_flags_per_week": d["max_false_per_week"],
                "false_flags_total": d["false_flags_total"],
                "false_flags_per_week": [
                    r["false_emerging"] + r["false_improving"] for r in d["weeks"]
                ],
            }
            for d in demo
        ],
        "spotify": (
            {
                name: {
                    "topics": max(r["topics"] for r in rows),
                    "emerging_per_week": {r["week"]: r["emerging"] for r in rows},
                    "improving_per_week": {r["week"]: r["improving"] for r in rows},
                }
                for name, rows in spotify.items()
            }
            if spotify
            else None
        ),
        "realsets": realsets.json_rows(real) if real is not None else None,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
