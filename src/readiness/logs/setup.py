"""``configure``: one call that sets up structlog and the standard library's ``logging``.

The processor chain every line passes, in order (``build_processors`` returns it; structlog
lines then go to the renderer, ``logging`` records to the same renderer through structlog's
``ProcessorFormatter``):

1. ``merge_contextvars``: the request-scoped fields (``bind``, the ASGI middleware);
2. ``fields.add_level``: ``level`` in the handbook's names;
3. the ``Sampler`` (``sample_rate`` below 1): drops a sampled-out trace's DEBUG/INFO lines;
4. ``fields.add_logger_name``: ``logger`` for ``logging`` records;
5. ``fields.error_fields``: ``exc_info`` becomes ``error = {type, message, stack}``;
6. ``extra`` (``configure(extra_processors=...)``): the caller's own processors;
7. the redactor (``redact``), behind ``prefilter.Prefiltered``: it sees every field but the
   baseline ones, and is skipped for lines that cannot hold a finding;
8. ``fields.baseline``: ``timestamp``, ``service``, ``environment``, ``version``, ``message``,
   the baseline fields first;
9. ``fields.otel_names`` (``otel_names=True``): OpenTelemetry's names.

A processor added to the chain goes into ``build_processors`` at its stage; a filtered-out
call (a level below ``configure(level=...)``) runs none of them.
"""

from __future__ import annotations

import logging
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import Processor

from readiness.logs import events, fields, otel, override
from readiness.logs.prefilter import Prefiltered
from readiness.logs.redaction import Redactor
from readiness.logs.render import render_console, render_json
from readiness.logs.sampling import Sampler

Renderer = Literal["json", "console"]

#: Level names accepted by ``configure(level=...)`` and their ``logging`` numbers.
LEVELS = {
    "trace": override.TRACE,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
    "critical": logging.CRITICAL,
}

#: The root handler ``configure`` installed, so a second call replaces it instead of adding one.
_installed: list[logging.Handler] = []
#: The root logger's level before the first ``configure``, restored by ``reset``.
_previous_root_level: list[int] = []


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_processors(
    *,
    service: str,
    environment: str,
    version: str,
    clock: Callable[[], datetime] = _utc_now,
    otel_names: bool = False,
    stack_frames: int = fields.DEFAULT_STACK_FRAMES,
    redactor: Redactor | None = None,
    sampler: Sampler | None = None,
    extra: tuple[Processor, ...] = (),
    otel_spans: bool = True,
) -> list[Processor]:
    """The shared chain (without the renderer): what both structlog and ``logging`` lines pass
    (the stages are listed in this module's docstring)."""
    chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        # logruntime hook: the active OpenTelemetry span when no trace is bound (logs/otel.py)
        *((otel.add_span_ids,) if otel_spans else ()),
        fields.add_level,
        *((sampler,) if sampler is not None else ()),
        fields.add_logger_name,
        fields.error_fields(stack_frames),
        *extra,
        *((Prefiltered(redactor),) if redactor is not None else ()),
        fields.baseline(service=service, environment=environment, version=version, clock=clock),
    ]
    if otel_names:
        chain.append(fields.otel_names)
    return chain


