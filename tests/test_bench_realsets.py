"""The real-set bench's own helpers: how it compares labels and spots brand or mask words.

The bench (bench/realsets.py) is not a test, but these rules decide its figures, so they
are pinned here; the two tests that read the shared data skip without it.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "bench_realsets", REPO_ROOT / "bench" / "realsets.py"
)
realsets = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = realsets  # dataclasses look their module up while it loads
_spec.loader.exec_module(realsets)

needs_shared_data = pytest.mark.skipif(
    not realsets.DATA_DIR.exists(), reason=f"{realsets.DATA_DIR} (shared data) not present"
)


def test_labels_differing_in_case_punctuation_order_and_endings_read_the_same():
    assert realsets.label_key("App crashes") == realsets.label_key("app crashing")
    assert realsets.label_key("Songs and playlists") == realsets.label_key("Playlist, song")
    assert realsets.label_key("COVID and coronavirus") == realsets.label_key(
        "Coronavirus and COVID"
    )
    assert realsets.label_key("Logged out") == realsets.label_key("log out")


def test_labels_saying_different_things_do_not_read_the_same():
    assert realsets.label_key("App crashes") != realsets.label_key("App freezes")
    assert realsets.label_key("Spotify app") != realsets.label_key("Spotify and app store")


def test_repeated_labels_are_the_rows_after_the_first_of_each():
    labels = ["Spotify and music", "Toilet paper", "Spotify and music", "Music, Spotify"]
    assert realsets.repeated_labels(labels) == ["Spotify and music"]
    assert realsets.repeated_labels(labels, reads_same=True) == [
        "Spotify and music",
        "Music, Spotify",
    ]


def test_brand_handles_masks_and_placeholders_are_found():
    brands = ("spotify", "spotifycares", "meta")
    assert realsets.brand_or_mask_words("Spotify's premium", brands) == ["Spotify's"]
    assert realsets.brand_or_mask_words("ProveSpotifyCares and bummer", brands) == [
        "ProveSpotifyCares"
    ]
    assert realsets.brand_or_mask_words("@AppleSupport battery", ()) == ["@AppleSupport"]
    assert realsets.brand_or_mask_words("XXXX charged twice", ()) == ["XXXX"]
    assert realsets.brand_or_mask_words("Change [email] address", ()) == ["[email]"]
    assert realsets.brand_or_mask_words("Reply to @[user]", ()) == ["@[user]"]


def test_plain_topic_words_are_not_brand_or_mask_words():
    brands = ("spotify", "meta", "threads")
    assert realsets.brand_or_mask_words("Change email address", brands) == []
    assert realsets.brand_or_mask_words("Metadata export", brands) == []
    assert realsets.brand_or_mask_words("Extra fees", brands) == []


def test_label_stability_counts_only_ids_ranked_both_weeks():
    before = {1: "Toilet paper", 2: "Song playlist", 3: "Gone next week"}
    after = {1: "Toilet paper", 2: "Songs playlist", 4: "New this week"}
    assert realsets.label_stability(before, after) == 0.5
    assert realsets.label_stability(before, after, reads_same=True) == 1.0
    assert realsets.label_stability({1: "a"}, {2: "b"}) is None


@needs_shared_data
def test_corona_loads_as_it_is_through_a_mapping_that_names_its_date_pattern(tmp_path):
    from pulse.db import connect
    from pulse.ingest import ingest_paths

    corona = realsets.SETS["corona"]
    assert corona.derive is None and 'created_at_format = "%d-%m-%Y"' in corona.mapping_toml
    mapping = tmp_path / "corona.toml"
    mapping.write_text(corona.mapping_toml, encoding="utf-8")
    with connect(tmp_path / "pulse.duckdb") as con:
        [report] = ingest_paths(
            con,
            [realsets.DATA_DIR / corona.relative_path],
            source=corona.source,
            mappings_file=mapping,
            timezone="UTC",
        )
        first, last = con.execute(
            "select min(created_at), max(created_at) from feedback"
        ).fetchone()
    assert report.rows_in == 3798 and report.rows_rejected == 0
    assert (str(first.date()), str(last.date())) == ("2020-03-02", "2020-03-16")


@needs_shared_data
def test_threads_copy_numbers_every_review_once(tmp_path):
    threads = realsets.SETS["threads"]
    target = tmp_path / "threads.csv"
    threads.derive(realsets.DATA_DIR / threads.relative_path, target)
    with target.open(encoding="utf-8", newline="") as handle:
        numbers = [row["row_number"] for row in csv.DictReader(handle)]
    assert numbers == [str(n) for n in range(1, 32911)]
