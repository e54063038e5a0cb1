"""Real dated exports run week by week as a Monday would run them: the bench's shared half.

`bench/topics.py` (labels) and `bench/signals.py` (flags) measure the same weekly runs, so
both read them from here. A set is loaded once, as a new user would load it (ready-made
mapping or a user mapping TOML, default settings but `timezone = "UTC"`), embedded and
scored once, and kept as a *base* database in the cache. Each ISO week of the set then
gets Pulse's real stages in order (`cluster_topics`, `compute_metrics`) on one database, so
the topic registry carries over from week to week exactly as in production.

Caches (under CACHE_DIR, never in the repository):
* `<set>-base.duckdb`: texts, embeddings, sentiment. Reused until `--rebuild-base`, which
  re-ingests and re-scores but carries the embeddings over (a text is embedded once).
* `<set>-weekly.duckdb`: the weekly topic runs. Re-clustered from the base when the code
  that clusters (pulse/, topics/) differs from the code that made it, or on `--recluster`.
  The ranking SQL (`compute_metrics`) is re-run on every bench run: it is cheap, and with an
  empty taxonomy it reads nothing later runs change.
The label and comparison helpers at the top are pure (tests/test_bench_realsets.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
CACHE_DIR = Path("/tmp/pulse-bench-realsets")

# --- label comparison (pure) ---------------------------------------------------------------

# Words that join a label's ideas; "Songs and playlists" reads the same as "Playlists, songs".
_CONNECTORS = {"and", "or", "the", "a", "an", "of", "to", "for", "with", "in", "on", "my"}
# Publisher masks ("XXXX" for a redacted name or date), anonymised ids (TWCS replaces a
# customer's @handle with a number), template slots ("{{Order Number}}") and bracketed
# placeholders, Pulse's own ("[email]", "@[user]") among them.
_MASK = re.compile(r"^(?:x{2,}|@?\d{5,})$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"@?\[[^\]]*\]|\{\{[^}]*\}\}")


def stem(word: str) -> str:
    """A crude stem, enough to see "Crashes" and "crashing" as one word in a label."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for ending, keep in (("ing", 5), ("ed", 4)):
        if len(word) > keep and word.endswith(ending):
            word = word[: -len(ending)]
            if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "logged" -> "log"
            return word.removesuffix("e")
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word.removesuffix("e") if len(word) > 4 else word


def label_key(label: str) -> frozenset[str] | str:
    """What a label says, as a reader sees it: case, punctuation, word order, endings and
    the praise mark (the topic's tone, not its name) do not count ("App crashes" = "app
    crashing" = "Crashes, app"; "Praise: twitter" = "Twitter")."""
    from pulse.topics.praise import without_praise

    words = re.sub(r"[^\w\s]", " ", without_praise(label).casefold()).split()
    key = frozenset(stem(w) for w in words if w not in _CONNECTORS)
    return key or label.casefold()


def repeated_labels(labels: list[str], reads_same: bool = False) -> list[str]:
    """Labels that repeat an earlier one in the list (exactly, or reading the same)."""
    seen: set = set()
    repeats = []
    for label in labels:
        key = label_key(label) if reads_same else label
        if key in seen:
            repeats.append(label)
        seen.add(key)
    return repeats


def nested_labels(labels: list[str]) -> list[str]:
    """Pairs of labels in one ranking where one says all the other says and more ("Food"
    and "Stock and food", "Grocery" and "Grocery store"): a reader takes them for one issue
    seen twice."""
    keys = [label_key(label) for label in labels]
    return [
        f"{labels[i]} | {labels[j]}"
        for i in range(len(labels))
        for j in range(i + 1, len(labels))
        if isinstance(keys[i], frozenset)
        and isinstance(keys[j], frozenset)
        and keys[i]
        and keys[j]
        and (keys[i] <= keys[j] or keys[j] <= keys[i])
    ]


def brand_or_mask_words(label: str, brand_words: Iterable[str]) -> list[str]:
    """The words of a label that name the brand, a handle, a mask or a placeholder.

    Bare words such as "email" or "user" are real topic words ("change email") and are
    not counted; only the bracketed placeholder form is.
    """
    brands = {w.casefold() for w in brand_words}
    # A long brand word inside a token counts too ("ProveSpotifyCares", "threadsapp"); a
    # short one only on its own ("meta", not "metadata").
    long_brands = [b for b in brands if len(b) >= 6]
    found = _PLACEHOLDER.findall(label)
    for token in _PLACEHOLDER.sub(" ", label).split():
        token = token.strip(".,;:!?()\"'")
        plain = re.sub(r"'s$|[^\w]", "", token.casefold())
        if (
            token.startswith("@")
            or _MASK.match(token)
            or plain in brands
            or (plain.endswith("s") and plain[:-1] in brands)
            or any(b in plain for b in long_brands)
        ):
            found.append(token)
    return found


