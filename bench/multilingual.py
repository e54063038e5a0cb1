"""Benchmark section: topics across languages (`python bench/topics.py --only multilingual`).

Sets (../shared/data, see each SOURCE.md):
* MASSIVE 1.1 test, the same 2,974 requests in English, German and Swahili (59 intents):
  clustered together, how many translation pairs share a topic, and each language's
  topic-intent NMI inside the joint fit and in a fit of its own;
* UMSAB test, 870 tweets in each of 8 languages (general tweets, no intents): how much
  the topics group by language (NMI between topic and language, and the share of texts in
  topics that are at least 90% one language);
* the language-share sweep: English MASSIVE plus 1-20% German requests (other ids), the
  share at which MiniLM's grouping by language outweighs USE's English cost; it sets
  `pulse.embed.choice.MULTILINGUAL_SHARE`.

"before" is today's English embedder on every window; "after" is what `embedding_model =
"auto"` picks for the window (`pulse.embed.choice`), from the languages the ingest detector
gives its texts. Vectors are cached in --cache-dir.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

SEED = 42
UMSAB_LANGUAGES = (
    "arabic",
    "english",
    "french",
    "german",
    "hindi",
    "italian",
    "portuguese",
    "spanish",
)


def log(message: str) -> None:
    print(message, flush=True)


def read_massive(data_dir: Path, locale: str) -> tuple[list[str], list[str], list[str]]:
    """(ids, texts, intents) of one MASSIVE locale, in id order."""
    path = data_dir / "massive_parallel_intents" / f"{locale}.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r["id"] for r in rows], [r["utt"] for r in rows], [r["intent"] for r in rows]


def read_umsab(data_dir: Path, split: str = "test") -> tuple[list[str], list[str]]:
    """(texts, language folder) of every UMSAB language's split."""
    texts, languages = [], []
    for language in UMSAB_LANGUAGES:
        folder = data_dir / "umsab_multilingual_tweet_sentiment" / language
        lines = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        texts += lines
        languages += [language] * len(lines)
    return texts, languages


def vectors_of(texts: list[str], model: str, cache_dir: Path, name: str) -> np.ndarray:
    """`model`'s vectors for texts, computed once and kept in the bench cache."""
    from pulse.embed import encode

    digest = hashlib.sha256(("\n".join(texts) + model).encode("utf-8")).hexdigest()[:20]
    path = cache_dir / f"{name}-{model}-{digest}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = encode(texts, model_name=model)
    seconds = time.perf_counter() - started
    log(f"  embedded {len(texts):,} {name} texts with {model}: {len(texts) / seconds:,.0f}/s")
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def fit(texts: list[str], vectors: np.ndarray) -> list[int]:
    """Pulse's final assignment for one window (fit, merge, outlier reduction)."""
    from pulse.topics.cluster import _fit

    return _fit(texts, vectors, SEED, 10)


def nmi(truth: list, predicted: list) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return round(float(normalized_mutual_info_score(truth, predicted)), 3)


def auto_choice(texts: list[str]) -> tuple[str, dict[str, int]]:
    """The embedder `embedding_model = "auto"` picks for a window of these texts, and the
    languages the ingest detector found in it."""
    from pulse.embed.choice import MULTILINGUAL_SHARE
    from pulse.embed.models import MODEL_NAME, USE_M3
    from pulse.ingest.language import detect_languages

    found = Counter(code for code in detect_languages(texts) if code)
    known = sum(found.values())
    other = known - found.get("en", 0)
    model = USE_M3 if known and other / known > MULTILINGUAL_SHARE else MODEL_NAME
    return model, dict(found.most_common(6))


def language_grouping(topics: list[int], languages: list[str]) -> dict:
    """How much topics follow language: NMI(topic, language) and the share of texts in
    topics at least 90% one language."""
    size = Counter(topics)
    pair = Counter(zip(topics, languages, strict=True))
    top = {t: max(n for (u, _), n in pair.items() if u == t) for t in size}
    single = sum(size[t] for t in size if top[t] / size[t] >= 0.9)
    return {
        "nmi_topic_language": nmi(languages, topics),
        "in_one_language_topics": single / len(topics),
    }


def in_own_language_topics(
    members: list[int], topics: list[int], language: str, languages: list[str]
) -> float:
    """The share of `members` (topics of one language's texts) in topics >= 90% that language."""
    size = Counter(topics)
    own = Counter(t for t, lang in zip(topics, languages, strict=True) if lang == language)
    return sum(1 for t in members if own[t] / size[t] >= 0.9) / max(len(members), 1)


