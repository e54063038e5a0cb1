"""The taxonomy file's `actions:` section and `pulse topics action` (issue 19, point 3).

Like tests/test_taxonomy.py, files are real YAML in tmp folders with `PULSE_TAXONOMY`
pointing at them; the repository's own topics/taxonomy.yaml is never written.
"""

from __future__ import annotations

from datetime import date

import pytest

from pulse.cli.topics import edit_taxonomy, record_action
from pulse.db import connect
from pulse.errors import PulseError
from pulse.topics.taxonomy import ACTION_MAX_CHARS, TAXONOMY_FILE, read_taxonomy
from pulse.topics.taxonomy_apply import apply_taxonomy
from tests import test_taxonomy
from tests.test_taxonomy import run_topics, write

# the registry and the taxonomy copy of tests/test_taxonomy.py, shared rather than rewritten
registry = test_taxonomy.registry
taxonomy_copy = test_taxonomy.taxonomy_copy

ENTRY = "actions:\n  - id: 7\n    action: Undo for bulk invites shipped\n    on: 2026-11-02\n"


def test_an_action_reads_with_its_topic_text_day_and_owner(tmp_path):
    # `on` is a boolean to PyYAML (YAML 1.1) when bare: the entry is read by the keys written
    path = write(tmp_path / "t.yaml", ENTRY + "    owner: Growth\n")
    (action,) = read_taxonomy(path).actions
    assert (action.topic_id, action.action, action.on, action.owner, action.line) == (
        7, "Undo for bulk invites shipped", date(2026, 11, 2), "Growth", 2,
    )  # fmt: skip


def test_a_quoted_date_and_bidi_characters_in_the_text_are_read_as_plain_text(tmp_path):
    path = write(
        tmp_path / "t.yaml",
        'actions:\n  - id: "#7"\n    action: "Undo \u202eshipped"\n    on: "2026-11-02"\n'
        '    owner: "Gro\u200ewth"\n',
    )
    (action,) = read_taxonomy(path).actions
    assert (action.topic_id, action.action, action.on, action.owner) == (
        7, "Undo shipped", date(2026, 11, 2), "Growth",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actions:\n  - action: x\n    on: 2026-11-02\n", "line 2: each action needs an 'id:'"),
        ("actions:\n  - id: 7\n    on: 2026-11-02\n", "line 2: each action needs 'action:'"),
        ("actions:\n  - id: 7\n    action: x\n", "line 2: each action needs 'on:'"),
        (
            "actions:\n  - id: 7\n    action: x\n    on: 2 November\n",
            "line 2: 'on' must be a date written year-month-day, like 2026-11-02",
        ),
        (
            "actions:\n  - id: 7\n    action: x\n    on: 2026-11-02\n    when: now\n",
            r"line 2: unknown key\(s\) \['when'\]; use \['action', 'id', 'on', 'owner'\]",
        ),
        ("actions:\n  - id: seven\n    action: x\n    on: 2026-11-02\n", "'id' must be a topic"),
        ("actions: 7\n", "'actions' must be a list of entries"),
        (
            ENTRY + "  - id: 7\n    action: UNDO for bulk invites shipped\n    on: 2026-11-02\n",
            "line 5: the same action on topic 7 on 2026-11-02 is already recorded at line 2",
        ),
        (
            f"actions:\n  - id: 7\n    action: {'x' * (ACTION_MAX_CHARS + 1)}\n    on: 2026-11-02",
            f"'action' is {ACTION_MAX_CHARS + 1} characters long, over the {ACTION_MAX_CHARS}",
        ),
    ],
)
def test_a_malformed_action_is_refused_with_the_line_and_the_fix(tmp_path, text, expected):
    path = write(tmp_path / "t.yaml", text)
    with pytest.raises(PulseError, match=expected):
        read_taxonomy(path)
    with pytest.raises(PulseError, match="edit refused, the file is unchanged"):
        edit_taxonomy(path, "hide", 3)  # the editor refuses what the run refuses


