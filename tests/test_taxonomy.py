"""The taxonomy file CX ops edit, its validation, and the `pulse topics` commands.

Tests never touch the repository's own topics/taxonomy.yaml: they write tmp copies
and point `PULSE_TAXONOMY` at them.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pytest

from pulse.config import TOPICS_DIR
from pulse.db import connect
from pulse.errors import PulseError
from pulse.run import RunContext
from pulse.topics.registry import register_clusters
from pulse.topics.taxonomy import TAXONOMY_FILE, read_taxonomy, taxonomy_path
from pulse.topics.taxonomy_apply import apply_taxonomy
from pulse.weeks import IsoWeek


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def registry(tmp_path):
    """A database with topics 1..4 (synthetic centroids, no model)."""
    with connect(tmp_path / "registry.duckdb") as con:
        centroids = {i: np.eye(8, dtype=np.float32)[i] for i in range(4)}
        keywords = {0: ["refund"], 1: ["login"], 2: ["fake page"], 3: ["great"]}
        register_clusters(con, centroids, keywords, IsoWeek.parse("2026-W10"))
        yield con


def topic(con, topic_id: int) -> dict:
    row = con.execute(
        "select label, status, merged_into, owner, notes from topics where topic_id = $t",
        {"t": topic_id},
    ).fetchone()
    return dict(zip(("label", "status", "merged_into", "owner", "notes"), row, strict=True))


# --- validation ------------------------------------------------------------------------------


def test_the_shipped_taxonomy_file_is_valid():
    taxonomy = read_taxonomy(TAXONOMY_FILE)
    assert TAXONOMY_FILE.parent == TOPICS_DIR
    assert all(edit.topic_id > 0 for edit in taxonomy.edits)


def test_the_taxonomy_path_follows_pulse_taxonomy(monkeypatch, tmp_path):
    monkeypatch.delenv("PULSE_TAXONOMY", raising=False)
    assert taxonomy_path() == TAXONOMY_FILE
    monkeypatch.setenv("PULSE_TAXONOMY", str(tmp_path / "mine.yaml"))
    assert taxonomy_path() == tmp_path / "mine.yaml"


def test_an_unknown_topic_id_names_the_file_the_line_and_the_fix(registry, tmp_path):
    path = write(tmp_path / "t.yaml", "topics:\n  - id: 1\n    label: Billing\n  - id: 99\n")
    with pytest.raises(PulseError) as error:
        apply_taxonomy(registry, path)
    message = str(error.value)
    assert str(path) in message and "line 4" in message
    assert "topic 99 does not exist" in message and "pulse topics list" in message


def test_a_merge_cycle_names_the_line_and_the_chain(tmp_path):
    path = write(
        tmp_path / "t.yaml",
        "# comment\ntopics:\n  - id: 1\n    merge_into: 2\n  - id: 2\n    merge_into: 3\n"
        "  - id: 3\n    merge_into: 1\n",
    )
    with pytest.raises(PulseError, match=r"t\.yaml, line 3: merge cycle 1 -> 2 -> 3 -> 1; remove"):
        read_taxonomy(path)


def test_a_duplicate_name_names_both_entries_and_suggests_a_merge(tmp_path):
    path = write(
        tmp_path / "t.yaml",
        "topics:\n  - id: 1\n    label: Billing\n  - id: 2\n    label: billing\n",
    )
    with pytest.raises(PulseError) as error:
        read_taxonomy(path)
    message = str(error.value)
    assert "line 4" in message and "topic 1 (line 2)" in message and "merge" in message


def test_a_seed_named_like_a_renamed_topic_is_refused(tmp_path):
    path = write(
        tmp_path / "t.yaml",
        "topics:\n  - id: 1\n    label: Fake pages\nseeds:\n  - name: fake PAGES\n"
        "    examples: [fake company page]\n",
    )
    with pytest.raises(PulseError, match="line 5: seed name 'fake PAGES' is already used"):
        read_taxonomy(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("topics:\n  - id: 1\n    lable: x\n", r"line 2: unknown key\(s\) \['lable'\]; use"),
        ("topics:\n  - label: x\n", "line 2: each entry needs an 'id:'"),
        ("topics:\n  - id: seven\n", "line 2: 'id' and 'merge_into' must be topic numbers"),
        ("topics:\n  - id: 3\n    merge_into: 3\n", "topic 3 cannot merge into itself"),
        ("topics:\n  - id: 3\n  - id: 3\n    hide: true\n", "topic 3 already has an entry"),
        ("topics: [\n", "not valid YAML"),
        ("seeds:\n  - name: Invites\n", "line 2: seed 'Invites' needs 'examples:'"),
        ("topic:\n  - id: 1\n", r"unknown section\(s\) \['topic'\]"),
    ],
)
def test_a_malformed_entry_is_refused_with_the_line_and_the_fix(tmp_path, text, expected):
    with pytest.raises(PulseError, match=expected):
        read_taxonomy(write(tmp_path / "t.yaml", text))


# --- applying ----------------------------------------------------------------------------------


def test_rename_hide_owner_and_notes_apply_and_removing_the_line_undoes_them(registry, tmp_path):
    path = write(
        tmp_path / "t.yaml",
        "topics:\n  - id: 1\n    label: Premium billing\n    owner: Billing team\n"
        "    notes: Refunds within 5 days\n  - id: 4\n    hide: yes\n",
    )
    apply_taxonomy(registry, path)
    assert topic(registry, 1) == {
        "label": "Premium billing",
        "status": "new",
        "merged_into": None,
        "owner": "Billing team",
        "notes": "Refunds within 5 days",
    }
    assert topic(registry, 4)["status"] == "hidden"
    write(path, "topics: []\n")
    apply_taxonomy(registry, path)
    assert topic(registry, 1)["label"] == "Refund"
    assert topic(registry, 1)["owner"] is None
    assert topic(registry, 4)["status"] == "active"


def test_a_merge_chain_ends_at_its_last_topic(registry, tmp_path):
    path = write(
        tmp_path / "t.yaml", "topics:\n  - id: 3\n    merge_into: 2\n  - id: 2\n    merge_into: 1\n"
    )
    apply_taxonomy(registry, path)
    assert topic(registry, 3)["merged_into"] == 1
    assert topic(registry, 2)["merged_into"] == 1
    assert topic(registry, 3)["status"] == topic(registry, 2)["status"] == "merged"


def test_a_merge_restates_the_history_of_the_weekly_metrics(demo_run, tmp_path):
    from pulse import stages
    from pulse.config import load_settings

    settings = load_settings(env=demo_run.env)
    with connect(demo_run.copy_db(tmp_path / "pulse.duckdb")) as con:
        (run_id,) = con.execute("select run_id from runs where outcome = 'ok'").fetchone()
        ctx = RunContext(run_id=run_id, week=demo_run.week, settings=settings)

        def volumes() -> dict:
            rows = con.execute(
                "select topic_id, week, volume from topic_week_metrics where run_id = $r",
                {"r": run_id},
            ).fetchall()
            return {(t, w): v for t, w, v in rows}

        before = volumes()
        totals: dict[int, int] = {}
        for (topic_id, _), volume in before.items():
            totals[topic_id] = totals.get(topic_id, 0) + volume
        target, merged = sorted(totals, key=totals.get, reverse=True)[:2]
        path = write(tmp_path / "t.yaml", f"topics:\n  - id: {merged}\n    merge_into: {target}\n")
        apply_taxonomy(con, path)
        stages.compute_metrics(con, ctx)
        after = volumes()
    weeks = {w for _, w in before}
    assert weeks and all((merged, w) not in after for w in weeks)
    for week in weeks:
        expected = before.get((target, week), 0) + before.get((merged, week), 0)
        assert after.get((target, week), 0) == expected
    others = {k: v for k, v in before.items() if k[0] not in (target, merged)}
    assert {k: after[k] for k in others} == others


# --- editing the file: `pulse topics rename|merge|hide|seed` ----------------------------------


@pytest.fixture
def taxonomy_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped file, with PULSE_TAXONOMY pointing at it."""
    path = tmp_path / "taxonomy.yaml"
    shutil.copy(TAXONOMY_FILE, path)
    monkeypatch.setenv("PULSE_TAXONOMY", str(path))
    return path


