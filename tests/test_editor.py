"""The taxonomy editor's web app, through Starlette's test client, on a real demo database.

The module copies the session's demo run (database and snapshot) into a folder of its
own, points `PULSE_TAXONOMY` at a copy of the shipped file, and serves the app on it.
Each test starts from the shipped taxonomy file and an empty history. Pages are read by
their structure (rows, forms, the message shown), not by their bytes.
"""

from __future__ import annotations

import html
import html.parser
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest

from pulse.db import snapshot_path
from pulse.topics import history
from pulse.topics.taxonomy import TAXONOMY_FILE, read_taxonomy
from pulse.yaml_guard import plain_text

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Site:
    """One module's editor: its files and the app serving them."""

    root: Path
    db_path: Path
    taxonomy: Path
    env: dict[str, str]
    app: object
    week: str

    def reset(self) -> None:
        """The shipped taxonomy file and no history, as before any edit."""
        shutil.copy(TAXONOMY_FILE, self.taxonomy)
        shutil.rmtree(history.history_dir(self.taxonomy), ignore_errors=True)

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        con = duckdb.connect(str(snapshot_path(self.db_path)), read_only=True)
        try:
            return con.execute(sql, params or {}).fetchall()
        finally:
            con.close()


def make_site(demo_run, root: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    """A private copy of the demo run's database and snapshot, and the editor on it."""
    from pulse.config import load_settings
    from pulse.editor import create_app

    db_path = root / "pulse.duckdb"
    shutil.copy(demo_run.db_path, db_path)
    shutil.copy(snapshot_path(demo_run.db_path), snapshot_path(db_path))
    taxonomy = root / "topics" / "taxonomy.yaml"
    taxonomy.parent.mkdir()
    env = {
        **demo_run.env,
        "PULSE_DB_PATH": str(db_path),
        "PULSE_OUTPUT_DIR": str(root / "outputs"),
        "PULSE_TAXONOMY": str(taxonomy),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    site = Site(root, db_path, taxonomy, env, None, str(demo_run.week))
    site.reset()
    site.app = create_app(load_settings(), taxonomy)
    return site


@pytest.fixture(scope="module")
def site(demo_run, tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield make_site(demo_run, tmp_path_factory.mktemp("editor"), monkeypatch)


@pytest.fixture
def client(site):
    from starlette.testclient import TestClient

    site.reset()
    with TestClient(site.app, base_url="http://127.0.0.1:8765") as client:
        yield client


class Page(html.parser.HTMLParser):
    """What a test reads off a page: topic rows, the message, the CSRF token, examples."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: list[dict] = []  # list rows in page order: id, level, volume, text
        self.flash: str | None = None
        self.flash_link: str | None = None
        self.csrf: str | None = None
        self.examples: list[dict] = []  # feedback id and text of each example
        self._open: list[tuple[str, dict, list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "input" and attrs.get("name") == "csrf_token":
            self.csrf = attrs["value"]
        if tag == "a" and "flash-link" in classes:
            self.flash_link = attrs["href"]
        if (
            (tag == "tr" and (attrs.get("id") or "").startswith("topic-"))
            or (tag == "div" and "flash" in classes)
            or tag in {"blockquote", "li"}
        ):
            self._open.append((tag, attrs, []))

    def handle_data(self, data):
        for _, _, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag):
        if not self._open or self._open[-1][0] != tag:
            return
        _, attrs, parts = self._open.pop()
        text = " ".join("".join(parts).split())
        if tag == "tr":
            self.rows.append(
                {
                    "id": int(attrs["id"].split("-")[1]),
                    "level": attrs["data-level"],
                    "volume": int(attrs["data-volume"]),
                    "statuses": attrs["data-statuses"].split(),
                    "text": text,
                }
            )
        elif tag == "div":
            self.flash = text
        elif tag == "li" and "data-feedback-id" in attrs:
            self.examples.append({"id": attrs["data-feedback-id"], "text": text})


def get(client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return Page(response.text)


def post(client, url: str, fields: dict, page: str = "/") -> Page:
    """Submit a form as the browser would: with the token its page carries."""
    token = get(client, page).csrf
    response = client.post(url, data={"csrf_token": token, **fields})
    assert response.status_code == 200, response.text[:500]
    return Page(response.text)


def topic_ids(site: Site) -> dict[int, tuple[str, int | None]]:
    return {t: (level, parent) for t, level, parent in site.query(
        "select topic_id, coalesce(level, 'theme'), parent_id from topics")}  # fmt: skip


def pair_of_themes(site: Site) -> tuple[int, int]:
    """Two sub-themes of different issues, both with texts this week."""
    rows = site.query(
        """
        select m.topic_id, t.parent_id from topic_week_metrics as m
        inner join topics as t using (topic_id)
        where m.level = 'theme' and m.week = $week and t.parent_id is not null
        order by m.volume desc, m.topic_id
        """,
        {"week": site.week},
    )
    first = rows[0]
    second = next(r for r in rows if r[1] != first[1])
    return first[0], second[0]


# --- the list and a topic's page ---------------------------------------------------------


def test_the_list_shows_every_topic_of_the_run_each_issue_followed_by_its_sub_themes(site, client):
    page = get(client, "/")
    registry = topic_ids(site)
    assert sorted(r["id"] for r in page.rows) == sorted(registry)
    current_issue = None
    for row in page.rows:
        level, parent = registry[row["id"]]
        if level == "issue":
            current_issue = row["id"]
        elif parent is not None:
            assert parent == current_issue, f"sub-theme {row['id']} is not under its issue"
    # this week's counts are the report's (topic_week_metrics, issue level)
    report = dict(site.query(
        "select topic_id, volume from topic_week_metrics where level = 'issue' and week = $w",
        {"w": site.week},
    ))  # fmt: skip
    shown = {r["id"]: r["volume"] for r in page.rows if r["level"] == "issue"}
    assert {t: shown[t] for t in report} == report
    issues = [r["volume"] for r in page.rows if r["level"] == "issue"]
    assert issues == sorted(issues, reverse=True)


def test_search_keeps_whole_families_and_the_status_filter_finds_the_emerging_issue(site, client):
    theme, _ = pair_of_themes(site)
    label, parent = site.query(
        "select label, parent_id from topics where topic_id = $t", {"t": theme}
    )[0]
    found = get(client, "/?" + urlencode({"q": label}))
    assert {theme, parent} <= {r["id"] for r in found.rows}
    assert [r["id"] for r in get(client, f"/?q=%23{theme}").rows] == [parent, theme]
    emerging = {
        t
        for (t,) in site.query(
            "select topic_id from ranked_issues where week = $w and is_emerging", {"w": site.week}
        )
    }
    shown = {r["id"] for r in get(client, "/?status=emerging").rows}
    assert emerging and emerging <= shown
    assert get(client, "/?q=no-such-words-anywhere").rows == []


def test_a_topics_page_shows_twenty_varied_redacted_texts_the_same_on_every_visit(site, client):
    issue = site.query(
        "select topic_id from topic_week_metrics where level = 'issue' and week = $w "
        "order by volume desc limit 1",
        {"w": site.week},
    )[0][0]
    page = get(client, f"/topics/{issue}")
    assert len(page.examples) == 20
    assert len({e["text"] for e in page.examples}) == 20
    assert [e["id"] for e in get(client, f"/topics/{issue}").examples] == [
        e["id"] for e in page.examples
    ]
    redacted = dict(site.query(
        "select feedback_id, text_redacted from feedback where list_contains($ids, feedback_id)",
        {"ids": [e["id"] for e in page.examples]},
    ))  # fmt: skip
    for example in page.examples:
        assert " ".join(redacted[example["id"]].split()) in example["text"]
    subs = {t for (t,) in site.query(
        "select topic_id from topics where parent_id = $t", {"t": issue})}  # fmt: skip
    response = client.get(f"/topics/{issue}").text
    assert all(f'href="/topics/{sub}"' in response for sub in subs)
    assert "Most similar topics" in response and "Preview merge into it" in response


def test_an_unknown_topic_is_a_404_page_that_points_at_the_list(client):
    response = client.get("/topics/99999")
    assert response.status_code == 404
    assert "the list shows every topic" in response.text


# --- edits --------------------------------------------------------------------------------


def test_a_rename_lands_in_the_file_with_its_comments_and_shows_at_once(site, client):
    theme, _ = pair_of_themes(site)
    comments = [line for line in site.taxonomy.read_text().splitlines() if line.startswith("#")]
    page = post(client, f"/topics/{theme}/rename", {"name": "Refunds that never came"})
    assert page.flash.startswith(f"topic {theme} is now called 'Refunds that never came'")
    assert read_taxonomy(site.taxonomy).edits[0].label == "Refunds that never came"
    assert [line for line in site.taxonomy.read_text().splitlines()
            if line.startswith("#")] == comments  # fmt: skip
    row = next(r for r in get(client, "/").rows if r["id"] == theme)
    assert row["text"].startswith("Refunds that never came")
    topic_page = html.unescape(client.get(f"/topics/{theme}").text)
    assert "renamed to 'Refunds that never came'" in topic_page


def test_owner_notes_hide_and_unhide_from_the_page(site, client):
    theme, _ = pair_of_themes(site)
    post(client, f"/topics/{theme}/owner", {"owner": "Billing ops"})
    post(client, f"/topics/{theme}/notes", {"notes": "Escalate after 48 h"})
    post(client, f"/topics/{theme}/hide", {})
    row = next(r for r in get(client, "/?status=hidden").rows if r["id"] == theme)
    assert "hidden" in row["statuses"] and "Billing ops" in row["text"]
    assert get(client, "/?status=unowned").rows  # others still have no owner
    post(client, f"/topics/{theme}/unhide", {})
    (edit,) = read_taxonomy(site.taxonomy).edits
    assert (edit.owner, edit.notes, edit.hide) == ("Billing ops", "Escalate after 48 h", False)


def cli_error(argv: list[str], capsys) -> str:
    from pulse.cli.main import main

    assert main(argv) != 0
    return capsys.readouterr().err.strip().removeprefix("pulse: ")


def test_refusals_are_the_command_lines_own_words(site, client, capsys):
    first, second = pair_of_themes(site)
    post(client, f"/topics/{first}/merge", {"into": str(second)})
    page = post(client, f"/topics/{second}/merge", {"into": str(first)})
    assert "merge cycle" in page.flash
    assert page.flash == cli_error(["topics", "merge", str(second), str(first)], capsys)
    page = post(client, f"/topics/{second}/unhide", {})
    assert page.flash == cli_error(["topics", "unhide", str(second)], capsys)
    page = post(client, f"/topics/{first}/notes", {"notes": "x" * 2_001})
    assert page.flash == cli_error(["topics", "notes", str(first), "x" * 2_001], capsys)


def test_every_text_a_page_shows_is_escaped(site, client):
    theme, _ = pair_of_themes(site)
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    post(client, f"/topics/{theme}/rename", {"name": hostile})
    post(client, f"/topics/{theme}/notes", {"notes": hostile})
    for url in ("/", f"/topics/{theme}", "/history", "/?" + urlencode({"q": hostile})):
        text = client.get(url).text
        assert "<script>" not in text and "<img" not in text, url
        assert "&lt;script&gt;" in text, url


def test_every_post_without_the_session_token_is_refused_with_403(site, client):
    theme, other = pair_of_themes(site)
    before = site.taxonomy.read_bytes()
    posts = [r.path for r in site.app.routes if "POST" in (getattr(r, "methods", None) or ())]
    assert len(posts) == 4
    urls = [p.replace("{topic_id:int}", str(theme)).replace("{action:str}", "rename")
            for p in posts]  # fmt: skip
    get(client, "/")  # the session has its cookie; the forms below leave the token out
    for url in urls:
        for fields in ({"name": "x", "into": str(other)}, {"name": "x", "csrf_token": "f" * 43}):
            assert client.post(url, data=fields).status_code == 403, url
    token = get(client, "/").csrf
    crossed = client.post(urls[0], data={"csrf_token": token, "name": "x"},
                          headers={"origin": "http://evil.example"})  # fmt: skip
    assert crossed.status_code == 403
    assert site.taxonomy.read_bytes() == before and not history.versions(site.taxonomy)


def test_a_page_asked_for_under_another_host_name_is_refused(client):
    assert client.get("/", headers={"host": "rebound.example:8765"}).status_code == 421


# --- merge, split, seed, undo -----------------------------------------------------------


def test_a_merge_preview_adds_up_and_undo_puts_the_file_back_byte_for_byte(site, client):
    first, second = pair_of_themes(site)
    before = site.taxonomy.read_bytes()
    rows = {r["id"]: r for r in get(client, "/").rows}
    preview = client.get(f"/topics/{first}/merge?into={second}").text
    merged = int(preview.split("data-merged-volume>")[1].split("<")[0].replace(",", ""))
    assert merged == rows[first]["volume"] + rows[second]["volume"]
    assert site.taxonomy.read_bytes() == before  # a preview saves nothing
    post(client, f"/topics/{first}/merge", {"into": str(second)})
    after = {r["id"]: r for r in get(client, "/").rows}
    assert after[second]["volume"] == merged and "merged" in after[first]["statuses"]
    page = post(client, "/undo", {}, page="/history")
    assert page.flash.startswith(f"undid 'topic {first} now counts under topic {second}")
    assert site.taxonomy.read_bytes() == before
    assert "undo: topic" in client.get("/history").text


def test_a_split_of_picked_texts_writes_their_redacted_texts_as_a_seed(site, client):
    theme, _ = pair_of_themes(site)
    picked = [e["id"] for e in get(client, f"/topics/{theme}").examples[:2]]
    preview = client.get(f"/topics/{theme}/split", params={"name": "Split off", "text": picked})
    assert preview.status_code == 200 and "It would claim" in preview.text
    page = post(client, f"/topics/{theme}/split", {"name": "Split off", "text": picked})
    assert page.flash.startswith(f"split 2 text(s) of topic {theme} into seed 'Split off'")
    (seed,) = read_taxonomy(site.taxonomy).seeds
    redacted = [t for (t,) in site.query(
        "select text_redacted from feedback where list_contains($ids, feedback_id) "
        "order by feedback_id", {"ids": picked})]  # fmt: skip
    for example, text in zip(seed.examples, redacted, strict=True):
        # a long text is cut at a word; an example is plain text (no zero-width joiner)
        assert plain_text(text).startswith(example)
    assert seed.notes == f"split from topic {theme}"


def test_a_seed_preview_claims_the_texts_its_phrases_come_from(site, client):
    from pulse.topics.seeds import SEED_THRESHOLD

    theme, _ = pair_of_themes(site)
    phrases = [t for (t,) in site.query(
        "select f.text_redacted from doc_topics as d inner join feedback as f using (feedback_id)"
        " where d.topic_id = $t order by d.probability desc, f.feedback_id limit 3",
        {"t": theme})]  # fmt: skip
    response = client.get("/seed", params={"name": "Seeded", "examples": "\n".join(phrases)})
    assert f"({SEED_THRESHOLD:.2f} cosine)" in response.text
    claimed_from = Page(response.text)
    assert f'href="/topics/{theme}"' in response.text
    assert claimed_from.csrf  # the Save button's form
    page = post(client, "/seed", {"name": "Seeded", "examples": "\n".join(phrases)})
    assert page.flash.startswith("seeded topic 'Seeded' with ")


def test_a_sub_theme_splits_from_the_command_line_as_from_the_page_and_undo_takes_it_back(
    site, client, capsys
):
    from pulse.cli.main import main

    sub, other = pair_of_themes(site)
    (issue,) = site.query("select parent_id from topics where topic_id = $t", {"t": sub})[0]
    preview = client.get(f"/topics/{issue}/split", params={"name": "Own topic", "sub_theme": sub})
    assert "It would claim" in preview.text and f'href="/topics/{sub}"' in preview.text
    refused = Page(client.get(f"/topics/{issue}/split",
                              params={"name": "x", "sub_theme": other}).text)  # fmt: skip
    assert refused.flash.startswith(f"topic {other} is not a sub-theme of topic {issue}")

    assert main(["topics", "split", str(issue), "Own topic", "--sub-theme", str(sub)]) == 0
    (seed,) = read_taxonomy(site.taxonomy).seeds
    assert seed.notes == f"split from topic {issue}" and 1 <= len(seed.examples) <= 5
    own_texts = {plain_text(t) for (t,) in site.query(
        "select f.text_redacted from doc_topics as d inner join feedback as f using (feedback_id)"
        " where d.topic_id = $t", {"t": sub})}  # fmt: skip
    assert all(any(t.startswith(e) for t in own_texts) for e in seed.examples)
    capsys.readouterr()
    assert main(["topics", "history", "--topic", str(issue)]) == 0
    assert "split off as seed 'Own topic'" in capsys.readouterr().out
    assert main(["topics", "undo"]) == 0
    assert site.taxonomy.read_bytes() == TAXONOMY_FILE.read_bytes()
    assert "undo: split" in client.get("/history").text


# --- reading while a run writes -------------------------------------------------------------


HOLDER = textwrap.dedent(
    """
    import sys
    from pulse.db import connect, run_lock
    with run_lock(sys.argv[1], 5), connect(sys.argv[1], timeout=5) as con:
        print("holding", flush=True)
        sys.stdin.read()
    """
)


@pytest.fixture
def run_writing(site):
    """Another process holds the live database and the run lock, as a weekly run does."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(site.db_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, **site.env}, cwd=REPO)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_pages_read_the_snapshot_while_a_run_holds_the_database(site, client, run_writing):
    page = get(client, "/")
    assert page.rows
    assert "read from pulse.snapshot.duckdb" in client.get("/").text


def test_without_a_snapshot_a_run_in_progress_is_said_not_waited_for(site, client, run_writing):
    snap = snapshot_path(site.db_path)
    aside = snap.with_name("aside.duckdb")
    snap.rename(aside)
    try:
        response = client.get("/")
        assert response.status_code == 503
        assert "a run is writing" in response.text and "reload this page" in response.text
    finally:
        aside.rename(snap)


def test_the_editor_holds_no_lock_between_requests(site, client):
    get(client, "/")
    con = duckdb.connect(str(snapshot_path(site.db_path)))  # a writer could replace it
    con.close()
    from pulse.db import connect

    connect(site.db_path, timeout=0).close()  # the live file is free for a run at once


# --- applying: the re-render -----------------------------------------------------------------


def test_the_rerender_button_renders_the_week_with_the_edits_and_links_the_pdf(site, client):
    import io

    from pypdf import PdfReader

    issue = site.query(
        "select topic_id from ranked_issues where week = $w order by rank limit 1",
        {"w": site.week},
    )[0][0]
    assigned = site.query("select count(*) from doc_topics")
    post(client, f"/topics/{issue}/rename", {"name": "Renamed in the editor"})
    page = post(client, "/rerender", {"back": f"/topics/{issue}"})
    assert page.flash.startswith(f"re-rendered {site.week}")
    assert page.flash_link == f"/reports/{site.week}/report.pdf"
    pdf = client.get(page.flash_link)
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Renamed in the editor" in " ".join(text.split())
    live = duckdb.connect(str(site.db_path), read_only=True)
    try:  # nothing was re-clustered
        assert live.execute("select count(*) from doc_topics").fetchall() == assigned
    finally:
        live.close()


def test_only_a_weeks_rendered_pdf_is_served(client):
    assert client.get("/reports/..%2F..%2Fpulse/report.pdf").status_code == 404
    assert client.get("/reports/2026-W99/report.pdf").status_code == 404


# --- listening elsewhere ---------------------------------------------------------------------


def test_another_address_needs_the_access_token_which_becomes_a_cookie(site):
    from starlette.testclient import TestClient

    from pulse.config import load_settings
    from pulse.editor import create_app

    token = "t0ken-for-the-test-only"
    app = create_app(load_settings(), site.taxonomy, host="0.0.0.0", token=token)
    with TestClient(app, base_url="http://pulse-editor.test:8765") as client:
        assert client.get("/").status_code == 401
        entry = client.get(f"/?token={token}", follow_redirects=False)
        assert entry.status_code == 303 and "token" not in entry.headers["location"]
        assert client.get("/").status_code == 200


def test_the_command_line_refuses_another_address_without_a_token(capsys):
    from pulse.cli.main import main

    assert main(["topics", "edit", "--host", "0.0.0.0"]) == 2
    assert "only with an access token" in capsys.readouterr().err


def test_the_readmes_editor_commands_are_the_ones_the_cli_has():
    from pulse.cli.main import build_parser

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Editing the topics")[1].split("\n## ")[0]
    named = set(re.findall(r"pulse topics (\w+)", section))
    parser = build_parser()
    topics = next(a for a in parser._subparsers._group_actions[0].choices.items()
                  if a[0] == "topics")[1]  # fmt: skip
    commands = set(topics._subparsers._group_actions[0].choices)
    assert named and named <= commands, named - commands
    assert {"edit", "split", "unhide", "unmerge", "owner", "notes", "history", "undo"} <= named