def label_stability(
    before: dict[int, str], after: dict[int, str], reads_same: bool = False
) -> float | None:
    """Share of the topic ids in both rankings whose published label did not change
    (`reads_same`: did not change in what it says, so "Songs playlist" for "Song playlist"
    still counts as kept)."""
    both = sorted(set(before) & set(after))
    if not both:
        return None
    if reads_same:
        return sum(label_key(before[t]) == label_key(after[t]) for t in both) / len(both)
    return sum(before[t] == after[t] for t in both) / len(both)


def label_pairs(
    before: dict[int, str], after: dict[int, str], named_only: bool = False
) -> tuple[int, int]:
    """How many topic ids ranked in both weeks kept their label, of how many.

    `named_only` counts only ids whose earlier label was a name: a placeholder ("Other
    feedback (2)", "Short replies") says the topic has none yet, and taking its first name
    is not a rename.
    """
    from pulse.topics.labels import is_fallback

    both = [t for t in set(before) & set(after) if not (named_only and is_fallback(before[t]))]
    return sum(before[t] == after[t] for t in both), len(both)


# --- the sets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealSet:
    """One real dated export, how a new user would load it, and what is known about it.

    Attributes:
        event_weeks: weeks with a documented real change (a launch, a spike); the others
            count as quiet weeks, where an EMERGING flag is a false alarm unless shown
            otherwise.
        brand_words: words that name the brand or its handles; never a topic's name.
        other_brands: other brands the texts talk about as a subject; a label may name
            one, and the bench counts those labels apart.
    """

    name: str
    relative_path: str
    first_week: str
    last_week: str
    source: str
    event_weeks: tuple[str, ...] = ()
    brand_words: tuple[str, ...] = ()
    other_brands: tuple[str, ...] = ()
    mapping_toml: str = ""

    def weeks(self) -> list:
        from pulse.weeks import IsoWeek, week_range

        return week_range(IsoWeek.parse(self.first_week), IsoWeek.parse(self.last_week))


SETS = {
    "spotifycares": RealSet(
        name="spotifycares",
        relative_path="twcs_customer_support_twitter/spotifycares_inbound_requests.csv",
        first_week="2017-W40",
        last_week="2017-W48",
        source="twcs",
        # No documented outage or launch in these weeks: every week counts as quiet.
        brand_words=("spotify", "spotifycares", "spotifycare"),
    ),
    "threads": RealSet(
        name="threads",
        relative_path="threads_app_reviews/threads_reviews.csv",
        first_week="2023-W27",
        last_week="2023-W30",
        source="threads_reviews",
        event_weeks=("2023-W27",),  # launch on 2023-07-05; volume decays after it
        # The app's own names. Instagram is not one: reviewers name it as a subject (the
        # account Threads is tied to, "can't delete Threads without deleting Instagram"),
        # in 9% of the texts and concentrated in few topics, so it may name a topic
        # (docs/TUNING.md, "Background words"); `other_brands` counts such labels apart.
        brand_words=("threads", "threadsapp", "meta"),
        other_brands=("instagram", "insta"),
        mapping_toml="""\
[threads_reviews]
kind = "social"
format = "csv"
id = "@row"
created_at = "review_date"
text = "review_description"
channel = "source"
""",
    ),
    "corona": RealSet(
        name="corona",
        relative_path="corona_nlp_tweets_march2020/Corona_NLP_test.csv",
        first_week="2020-W10",
        last_week="2020-W12",
        source="corona_tweets",
        event_weeks=("2020-W11",),  # panic buying after the WHO's 2020-03-11 declaration
        # No brand: the words every tweet carries as a hashtag (covid in 69% of the texts,
        # coronavirus in 38%) say as little about a topic as a brand does, so they count.
        brand_words=("covid", "coronavirus", "covid19", "corona"),
        mapping_toml="""\
[corona_tweets]
kind = "social"
format = "csv"
id = "UserName"
created_at = "TweetAt"
created_at_format = "%d-%m-%Y"
text = "OriginalTweet"
channel_value = "twitter"
""",
    ),
    "alexa": RealSet(
        name="alexa",
        relative_path="amazon_alexa_reviews/amazon_alexa.tsv",
        first_week="2018-W20",
        last_week="2018-W31",
        source="alexa",
        # No documented event: the volume grows from about 30 reviews a week to 1,684 in
        # W31 as the export's sampling thickens, which is not a change in what reviewers say.
        # The seller is the brand. The assistant and the devices (Alexa, Echo, Fire TV) are
        # what a review is about, as Instagram is in Threads' reviews: reviewers name them
        # as subjects in 16-20% of the texts, concentrated in few topics, so a label may
        # name one and the bench counts those labels apart. A user who wants them out of
        # labels names them in `brand_handles`.
        brand_words=("amazon",),
        other_brands=("alexa", "echo", "firestick", "fire"),
        mapping_toml="""\
[alexa]
kind = "social"
format = "csv"
id = "@row"
text = "verified_reviews"
created_at = "date"
created_at_format = "%d-%b-%y"
channel_value = "amazon"
csat = "rating"
[alexa.options]
delim = "\\t"
""",
    ),
    "apple": RealSet(
        name="apple",
        relative_path="apple_twitter_sentiment/Apple-Twitter-Sentiment-DFE.csv",
        first_week="2014-W49",
        last_week="2014-W50",
        source="apple",
        # Tweets matching "#AAPL OR @Apple", 1-10 December 2014; no documented event.
        brand_words=("apple", "aapl"),
        other_brands=("iphone", "ipad", "itunes", "mac", "ios", "ipod", "macbook"),
        mapping_toml="""\
[apple]
kind = "social"
format = "csv"
id = "_unit_id"
text = "text"
created_at = "date"
created_at_format = "%a %b %d %H:%M:%S %z %Y"
channel_value = "twitter"
[apple.options]
encoding = "latin-1"
""",
    ),
}