def test_edits_keep_the_files_comments_and_read_back_as_entered(taxonomy_copy):
    from pulse.cli.topics import edit_taxonomy

    comments = [line for line in taxonomy_copy.read_text().splitlines() if line.startswith("#")]
    edit_taxonomy(taxonomy_copy, "rename", 7, label="Fake company pages")
    edit_taxonomy(taxonomy_copy, "merge", 15, into=7)
    edit_taxonomy(taxonomy_copy, "hide", 12)
    edit_taxonomy(taxonomy_copy, "rename", 7, label="Fake pages")
    edit_taxonomy(taxonomy_copy, "seed", label="Invites to all contacts", examples=["a", "b"])
    text = taxonomy_copy.read_text()
    assert [line for line in text.splitlines() if line.startswith("#")] == comments
    taxonomy = read_taxonomy(taxonomy_copy)
    edits = {e.topic_id: e for e in taxonomy.edits}
    assert edits[7].label == "Fake pages"
    assert edits[15].merge_into == 7
    assert edits[12].hide is True
    assert [(s.name, s.examples) for s in taxonomy.seeds] == [
        ("Invites to all contacts", ["a", "b"])
    ]


def test_an_edit_that_would_break_the_file_is_refused_and_changes_nothing(taxonomy_copy):
    from pulse.cli.topics import edit_taxonomy

    edit_taxonomy(taxonomy_copy, "merge", 15, into=7)
    before = taxonomy_copy.read_bytes()
    with pytest.raises(PulseError, match=r"edit refused, .* is unchanged: .*merge cycle"):
        edit_taxonomy(taxonomy_copy, "merge", 7, into=15)
    with pytest.raises(PulseError, match="topic 99 does not exist"):
        edit_taxonomy(taxonomy_copy, "hide", 99, known_topics={7, 15})
    assert taxonomy_copy.read_bytes() == before
    assert not list(taxonomy_copy.parent.glob(".taxonomy-*"))