def configure(
    service: str,
    environment: str,
    version: str,
    *,
    level: str = "info",
    renderer: Renderer = "json",
    clock: Callable[[], datetime] = _utc_now,
    stream: TextIO | None = None,
    otel_names: bool = False,
    stack_frames: int = fields.DEFAULT_STACK_FRAMES,
    redact: bool | Redactor = True,
    strict_events: bool | None = None,
    hash_key: bytes | None = None,
    cache_loggers: bool = True,
    sample_rate: float = 1.0,
    extra_processors: tuple[Processor, ...] = (),
    otel_spans: bool = True,
) -> None:
    """Sets up structlog and the root ``logging`` logger to write one line per call to ``stream``
    (default: standard error) with the baseline fields. ``redact`` (on by default; pass a
    configured ``Redactor`` to change its rules) runs after ``extra_processors``, so it sees
    every field but the baseline ones. Typed events reject unknown fields unless
    ``strict_events`` is False (default: strict outside ``production``); their ``Hashed`` fields
    use ``hash_key`` (default: a random key per process). With ``cache_loggers`` (structlog's
    advice for speed) a logger from ``get_logger`` assembles its pipeline once and keeps it
    until ``configure`` or ``reset`` is called again. ``sample_rate`` below 1 keeps that share of
    traces' DEBUG/INFO lines, decided per ``trace_id`` (see ``readiness.logs.sampling``).
    ``otel_spans`` takes ``trace_id``/``span_id`` from the active OpenTelemetry span for lines
    without a bound trace (see ``readiness.logs.otel``). A request with a debug grant writes its
    ``debug``/``trace`` lines below ``level`` (see ``readiness.logs.override``)."""
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)} (got {level!r})")
    if renderer not in ("json", "console"):
        raise ValueError(f"renderer must be 'json' or 'console' (got {renderer!r})")
    out = stream if stream is not None else sys.stderr
    render = render_json if renderer == "json" else render_console
    sampler: Sampler | None = Sampler(sample_rate)
    if sample_rate == 1.0:
        sampler = None
    chain = build_processors(
        service=service,
        environment=environment,
        version=version,
        clock=clock,
        otel_names=otel_names,
        stack_frames=stack_frames,
        redactor=(redact if isinstance(redact, Redactor) else Redactor() if redact else None),
        sampler=sampler,
        extra=extra_processors,
        otel_spans=otel_spans,
    )
    events.set_mode(
        strict=strict_events if strict_events is not None else environment != "production",
        hash_key=hash_key if hash_key is not None else os.urandom(32),
    )
    structlog.configure(
        processors=[*chain, render],
        # logruntime hook: ``trace``, and debug/trace lines of a request with a debug grant
        wrapper_class=_with_event_method(override.level_aware(LEVELS[level])),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        context_class=dict,
        cache_logger_on_first_use=cache_loggers,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *chain],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, render],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    if sampler is not None:
        handler.addFilter(sampler)
    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    if not _previous_root_level:
        _previous_root_level.append(root.level)
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    _installed.append(handler)
    _caching[:] = [cache_loggers]
    _forget_loggers()


def _with_event_method(base: type[Any]) -> type[Any]:
    def event(self: Any, ev: events.Event, message: str | None = None) -> None:
        events.emit(self, ev, message)

    return type("ReadinessLogger", (base,), {"event": event})


def reset() -> None:
    """Undoes ``configure``: structlog's defaults, the root handler removed, the context cleared."""
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    if _previous_root_level:
        root.setLevel(_previous_root_level.pop())
    _caching[:] = [False]
    _forget_loggers()


#: Whether loggers keep their assembled methods (``configure(cache_loggers=...)``).
_caching: list[bool] = [False]
#: The loggers handed out, so ``configure`` and ``reset`` make them forget their methods.
_loggers: weakref.WeakSet[Logger] = weakref.WeakSet()


def _forget_loggers() -> None:
    for log in list(_loggers):
        log.forget()


class Logger:
    """What ``get_logger`` returns: usable at import time, before ``configure``.

    The first call of a method assembles a structlog logger from the setup of the moment and,
    when ``configure(cache_loggers=True)`` (the default), keeps that method as an attribute of
    this object, so later calls cost one attribute lookup (a filtered-out ``debug`` returns at
    once). ``configure`` and ``reset`` make every logger forget what it kept. structlog's own
    lazy proxy re-dispatches each call through ``__getattr__``, which costs more than the
    filtered-out call itself."""

    def __init__(self, initial: dict[str, Any]) -> None:
        self._initial = initial
        _loggers.add(self)

    def forget(self) -> None:
        """Drops the kept methods: the next call assembles the current setup."""
        initial = self._initial
        self.__dict__.clear()
        self._initial = initial

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(structlog.get_logger().bind(**self._initial), name)
        if _caching[0] and callable(value):
            self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"<readiness.logs.Logger {self._initial!r}>"


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A logger (structlog's API: ``info``, ``bind``, ``event`` ...); ``name`` is recorded as
    ``logger`` when given."""
    if name is not None:
        initial.setdefault("logger", name)
    return Logger(initial)


def bind(**fields_: Any) -> None:
    """Binds request-scoped fields (``trace_id``, ``request_id``, ``user_id``) to the context."""
    structlog.contextvars.bind_contextvars(**fields_)


def unbind(*keys: str) -> None:
    """Removes request-scoped fields from this context."""
    structlog.contextvars.unbind_contextvars(*keys)


def clear_context() -> None:
    """Removes every request-scoped field (call at the start of each request)."""
    structlog.contextvars.clear_contextvars()


@contextmanager
def bound(**fields_: Any) -> Iterator[None]:
    """Binds request-scoped fields for the ``with`` block, restoring the previous ones after."""
    with structlog.contextvars.bound_contextvars(**fields_):
        yield