def bench_settings():
    """What a new user gets: every default, but weeks in UTC (the exports' clock)."""
    from pulse.config import Settings

    return Settings(timezone="UTC")


def code_digest(*folders: str) -> str:
    """A digest of the files under the given repository folders (what made a cache)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((REPO_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def log(message: str) -> None:
    print(message, flush=True)


# --- load once: texts, embeddings, sentiment ------------------------------------------------


def _meta(con) -> dict[str, object]:
    """What the bench recorded about how a cached database was made (empty when nothing)."""
    tables = {
        row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()
    }
    if "bench_meta" not in tables:
        return {}
    return {
        k: json.loads(v) for k, v in con.execute("select key, value from bench_meta").fetchall()
    }


def _set_meta(con, values: dict) -> None:
    con.execute("create table if not exists bench_meta (key varchar primary key, value varchar)")
    for key, value in values.items():
        con.execute(
            "insert or replace into bench_meta values ($k, $v)", {"k": key, "v": json.dumps(value)}
        )


def _inputs(realset: RealSet, data_dir: Path, derived_dir: Path) -> tuple[list[Path], Path | None]:
    """The files a new user would ingest, as they are, and their mapping file (in /tmp)."""
    original = data_dir / realset.relative_path
    if not realset.mapping_toml:
        return [original], None
    derived_dir.mkdir(parents=True, exist_ok=True)
    mappings = derived_dir / f"{realset.name}-mappings.toml"
    mappings.write_text(realset.mapping_toml, encoding="utf-8")
    return [original], mappings


def _fresh_partial(path: Path) -> Path:
    """Where a cache file is built before it replaces `path`, with nothing of an earlier
    build left: a stopped run's write-ahead log would replay into the new copy."""
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
    return partial