def run_topics(argv: list[str]) -> int:
    """`pulse topics …` through its own parser, as `pulse.cli` wires it."""
    from pulse.cli.topics import add_topics_parser

    parser = argparse.ArgumentParser(prog="pulse")
    add_topics_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["topics", *argv])
    return args.func(args)


@pytest.fixture
def cli_env(demo_run, tmp_path, monkeypatch, taxonomy_copy):
    """Settings at a private copy of the session run's database, taxonomy at a tmp copy."""
    for key, value in demo_run.env.items():
        monkeypatch.setenv(key, value)
    db_path = demo_run.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    with connect(db_path) as con:
        biggest = con.execute(
            """
            select r.issue_id from doc_topics as d
            inner join topic_rollup as r on r.topic_id = d.topic_id
            group by r.issue_id order by count(*) desc, r.issue_id limit 2
            """
        ).fetchall()
    return demo_run, db_path, [t for (t,) in biggest]


def test_topics_list_shows_id_label_status_volume_keywords_and_a_redacted_quote(cli_env, capsys):
    demo_run, db_path, (first, _) = cli_env
    assert run_topics(["list", "--week", str(demo_run.week)]) == 0
    out = capsys.readouterr().out
    header, row, quote = out.splitlines()[:3]
    assert header.split()[:3] == ["id", "status", "texts"]
    assert " — " in row and quote.strip().startswith("“")
    rows = [line.split() for line in out.splitlines()[1:] if not line.startswith(" " * 24)]
    # issues by volume, each followed by its sub-themes (marked ·), whose texts add up to it
    issues = [r for r in rows if r[3] != "·"]
    volumes = [int(r[2]) for r in issues]
    assert volumes == sorted(volumes, reverse=True) and volumes[0] > 0
    lines = [line for line in out.splitlines()[1:] if not line.startswith(" " * 24)]
    first_issue = lines.index(next(line for line in lines if line.split()[0] == str(first)))
    nested = []
    for line in lines[first_issue + 1 :]:
        if line.split()[3] != "·":
            break
        nested.append(int(line.split()[2]))
    assert not nested or sum(nested) == int(lines[first_issue].split()[2])
    with connect(db_path) as con:
        registered = con.execute("select count(*) from topics").fetchone()[0]
    assert len(rows) == registered
    assert str(first) in {r[0] for r in rows}


