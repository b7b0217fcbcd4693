"""The platform's own server logs through ``readiness.logs`` (issue 11, handbook 20.1).

``readiness serve`` calls ``configure_server_logging`` before it builds the app, wraps the app in
``ServerRequestLogging`` and runs uvicorn with ``UVICORN_LOG_OPTIONS``:

- every line is one JSON object on standard error (the console renderer when standard error is
  a terminal, or with ``--log-format console``) with ``service`` ``readiness``, ``version``
  ``readiness.__version__`` and ``environment`` ``production`` (``readiness serve`` is how the
  platform runs in production; there is no environment setting);
- one ``http.request`` line per request (method, route template, status, ``duration_ms``; never
  headers or bodies), except ``/healthz``: a load balancer's probe every few seconds would
  drown the lines that matter, and its answer carries no information a line would add;
- uvicorn's access log is off (the ``http.request`` line replaces it) and its ``uvicorn.error``
  logger (start-up, shutdown, an exception in the app) propagates to the same pipeline, as does
  every ``logging.getLogger("readiness...")`` of the platform;
- uvicorn's ``color_message`` (its message again, with terminal colour codes) is dropped, and
  alembic's plugin set-up chatter (``alembic.runtime.plugins``) is kept below WARNING;
- before redaction, URLs in string fields lose their passwords and tokens
  (``readiness._common.redact.mask_urls``: a DSN in an error message shows as
  ``postgresql://app:***@db/x``).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any, Literal, TextIO

import readiness
from readiness import logs
from readiness._common.redact import mask_urls
from readiness.logs.asgi import ASGIApp, Receive, RequestLogging, Scope, Send
from readiness.logs.override import DebugOverride

LogFormat = Literal["auto", "json", "console"]

SERVICE = "readiness"
ENVIRONMENT = "production"
#: Paths that write no request line (see the module docstring).
UNLOGGED_PATHS = frozenset({"/healthz"})
#: Loggers whose INFO lines say nothing to an operator, and the level they get.
QUIET_LOGGERS = {"alembic.runtime.plugins": logging.WARNING}
#: The loggers uvicorn writes to.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
#: ``uvicorn.run`` options: no logging setup of its own, no access log, its messages at INFO.
UVICORN_LOG_OPTIONS: dict[str, Any] = {"log_config": None, "access_log": False, "log_level": "info"}


def drop_color_message(
    _logger: object, _method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Processor: without uvicorn's ``color_message`` extra."""
    event_dict.pop("color_message", None)
    return event_dict


def mask_url_secrets(
    _logger: object, _method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Processor: URLs in string fields (and in ``error``'s message and stack) with their
    passwords and tokens as ``***``."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "://" in value:
            event_dict[key] = mask_urls(value)
    error = event_dict.get("error")
    if isinstance(error, dict):
        for part in ("message", "stack"):
            text = error.get(part)
            if isinstance(text, str) and "://" in text:
                error[part] = mask_urls(text)
    return event_dict


def renderer_for(log_format: LogFormat, stream: TextIO | None = None) -> Literal["json", "console"]:
    """``auto``: the console renderer when ``stream`` (standard error) is a terminal."""
    if log_format != "auto":
        return log_format
    target = stream if stream is not None else sys.stderr
    return "console" if target.isatty() else "json"


def configure_server_logging(
    log_format: LogFormat = "auto",
    *,
    stream: TextIO | None = None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Sets up ``readiness.logs`` for the server process (``stream``: default standard error)."""
    options: dict[str, Any] = {} if clock is None else {"clock": clock}
    logs.configure(
        SERVICE,
        ENVIRONMENT,
        readiness.__version__,
        level="info",
        renderer=renderer_for(log_format, stream),
        stream=stream,
        strict_events=False,  # a typed event with a stray field drops it, never fails a request
        extra_processors=(drop_color_message, mask_url_secrets),
        **options,
    )
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    # uvicorn's own logging setup (a dictConfig in this process, e.g. an earlier in-process
    # server) gives its loggers handlers and stops them propagating: undo it, so its lines go
    # through this pipeline and nowhere else.
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


class ServerRequestLogging:
    """``RequestLogging`` for every path but ``UNLOGGED_PATHS``; keyword arguments (``clock``,
    ``token_hex``) go to it. With ``debug_key`` (the key of the debug grants the server issues
    at ``POST /api/v1/logs/debug-grants``) a request with a valid grant writes its own
    DEBUG/TRACE lines (``DebugOverride``, inside the request line's trace); ``grant_clock``
    (seconds since the epoch) decides whether a grant has expired."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        debug_key: bytes | None = None,
        grant_clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        self.app = app
        inner: ASGIApp = (
            app if debug_key is None else DebugOverride(app, key=debug_key, clock=grant_clock)
        )
        self.logged = RequestLogging(inner, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http" and scope.get("path") in UNLOGGED_PATHS:
            await self.app(scope, receive, send)
            return
        await self.logged(scope, receive, send)