def parallel_pairs(data_dir: Path, cache_dir: Path, model: str, other: str) -> dict:
    """English and `other` MASSIVE clustered together with `model`."""
    ids, english, intents = read_massive(data_dir, "en-US")
    ids_other, texts, intents_other = read_massive(data_dir, other)
    assert ids == ids_other, "MASSIVE locales are parallel by id"
    v_en = vectors_of(english, model, cache_dir, "massive-en-US")
    v_other = vectors_of(texts, model, cache_dir, f"massive-{other}")
    n = len(english)
    joint = fit(english + texts, np.vstack([v_en, v_other]))
    own_en, own_other = fit(english, v_en), fit(texts, v_other)
    same = sum(1 for i in range(n) if joint[i] >= 0 and joint[i] == joint[n + i]) / n
    return {
        "pairs_same_topic": round(same, 4),
        "nmi_en_joint": nmi(intents, joint[:n]),
        f"nmi_{other}_joint": nmi(intents_other, joint[n:]),
        "nmi_en_own": nmi(intents, own_en),
        f"nmi_{other}_own": nmi(intents_other, own_other),
        "nmi_topic_language": nmi([0] * n + [1] * n, joint),
    }


def share_sweep(data_dir: Path, cache_dir: Path, models: tuple[str, str]) -> list[dict]:
    """English MASSIVE plus a share of German requests (other ids), each embedder."""
    _, english, intents = read_massive(data_dir, "en-US")
    _, german, intents_de = read_massive(data_dir, "de-DE")
    n = len(english)
    rng = np.random.default_rng(7)
    rows = []
    for share in (0.01, 0.03, 0.05, 0.10, 0.20):
        k = int(round(share * n / (1 - share)))
        pick = rng.choice(n, size=k, replace=False)
        row: dict = {"german_share": share, "german_texts": k}
        for model in models:
            v = np.vstack(
                [
                    vectors_of(english, model, cache_dir, "massive-en-US"),
                    vectors_of(german, model, cache_dir, "massive-de-DE")[pick],
                ]
            )
            truth = intents + [intents_de[i] for i in pick]
            topics = fit(english + [german[i] for i in pick], v)
            grouping = language_grouping(topics, ["en"] * n + ["de"] * k)
            row[model] = {
                "nmi_all": nmi(truth, topics),
                "nmi_de": nmi(truth[n:], topics[n:]),
                "german_in_one_language_topics": round(
                    in_own_language_topics(topics[n:], topics, "de", ["en"] * n + ["de"] * k), 3
                ),
                "in_one_language_topics": round(grouping["in_one_language_topics"], 3),
            }
        rows.append(row)
    return rows


def measure(data_dir: Path, cache_dir: Path) -> dict:
    """Every multilingual figure, before (MiniLM) and after (auto's choice)."""
    from pulse.embed.models import MODEL_NAME, USE_M3

    before = MODEL_NAME
    result: dict = {}
    umsab_texts, umsab_languages = read_umsab(data_dir)
    after, found = auto_choice(umsab_texts)
    log(f"\n== multilingual: UMSAB test, {len(umsab_texts):,} tweets in 8 languages")
    log(f"  detector found {found}; auto picks {after}")
    result["umsab"] = {"auto_model": after}
    for label, model in (("before", before), ("after", after)):
        topics = fit(umsab_texts, vectors_of(umsab_texts, model, cache_dir, "umsab-test"))
        grouping = language_grouping(topics, umsab_languages)
        result["umsab"][label] = grouping
        log(
            f"  {label:<7} {model:<22} NMI(topic, language) {grouping['nmi_topic_language']:.3f}"
            f"   texts in topics >= 90% one language {grouping['in_one_language_topics']:.0%}"
        )

    log("\n== multilingual: MASSIVE, English clustered with each translation")
    log(
        f"  {'':<7} {'pair':<6} {'embedder':<22} {'pairs in one topic':>19} {'NMI en':>7} "
        f"{'NMI other':>10} {'own fit en':>11} {'own fit other':>14} {'NMI(t,lang)':>12}"
    )
    for other in ("de-DE", "sw-KE"):
        _, texts, _ = read_massive(data_dir, other)
        _, english, _ = read_massive(data_dir, "en-US")
        after, found = auto_choice(english + texts)
        for label, model in (("before", before), ("after", after)):
            row = parallel_pairs(data_dir, cache_dir, model, other)
            result.setdefault("massive", {}).setdefault(other, {})[label] = {
                "model": model,
                **row,
            }
            log(
                f"  {label:<7} {other[:2]:<6} {model:<22} {row['pairs_same_topic']:>19.1%} "
                f"{row['nmi_en_joint']:>7.3f} {row[f'nmi_{other}_joint']:>10.3f} "
                f"{row['nmi_en_own']:>11.3f} {row[f'nmi_{other}_own']:>14.3f} "
                f"{row['nmi_topic_language']:>12.3f}"
            )

    log("\n== multilingual: English MASSIVE plus a share of German (MULTILINGUAL_SHARE)")
    rows = share_sweep(data_dir, cache_dir, (before, USE_M3))
    result["share_sweep"] = rows
    log(
        f"  {'German':>7} {'texts':>6} | {'MiniLM NMI':>10} {'German in de-only topics':>25} | "
        f"{'USE NMI':>8} {'German in de-only topics':>25}"
    )
    for row in rows:
        a, b = row[before], row[USE_M3]
        log(
            f"  {row['german_share']:>7.0%} {row['german_texts']:>6} | {a['nmi_all']:>10.3f} "
            f"{a['german_in_one_language_topics']:>25.0%} | {b['nmi_all']:>8.3f} "
            f"{b['german_in_one_language_topics']:>25.0%}"
        )
    return result
