"""`pulse topics edit`: the taxonomy editor, a small Starlette app on this machine.

Pages are plain HTML forms rendered by Jinja2 with autoescaping on (`pulse.editor.pages`),
and no script at all: nothing to build, and nothing a customer's text could run. Every
page reads the run's snapshot (`pulse.editor.source`); every edit is a POST that passes the
CSRF check (`pulse.editor.security`) and then calls the same function as the command line
(`pulse.topics.edits`), so both refuse the same edits with the same words.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pulse.editor.actions import rerender, save_seed, topic_edit, undo
from pulse.editor.pages import PACKAGE, EditorConfig
from pulse.editor.security import AccessGuard, check_listen
from pulse.editor.views import (
    history_page,
    list_page,
    merge_page,
    not_found,
    report_file,
    seed_page,
    split_page,
    topic_page,
)


def create_app(
    settings=None, taxonomy: Path | None = None, host: str = "127.0.0.1", token: str | None = None
) -> Starlette:
    """The editor's ASGI app for `settings` and the taxonomy file `taxonomy`."""
    from pulse.config import load_settings
    from pulse.topics.taxonomy import taxonomy_path

    check_listen(host, token)
    routes = [
        Route("/", list_page),
        Route("/topics/{topic_id:int}", topic_page),
        Route("/topics/{topic_id:int}/merge", merge_page),
        Route("/topics/{topic_id:int}/split", split_page),
        Route("/seed", seed_page),
        Route("/history", history_page),
        Route("/reports/{week}/report.pdf", report_file),
        Route("/topics/{topic_id:int}/{action:str}", topic_edit, methods=["POST"]),
        Route("/seed", save_seed, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/rerender", rerender, methods=["POST"]),
        Mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AccessGuard, host=host, token=token)],
        exception_handlers={404: not_found},
    )
    app.state.editor = EditorConfig(settings or load_settings(), taxonomy or taxonomy_path())
    return app


def serve_editor(host: str = "127.0.0.1", port: int = 8765, token: str | None = None) -> int:
    """Serve the editor until Ctrl-C; the CLI's `pulse topics edit`."""
    import uvicorn

    app = create_app(host=host, token=token)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + ("?token=…" if token else "")
    print(f"Pulse taxonomy editor on {address} (editing {app.state.editor.taxonomy}); Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
