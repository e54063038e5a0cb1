"""The edits the CLI and the web editor share, their versions and exact undo (no database).

Each test works on a copy of the shipped taxonomy file in a temporary folder, so the
file's own header comments are there to be kept.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from pulse.errors import PulseError
from pulse.topics import history
from pulse.topics.edits import edit_taxonomy, record_action, split_topic, undo_last
from pulse.topics.taxonomy import TAXONOMY_FILE, read_taxonomy


@pytest.fixture
def taxonomy(tmp_path) -> Path:
    path = tmp_path / "taxonomy.yaml"
    shutil.copy(TAXONOMY_FILE, path)
    return path


def comment_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]


def test_every_save_is_a_version_with_when_what_and_topics(taxonomy):
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    edit_taxonomy(taxonomy, "merge", 15, into=7)
    found = history.versions(taxonomy)
    assert [v.what for v in found] == [
        "the file as found before the first recorded edit",
        "topic 7 is now called 'Fake pages'",
        "topic 15 now counts under topic 7, history included",
    ]
    assert [v.previous for v in found] == [None, 1, 2]
    assert found[2].topics == [7, 15]
    assert history.version_bytes(taxonomy, found[0]) == TAXONOMY_FILE.read_bytes()
    assert history.version_bytes(taxonomy, found[-1]) == taxonomy.read_bytes()
    index = history.history_dir(taxonomy) / "index.jsonl"
    assert all(json.loads(line)["at"].endswith("Z") for line in index.read_text().splitlines())


def test_undo_restores_the_previous_file_byte_for_byte_and_steps_back_like_an_editor(taxonomy):
    original = taxonomy.read_bytes()
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    renamed = taxonomy.read_bytes()
    edit_taxonomy(taxonomy, "merge", 15, into=7)

    assert "undid 'topic 15 now counts under topic 7" in undo_last(taxonomy)
    assert taxonomy.read_bytes() == renamed
    assert "undid \"topic 7 is now called 'Fake pages'\"" in undo_last(taxonomy)
    assert taxonomy.read_bytes() == original
    with pytest.raises(PulseError, match="nothing to undo: version 5 .* is the oldest"):
        undo_last(taxonomy)
    assert taxonomy.read_bytes() == original
    # the undos are versions too: the history only grows
    assert [v.restores for v in history.versions(taxonomy)] == [None, None, None, 2, 1]


def test_an_edit_after_an_undo_is_undone_back_to_the_undone_state(taxonomy):
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    undo_last(taxonomy)
    before_hide = taxonomy.read_bytes()
    edit_taxonomy(taxonomy, "hide", 12)
    undo_last(taxonomy)
    assert taxonomy.read_bytes() == before_hide


def test_a_change_made_by_hand_is_recorded_before_the_next_save_so_undo_keeps_it(taxonomy):
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    by_hand = taxonomy.read_text(encoding="utf-8").replace("Fake pages", "Fake company pages")
    taxonomy.write_text(by_hand, encoding="utf-8")
    assert history.next_undo(taxonomy).what == "changed by hand, outside Pulse"
    edit_taxonomy(taxonomy, "hide", 12)
    assert [v.what for v in history.versions(taxonomy)][-2] == "changed by hand, outside Pulse"
    undo_last(taxonomy)
    assert taxonomy.read_text(encoding="utf-8") == by_hand


def test_an_edit_that_changes_nothing_records_no_version(taxonomy):
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    assert len(history.versions(taxonomy)) == 2


def test_a_refused_edit_records_no_version_and_leaves_no_temporary_file(taxonomy):
    edit_taxonomy(taxonomy, "merge", 15, into=7)
    with pytest.raises(PulseError, match="merge cycle"):
        edit_taxonomy(taxonomy, "merge", 7, into=15)
    assert len(history.versions(taxonomy)) == 2
    assert not list(taxonomy.parent.glob(".taxonomy-*"))


def test_unhide_and_unmerge_take_the_line_back_out_and_keep_the_comments(taxonomy):
    comments = comment_lines(taxonomy)
    edit_taxonomy(taxonomy, "hide", 12)
    edit_taxonomy(taxonomy, "merge", 15, into=7)
    assert edit_taxonomy(taxonomy, "unhide", 12) == "topic 12 shows in reports again"
    assert edit_taxonomy(taxonomy, "unmerge", 15) == (
        "topic 15 counts on its own again, no longer under topic 7"
    )
    assert read_taxonomy(taxonomy).edits == []  # no empty `- id: 12` entries left behind
    assert comment_lines(taxonomy) == comments


def test_unhide_and_unmerge_of_a_topic_that_is_neither_say_so(taxonomy):
    with pytest.raises(PulseError, match=r"topic 12 is not hidden in .*nothing to unhide"):
        edit_taxonomy(taxonomy, "unhide", 12)
    with pytest.raises(PulseError, match=r"topic 15 is not merged in .*nothing to unmerge"):
        edit_taxonomy(taxonomy, "unmerge", 15)
    assert taxonomy.read_bytes() == TAXONOMY_FILE.read_bytes()


def test_owner_and_notes_are_set_cleaned_and_cleared(taxonomy):
    assert edit_taxonomy(taxonomy, "owner", 7, owner="Trust\u202e & Safety") == (
        "topic 7's owner is now 'Trust & Safety'"
    )
    edit_taxonomy(taxonomy, "notes", 7, notes="Escalate to legal after 48 h")
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    (entry,) = read_taxonomy(taxonomy).edits
    assert (entry.owner, entry.notes, entry.label) == (
        "Trust & Safety",
        "Escalate to legal after 48 h",
        "Fake pages",
    )
    assert edit_taxonomy(taxonomy, "notes", 7, notes="") == "topic 7 has no notes now"
    assert read_taxonomy(taxonomy).edits[0].notes is None


def test_a_notes_over_its_limit_is_refused_in_the_runs_own_words(taxonomy):
    with pytest.raises(PulseError, match=r"'notes' is 2,001 characters long, over the 2,000"):
        edit_taxonomy(taxonomy, "notes", 7, notes="x" * 2_001)


def test_a_split_becomes_a_seed_that_says_where_it_came_from(taxonomy):
    long_text = "refund " * 100  # 700 characters: cut at a word to the phrase limit
    summary = split_topic(taxonomy, 40, "Refund delays", ["waiting for my refund", long_text])
    assert summary == "split 2 text(s) of topic 40 into seed 'Refund delays'"
    (seed,) = read_taxonomy(taxonomy).seeds
    assert seed.notes == "split from topic 40"
    assert seed.examples[0] == "waiting for my refund"
    assert len(seed.examples[1]) <= 500 and seed.examples[1].endswith("refund")
    with pytest.raises(PulseError, match="a seed named 'refund delays' already exists"):
        split_topic(taxonomy, 40, "refund delays", ["x"])


def test_a_split_without_texts_or_name_names_both_ways_to_pick_them(taxonomy):
    with pytest.raises(PulseError, match="pick texts on the topic's page, or a sub-theme"):
        split_topic(taxonomy, 40, "Refund delays", [])


def test_an_unknown_topic_is_refused_with_the_clis_words(taxonomy):
    for edit in ("rename", "hide", "owner"):
        with pytest.raises(PulseError) as refused:
            edit_taxonomy(taxonomy, edit, 99, label="x", owner="x", known_topics={7})
        assert str(refused.value) == (
            "topic 99 does not exist; the current topics are listed by `pulse topics list`"
        )


def test_a_topics_history_reads_renames_merges_actions_and_splits_off_the_versions(taxonomy):
    edit_taxonomy(taxonomy, "rename", 7, label="Fake pages")
    edit_taxonomy(taxonomy, "merge", 15, into=7)
    record_action(taxonomy, 7, "Takedown form shipped", date(2026, 11, 2))
    split_topic(taxonomy, 7, "Impostor pages", ["someone made a page pretending to be us"])
    undo_last(taxonomy)
    changes = [c["changes"] for c in history.topic_changes(taxonomy, 7)]
    assert changes == [
        ["seed 'Impostor pages' split from it removed"],
        ["split off as seed 'Impostor pages'"],
        ["action recorded for 2026-11-02: 'Takedown form shipped'"],
        ["topic 15 merged into it"],
        ["renamed to 'Fake pages'"],
    ]
    assert [c["changes"] for c in history.topic_changes(taxonomy, 15)] == [["merged into topic 7"]]


def test_varied_examples_start_at_the_centre_and_skip_near_duplicates():
    from pulse.editor.topic_page import pick_varied

    rng = np.random.default_rng(7)
    centre = np.eye(8)[0]
    copies = np.tile(centre + 0.01 * np.eye(8)[1], (5, 1))  # one text sent five times
    spread = centre + 0.6 * rng.normal(size=(10, 8))
    vectors = np.vstack([copies, spread]).astype(np.float32)
    picked, _ = pick_varied(vectors, 8)
    assert picked == pick_varied(vectors, 8)[0]  # deterministic
    assert sum(i < 5 for i in picked) == 1  # the copies show once
    assert len(set(picked)) == len(picked) == 8


def test_listening_beyond_this_machine_needs_a_real_token():
    from pulse.editor.security import check_listen

    check_listen("127.0.0.1", None)
    check_listen("::1", None)
    with pytest.raises(PulseError, match="listens on 0.0.0.0 only with an access token"):
        check_listen("0.0.0.0", None)
    with pytest.raises(PulseError, match="use at least 16"):
        check_listen("0.0.0.0", "short")
    check_listen("0.0.0.0", "a" * 24)
