"""logs: structured logging with privacy (issue 11).

One call sets up structlog and the standard library's ``logging`` to write JSON lines with the
handbook's baseline fields (see docs/logs.md)::

    from readiness import logs
    logs.configure(service="order-service", environment="production", version="v2.14.3")
    logs.get_logger().info("order placed", action="order.placed", duration_ms=234)

A platform service: applications import it; it imports no feature.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from readiness.logs.asgi import RequestLogging, parse_traceparent
    from readiness.logs.events import (
        Event,
        EventFieldError,
        Hashed,
        Never,
        Privacy,
        Pseudonymous,
        Public,
        dropped_fields,
    )
    from readiness.logs.fields import format_timestamp
    from readiness.logs.override import DebugOverride
    from readiness.logs.redaction import Redactor
    from readiness.logs.render import neutralise, render_console, render_json
    from readiness.logs.setup import (
        LEVELS,
        bind,
        bound,
        build_processors,
        clear_context,
        configure,
        get_logger,
        reset,
        unbind,
    )

# The names load on first use: importing a light part (``readiness.logs.scan``, as the CLI's
# ``logs scan`` does) must not import structlog (and through it rich) into every command.
_WHERE = {
    "RequestLogging": "asgi",
    "parse_traceparent": "asgi",
    "Event": "events",
    "EventFieldError": "events",
    "Hashed": "events",
    "Never": "events",
    "Privacy": "events",
    "Pseudonymous": "events",
    "Public": "events",
    "dropped_fields": "events",
    "format_timestamp": "fields",
    "DebugOverride": "override",
    "Redactor": "redaction",
    "neutralise": "render",
    "render_console": "render",
    "render_json": "render",
    "LEVELS": "setup",
    "bind": "setup",
    "bound": "setup",
    "build_processors": "setup",
    "clear_context": "setup",
    "configure": "setup",
    "get_logger": "setup",
    "reset": "setup",
    "unbind": "setup",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


__all__ = [
    "LEVELS",
    "DebugOverride",
    "Event",
    "EventFieldError",
    "Hashed",
    "Never",
    "Privacy",
    "Pseudonymous",
    "Public",
    "Redactor",
    "RequestLogging",
    "bind",
    "bound",
    "build_processors",
    "clear_context",
    "configure",
    "dropped_fields",
    "format_timestamp",
    "get_logger",
    "neutralise",
    "parse_traceparent",
    "render_console",
    "render_json",
    "reset",
    "unbind",
]
