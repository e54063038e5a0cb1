"""The real-set bench's own helpers: how it compares labels and spots brand or mask words.

The bench (bench/realsets.py) is not a test, but these rules decide its figures, so they
are pinned here; the two tests that read the shared data skip without it.
"""

from __future__ import annotations

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


def test_a_placeholder_taking_its_first_name_is_no_rename_of_a_named_label():
    before = {1: "Toilet paper", 2: "Other feedback (2)", 3: "Short replies", 4: "Prices"}
    after = {1: "Toilet paper", 2: "Like", 3: "Short replies", 4: "Price rises"}
    assert realsets.label_pairs(before, after) == (2, 4)
    assert realsets.label_pairs(before, after, named_only=True) == (1, 2)


def load_as_a_new_user(name: str, tmp_path: Path, query: str) -> tuple:
    """Ingest a real set's file as it is through the bench's mapping; the report and one
    row of `query` over what loaded."""
    from pulse.db import connect
    from pulse.ingest import ingest_paths

    realset = realsets.SETS[name]
    mapping = tmp_path / f"{name}.toml"
    mapping.write_text(realset.mapping_toml, encoding="utf-8")
    with connect(tmp_path / "pulse.duckdb") as con:
        [report] = ingest_paths(
            con,
            [realsets.DATA_DIR / realset.relative_path],
            source=realset.source,
            mappings_file=mapping,
            timezone="UTC",
        )
        return report, con.execute(query).fetchone()


@needs_shared_data
def test_corona_loads_as_it_is_through_a_mapping_that_names_its_date_pattern(tmp_path):
    assert 'created_at_format = "%d-%m-%Y"' in realsets.SETS["corona"].mapping_toml
    report, (first, last) = load_as_a_new_user(
        "corona", tmp_path, "select min(created_at), max(created_at) from feedback"
    )
    assert report.rows_in == 3798 and report.rows_rejected == 0
    assert (str(first.date()), str(last.date())) == ("2020-03-02", "2020-03-16")


@needs_shared_data
def test_threads_reviews_load_as_they_are_keyed_by_their_rows(tmp_path):
    assert 'id = "@row"' in realsets.SETS["threads"].mapping_toml  # it has no id column
    report, (ids,) = load_as_a_new_user(
        "threads", tmp_path, "select count(distinct external_id) from feedback"
    )
    # 32,910 reviews, some word for word the same on the same day: every one loads.
    assert (report.rows_in, report.rows_loaded, report.rows_duplicate) == (32910, 32910, 0)
    assert ids == 32910
