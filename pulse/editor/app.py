"""`pulse topics edit`: the taxonomy editor, a small Starlette app on this machine.

Pages are plain HTML forms rendered by Jinja2 with autoescaping on, and no script at all:
nothing to build, and nothing a customer's text could run. Every page reads the run's
snapshot (`pulse.editor.source`); every edit is a POST that passes the CSRF check
(`pulse.editor.security`) and then calls the same function as the command line
(`pulse.topics.edits`), so both refuse the same edits with the same words. After an edit
the browser is redirected to a page that shows its result (post/redirect/get), with the
edit's summary or refusal carried in a short-lived cookie.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pulse.editor.security import AccessGuard, check_listen, csrf_token, set_csrf_cookie

PACKAGE = Path(__file__).resolve().parent
FLASH_COOKIE = "pulse_editor_flash"
FLASH_MAX_CHARS = 1_500


@dataclass(frozen=True)
class EditorConfig:
    """What every request needs: the settings and the taxonomy file it edits."""

    settings: object
    taxonomy: Path


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def template_environment() -> Environment:
    """Jinja2 with autoescaping on for every template: all text a page shows is escaped."""
    env = Environment(
        loader=FileSystemLoader(PACKAGE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["count"] = _count
    return env


TEMPLATES = template_environment()


def config(request: Request) -> EditorConfig:
    return request.app.state.editor


def render(request: Request, template: str, http_status: int = 200, **context) -> HTMLResponse:
    """A page, with the session's CSRF token in its forms and the pending flash message."""
    token, is_new = csrf_token(request)
    flash = _read_flash(request)
    cfg = config(request)
    context.setdefault("view", None)
    context.setdefault("taxonomy_error", None)
    html = TEMPLATES.get_template(template).render(
        csrf=token, flash=flash, taxonomy=cfg.taxonomy, path=request.url.path, **context
    )
    response = HTMLResponse(html, http_status)
    if is_new:
        set_csrf_cookie(response, token)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(target: str, kind: str, text: str, link: str | None = None) -> RedirectResponse:
    """See-other to `target`, which shows `text` once (kind: done or error)."""
    payload = {"kind": kind, "text": text[:FLASH_MAX_CHARS], "link": link}
    value = base64.urlsafe_b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    response = RedirectResponse(target, 303)
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="strict", path="/")
    return response


def _read_flash(request: Request) -> dict | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(payload, dict) or payload.get("kind") not in {"done", "error"}:
        return None
    link = payload.get("link")
    if link is not None and not (isinstance(link, str) and link.startswith("/reports/")):
        link = None  # a cookie is the client's: only links to the editor's own reports
    return {"kind": payload["kind"], "text": str(payload.get("text", "")), "link": link}


def create_app(
    settings=None, taxonomy: Path | None = None, host: str = "127.0.0.1", token: str | None = None
) -> Starlette:
    """The editor's ASGI app for `settings` and the taxonomy file `taxonomy`."""
    from pulse.config import load_settings
    from pulse.editor import actions, views
    from pulse.taxonomy import taxonomy_path

    check_listen(host, token)
    routes = [
        Route("/", views.list_page),
        Route("/topics/{topic_id:int}", views.topic_page),
        Route("/topics/{topic_id:int}/merge", views.merge_page),
        Route("/topics/{topic_id:int}/split", views.split_page),
        Route("/seed", views.seed_page),
        Route("/history", views.history_page),
        Route("/reports/{week}/report.pdf", views.report_file),
        Route("/topics/{topic_id:int}/{action:str}", actions.topic_edit, methods=["POST"]),
        Route("/seed", actions.save_seed, methods=["POST"]),
        Route("/undo", actions.undo, methods=["POST"]),
        Route("/rerender", actions.rerender, methods=["POST"]),
        Mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AccessGuard, host=host, token=token)],
        exception_handlers={404: views.not_found},
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
