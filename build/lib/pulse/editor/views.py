"""The editor's pages (GET): the list, a topic, previews of a merge, a split or a seed, history.

Each page opens the snapshot for the length of the request (`registry_view`) and closes
it before the HTML is sent. Starlette runs these plain functions on its thread pool, so a
slow page (a seed preview embeds its phrases) never blocks another.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from pulse.editor.listing import STATUS_FILTERS, grouped, topic_rows
from pulse.editor.pages import config, redirect, render
from pulse.editor.previews import merge_preview, phrases_from, seed_preview
from pulse.editor.rerender import report_pdf
from pulse.editor.source import registry_view
from pulse.editor.topic_page import similar_topics, sub_themes, varied_examples
from pulse.errors import PulseError
from pulse.topics.edits import split_examples
from pulse.topics.history import next_undo, topic_changes, versions
from pulse.weeks import IsoWeek


def _unavailable(request: Request, exc: PulseError) -> Response:
    """The page when there is nothing to read yet (no database, no run, a run writing)."""
    return render(request, "error.html", 503, message=str(exc))


def list_page(request: Request) -> Response:
    """Every topic of the newest run, with search (`q`) and a status filter (`status`)."""
    cfg = config(request)
    query = request.query_params.get("q", "")[:200]
    status = request.query_params.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    try:
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            rows = topic_rows(view)
            groups = grouped(rows, query, status)
    except PulseError as exc:
        return _unavailable(request, exc)
    return render(
        request, "list.html", view=view, taxonomy_error=view.taxonomy_error, groups=groups,
        query=query, status=status, statuses=STATUS_FILTERS, total=len(rows),
        pdf=report_pdf(cfg.settings, view.week),
    )  # fmt: skip


def topic_page(request: Request) -> Response:
    """One topic: numbers, varied examples, sub-themes, near topics, history, edit forms."""
    cfg = config(request)
    topic_id = request.path_params["topic_id"]
    try:
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            rows = topic_rows(view)
            if topic_id not in rows:
                return not_found(request, None)
            context = {
                "examples": varied_examples(view, topic_id),
                "similar": similar_topics(view, topic_id, rows),
            }
    except PulseError as exc:
        return _unavailable(request, exc)
    row = rows[topic_id]
    targets = sorted(
        (r for r in rows.values() if r.level == row.level and r.topic_id != topic_id
         and "merged" not in r.statuses),
        key=lambda r: r.label.casefold(),
    )  # fmt: skip
    return render(
        request, "topic.html", view=view, taxonomy_error=view.taxonomy_error, row=row,
        rows=rows, issue=rows.get(row.issue_id), subs=sub_themes(topic_id, rows),
        targets=targets, changes=topic_changes(cfg.taxonomy, topic_id), **context,
    )  # fmt: skip


def merge_page(request: Request) -> Response:
    """The counts a merge would give, and the button that saves it."""
    cfg = config(request)
    topic_id = request.path_params["topic_id"]
    back = f"/topics/{topic_id}"
    try:
        into = int(request.query_params.get("into", ""))
    except ValueError:
        return redirect(back, "error", "choose the topic to merge into")
    try:
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            known = set(topic_rows(view))
        preview = merge_preview(cfg.settings, cfg.taxonomy, topic_id, into, known)
    except PulseError as exc:
        return redirect(back, "error", str(exc))
    return render(request, "merge_preview.html", view=view, preview=preview)


def split_page(request: Request) -> Response:
    """A split's texts and what its seed would claim, before it is saved."""
    cfg = config(request)
    topic_id = request.path_params["topic_id"]
    params = request.query_params
    name = params.get("name", "").strip()
    texts = params.getlist("text")[:50]
    sub_theme = _int_or_none(params.get("sub_theme"))
    back = f"/topics/{topic_id}"
    if not name:
        return redirect(back, "error", "give the split a name: what reports will call it")
    try:
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            rows = topic_rows(view)
            examples = split_examples(view.con, view.run_id, topic_id, sub_theme, texts)
            preview = seed_preview(view, examples, rows)
    except PulseError as exc:
        return redirect(back, "error", str(exc))
    return render(
        request, "seed_preview.html", view=view, preview=preview, name=name, row=rows.get(topic_id),
        action=f"/topics/{topic_id}/split", hidden={"text": texts, "sub_theme": [sub_theme or ""]},
    )  # fmt: skip


def seed_page(request: Request) -> Response:
    """The seed form; with phrases, which texts the seed would claim."""
    cfg = config(request)
    name = request.query_params.get("name", "").strip()
    typed = request.query_params.get("examples", "")[:20_000]
    owner = request.query_params.get("owner", "").strip()
    phrases = phrases_from(typed)
    try:
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            rows = topic_rows(view)
            preview = seed_preview(view, phrases, rows) if phrases else None
    except PulseError as exc:
        return _unavailable(request, exc)
    return render(
        request, "seed.html", view=view, name=name, typed=typed, owner=owner, preview=preview,
        row=None, action="/seed", hidden={"examples": [typed], "owner": [owner]},
    )  # fmt: skip


def history_page(request: Request) -> Response:
    """Every saved version of the taxonomy file, newest first, with the undo button."""
    cfg = config(request)
    found = versions(cfg.taxonomy)[::-1]
    return render(request, "history.html", versions=found, undo=next_undo(cfg.taxonomy))


def report_file(request: Request) -> Response:
    """A week's rendered PDF (the file a re-render wrote), and nothing else on disk."""
    cfg = config(request)
    try:
        week = IsoWeek.parse(request.path_params["week"])
    except PulseError:
        return not_found(request, None)
    path = report_pdf(cfg.settings, week)
    if path is None:
        return not_found(request, None)
    return FileResponse(path, media_type="application/pdf", filename=f"pulse-{week}.pdf")


def not_found(request: Request, exc) -> Response:
    return render(
        request, "error.html", 404,
        message="There is no such page or topic; the list shows every topic of the newest run.",
    )  # fmt: skip


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
