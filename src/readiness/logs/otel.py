"""The active OpenTelemetry span as a trace source, when OpenTelemetry is installed.

Precedence, per line: a ``trace_id`` already on the line wins — bound in the context (``logs.bind``,
``RequestLogging`` from a caller's ``traceparent``, a broker message's ``traceparent`` through
``readiness.logs.propagation``) or passed to the call. Only a line without one takes ``trace_id``
and ``span_id`` from the active span, as 32 and 16 lowercase hex digits, and only when that span's
context is valid (a non-recording default span is not). ``RequestLogging`` also prefers the active
span to a new random trace when the caller sent no ``traceparent``.

Nothing here imports OpenTelemetry until a line is logged, and then only once: without it the
processor costs one dictionary look-up and one call.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

EventDict = MutableMapping[str, Any]

#: The ``get_current_span`` of ``opentelemetry.trace`` once imported; None when it is missing.
_resolved: list[Callable[[], Any] | None] = []


def _current_span_getter() -> Callable[[], Any] | None:
    if not _resolved:
        try:
            from opentelemetry import trace
        except ImportError:
            _resolved.append(None)
        else:
            _resolved.append(trace.get_current_span)
    return _resolved[0]


def forget() -> None:
    """Looks OpenTelemetry up again on the next line (tests that hide or restore it)."""
    _resolved.clear()


def active_span_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the active OpenTelemetry span as lowercase hex, or None when
    OpenTelemetry is not installed or no valid span is active."""
    getter = _current_span_getter()
    if getter is None:
        return None
    context = getter().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def add_span_ids(_logger: object, _method_name: str, event_dict: EventDict) -> EventDict:
    """The processor: ``trace_id``/``span_id`` of the active span on a line without a
    ``trace_id`` (a bound or passed ``span_id`` is kept)."""
    if "trace_id" in event_dict:
        return event_dict
    ids = active_span_ids()
    if ids is not None:
        event_dict["trace_id"] = ids[0]
        event_dict.setdefault("span_id", ids[1])
    return event_dict
