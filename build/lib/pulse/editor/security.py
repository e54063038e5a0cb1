"""The editor's guards: who may reach it, and that every edit comes from its own pages.

* **Where it listens.** 127.0.0.1 by default. Another address only with an access token
  (`--host X --token T`): the first request carries `?token=T`, which becomes a cookie,
  and every request without it is refused.
* **Which site asks.** On 127.0.0.1 any web page the CX person has open could try to
  reach the editor; a DNS-rebinding page can even look like the same site. So requests
  must name the editor's own address in `Host` (on loopback), and a POST that says it
  comes from another origin is refused.
* **CSRF.** Every edit is a POST whose form carries the session's token, which must equal
  the token in the session's cookie (the double-submit pattern; the cookie is
  SameSite=Strict and HttpOnly). A POST without it is refused with 403.
* **Forms** are read by hand (URL-encoded, a size cap, UTF-8): plain HTML forms need
  nothing more, and no extra parser package is installed for them.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pulse.errors import PulseError

CSRF_COOKIE = "pulse_editor_csrf"
CSRF_FIELD = "csrf_token"
ACCESS_COOKIE = "pulse_editor_access"
MAX_FORM_BYTES = 256_000
MAX_FORM_FIELDS = 400
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
# No script runs on these pages: the policy says so, so an injected one would not either.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def is_loopback(host: str) -> bool:
    """Whether `host` is an address only this machine can reach."""
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host of a `Host` header, without its port (`[::1]:8765` -> `[::1]`)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0]


def check_listen(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token worth the name."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise PulseError(
            f"the access token is {len(token)} characters long; use at least "
            f"{MIN_TOKEN_CHARS}, e.g. `--token $(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(24))')`"
        )
    if not is_loopback(host) and not token:
        raise PulseError(
            f"the editor listens on {host} only with an access token, since anyone who can "
            f"reach that address could edit the taxonomy: add --token T (at least "
            f"{MIN_TOKEN_CHARS} characters) and give people the address with ?token=T"
        )


def csrf_token(request: Request) -> tuple[str, bool]:
    """The session's CSRF token, and whether it is new (and so must be set as a cookie)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if len(current) >= 32:
        return current, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(response, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")


async def read_form(request: Request) -> dict[str, list[str]]:
    """An edit's form fields, after the CSRF and origin checks (403 when they fail)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        sent = urlsplit(origin).netloc
        if sent != request.headers.get("host", ""):
            raise HTTPException(403, f"refused: this form was sent from another site ({origin})")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "the editor takes plain HTML forms (URL-encoded) only")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"the form is over {MAX_FORM_BYTES:,} bytes; send less")
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS,
            strict_parsing=False,
        )  # fmt: skip
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(
            400, "the form could not be read (not UTF-8, or too many fields)"
        ) from None
    sent_token = (fields.get(CSRF_FIELD) or [""])[0]
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent_token.encode(), cookie.encode()):
        raise HTTPException(
            403,
            "refused: the form's session token is missing or stale; reload the page and "
            "send it again",
        )
    return fields


class AccessGuard:
    """ASGI middleware: the Host check on loopback, the access token elsewhere, headers."""

    def __init__(self, app: ASGIApp, host: str, token: str | None) -> None:
        self.app, self.token = app, token
        self.allowed_hosts = LOOPBACK_NAMES | {host}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        given = request.query_params.get("token")
        if self.token and given is not None:  # trade the token in the address for a cookie
            kept = urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            )
            target = request.url.path + (f"?{kept}" if kept else "")
            response = RedirectResponse(target, 303)
            response.set_cookie(ACCESS_COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                is_html = any(
                    k == b"content-type" and v.startswith(b"text/html") for k, v in headers
                )
                for name, value in SECURITY_HEADERS.items():
                    if name != "content-security-policy" or is_html:
                        headers.append((name.encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, with_headers)

    def _refusal(self, request: Request):
        if self.token:
            given = request.query_params.get("token") or request.cookies.get(ACCESS_COOKIE, "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return PlainTextResponse(
                    "this editor needs its access token: open the address you were given, "
                    "which ends in ?token=…",
                    401,
                )
            return None
        host = host_name(request.headers.get("host", ""))
        if host not in self.allowed_hosts:
            return PlainTextResponse(
                f"refused: the editor answers to 127.0.0.1 or localhost, not {host!r}", 421
            )
        return None
