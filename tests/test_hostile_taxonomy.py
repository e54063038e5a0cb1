"""The taxonomy file read as a hostile user would write it (issue 18, point 3).

Both readers are held to the same refusals: the run's `read_taxonomy` and the
round-trip editor behind `pulse topics rename|merge|hide|seed`. Files are real
YAML on disk; nothing is mocked.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from pulse.cli.topics import edit_taxonomy
from pulse.errors import PulseError
from pulse.topics.taxonomy import (
    EXAMPLE_MAX_CHARS,
    LABEL_MAX_CHARS,
    MAX_DEPTH,
    NOTES_MAX_CHARS,
    TAXONOMY_FILE,
    read_taxonomy,
)

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def billion_laughs(under_topics: bool) -> str:
    """Nine anchors, each a list of nine aliases of the one before: 9**9 strings if expanded."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    if not under_topics:
        return "\n".join(lines) + "\n"
    # the probe's shape: every list a topic's label, so reading the labels walks them all
    entries = [f"  - id: {number}\n    label: {line.split(': ', 1)[1]}" for number, line in
               enumerate(lines, start=1)]  # fmt: skip
    return "topics:\n" + "\n".join(entries) + "\n"


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused_by_both(path: Path) -> tuple[str, str]:
    """The run's and the editor's messages for one file, checking the editor wrote nothing."""
    before = path.read_bytes()
    with pytest.raises(PulseError) as read_error:
        read_taxonomy(path)
    with pytest.raises(PulseError) as edit_error:
        edit_taxonomy(path, "hide", 3)
    assert path.read_bytes() == before
    assert not list(path.parent.glob(".taxonomy-*"))
    return str(read_error.value), str(edit_error.value)


@pytest.mark.parametrize("under_topics", [True, False])
def test_a_billion_laughs_file_is_refused_within_a_second_and_little_memory(
    tmp_path, under_topics
):
    path = write(tmp_path / "taxonomy.yaml", billion_laughs(under_topics))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        read_message, edit_message = refused_by_both(path)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20_000_000  # bytes; the probe's run passed 2.4 GB before it was stopped
    for message in (read_message, edit_message):
        assert str(path) in message and "line " in message
        assert "anchors (&a) are not allowed" in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("topics:\n  - id: 1\n    owner: &team Billing\n  - id: 2\n    owner: *team\n",
         "line 3: YAML anchors (&team)"),
        ("topics:\n  - id: 1\n    owner: *team\n", "line 3: YAML aliases (*team)"),
        ("base: &b {owner: Billing}\ntopics:\n  - <<: *b\n    id: 1\n", "line 1: YAML anchors"),
    ],
)  # fmt: skip
def test_anchors_and_aliases_are_refused_even_when_harmless(tmp_path, text, expected):
    read_message, edit_message = refused_by_both(write(tmp_path / "t.yaml", text))
    assert expected in read_message and expected in edit_message
    assert "write" in read_message  # the fix: write the value out in full


def test_deep_nesting_is_refused_from_the_event_stream_without_recursing(tmp_path):
    shallow = write(tmp_path / "shallow.yaml", "topics: " + "[" * (MAX_DEPTH + 1) + "]" * 7)
    assert f"nested more than {MAX_DEPTH} levels" in refused_by_both(shallow)[0]
    # 0.8 MB of brackets: a recursive composer would overflow long before the end
    deep = write(tmp_path / "deep.yaml", "topics: " + "[" * 400_000 + "]" * 400_000)
    started = time.perf_counter()
    read_message, _ = refused_by_both(deep)
    assert time.perf_counter() - started < 1.0
    assert "line 1: nested more than" in read_message


def test_a_file_over_one_megabyte_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    path = write(tmp_path / "t.yaml", "topics: []\n" + "#" * 1_000_000 + "\n")
    read_message, edit_message = refused_by_both(path)
    assert "larger than 1 MB" in read_message and str(path) in edit_message
    # a path pointed at a device that never ends costs one megabyte, not forever
    started = time.perf_counter()
    with pytest.raises(PulseError, match="larger than 1 MB"):
        read_taxonomy(Path("/dev/zero"))
    assert time.perf_counter() - started < 1.0


def test_a_file_that_is_not_utf8_names_the_file_the_line_and_the_encoding(tmp_path):
    path = write(tmp_path / "t.yaml", b"topics:\n  - id: 1\n    label: Caf\xe9 prices\n")
    for message in refused_by_both(path):
        assert f"{path}, line 3: the taxonomy file must be UTF-8 text" in message
        assert "save the file as UTF-8" in message and "\n" not in message
    utf16 = write(tmp_path / "u.yaml", "topics: []\n".encode("utf-16"))
    assert "saved as UTF-16; save it as UTF-8" in refused_by_both(utf16)[0]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = write(tmp_path / "t.yaml", "\ufefftopics:\n  - id: 1\n    label: Billing\n".encode())
    assert read_taxonomy(path).edits[0].label == "Billing"


def test_invalid_yaml_is_one_line_with_the_file_line_column_and_the_fix(tmp_path):
    path = write(tmp_path / "t.yaml", "topics:\n  - id: 1\n   label: Billing\n")
    read_message, edit_message = refused_by_both(path)
    assert read_message.startswith(f"{path}, line 3, column 4: not valid YAML (")
    assert "check the indentation there" in read_message
    assert "\n" not in read_message and "\n" not in edit_message
    assert edit_message.startswith("edit refused, the file is unchanged: ")


def test_a_key_given_twice_in_one_entry_is_refused_by_both_readers(tmp_path):
    path = write(tmp_path / "t.yaml", "topics:\n  - id: 1\n    label: A\n    label: B\n")
    read_message, _ = refused_by_both(path)
    assert "line 4: 'label' is given twice in one entry (first at line 3)" in read_message


