"""Language detection: how many texts get the right language, none, or a wrong one; how fast.

    python bench/language.py                  # the sets below, lingua too when it is installed
    python bench/language.py --no-lingua      # only the py3langid variants (seconds)

Sets (from ../shared/data; see each SOURCE.md), the language being the folder or locale:
* UMSAB tweets, the 8 test files (870 tweets each: ar, de, en, es, fr, hi, it, pt). The
  Hindi tweets are mostly romanised Hindi mixed with English ("ye mast tha . cute aur
  comic"), which no detector here knows as Hindi: its row shows what they become;
* MASSIVE intents, en-US, de-DE, sw-KE (2,974 short commands each, field `utt`);
* banking77's test texts (3,080 English support questions);
* junk: empty, emoji, digits, punctuation, links, masks of redacted data, "ok": texts
  that should get no language (None).

Detectors: lingua-language-detector 2.1.1 in its high-accuracy mode over all its languages
(only when installed: `pip install lingua-language-detector==2.1.1`; not a dependency),
py3langid's own `classify` over its 140 labels, and Pulse's detector
(`pulse.ingest.language`) over every label and over the ISO 639-1 labels, the latter also
after removing links, handles, masks and digits (CLEANUP, measured and left out), all with
no threshold; then the chosen one at its threshold and at several others. A prediction
is counted right when its ISO 639-1 code is the set's (py3langid's regional labels arz,
ary count as Arabic). Speed is texts a second on one core, best of
three passes, on all the sets' texts (short) and on 20,000 support texts of 1-6 banking77
questions (about 190 characters, as bench/ingest.py's tickets).

The last line printed is one JSON object with every figure; without ../shared/data it says
why it skipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pulse.ingest import language  # noqa: E402

UMSAB = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}
MASSIVE = {"en-US": "en", "de-DE": "de", "sw-KE": "sw"}
THRESHOLDS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 0.9)
# Texts that should get no language (empty and blank ones are added in load_sets).
JUNK_FILE = REPO_ROOT / "tests" / "data" / "texts_without_language.txt"


def log(message: str) -> None:
    print(message, flush=True)


def load_sets(data_dir: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Set name -> (the language every text is in, or None for junk; the texts)."""
    sets: dict[str, tuple[str | None, list[str]]] = {}
    umsab = data_dir / "umsab_multilingual_tweet_sentiment"
    for folder, code in UMSAB.items():
        texts = (umsab / folder / "test_text.txt").read_text(encoding="utf-8").splitlines()
        sets[f"tweets {code}"] = (code, texts)
    for locale, code in MASSIVE.items():
        with (data_dir / "massive_parallel_intents" / f"{locale}.jsonl").open() as lines:
            sets[f"intents {code}"] = (code, [json.loads(line)["utt"] for line in lines])
    with (data_dir / "banking77" / "test.csv").open(newline="", encoding="utf-8") as f:
        sets["banking77 en"] = ("en", [row["text"] for row in csv.DictReader(f)])
    sets["junk"] = (None, ["", " ", *JUNK_FILE.read_text(encoding="utf-8").splitlines()])
    return sets


def support_texts(data_dir: Path, count: int = 20_000) -> list[str]:
    """Tickets of 1-6 banking77 questions (seeded), for the speed of longer texts."""
    with (data_dir / "banking77" / "train.csv").open(newline="", encoding="utf-8") as f:
        questions = [row["text"] for row in csv.DictReader(f)]
    rng = random.Random(7)
    return [" ".join(rng.sample(questions, rng.randint(1, 6))) for _ in range(count)]


Detect = Callable[[list[str]], list[str | None]]


# The cleanup measured and left out: links, @handles, redaction masks and numbers removed
# before the model reads a text. It changed no set by more than half a point (junk aside,
# which the threshold settles) and cost a third of the speed.
CLEANUP = re.compile(r"https?://\S+|www\.\S+|@\[?\w+\]?|\[[a-z]+\]|[\d_]+", re.ASCII)


def pulse_detector(candidates: str, threshold: float, cleanup: bool = False) -> Detect:
    """Pulse's detector, optionally after CLEANUP."""
    detector = language.LanguageDetector(candidates, threshold)
    if not cleanup:
        return detector.detect
    return lambda texts: detector.detect([CLEANUP.sub(" ", text) for text in texts])


def py3langid_classify() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    labels = language.LanguageDetector("all", 0.0).labels
    codes = dict(zip(model.nb_classes, labels, strict=True))
    return lambda texts: [codes[model.classify(text)[0]] for text in texts]