def base_db(realset: RealSet, data_dir: Path, cache_dir: Path, rebuild: bool = False) -> Path:
    """The set ingested, embedded and scored, kept in the cache between bench runs."""
    from pulse import stages
    from pulse.db import connect
    from pulse.embed import embed_missing
    from pulse.ingest import ingest_paths

    path = cache_dir / f"{realset.name}-base.duckdb"
    if path.exists() and not rebuild:
        with connect(path) as con:
            # Only texts the active embedder or sentiment model has not seen (a new model).
            embedded = embed_missing(con) + stages.embed_sentiment_vectors(con)
            scored = stages.score_sentiment(con)
            built_by = _meta(con).get("code")
        if embedded or scored:
            log(f"  {realset.name}: embedded {embedded:,}, scored {scored:,} for the active models")
        if built_by != code_digest("pulse", "queries"):
            log(
                f"  {realset.name}: base built by other ingest/sentiment code than today's; "
                "pass --rebuild-base if either changed"
            )
        return path
    partial = _fresh_partial(path)
    inputs, mappings = _inputs(realset, data_dir, cache_dir / "derived")
    with connect(partial) as con:
        started = time.perf_counter()
        # The settings' zone reads times without an offset, as the weeks are cut in it: a
        # date-only export ("30-Jul-18") is that day, not 23:00 the day before in UTC.
        reports = ingest_paths(
            con,
            inputs,
            source=realset.source,
            mappings_file=mappings,
            timezone=bench_settings().timezone,
        )
        ingest_seconds = time.perf_counter() - started
        if path.exists():  # a rebuild: a text is embedded once, ever
            con.execute(f"attach '{path}' as previous (read_only)")
            con.execute("insert or ignore into embeddings select * from previous.embeddings")
            con.execute("detach previous")
        started = time.perf_counter()
        embedded = embed_missing(con) + stages.embed_sentiment_vectors(con)
        embed_seconds = time.perf_counter() - started
        started = time.perf_counter()
        scored = stages.score_sentiment(con)
        sentiment_seconds = time.perf_counter() - started
        _set_meta(
            con,
            {
                "code": code_digest("pulse", "queries"),
                "built_at": datetime.now().isoformat(timespec="seconds"),
                "rows_in": sum(r.rows_in for r in reports),
                "rows_loaded": sum(r.rows_loaded for r in reports),
                "rows_rejected": sum(r.rows_rejected for r in reports),
                "rows_duplicate": sum(r.rows_duplicate for r in reports),
                "ingest_seconds": round(ingest_seconds, 1),
                "embedded": embedded,
                "embed_seconds": round(embed_seconds, 1),
                "scored": scored,
                "sentiment_seconds": round(sentiment_seconds, 1),
            },
        )
    partial.replace(path)
    log(
        f"  {realset.name}: loaded {sum(r.rows_loaded for r in reports):,} of "
        f"{sum(r.rows_in for r in reports):,} rows in {ingest_seconds:.0f} s, embedded "
        f"{embedded:,} in {embed_seconds:.0f} s, scored {scored:,} in {sentiment_seconds:.0f} s"
    )
    return path


# --- the Mondays ----------------------------------------------------------------------------


def run_id_of(realset: RealSet, week) -> str:
    return f"bench-{realset.name}-{week}"


def _run_week(con, realset: RealSet, week) -> None:
    """One Monday: the topic stage, then the ranking, on the registry the last one left."""
    from pulse import stages
    from pulse.run import RunContext, finish_run, start_run, timed

    ctx = RunContext(run_id=run_id_of(realset, week), week=week, settings=bench_settings())
    start_run(con, ctx, {"week": str(week), "bench": "realsets"})
    with timed(ctx, "topics"):
        ctx.counts["topics"] = stages.cluster_topics(con, ctx)
    # The labels as published this Monday (a later run may rename a topic).
    con.execute(
        "insert into bench_labels select $r, topic_id, label, status from topics",
        {"r": ctx.run_id},
    )
    with timed(ctx, "rank"):
        ctx.counts["ranked_issues"] = stages.compute_metrics(con, ctx)
    finish_run(con, ctx, "ok", None)
    con.execute(
        "insert into bench_weeks values ($r, $w, $counts, $topics, $rank)",
        {
            "r": ctx.run_id,
            "w": str(week),
            "counts": json.dumps(ctx.counts["topics"]),
            "topics": ctx.timings["topics"],
            "rank": ctx.timings["rank"],
        },
    )
    log(f"    {week}: topics {ctx.timings['topics']:.1f} s, rank {ctx.timings['rank']:.1f} s")


def weekly_db(realset: RealSet, base: Path, cache_dir: Path, recluster: bool = False) -> bool:
    """Run every week of the set in order; False when the cached runs were still current.

    The cache is current when the clustering code (pulse/, topics/) and the base are
    the ones that made it; otherwise, or on `recluster`, it is re-run from the base.
    """
    from pulse.db import connect

    path = cache_dir / f"{realset.name}-weekly.duckdb"
    with connect(base, read_only=True) as con:
        wanted = {"topic_code": code_digest("pulse", "topics"), "base": _meta(con).get("built_at")}
    if path.exists() and not recluster:
        with connect(path, read_only=True) as con:
            made = _meta(con)
        if all(made.get(k) == v for k, v in wanted.items()):
            return False
        log(f"  {realset.name}: the clustering code or the base changed: re-clustering")
    partial = _fresh_partial(path)
    shutil.copy(base, partial)
    with connect(partial) as con:
        con.execute(
            "create table bench_labels (run_id varchar, topic_id integer, label varchar,"
            " status varchar)"
        )
        con.execute(
            "create table bench_weeks (run_id varchar, week varchar, counts varchar,"
            " topics_seconds double, rank_seconds double)"
        )
        for week in realset.weeks():
            _run_week(con, realset, week)
        _set_meta(con, wanted)
    partial.replace(path)
    return True


