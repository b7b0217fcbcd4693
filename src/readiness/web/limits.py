"""A pure-ASGI request body cap: small by default, large for report uploads.

The cap is checked against ``Content-Length`` up front and against the bytes actually received
(chunked uploads), so an oversized body is refused without being held in memory.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from readiness.web.errors import PayloadTooLargeError, error_body

DEFAULT_LIMIT = 1 << 20  # 1 MiB: JSON bodies and forms
UPLOAD_LIMIT = 256 << 20  # 256 MiB: JUnit XML uploads
LOG_TEXT_LIMIT = 10 << 20  # 10 MiB: a log to scan (POST /api/v1/logs/scan)
SOURCE_TEXT_LIMIT = 32 << 20  # 32 MiB: sources to lint (POST /api/v1/logs/lint)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"request body exceeds {limit} bytes; split the upload into several requests",
        details={"limit": limit},
    )


class BodyLimitMiddleware:
    """Refuse request bodies above the limit of the longest matching path prefix."""

    def __init__(
        self, app: ASGIApp, *, default: int = DEFAULT_LIMIT, prefixes: Mapping[str, int]
    ) -> None:
        self.app = app
        self.default = default
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.prefixes:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            exc = _too_large(limit)
            response = JSONResponse(
                error_body(exc.code, exc.message, exc.details), status_code=exc.http_status
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, capped_receive, send)