def lingua_detector() -> Detect | None:
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(texts: list[str]) -> list[str | None]:
        found = [detector.detect_language_of(text) for text in texts]
        return [lang.iso_code_639_1.name.lower() if lang else None for lang in found]

    return detect


def score(truth: str | None, predicted: list[str | None]) -> dict:
    """Shares right, unknown (None) and wrong, and the most frequent answers."""
    total = len(predicted)
    right = sum(p == truth for p in predicted)
    unknown = sum(p is None for p in predicted) if truth is not None else 0
    return {
        "texts": total,
        "right": round(right / total, 4),
        "unknown": round(unknown / total, 4),
        "wrong": round((total - right - unknown) / total, 4),
        "answers": dict(Counter(str(p) for p in predicted).most_common(4)),
    }


def speed(detect: Detect, texts: list[str], passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        detect(texts)
        best = min(best, time.perf_counter() - started)
    return round(len(texts) / best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--no-lingua", action="store_true", help="skip lingua (a minute)")
    args = parser.parse_args()
    if not (args.data_dir / "umsab_multilingual_tweet_sentiment").is_dir():
        reason = f"{args.data_dir} has no umsab_multilingual_tweet_sentiment: nothing to measure"
        log(f"skipped: {reason}")
        print(json.dumps({"skipped": reason}))
        return
    sets = load_sets(args.data_dir)
    all_texts = [text for _, texts in sets.values() for text in texts]
    long_texts = support_texts(args.data_dir)
    chosen = f"pulse iso639-1 >= {language.MIN_CONFIDENCE}"
    detectors: dict[str, Detect] = {}
    lingua = None if args.no_lingua else lingua_detector()
    if lingua is not None:
        detectors["lingua high"] = lingua
    detectors["py3langid classify"] = py3langid_classify()
    detectors["pulse all"] = pulse_detector("all", 0.0)
    detectors["pulse iso639-1"] = pulse_detector("iso639-1", 0.0)
    detectors["pulse iso639-1 cleanup"] = pulse_detector("iso639-1", 0.0, cleanup=True)
    detectors[chosen] = pulse_detector("iso639-1", language.MIN_CONFIDENCE)

    results: dict[str, dict] = {}
    speeds: dict[str, dict] = {}
    for name, detect in detectors.items():
        results[name] = {s: score(truth, detect(texts)) for s, (truth, texts) in sets.items()}
        passes = 1 if name == "lingua high" else 3
        speeds[name] = {
            "short_texts_per_s": speed(detect, all_texts, passes),
            "support_texts_per_s": speed(
                detect, long_texts[:2_000] if passes == 1 else long_texts, passes
            ),
        }
    sweep: dict[str, dict] = {}
    for threshold in THRESHOLDS:
        detect = pulse_detector("iso639-1", threshold)
        sweep[str(threshold)] = {
            s: score(truth, detect(texts)) for s, (truth, texts) in sets.items()
        }

    names = list(detectors)
    width = max(map(len, names)) + 2
    log("Right answers per set (share of texts; junk: share given no language)")
    log(f"{'set':<14}{'texts':>7}" + "".join(f"{n:>{width}}" for n in names))
    for s, (truth, texts) in sets.items():
        cells = []
        for name in names:
            row = results[name][s]
            cells.append(f"{row['right'] if truth else 1 - row['wrong']:>{width}.1%}")
        log(f"{s:<14}{len(texts):>7}" + "".join(cells))
    log("\nTexts per second (one core, best of 3; lingua 1 pass)")
    for name in names:
        row = speeds[name]
        short, support = row["short_texts_per_s"], row["support_texts_per_s"]
        log(f"  {name:<24} short {short:>8,}   support {support:>8,}")
    log("\nPulse (ISO 639-1 labels) by confidence threshold: right / unknown / wrong")
    log(f"{'set':<14}" + "".join(f"{t:>17}" for t in THRESHOLDS))
    for s in sets:
        cells = []
        for threshold in THRESHOLDS:
            row = sweep[str(threshold)][s]
            cells.append(f"{row['right']:>7.1%}/{row['unknown']:.0%}/{row['wrong']:.0%}".rjust(17))
        log(f"{s:<14}" + "".join(cells))
    log(f"\nHindi tweets ({chosen}): {results[chosen]['tweets hi']['answers']}")
    print(
        json.dumps(
            {
                "min_confidence": language.MIN_CONFIDENCE,
                "max_chars": language.MAX_CHARS,
                "lingua": "measured" if lingua is not None else "not installed or --no-lingua",
                "results": results,
                "speed": speeds,
                "threshold_sweep": sweep,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
