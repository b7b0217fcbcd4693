"""Security headers on every response (pure ASGI, so error pages and static files get them too).

The dashboard loads scripts and styles from ``/static`` only: no inline script, no inline style,
no ``eval`` (htmx runs with ``allowEval`` off), no framing by any site.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from readiness.web.deps import is_secure

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def _hsts(scope: Scope) -> str:
    """The Strict-Transport-Security value for this request: only over HTTPS (directly or via
    a trusted proxy), where ``server.hsts_seconds`` is not 0; else empty. Browsers ignore the
    header over plain HTTP, and sending it there would pin a development server to HTTPS."""
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    if settings is None or settings.server.hsts_seconds == 0:
        return ""
    if not is_secure(Request(scope)):
        return ""
    return f"max-age={settings.server.hsts_seconds}"


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        hsts = _hsts(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if hsts:
                    headers.setdefault("Strict-Transport-Security", hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)