def test_topics_list_quotes_each_issue_by_the_reports_first_pick(cli_env):
    """The list's quote is the text the report's quote query ranks first for the issue
    (a complaint of 25-600 characters before the most typical text), not the text with
    the highest membership: a thread's "Brilliant, thank you!" often has that."""
    from pulse.cli.topics import list_topics
    from pulse.db.queries import fetch_dicts
    from pulse.run import latest_run

    demo_run, db_path, (first_issue, _) = cli_env
    timezone = demo_run.env.get("PULSE_TIMEZONE", "UTC")
    start, end = demo_run.week.bounds_utc(timezone)
    with connect(db_path) as con:
        run_id = latest_run(con, demo_run.week)
        # the first issue's most typical text of the week becomes a short thank-you
        members = con.execute(
            """
            select d.feedback_id from doc_topics as d
            inner join feedback as f using (feedback_id)
            inner join topic_rollup_of($run) as r on r.topic_id = d.topic_id
            left join sentiment as s using (feedback_id)
            where d.run_id = $run and r.issue_id = $issue
              and f.created_at >= $start and f.created_at < $end
            order by (s.label = 'negative'), d.feedback_id
            """,
            {"run": run_id, "issue": first_issue, "start": start, "end": end},
        ).fetchall()
        ids = [feedback_id for (feedback_id,) in members]
        thanked = ids[0]
        con.execute(
            """
            update doc_topics
            set probability = case when feedback_id = $thanked then 1.0 else 0.5 end
            where run_id = $run and list_contains($ids, feedback_id)
            """,
            {"run": run_id, "ids": ids, "thanked": thanked},
        )
        con.execute(
            "update feedback set text_redacted = 'Brilliant, thank you!' where feedback_id = $id",
            {"id": thanked},
        )
        listed = {r["topic_id"]: r["quote"] for r in list_topics(con, demo_run.week, timezone)}
        params = {"run_id": run_id, "week_start": start, "week_end": end, "per_topic": 1}
        rows = fetch_dicts(con, "topic_quotes", params)
    first = {r["topic_id"]: r["text_redacted"] for r in rows if r["quote_rank"] == 1}
    assert len(first) >= 3 and first_issue in first
    assert listed[first_issue] != "Brilliant, thank you!"
    for issue, text in first.items():
        assert listed[issue] == text, issue
        assert 25 <= len(text) <= 600


def test_topics_show_prints_keywords_quotes_and_weekly_volume(cli_env, capsys):
    demo_run, _, (first, _) = cli_env
    assert run_topics(["show", str(first)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"#{first} ")
    assert "keywords: " in out and "weekly volume:" in out and "quotes:" in out
    assert str(demo_run.week) in out


def test_topics_show_of_an_unknown_id_says_where_to_look(cli_env):
    with pytest.raises(PulseError, match="topic 9999 does not exist; see `pulse topics list`"):
        run_topics(["show", "9999"])


def test_rename_merge_and_hide_edit_the_taxonomy_and_reach_the_re_rendered_report(
    cli_env, taxonomy_copy, capsys
):
    """The CX loop: edit by CLI, re-render without re-clustering, see it in the report."""
    import csv

    from pulse.cli.main import main

    demo_run, db_path, (first, second) = cli_env
    assert run_topics(["rename", str(first), "Our top issue"]) == 0
    assert run_topics(["merge", str(second), str(first)]) == 0
    assert run_topics(["seed", "Invites to all contacts", "--example", "it invited everyone"]) == 0
    out = capsys.readouterr().out
    assert f"topic {first} is now called 'Our top issue'" in out and "keep their ids" in out
    with pytest.raises(PulseError, match="topic 9999 does not exist"):
        run_topics(["hide", "9999"])
    assert main(["report", "--week", str(demo_run.week)]) == 0
    ranked = Path(capsys.readouterr().out.strip()).parent / "ranked_issues.csv"
    with ranked.open(encoding="utf-8") as handle:
        rows = {int(r["topic_id"]): r for r in csv.DictReader(handle)}
    assert rows[first]["label"] == "Our top issue"
    assert second not in rows
    assert run_topics(["hide", str(first)]) == 0
    with connect(db_path) as con:
        apply_taxonomy(con)
        assert topic(con, first)["status"] == "hidden"
        assert topic(con, second)["merged_into"] == first


def test_the_seeds_fingerprint_changes_with_the_seeds_and_not_with_renames(tmp_path):
    from pulse.topics.taxonomy_apply import seeds_fingerprint

    path = write(tmp_path / "t.yaml", "topics: []\nseeds:\n  - name: A\n    examples: [x]\n")
    before = seeds_fingerprint(path)
    write(path, "topics:\n  - id: 1\n    label: B\nseeds:\n  - name: A\n    examples: [x]\n")
    assert seeds_fingerprint(path) == before
    write(path, "topics: []\nseeds:\n  - name: A\n    examples: [x, y]\n")
    assert seeds_fingerprint(path) != before
