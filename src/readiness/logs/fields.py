"""The baseline fields of the handbook's 20.1 table, as structlog processors.

Every processor here is a pure function of the event dict (and of the clock it was built with).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

EventDict = MutableMapping[str, Any]

#: The order of the baseline fields at the start of every line; other fields follow as given.
BASELINE_ORDER = (
    "timestamp",
    "level",
    "service",
    "environment",
    "version",
    "trace_id",
    "span_id",
    "request_id",
    "parent_span_id",
    "user_id",
    "action",
    "message",
    "duration_ms",
    "error",
)

#: The OpenTelemetry semantic-convention names of the baseline fields (``otel_names=True``).
OTEL_NAMES: Mapping[str, str] = {
    "level": "severity_text",
    "message": "body",
    "service": "service.name",
    "environment": "deployment.environment.name",
    "version": "service.version",
    "user_id": "user.id",
    "action": "event.name",
    "request_id": "http.request.id",
    "logger": "code.namespace",
}

#: structlog/stdlib method names to the handbook's level names.
LEVEL_NAMES: Mapping[str, str] = {
    "trace": "trace",
    "debug": "debug",
    "info": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "exception": "error",
    "critical": "fatal",
    "fatal": "fatal",
    "msg": "info",
    "log": "info",
}

DEFAULT_STACK_FRAMES = 10


def format_timestamp(moment: datetime) -> str:
    """ISO 8601, UTC, millisecond precision, ``Z``: ``2025-03-15T14:23:01.123Z``."""
    if moment.tzinfo is UTC and moment.year >= 1000:
        # The common case (the default clock), without strftime: "...:01.123+00:00" -> "...Z".
        return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
    if moment.tzinfo is None:
        raise ValueError(f"log clock must return an aware datetime (got naive {moment!r})")
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def add_level(_logger: object, method_name: str, event_dict: EventDict) -> EventDict:
    """``level`` from the method called (``warning`` is ``warn``, ``critical`` ``fatal``)."""
    event_dict["level"] = LEVEL_NAMES.get(method_name, method_name)
    return event_dict


def add_logger_name(_logger: object, _method_name: str, event_dict: EventDict) -> EventDict:
    """``logger``: the stdlib logger's name, for lines from third-party libraries."""
    record = event_dict.get("_record")
    if record is not None and not event_dict.get("_from_structlog", False):
        event_dict.setdefault("logger", record.name)
    return event_dict


def error_fields(
    frames: int = DEFAULT_STACK_FRAMES,
) -> Callable[[object, str, EventDict], EventDict]:
    """``exc_info`` (``log.exception``, ``exc_info=True`` or an exception) becomes
    ``error = {type, message, stack}`` with the last ``frames`` frames of the stack only."""

    def processor(_logger: object, _method_name: str, event_dict: EventDict) -> EventDict:
        exc_info = event_dict.pop("exc_info", None)
        event_dict.pop("stack_info", None)
        exc: BaseException | None = None
        if isinstance(exc_info, BaseException):
            exc = exc_info
        elif isinstance(exc_info, tuple) and len(exc_info) == 3:
            exc = exc_info[1]
        elif exc_info:
            exc = sys.exc_info()[1]
        if exc is not None:
            stack = "".join(traceback.format_exception(exc, limit=-frames)).rstrip("\n")
            event_dict["error"] = {
                "type": type(exc).__qualname__,
                "message": str(exc),
                "stack": stack,
            }
        return event_dict

    return processor


def baseline(
    *, service: str, environment: str, version: str, clock: Callable[[], datetime]
) -> Callable[[object, str, EventDict], EventDict]:
    """Adds ``timestamp``, ``service``, ``environment``, ``version``; renames structlog's
    ``event`` to ``message``; puts the baseline fields first, in the 20.1 order."""

    def processor(_logger: object, _method_name: str, event_dict: EventDict) -> EventDict:
        event_dict["timestamp"] = format_timestamp(clock())
        event_dict["service"] = service
        event_dict["environment"] = environment
        event_dict["version"] = version
        if "event" in event_dict:
            event_dict["message"] = event_dict.pop("event")
        # The baseline fields first; ``update`` keeps their places and appends the others in
        # the order given.
        ordered: dict[str, Any] = {k: event_dict[k] for k in BASELINE_ORDER if k in event_dict}
        ordered.update(event_dict)
        return ordered

    return processor


def otel_names(_logger: object, _method_name: str, event_dict: EventDict) -> EventDict:
    """Renames the baseline fields to OpenTelemetry's semantic conventions; ``error`` becomes
    ``exception.type``, ``exception.message`` and ``exception.stacktrace``."""
    renamed: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key == "error" and isinstance(value, Mapping):
            renamed["exception.type"] = value.get("type")
            renamed["exception.message"] = value.get("message")
            renamed["exception.stacktrace"] = value.get("stack")
        else:
            renamed[OTEL_NAMES.get(key, key)] = value
    return renamed
