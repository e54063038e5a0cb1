"""The Prefect flow under the test harness: artifacts, run names, reruns and a backfill."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pulse.cli.main import main
from pulse.cli.run import load_flow, load_flow_module
from tests.output_readers import pdf_text, ranked_rows


@pytest.fixture
def private_copy(demo_env, tmp_path, monkeypatch):
    """The session's database copied, outputs in tmp_path, everything else as the session ran."""
    db_path = demo_env.copy_db(tmp_path / "pulse.duckdb")
    monkeypatch.setenv("PULSE_DB_PATH", str(db_path))
    monkeypatch.setenv("PULSE_OUTPUT_DIR", str(tmp_path / "outputs"))
    return db_path


def test_each_run_publishes_a_summary_a_ranking_table_and_the_pdf_link(demo_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    key = f"voc-{str(demo_run.week).lower()}"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"{key}-summary", f"{key}-ranking", f"{key}-pdf"])
            )
        )
    # Other tests in the session publish under the same week's keys, so look for
    # this run's artifacts among all versions rather than at the newest one.
    by_key: dict[str, list] = {}
    for artifact in artifacts:
        by_key.setdefault(artifact.key, []).append(artifact)
    assert {k: {a.type for a in found} for k, found in by_key.items()} == {
        f"{key}-summary": {"markdown"},
        f"{key}-ranking": {"table"},
        f"{key}-pdf": {"markdown"},  # Prefect stores a link artifact as markdown
    }
    top = ranked_rows(demo_run.pdf.parent / "ranked_issues.csv")[0]
    summaries = [a.data for a in by_key[f"{key}-summary"]]
    assert any(
        f"# Pulse — {demo_run.week}" in s and "## Top issues" in s and f"1. **{top['label']}**" in s
        for s in summaries
    )
    assert any(top["label"] in str(a.data) for a in by_key[f"{key}-ranking"])
    # No http route serves the outputs here (that is `pulse serve`'s): the path as text,
    # never a file:// link a browser refuses to open from a web page.
    links = [a.data for a in by_key[f"{key}-pdf"]]
    assert any(f"`{demo_run.pdf.resolve()}`" in link for link in links)
    assert not any("file://" in link for link in links)
    rows = next(a.data for a in by_key[f"{key}-ranking"] if top["label"] in str(a.data))
    assert f'"texts": "{int(top["volume"]):,}"' in rows  # formatted, as the PDF writes it


def test_flow_runs_are_named_after_their_week(demo_run):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"voc-{demo_run.week}"]))
        )
    assert runs and all(run.state.is_completed() for run in runs[:1])


def test_a_run_times_every_stage_the_cli_counts_in_order(demo_run):
    from pulse.run import STAGES

    con = duckdb.connect(str(demo_run.db_path), read_only=True)
    timings = con.execute(
        "select timings from runs where week = $week and outcome = 'ok' "
        "order by started_at limit 1",
        {"week": str(demo_run.week)},
    ).fetchone()[0]
    con.close()
    assert tuple(json.loads(timings)) == STAGES


def test_flow_parameters_are_typed_and_validated_by_prefect():
    flow = load_flow()
    schema = flow.parameters.model_dump()["properties"]
    assert {"week", "sources", "rebuild_topics", "output_dir"} <= set(schema)
    with pytest.raises(Exception, match="rebuild_topics"):
        flow.validate_parameters({"rebuild_topics": "perhaps"})


def test_retries_sit_on_io_tasks_only():
    module = load_flow_module()
    tasks = ("ingest", "embed", "score_sentiment", "cluster_topics", "rank_issues", "render")
    retries = {name: getattr(module, name).retries for name in tasks}
    assert retries == {
        "ingest": 2,
        "embed": 0,
        "score_sentiment": 0,
        "cluster_topics": 0,
        "rank_issues": 0,
        "render": 2,
    }


def test_rerun_of_an_unchanged_week_gives_identical_ranks_labels_and_pdf_text(
    demo_env, private_copy, tmp_path
):
    pdf = Path(load_flow()(week=str(demo_env.week)))

    assert pdf.parent == tmp_path / "outputs" / str(demo_env.week)
    assert ranked_rows(pdf.parent / "ranked_issues.csv") == ranked_rows(
        demo_env.pdf.parent / "ranked_issues.csv"
    )
    assert pdf_text(pdf) == pdf_text(demo_env.pdf)


@pytest.mark.slow
def test_refit_with_rebuild_topics_gives_the_same_ranks_and_labels(
    demo_env, private_copy, tmp_path
):
    pdf = Path(load_flow()(week=str(demo_env.week), rebuild_topics=True))

    con = duckdb.connect(str(private_copy), read_only=True)
    counts = con.execute(
        "select row_counts from runs where outcome = 'ok' order by finished_at desc limit 1"
    ).fetchone()[0]
    con.close()
    assert "reused_run" not in counts  # it really did fit again
    fresh = ranked_rows(pdf.parent / "ranked_issues.csv")
    before = ranked_rows(demo_env.pdf.parent / "ranked_issues.csv")
    assert [(r["rank"], r["topic_id"], r["label"]) for r in fresh] == [
        (r["rank"], r["topic_id"], r["label"]) for r in before
    ]
    assert fresh == before
    assert pdf_text(pdf) == pdf_text(demo_env.pdf)


@pytest.mark.slow
def test_a_three_week_backfill_runs_each_week_in_order(
    demo_env, private_copy, tmp_path, monkeypatch, capsys
):
    # Two weeks of history instead of twelve: the same flow, a smaller fit per week.
    monkeypatch.setenv("PULSE_HISTORY_WEEKS", "2")
    code = main(["--quiet", "run", "--from", "2026-W44", "--to", "2026-W46"])

    assert code == 0
    printed = capsys.readouterr().out.split()
    weeks = ["2026-W44", "2026-W45", "2026-W46"]
    assert [Path(p).parent.name for p in printed] == weeks
    con = duckdb.connect(str(private_copy), read_only=True)
    ran = con.execute(
        "select week, outcome from runs order by started_at desc limit 3"
    ).fetchall()[::-1]
    con.close()
    assert ran == [(week, "ok") for week in weeks]
    for week in weeks:
        assert (tmp_path / "outputs" / week / "report.pdf").stat().st_size > 0