def rerank(con, realset: RealSet) -> float:
    """The ranking SQL again on each week's cached topic assignment; seconds taken."""
    from pulse import stages
    from pulse.run import RunContext

    started = time.perf_counter()
    for week in realset.weeks():
        ctx = RunContext(run_id=run_id_of(realset, week), week=week, settings=bench_settings())
        stages.compute_metrics(con, ctx)
    return time.perf_counter() - started


# --- what each Monday's report said -----------------------------------------------------------


def _ranking(con, run_id: str, week) -> list[dict]:
    cursor = con.execute(
        """
        select r.rank, r.topic_id, l.label, r.volume, r.baseline_volume, r.baseline_week_count,
            r.p_value_up, r.p_value_down, r.is_new, r.is_emerging, r.is_improving
        from ranked_issues as r
        left join bench_labels as l on l.run_id = r.run_id and l.topic_id = r.topic_id
        where r.run_id = $r and r.week = $w
        order by r.rank
        """,
        {"r": run_id, "w": str(week)},
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _sub_themes(con, run_id: str, week) -> dict[int, str]:
    """The labels of the ranked issues' sub-themes: what each issue's page lists."""
    rows = con.execute(
        """
        select p.topic_id, l.label
        from run_topic_parents as p
        join ranked_issues as r on r.run_id = p.run_id and r.topic_id = p.parent_id
        join bench_labels as l on l.run_id = p.run_id and l.topic_id = p.topic_id
        where p.run_id = $r and r.week = $w
        """,
        {"r": run_id, "w": str(week)},
    ).fetchall()
    return {int(t): label for t, label in rows}


def week_rows(con, realset: RealSet) -> list[dict]:
    """One row per week: what the ranking showed and how it reads."""
    rows: list[dict] = []
    before: dict[int, str] | None = None
    themes_before: dict[int, str] | None = None
    for week in realset.weeks():
        run_id = run_id_of(realset, week)
        start, end = week.bounds_utc("UTC")
        texts, assigned = con.execute(
            """
            select count(*), count(d.topic_id)
            from feedback as f
            left join doc_topics as d on d.feedback_id = f.feedback_id and d.run_id = $r
            where f.created_at >= $start and f.created_at < $end
            """,
            {"r": run_id, "start": start, "end": end},
        ).fetchone()
        counts, topics_seconds = con.execute(
            "select counts, topics_seconds from bench_weeks where run_id = $r", {"r": run_id}
        ).fetchone()
        negative = con.execute(
            "select negative_share from weekly_kpis where run_id = $r and week = $w",
            {"r": run_id, "w": str(week)},
        ).fetchone()
        ranked = _ranking(con, run_id, week)
        labels = [r["label"] for r in ranked]
        published = {r["topic_id"]: r["label"] for r in ranked}
        stability = label_stability(before, published) if before is not None else None
        pairs = label_pairs(before or {}, published)
        named_pairs = label_pairs(before or {}, published, named_only=True)
        stability_same = (
            label_stability(before, published, reads_same=True) if before is not None else None
        )
        relabelled = [
            {"topic_id": t, "before": before[t], "after": published[t]}
            for t in sorted(set(before or {}) & set(published))
            if before and before[t] != published[t]
        ]
        before = published
        themes = _sub_themes(con, run_id, week)
        theme_stability = (
            label_stability(themes_before, themes) if themes_before is not None else None
        )
        theme_same = (
            label_stability(themes_before, themes, reads_same=True)
            if themes_before is not None
            else None
        )
        themes_relabelled = [
            {"topic_id": t, "before": themes_before[t], "after": themes[t]}
            for t in sorted(set(themes_before or {}) & set(themes))
            if themes_before and themes_before[t] != themes[t]
        ]
        themes_before = themes
        branded = [
            {"label": label, "words": words}
            for label in labels
            if (words := brand_or_mask_words(label, realset.brand_words))
        ]
        other_brand = [
            label for label in labels if brand_or_mask_words(label, realset.other_brands)
        ]
        rows.append(
            {
                "week": str(week),
                "is_event_week": str(week) in realset.event_weeks,
                "texts": texts,
                "window_texts": json.loads(counts).get("window_texts"),
                "topics_seconds": topics_seconds,
                "ranked": len(ranked),
                "duplicate_labels": len(repeated_labels(labels)),
                "duplicate_labels_reads_same": len(repeated_labels(labels, reads_same=True)),
                "repeated": sorted(set(repeated_labels(labels, reads_same=True))),
                "nested": nested_labels(labels),
                "brand_or_mask_labels": len(branded),
                "branded": branded,
                "other_brand_labels": other_brand,
                "label_stability": None if stability is None else round(stability, 4),
                "label_stability_reads_same": None
                if stability_same is None
                else round(stability_same, 4),
                "label_pairs": list(pairs),
                "named_label_pairs": list(named_pairs),
                "relabelled": relabelled,
                "sub_themes": len(themes),
                "sub_theme_stability": None
                if theme_stability is None
                else round(theme_stability, 4),
                "sub_theme_stability_reads_same": None
                if theme_same is None
                else round(theme_same, 4),
                "sub_themes_relabelled": themes_relabelled,
                "emerging": sum(r["is_emerging"] for r in ranked),
                "improving": sum(r["is_improving"] for r in ranked),
                "new": sum(r["is_new"] for r in ranked),
                "baseline_weeks": max((r["baseline_week_count"] or 0 for r in ranked), default=0),
                "unassigned_share": round(1 - assigned / texts, 4) if texts else None,
                "negative_share": None
                if not negative or negative[0] is None
                else round(float(negative[0]), 4),
                "flagged": [
                    {
                        "flag": "EMERGING" if r["is_emerging"] else "IMPROVING",
                        "rank": r["rank"],
                        "label": r["label"],
                        "volume": r["volume"],
                        "baseline_volume": None
                        if r["baseline_volume"] is None
                        else round(float(r["baseline_volume"]), 1),
                        "p": r["p_value_up"] if r["is_emerging"] else r["p_value_down"],
                    }
                    for r in ranked
                    if r["is_emerging"] or r["is_improving"]
                ],
                "top": [
                    {
                        "rank": r["rank"],
                        "label": r["label"],
                        "volume": r["volume"],
                        "marks": "E" * r["is_emerging"]
                        + "I" * r["is_improving"]
                        + "N" * r["is_new"],
                    }
                    for r in ranked[:8]
                ],
            }
        )
    return rows


def _rate(total: int, weeks: int) -> float | None:
    return round(total / weeks, 2) if weeks else None


def summarise(realset: RealSet, rows: list[dict]) -> dict:
    """One row per set: the figures the fix has to move."""
    quiet = [r for r in rows if not r["is_event_week"]]
    event = [r for r in rows if r["is_event_week"]]
    ranked = sum(r["ranked"] for r in rows)
    branded = sum(r["brand_or_mask_labels"] for r in rows)
    stabilities = [r["label_stability"] for r in rows if r["label_stability"] is not None]
    same = [r["label_stability_reads_same"] for r in rows if r["label_stability"] is not None]
    sub = [r["sub_theme_stability"] for r in rows if r["sub_theme_stability"] is not None]
    sub_same = [
        r["sub_theme_stability_reads_same"]
        for r in rows
        if r["sub_theme_stability_reads_same"] is not None
    ]

    def pooled(key: str) -> float | None:
        kept, pairs = (sum(r[key][i] for r in rows) for i in (0, 1))
        return round(kept / pairs, 4) if pairs else None

    named = [k / n for k, n in (r["named_label_pairs"] for r in rows) if n]
    return {
        "set": realset.name,
        "weeks": len(rows),
        "texts": sum(r["texts"] for r in rows),
        "ranked_rows": ranked,
        "max_duplicate_labels": max(r["duplicate_labels"] for r in rows),
        "max_duplicate_labels_reads_same": max(r["duplicate_labels_reads_same"] for r in rows),
        "nested_label_pairs": sum(len(r["nested"]) for r in rows),
        "brand_or_mask_labels": branded,
        "brand_or_mask_share": round(branded / ranked, 4) if ranked else None,
        "other_brand_labels": sum(len(r["other_brand_labels"]) for r in rows),
        "min_label_stability": min(stabilities) if stabilities else None,
        "mean_label_stability": round(sum(stabilities) / len(stabilities), 4)
        if stabilities
        else None,
        "mean_label_stability_reads_same": round(sum(same) / len(same), 4) if same else None,
        # every pair of consecutive weeks' rankings at once, so a week of 5 topics weighs less
        "pooled_label_stability": pooled("label_pairs"),
        "pooled_named_label_stability": pooled("named_label_pairs"),
        "min_named_label_stability": round(min(named), 4) if named else None,
        "mean_sub_theme_stability": round(sum(sub) / len(sub), 4) if sub else None,
        "min_sub_theme_stability": min(sub) if sub else None,
        "mean_sub_theme_stability_reads_same": round(sum(sub_same) / len(sub_same), 4)
        if sub_same
        else None,
        "min_sub_theme_stability_reads_same": min(sub_same) if sub_same else None,
        "quiet_weeks": len(quiet),
        "event_weeks": len(event),
        "emerging_per_quiet_week": _rate(sum(r["emerging"] for r in quiet), len(quiet)),
        "emerging_per_event_week": _rate(sum(r["emerging"] for r in event), len(event)),
        "improving_per_quiet_week": _rate(sum(r["improving"] for r in quiet), len(quiet)),
        "improving_per_event_week": _rate(sum(r["improving"] for r in event), len(event)),
        "mean_unassigned_share": round(
            sum(r["unassigned_share"] or 0 for r in rows) / len(rows), 4
        ),
    }


def measure(
    names: list[str],
    data_dir: Path = DATA_DIR,
    cache_dir: Path = CACHE_DIR,
    recluster: bool = False,
    rebuild_base: bool = False,
) -> dict[str, dict]:
    """Every named set: loaded once, run week by week, measured. Missing data is skipped."""
    from pulse.db import connect

    results: dict[str, dict] = {}
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        realset = SETS[name]
        source = data_dir / realset.relative_path
        if not source.exists():
            reason = f"{source} not found (the shared data folder beside the repository)"
            log(f"SKIPPED {name}: {reason}")
            results[name] = {"skipped": reason}
            continue
        started = time.perf_counter()
        base = base_db(realset, data_dir, cache_dir, rebuild_base)
        base_seconds = time.perf_counter() - started
        started = time.perf_counter()
        clustered = weekly_db(realset, base, cache_dir, recluster)
        weekly_seconds = time.perf_counter() - started
        with connect(cache_dir / f"{name}-weekly.duckdb") as con:
            rank_seconds = 0.0 if clustered else rerank(con, realset)
            rows = week_rows(con, realset)
            load = _meta(con)
        results[name] = {
            "weeks": rows,
            "summary": summarise(realset, rows),
            "timing": {
                "base_seconds": round(base_seconds, 1),
                "weekly_seconds": round(weekly_seconds, 1),
                "rerank_seconds": round(rank_seconds, 1),
                "reclustered": clustered,
                "topics_seconds_per_run": round(sum(r["topics_seconds"] for r in rows), 1),
                **{
                    k: load[k]
                    for k in (
                        "ingest_seconds",
                        "embed_seconds",
                        "sentiment_seconds",
                        "rows_in",
                        "rows_loaded",
                        "rows_rejected",
                        "rows_duplicate",
                    )
                    if k in load
                },
            },
        }
    return results


# --- printing -------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def print_weeks(results: dict[str, dict]) -> None:
    """The per-week table of every set, then one summary row per set."""
    for name, result in results.items():
        if "skipped" in result:
            continue
        log(f"\n{name}: one weekly run per ISO week, registry carried over (* = event week)")
        log(
            f"  {'week':<10} {'texts':>6} {'window':>7} {'ranked':>6} {'dup':>4} {'dup~':>5} "
            f"{'brand':>5} {'stable':>6} {'stable~':>7} {'sub':>4} {'sub st':>6} {'sub st~':>7} "
            f"{'emerg':>5} {'impr':>5} {'base wk':>7} {'unassigned':>10} {'negative':>8}"
        )
        for r in result["weeks"]:
            mark = "*" if r["is_event_week"] else " "
            log(
                f"  {r['week']:<9}{mark} {r['texts']:>6,} {r['window_texts'] or 0:>7,} "
                f"{r['ranked']:>6} {r['duplicate_labels']:>4} "
                f"{r['duplicate_labels_reads_same']:>5} {r['brand_or_mask_labels']:>5} "
                f"{_pct(r['label_stability']):>6} "
                f"{_pct(r['label_stability_reads_same']):>7} {r['sub_themes']:>4} "
                f"{_pct(r['sub_theme_stability']):>6} "
                f"{_pct(r['sub_theme_stability_reads_same']):>7} "
                f"{r['emerging']:>5} {r['improving']:>5} "
                f"{r['baseline_weeks']:>7} {_pct(r['unassigned_share']):>10} "
                f"{_pct(r['negative_share']):>8}"
            )
    print_summary(results)


def print_summary(results: dict[str, dict]) -> None:
    log(
        "\nreal sets, one row each (dup = rows repeating a label; ~ = reading the same; "
        "stable = labels kept by the ids ranked in consecutive weeks, worst = its lowest week; "
        "pooled = over all the week pairs at once; named = pooled over the ids whose earlier "
        "label was a name, not a placeholder, and its worst week; "
        "nested = pairs of labels in one week's ranking where one holds all the other's words; "
        "sub = the same for the ranked issues' sub-themes, mean / worst; "
        "other brand = labels naming a brand the texts discuss as a subject; flags per week)"
    )
    log(
        f"  {'set':<13} {'weeks':>5} {'texts':>7} {'max dup':>7} {'max dup~':>8} {'nested':>6} "
        f"{'brand/mask':>10} {'other brand':>11} {'stable':>6} {'worst':>5} {'stable~':>7} "
        f"{'pooled':>6} {'named':>5} {'worst':>5} "
        f"{'sub stable':>10} {'sub stable~':>11} "
        f"{'emerg quiet':>11} {'emerg event':>11} {'impr quiet':>10} {'seconds':>7}"
    )
    for name, result in results.items():
        if "skipped" in result:
            log(f"  {name:<13} skipped: {result['skipped']}")
            continue
        s, t = result["summary"], result["timing"]

        def rate(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        sub = f"{_pct(s['mean_sub_theme_stability'])} / {_pct(s['min_sub_theme_stability'])}"
        sub_same = (
            f"{_pct(s['mean_sub_theme_stability_reads_same'])} / "
            f"{_pct(s['min_sub_theme_stability_reads_same'])}"
        )

        log(
            f"  {name:<13} {s['weeks']:>5} {s['texts']:>7,} {s['max_duplicate_labels']:>7} "
            f"{s['max_duplicate_labels_reads_same']:>8} {s['nested_label_pairs']:>6} "
            f"{_pct(s['brand_or_mask_share']):>10} "
            f"{s['other_brand_labels']:>11} "
            f"{_pct(s['mean_label_stability']):>6} {_pct(s['min_label_stability']):>5} "
            f"{_pct(s['mean_label_stability_reads_same']):>7} "
            f"{_pct(s['pooled_label_stability']):>6} {_pct(s['pooled_named_label_stability']):>5} "
            f"{_pct(s['min_named_label_stability']):>5} "
            f"{sub:>10} {sub_same:>11} "
            f"{rate(s['emerging_per_quiet_week']):>11} "
            f"{rate(s['emerging_per_event_week']):>11} {rate(s['improving_per_quiet_week']):>10} "
            f"{t['base_seconds'] + t['weekly_seconds'] + t['rerank_seconds']:>7.0f}"
        )


def json_rows(results: dict[str, dict]) -> dict[str, dict]:
    """Every figure, without the per-label detail lists (those are in the printed tables)."""
    detail = {
        "flagged",
        "top",
        "branded",
        "repeated",
        "nested",
        "relabelled",
        "sub_themes_relabelled",
        "other_brand_labels",
    }
    return {
        name: result
        if "skipped" in result
        else {
            "summary": result["summary"],
            "timing": result["timing"],
            "weeks": [{k: v for k, v in r.items() if k not in detail} for r in result["weeks"]],
        }
        for name, result in results.items()
    }


def add_arguments(parser) -> None:
    """The flags both benches share for the real sets."""
    parser.add_argument(
        "--sets", default=",".join(SETS), help=f"real dated sets, comma list of {', '.join(SETS)}"
    )
    parser.add_argument("--realsets-dir", type=Path, default=CACHE_DIR, help="their cache")
    parser.add_argument(
        "--rebuild-base",
        action="store_true",
        help="re-ingest and re-score the real sets (embeddings carried over)",
    )


def chosen_sets(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise SystemExit(f"unknown set(s) {unknown}; the real sets are {', '.join(SETS)}")
    return names