def test_an_action_on_a_topic_that_does_not_exist_names_the_line(registry, tmp_path):
    path = write(tmp_path / "t.yaml", "topics: []\n" + ENTRY.replace("id: 7", "id: 99"))
    with pytest.raises(PulseError, match=r"line 3: topic 99 does not exist; the current topics"):
        apply_taxonomy(registry, path)


def test_the_files_header_shows_an_action_entry_and_states_its_cap():
    header = " ".join(
        line.lstrip("# ") for line in TAXONOMY_FILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    )  # fmt: skip
    assert f"actions up to {ACTION_MAX_CHARS}" in header
    assert "pulse topics action 7" in header and "on: 2026-11-02" in header


# --- `pulse topics action` -------------------------------------------------------------------


def test_recording_actions_keeps_the_comments_and_reads_back_as_entered(taxonomy_copy):
    comments = [line for line in taxonomy_copy.read_text().splitlines() if line.startswith("#")]
    record_action(taxonomy_copy, 7, "Undo for bulk invites shipped", date(2026, 11, 2), "Growth")
    record_action(taxonomy_copy, 7, "Confirmation screen added", date(2026, 11, 9))
    edit_taxonomy(taxonomy_copy, "rename", 7, label="Invites to all contacts")
    text = taxonomy_copy.read_text()
    assert [line for line in text.splitlines() if line.startswith("#")] == comments
    taxonomy = read_taxonomy(taxonomy_copy)
    assert [(a.topic_id, a.action, a.on, a.owner) for a in taxonomy.actions] == [
        (7, "Undo for bulk invites shipped", date(2026, 11, 2), "Growth"),
        (7, "Confirmation screen added", date(2026, 11, 9), None),
    ]
    assert taxonomy.edits[0].label == "Invites to all contacts"


def test_a_refused_action_leaves_the_file_unchanged(taxonomy_copy):
    record_action(taxonomy_copy, 7, "Undo shipped", date(2026, 11, 2))
    before = taxonomy_copy.read_bytes()
    with pytest.raises(PulseError, match=r"edit refused, .* is unchanged: .*already recorded"):
        record_action(taxonomy_copy, 7, "Undo shipped", date(2026, 11, 2))
    with pytest.raises(PulseError, match="topic 99 does not exist"):
        record_action(taxonomy_copy, 99, "x", date(2026, 11, 2), known_topics={7})
    with pytest.raises(PulseError, match="say what was done"):
        record_action(taxonomy_copy, 7, "\u202e ", date(2026, 11, 2))
    assert taxonomy_copy.read_bytes() == before
    assert not list(taxonomy_copy.parent.glob(".taxonomy-*"))


def test_a_day_that_is_not_a_date_is_a_usage_error(taxonomy_copy, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_topics(["action", "7", "Undo shipped", "--on", "next tuesday"])
    assert exit_info.value.code == 2
    assert "write it year-month-day, like 2026-11-02" in capsys.readouterr().err


def test_topics_action_records_it_and_topics_show_gives_its_verdict(
    demo_run,
    tmp_path,
    monkeypatch,
    taxonomy_copy,
    capsys,
):
    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    with connect(db_path) as con:
        (issue,) = con.execute(
            "select topic_id from topics where level = 'issue' order by topic_id limit 1"
        ).fetchone()
    on = demo_run.week.shift(-3).monday.isoformat()
    assert run_topics(["action", str(issue), "Help page rewritten", "--on", on]) == 0
    out = capsys.readouterr().out
    assert f"recorded on topic {issue} from {on}: 'Help page rewritten'" in out
    assert run_topics(["show", str(issue)]) == 0
    out = capsys.readouterr().out
    assert f"actions, judged as of {demo_run.week}:" in out
    line = next(line for line in out.splitlines() if "Help page rewritten" in line)
    assert line.strip().startswith(on)
    assert any(word in line for word in ("worked.", "no clear change yet.", "worse."))


def test_an_unknown_topic_stops_the_run_reading_the_file_not_just_the_editor(tmp_path):
    path = write(tmp_path / "t.yaml", ENTRY)
    with connect(tmp_path / "empty.duckdb") as con:
        with pytest.raises(PulseError, match="topic 7 does not exist"):
            apply_taxonomy(con, path)
