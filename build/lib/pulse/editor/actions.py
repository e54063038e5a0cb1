"""The editor's edits (POST): each checks the CSRF token, then calls the CLI's own function.

`read_form` refuses a POST without the session's token (403) before anything is read or
written. The work runs on the thread pool (it reads the snapshot, writes the file, or
renders a PDF); a refusal (`PulseError`) comes back as the page's error message, in the
same words `pulse topics …` prints.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pulse.editor.pages import config, redirect
from pulse.editor.previews import phrases_from
from pulse.editor.rerender import rerender_week
from pulse.editor.security import read_form
from pulse.editor.source import registry_view
from pulse.errors import PulseError
from pulse.topics.edits import edit_taxonomy, split_examples, split_topic, undo_last

TOPIC_EDITS = {"rename", "owner", "notes", "hide", "unhide", "merge", "unmerge", "split"}
APPLIES = "; reports show it from the next re-render"


def _field(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


async def topic_edit(request: Request) -> Response:
    """One edit of one topic: rename, owner, notes, hide, unhide, merge, unmerge, split."""
    fields = await read_form(request)
    cfg = config(request)
    topic_id, action = request.path_params["topic_id"], request.path_params["action"]
    back = f"/topics/{topic_id}"
    if action not in TOPIC_EDITS:
        return redirect(back, "error", f"unknown edit {action!r}")

    def work() -> str:
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            known = {r[0] for r in view.con.execute("select topic_id from topics").fetchall()}
            if action == "split":
                sub_theme = _field(fields, "sub_theme")
                examples = split_examples(
                    view.con, view.run_id, topic_id, int(sub_theme) if sub_theme else None,
                    [t for t in fields.get("text", []) if t],
                )  # fmt: skip
        if action == "split":
            name, owner = _field(fields, "name"), _field(fields, "owner")
            return split_topic(cfg.taxonomy, topic_id, name, examples, owner, known)
        into = _field(fields, "into")
        if action == "merge" and not into.isdigit():
            raise PulseError("choose the topic to merge into")
        return edit_taxonomy(
            cfg.taxonomy, action, topic_id, label=_field(fields, "name"),
            into=int(into) if into.isdigit() else None, owner=_field(fields, "owner"),
            notes=_field(fields, "notes"), known_topics=known,
        )  # fmt: skip

    try:
        summary = await run_in_threadpool(work)
    except (PulseError, ValueError) as exc:
        return redirect(back, "error", str(exc))
    return redirect(back, "done", summary + APPLIES)


async def save_seed(request: Request) -> Response:
    """A seed from a name and example phrases (one per line)."""
    fields = await read_form(request)
    cfg = config(request)
    name = _field(fields, "name")
    phrases = phrases_from(_field(fields, "examples"))
    try:
        summary = await run_in_threadpool(
            edit_taxonomy, cfg.taxonomy, "seed", label=name, examples=phrases,
            owner=_field(fields, "owner"),
        )  # fmt: skip
    except PulseError as exc:
        return redirect("/seed", "error", str(exc))
    return redirect("/", "done", summary + "; it claims its texts from the next clustering run")


async def undo(request: Request) -> Response:
    """Put the taxonomy file back exactly as it was before its last change."""
    await read_form(request)
    cfg = config(request)
    try:
        summary = await run_in_threadpool(undo_last, cfg.taxonomy)
    except PulseError as exc:
        return redirect("/history", "error", str(exc))
    return redirect("/history", "done", summary + APPLIES)


async def rerender(request: Request) -> Response:
    """`pulse report --week W` for the newest run's week; links the new PDF."""
    fields = await read_form(request)
    cfg = config(request)
    back = _field(fields, "back")
    back = back if back.startswith("/") and not back.startswith("//") else "/"

    def work():
        with registry_view(cfg.settings, cfg.taxonomy) as view:
            week = view.week
        return week, rerender_week(cfg.settings, week, cfg.taxonomy)

    try:
        week, _ = await run_in_threadpool(work)
    except PulseError as exc:
        return redirect(back, "error", str(exc))
    return redirect(
        back, "done", f"re-rendered {week} with the taxonomy as it stands",
        link=f"/reports/{week}/report.pdf",
    )  # fmt: skip
