"""ASGI middleware: W3C trace context in, one request summary line out (never bodies).

    app.add_middleware(RequestLogging)            # FastAPI / Starlette
    app = RequestLogging(app)                     # any ASGI app

For each HTTP request it clears the request-scoped context, binds ``trace_id`` (from a valid
``traceparent`` header, else the active OpenTelemetry span's, else a new one), a new ``span_id``
(the active span's when that gave the trace), ``parent_span_id`` when the caller
sent one, and ``request_id`` (from ``X-Request-ID`` when it is a short token, else new); then,
when the response has started, writes one ``http.request`` line with the method, the route
template (``/orders/{order_id}``, not the path with its ids), the status and ``duration_ms``.

The summary line is written in the request's context as it stood when the response started, so
what the request's handling set for its own lines holds for it too: a request under a debug
grant (``DebugOverride``, added inside this middleware) keeps its summary line whatever the
sampling rate, as it keeps its other lines. The grant's middleware has left that context by the
time the app returns; the line is written after. A middleware between the two that runs the app in
a task of its own (Starlette's ``BaseHTTPMiddleware``) starts the response from a context the grant
never reached: the grant's level also travels back in a holder this middleware puts in the scope
(:data:`LEVEL_SCOPE_KEY`), and the summary line is written at that level.
"""

from __future__ import annotations

import contextvars
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

from readiness.logs import otel

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The scope entry through which an inner middleware (``DebugOverride``) hands this request's
#: overridden level back: a one-entry dict shared by every layer that passes the scope on.
LEVEL_SCOPE_KEY = "readiness.logs.level"

#: The level a debug grant switched this request's lines down to (None: the configured one).
#: Set in the request's task by ``DebugOverride``; read by the loggers and the sampler.
REQUEST_LEVEL: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "readiness_log_level", default=None
)

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")


def parse_traceparent(header: str) -> tuple[str, str] | None:
    """``(trace_id, parent_span_id)`` of a valid W3C ``traceparent``, or None (version ``ff``,
    all-zero ids and malformed values are invalid, per the W3C Trace Context spec)."""
    m = _TRACEPARENT.fullmatch(header.strip())
    if m is None or m.group(1) == "ff":
        return None
    trace_id, parent = m.group(2), m.group(3)
    if trace_id == "0" * 32 or parent == "0" * 16:
        return None
    return trace_id, parent


def route_template(scope: Scope) -> str:
    """The matched route's template with its routers' prefixes (``/api/v1/orders/{id}``), or
    ``[unmatched]``. FastAPI 0.16x keeps an included router's routes unprefixed and records the
    full template in its own scope entry; other frameworks' routes carry it as ``path``."""
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    full = getattr(effective, "path_format", None)
    if isinstance(full, str) and full:
        return full
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "[unmatched]"


class RequestLogging:
    """The middleware. ``clock`` (seconds, monotonic) and ``token_hex`` are injectable."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        clock: Callable[[], float] = time.perf_counter,
        token_hex: Callable[[int], str] = secrets.token_hex,
        logger: Any = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.token_hex = token_hex
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        parsed = parse_traceparent(headers.get("traceparent", ""))
        # logruntime hook: no traceparent, but an OpenTelemetry span is active (its ASGI
        # instrumentation outside this middleware): log under that span (logs/otel.py)
        active = None if parsed else otel.active_span_ids()
        trace_id = parsed[0] if parsed else active[0] if active else self.token_hex(16)
        request_id = headers.get("x-request-id", "")
        if not _REQUEST_ID.fullmatch(request_id):
            request_id = self.token_hex(8)
        structlog.contextvars.clear_contextvars()
        fields: dict[str, Any] = {
            "trace_id": trace_id,
            "span_id": active[1] if active else self.token_hex(8),
            "request_id": request_id,
        }
        if parsed:
            fields["parent_span_id"] = parsed[1]
        structlog.contextvars.bind_contextvars(**fields)
        started = self.clock()
        handed_back: dict[str, int] = {}
        scope = {**scope, LEVEL_SCOPE_KEY: handed_back}
        status: list[int] = []
        handling: list[contextvars.Context] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                handling.append(contextvars.copy_context())
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = self.clock() - started
            # Without a response (the app raised) the line is an ERROR one: never sampled.
            context = handling[0] if handling else contextvars.copy_context()
            level = handed_back.get("level")
            context.run(self._summary, scope, status[0] if status else 500, seconds, level)
            structlog.contextvars.clear_contextvars()

    def _summary(self, scope: Scope, status: int, seconds: float, level: int | None) -> None:
        if level is not None and REQUEST_LEVEL.get() is None:
            REQUEST_LEVEL.set(level)  # in this copy of the context only
        template = route_template(scope)
        log = self.logger if self.logger is not None else structlog.get_logger()
        method = "error" if status >= 500 else "warning" if status >= 400 else "info"
        getattr(log, method)(
            "http.request",
            action="http.request",
            http_method=scope.get("method", ""),
            http_route=template,
            http_status=status,
            duration_ms=round(seconds * 1000, 3),
        )
