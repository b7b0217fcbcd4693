"""W3C trace context across message brokers (handbook Q8: "the trace is lost at the queue").

A producer writes ``traceparent`` (and ``tracestate`` when it has one) into the message's
headers; the consumer reads them back and logs its handling of the message under the producer's
``trace_id``, with a new ``span_id`` of its own and the producer's span as ``parent_span_id``::

    headers = propagation.inject({})                        # any dict of headers
    props = propagation.inject_pika(pika.BasicProperties())  # RabbitMQ (pika)
    await nc.publish(subject, data, headers=propagation.inject({}))  # NATS (nats-py)

    with propagation.consuming(propagation.extract_pika(properties)):  # or extract_nats(msg)
        log.info("order received")                           # carries the producer's trace_id

The producer's trace is, in order: ``trace_id``/``span_id`` bound in the context (a request under
``RequestLogging``), else the active OpenTelemetry span (see :mod:`readiness.logs.otel`); with
neither, nothing is injected. Header names are matched without regard to case and values may be
bytes (AMQP tables); a malformed ``traceparent`` is ignored, as the W3C spec asks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from readiness.logs import otel

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX16 = re.compile(r"[0-9a-f]{16}")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", re.S)
#: The W3C limit: 32 list members of at most 256 characters each, comma-separated.
MAX_TRACESTATE = 32 * 257


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A producer's trace: its ``trace_id``, its span (the consumer's parent), the flags and
    ``tracestate`` (vendor data, passed on unchanged)."""

    trace_id: str
    span_id: str
    sampled: bool = True
    tracestate: str | None = None

    @property
    def traceparent(self) -> str:
        """The ``traceparent`` header: version 00, the ids and the sampled flag."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


def parse(traceparent: str, tracestate: str | None = None) -> TraceContext | None:
    """The context of a ``traceparent`` value, or None when it is invalid: malformed, version
    ``ff``, all-zero ids, or extra fields after a version-00 value (a higher version may add
    fields, which are ignored, per the W3C Trace Context spec)."""
    m = _TRACEPARENT.fullmatch(traceparent.strip(" \t"))
    if m is None:
        return None
    version, trace_id, span_id, flags, rest = m.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    state = tracestate.strip() if tracestate else None
    if state is not None and (not state or len(state) > MAX_TRACESTATE or not state.isprintable()):
        state = None
    return TraceContext(trace_id, span_id, bool(int(flags, 16) & 1), state)


def current() -> TraceContext | None:
    """The trace of this moment: the bound ``trace_id``/``span_id`` (when both are W3C hex),
    else the active OpenTelemetry span, else None."""
    bound = structlog.contextvars.get_contextvars()
    trace_id, span_id = bound.get("trace_id"), bound.get("span_id")
    if (
        isinstance(trace_id, str)
        and isinstance(span_id, str)
        and _HEX32.fullmatch(trace_id)
        and _HEX16.fullmatch(span_id)
    ):
        return TraceContext(trace_id, span_id)
    active = otel.active_span_ids()
    return TraceContext(*active) if active else None


def inject(
    headers: MutableMapping[str, Any], context: TraceContext | None = None
) -> MutableMapping[str, Any]:
    """Writes ``traceparent`` (and ``tracestate``) of ``context`` (default: :func:`current`)
    into ``headers``, replacing any there in another case; returns ``headers``."""
    context = context if context is not None else current()
    if context is None:
        return headers
    ours = (TRACEPARENT, TRACESTATE)
    for name in [k for k in headers if isinstance(k, str) and k.lower() in ours]:
        del headers[name]
    headers[TRACEPARENT] = context.traceparent
    if context.tracestate:
        headers[TRACESTATE] = context.tracestate
    return headers


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def extract(headers: Mapping[Any, Any] | None) -> TraceContext | None:
    """The producer's trace in ``headers`` (names in any case, values str or bytes), or None."""
    if not headers:
        return None
    found: dict[str, str | None] = {}
    for name, value in headers.items():
        key = _text(name)
        if key is not None and key.lower() in (TRACEPARENT, TRACESTATE):
            found[key.lower()] = _text(value)
    parent = found.get(TRACEPARENT)
    return parse(parent, found.get(TRACESTATE)) if parent else None


class HasHeaders(Protocol):
    """What pika's ``BasicProperties`` and nats-py's ``Msg`` have in common: ``headers``."""

    headers: Any


def inject_pika(properties: Any, context: TraceContext | None = None) -> Any:
    """``properties`` (a ``pika.BasicProperties``) with the trace in its headers (a new dict:
    the caller's is not changed); returns ``properties``."""
    properties.headers = inject(dict(properties.headers or {}), context)
    return properties


def extract_pika(properties: HasHeaders | None) -> TraceContext | None:
    """The trace in a consumed message's ``pika.BasicProperties``, or None."""
    return extract(properties.headers) if properties is not None else None


def nats_headers(
    headers: Mapping[str, str] | None = None, context: TraceContext | None = None
) -> dict[str, str]:
    """``headers`` plus the trace, for ``nc.publish(subject, data, headers=...)``."""
    out: dict[str, str] = dict(headers or {})
    inject(out, context)
    return out


def extract_nats(msg: HasHeaders) -> TraceContext | None:
    """The trace in a received nats-py ``Msg`` (its ``headers``, None without any), or None."""
    return extract(msg.headers)


@contextmanager
def consuming(
    context: TraceContext | None, *, token_hex: Callable[[int], str] = secrets.token_hex
) -> Iterator[TraceContext]:
    """Binds, for the ``with`` block, the trace of a message being handled: the producer's
    ``trace_id`` (a new trace when the message carried none), a new ``span_id``, and the
    producer's span as ``parent_span_id``; yields the consumer's own context, ``tracestate``
    included (inject it into the messages the handler sends on; ``tracestate`` is never
    logged). The previous context is restored after."""
    if context is None:
        own = TraceContext(token_hex(16), token_hex(8))
        fields: dict[str, Any] = {"trace_id": own.trace_id, "span_id": own.span_id}
    else:
        own = TraceContext(context.trace_id, token_hex(8), context.sampled, context.tracestate)
        fields = {"trace_id": own.trace_id, "span_id": own.span_id}
        fields["parent_span_id"] = context.span_id
    with structlog.contextvars.bound_contextvars(**fields):
        yield own
