"""How the editor's pages are made: templates, the session's token, one-time messages.

Shared by the pages (`views`) and the edits (`actions`). Jinja2 autoescapes every
template, and no template marks text as safe, so all text a page shows is escaped.
After an edit the browser is redirected to a page that shows its result
(post/redirect/get), the edit's summary or refusal carried in a short-lived cookie.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from pulse.editor.security import csrf_token, set_csrf_cookie

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