def test_a_label_that_is_a_list_is_refused_not_printed_as_one(tmp_path):
    path = write(tmp_path / "t.yaml", "topics:\n  - id: 1\n    label: [a, b]\n")
    assert "line 2: 'label' must be text on one line" in refused_by_both(path)[0]


def test_bidi_and_control_characters_are_stripped_from_labels_owners_notes_and_seeds(tmp_path):
    path = write(
        tmp_path / "t.yaml",
        'topics:\n  - id: 1\n    label: "\u202eedoc Verification\u202c"\n'
        '    owner: "Trust\u2066 & Safety\u2069\u200e"\n'
        '    notes: "Call\\tback\\nwithin \\a48 h\u200f\u00ad"\n'
        'seeds:\n  - name: "\u2067Invites\u2069"\n    examples: ["sent to \u202dall\u202c"]\n',
    )
    taxonomy = read_taxonomy(path)
    (edit,) = taxonomy.edits
    assert (edit.label, edit.owner, edit.notes) == (
        "edoc Verification", "Trust & Safety", "Call back within 48 h",
    )  # fmt: skip
    assert (taxonomy.seeds[0].name, taxonomy.seeds[0].examples) == ("Invites", ["sent to all"])


def test_a_label_differing_only_by_invisible_characters_is_a_duplicate(tmp_path):
    text = 'topics:\n  - id: 1\n    label: Billing\n  - id: 2\n    label: "Bill\u200fing"\n'
    path = write(tmp_path / "t.yaml", text)
    with pytest.raises(PulseError, match="label 'Billing' is already used by topic 1"):
        read_taxonomy(path)


def test_the_editor_writes_no_bidi_character_into_the_file(tmp_path):
    path = write(tmp_path / "t.yaml", "topics: []\n")
    edit_taxonomy(path, "rename", 7, label=f"Verification {BIDI}code")
    edit_taxonomy(path, "seed", label="\u202eInvites", examples=["a\u2066b"], owner="Gr\u200eowth")
    text = path.read_text(encoding="utf-8")
    assert not set(text) & set(BIDI)
    assert read_taxonomy(path).edits[0].label == "Verification code"


@pytest.mark.parametrize(
    ("key", "cap"), [("label", LABEL_MAX_CHARS), ("owner", LABEL_MAX_CHARS),
                     ("notes", NOTES_MAX_CHARS)],
)  # fmt: skip
def test_text_over_its_cap_is_refused_with_the_cap_and_the_line(tmp_path, key, cap):
    at_cap = write(tmp_path / "ok.yaml", f"topics:\n  - id: 1\n    {key}: {'x' * cap}\n")
    assert len(getattr(read_taxonomy(at_cap).edits[0], key)) == cap
    over = write(tmp_path / "t.yaml", f"topics:\n  - id: 1\n    {key}: {'x' * (cap + 1)}\n")
    message = refused_by_both(over)[0]
    assert f"line 2: '{key}' is {cap + 1:,} characters long, over the {cap:,} allowed" in message


def test_a_rename_over_the_cap_is_refused_and_changes_nothing(tmp_path):
    path = write(tmp_path / "t.yaml", "topics: []\n")
    with pytest.raises(PulseError, match=r"edit refused, .* over the 120 allowed"):
        edit_taxonomy(path, "rename", 7, label="x" * 121)
    assert path.read_text(encoding="utf-8") == "topics: []\n"


def test_the_files_header_states_the_limits_it_is_held_to():
    header = " ".join(
        line.lstrip("# ") for line in TAXONOMY_FILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    )  # fmt: skip
    for stated in (
        f"owners up to {LABEL_MAX_CHARS} characters", f"example phrases up to {EXAMPLE_MAX_CHARS}",
        f"notes up to {NOTES_MAX_CHARS:,}", "under 1 MB", "without anchors",
        f"at most {MAX_DEPTH} levels", "U+202E",
    ):  # fmt: skip
        assert stated in header, stated


def test_a_bidi_label_reaches_the_registry_and_the_re_rendered_report_without_bidi(
    demo_run, tmp_path, monkeypatch, capsys
):
    """The probe's "Verification edoc": a U+202E in a label reversed it in the PDF."""
    from pulse.cli.main import main
    from pulse.db import connect
    from tests.output_readers import pdf_text, ranked_rows

    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    with connect(db_path) as con:
        (top,) = con.execute(
            "select topic_id from ranked_issues order by priority desc limit 1"
        ).fetchone()
    taxonomy = write(
        tmp_path / "taxonomy.yaml",
        f'topics:\n  - id: {top}\n    label: "Verification \u202eedoc\u202c{BIDI}"\n'
        f'    owner: "Trust\u2066 & Safety\u2069"\n',
    )
    monkeypatch.setenv("PULSE_TAXONOMY", str(taxonomy))
    assert main(["report", "--week", str(demo_run.week), "--output-dir", str(tmp_path)]) == 0
    pdf = Path(capsys.readouterr().out.strip())
    with connect(db_path) as con:
        label, owner = con.execute(
            "select label, owner from topics where topic_id = $t", {"t": top}
        ).fetchone()
    assert (label, owner) == ("Verification edoc", "Trust & Safety")
    rows = {row["topic_id"]: row for row in ranked_rows(pdf.parent / "ranked_issues.csv")}
    assert rows[str(top)]["label"] == "Verification edoc"
    text = pdf_text(pdf) + (pdf.parent / "report.html").read_text(encoding="utf-8")
    assert "Verification edoc" in text
    assert not set(text) & set(BIDI)
