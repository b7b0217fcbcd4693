"""Per-request DEBUG/TRACE: a signed, expiring debug grant switches one request's level down.

The handbook (20.1, log levels): TRACE is "used only during active debugging of a specific issue
[...] with a temporary log-level override for a single request", DEBUG is enabled "dynamically
[...] during incidents, then disabled afterward", and the override reverts "automatically (via a
TTL on the override)". So a request carrying ``X-Log-Level: debug`` (or ``trace``) *and* a valid
grant in ``X-Debug-Grant`` writes its own lines down to that level; every other request keeps the
configured one (the level lives in a context variable, scoped to the request's task).

A grant is a compact token, ``rdg1.<payload>.<mac>`` (base64url): the payload is JSON with the
subject who asked (``sub``), the most verbose level allowed (``lvl``), the expiry in Unix seconds
(``exp``) and an id (``id``); the mac is HMAC-SHA256 under a key the caller injects (the server
derives it from its secret key). Verifying never raises: a malformed, forged, expired or
over-level grant is ignored and counted in :data:`rejected` by reason.

This module is pure: the key, the clock (``now`` in seconds) and the grant id are passed in; only
:class:`DebugOverride` (the ASGI middleware) reads a clock by default.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog

from readiness.errors import InputError
from readiness.logs.asgi import LEVEL_SCOPE_KEY, REQUEST_LEVEL, ASGIApp, Receive, Scope, Send

#: Below DEBUG: function entries and exits, values at each step (handbook 20.1).
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

#: The levels a grant may switch a request to, most verbose last.
OVERRIDE_LEVELS = {"debug": logging.DEBUG, "trace": TRACE}
DEFAULT_TTL_SECONDS = 3600
DEFAULT_MAX_TTL_SECONDS = 3600
LEVEL_HEADER = "x-log-level"
GRANT_HEADER = "x-debug-grant"
PREFIX = "rdg1"
MAX_GRANT_LENGTH = 1024
_KEY_PURPOSE = b"readiness.logs.debug-grant\x00"

#: Why grants were turned away since the process started (or :func:`reset_counts`):
#: ``malformed``, ``forged``, ``expired``, ``over_level``, ``bad_level``, ``missing`` (a level
#: header without a grant).
rejected: Counter[str] = Counter()

_request_level = REQUEST_LEVEL


@dataclass(frozen=True, slots=True)
class Grant:
    """A verified grant: who asked, the most verbose level it allows, until when, its id."""

    subject: str
    level: str
    expires: int
    grant_id: str


def derive_key(secret: bytes) -> bytes:
    """The grant key of a server secret (HMAC with a purpose label: never the secret itself)."""
    return hmac.new(secret, _KEY_PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, f"{PREFIX}.{body}".encode("ascii"), hashlib.sha256).digest()


def issue_grant(
    key: bytes,
    *,
    subject: str,
    level: str,
    now: int,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    max_ttl_seconds: int = DEFAULT_MAX_TTL_SECONDS,
    grant_id: str | None = None,
) -> tuple[str, Grant]:
    """A signed grant for ``subject`` valid from ``now`` for ``ttl_seconds`` (at most
    ``max_ttl_seconds``); the token and what it says. InputError on a bad level or TTL."""
    if level not in OVERRIDE_LEVELS:
        raise InputError(
            f"debug grant level must be one of {', '.join(OVERRIDE_LEVELS)} (got {level!r})",
            details={"level": level},
        )
    if not 1 <= ttl_seconds <= max_ttl_seconds:
        raise InputError(
            f"debug grant ttl_seconds must be between 1 and {max_ttl_seconds} "
            f"(got {ttl_seconds!r}); ask again when it expires",
            details={"ttl_seconds": ttl_seconds, "max": max_ttl_seconds},
        )
    grant = Grant(subject, level, now + ttl_seconds, grant_id or secrets.token_hex(8))
    payload = {"sub": grant.subject, "lvl": grant.level, "exp": grant.expires, "id": grant.grant_id}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii"))
    return f"{PREFIX}.{body}.{_b64(_mac(key, body))}", grant


def _parse(key: bytes, token: str) -> tuple[Grant | None, str]:
    parts = token.split(".")
    if len(token) > MAX_GRANT_LENGTH or len(parts) != 3 or parts[0] != PREFIX:
        return None, "malformed"
    body, sig = parts[1], parts[2]
    try:
        _unb64(sig)
        expected = _mac(key, body)
    except (binascii.Error, ValueError):  # not base64, or not ASCII
        return None, "malformed"
    # The canonical encoding only: a token differing from the issued one in any byte is refused,
    # even where base64's spare bits would decode to the same mac.
    if not hmac.compare_digest(sig.encode("ascii"), _b64(expected).encode("ascii")):
        return None, "forged"
    try:
        data = json.loads(_unb64(body))
        grant = Grant(str(data["sub"]), str(data["lvl"]), int(data["exp"]), str(data["id"]))
    except (binascii.Error, ValueError, TypeError, KeyError):  # signed by us: cannot happen
        return None, "malformed"
    if grant.level not in OVERRIDE_LEVELS:
        return None, "malformed"
    return grant, ""


def verify_grant(
    key: bytes, token: str, *, now: int, level: str, max_level: str = "trace"
) -> Grant | None:
    """The grant when ``token`` is ours, unexpired at ``now`` (it expires *at* ``exp``) and
    allows ``level`` (not more verbose than the grant's level nor ``max_level``); else None,
    counted in :data:`rejected` (``bad_level`` for a level other than debug or trace). Never
    raises."""
    if level not in OVERRIDE_LEVELS:
        rejected["bad_level"] += 1
        return None
    grant, reason = _parse(key, token)
    if grant is not None and now >= grant.expires:
        grant, reason = None, "expired"
    if grant is not None and (
        OVERRIDE_LEVELS[level] < OVERRIDE_LEVELS[grant.level]
        or OVERRIDE_LEVELS[level] < OVERRIDE_LEVELS.get(max_level, logging.DEBUG)
    ):
        grant, reason = None, "over_level"
    if grant is None:
        rejected[reason] += 1
    return grant


def reset_counts() -> None:
    """Clears :data:`rejected` (tests)."""
    rejected.clear()


def request_level() -> int | None:
    """The level this request's lines are written down to, when a grant switched it."""
    return _request_level.get()


@contextmanager
def overridden(level: str) -> Iterator[None]:
    """Lines logged in the ``with`` block (in this task) are written down to ``level``."""
    token = _request_level.set(OVERRIDE_LEVELS[level])
    try:
        yield
    finally:
        _request_level.reset(token)


def _emit(logger: Any, name: str, event: str | None, args: tuple[Any, ...], kw: Any) -> Any:
    # As structlog's ``_proxy_to_logger``, but a ``trace`` line is written with the output
    # logger's ``msg`` when it has no ``trace`` method (structlog's own loggers have none).
    try:
        text = event % args if args and event is not None else event
        out_args, out_kw = logger._process_event(name, text, kw)
    except structlog.DropEvent:
        return None
    return getattr(logger._logger, name, logger._logger.msg)(*out_args, **out_kw)


def _below_threshold(name: str, number: int) -> Callable[..., Any]:
    def method(self: Any, event: str | None = None, *args: Any, **kw: Any) -> Any:
        wanted = _request_level.get()
        if wanted is None or wanted > number:
            return None
        return _emit(self, name, event, args, kw)

    method.__name__ = name
    return method


def _direct(name: str) -> Callable[..., Any]:
    def method(self: Any, event: str | None = None, *args: Any, **kw: Any) -> Any:
        return _emit(self, name, event, args, kw)

    method.__name__ = name
    return method


def level_aware(min_level: int) -> type[Any]:
    """structlog's filtering bound logger at ``min_level`` (TRACE allowed) with a ``trace``
    method, whose ``debug``/``trace`` write when the request's override allows them although
    the configured level does not (one context-variable read per filtered call)."""
    base = structlog.make_filtering_bound_logger(max(min_level, logging.DEBUG))
    methods = {
        name: _direct(name) if number >= min_level else _below_threshold(name, number)
        for name, number in (("trace", TRACE), ("debug", logging.DEBUG))
    }
    return type(base.__name__, (base,), methods)


class DebugOverride:
    """ASGI middleware: applies a request's ``X-Log-Level`` when its ``X-Debug-Grant`` verifies
    and writes one ``log.override`` line (the grant's id and level, never the grant). Add it
    *inside* ``RequestLogging`` (``add_middleware`` it first) so that line carries the trace."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        key: bytes,
        clock: Callable[[], float] = time.time,
        max_level: str = "trace",
        logger: Any = None,
    ) -> None:
        if max_level not in OVERRIDE_LEVELS:
            raise ValueError(
                f"max_level must be one of {', '.join(OVERRIDE_LEVELS)} (got {max_level!r})"
            )
        self.app = app
        self.key = key
        self.clock = clock
        self.max_level = max_level
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        grant, level = self._grant(scope) if scope.get("type") == "http" else (None, "")
        if grant is None:
            await self.app(scope, receive, send)
            return
        handed_back = scope.get(LEVEL_SCOPE_KEY)
        if isinstance(handed_back, dict):  # RequestLogging outside: its summary line's level
            handed_back["level"] = OVERRIDE_LEVELS[level]
        with overridden(level):
            log = self.logger if self.logger is not None else structlog.get_logger()
            log.info(
                "log.override",
                action="log.override",
                grant_id=grant.grant_id,
                log_level=level,
            )
            await self.app(scope, receive, send)

    def _grant(self, scope: Scope) -> tuple[Grant | None, str]:
        level = token = ""
        for name, value in scope.get("headers", ()):
            lowered = name.lower()
            if lowered == LEVEL_HEADER.encode():
                level = value.decode("latin-1").strip().lower()
            elif lowered == GRANT_HEADER.encode():
                token = value.decode("latin-1").strip()
        if not level:
            return None, ""
        if not token:
            rejected["missing"] += 1
            return None, ""
        now = int(self.clock())
        grant = verify_grant(self.key, token, now=now, level=level, max_level=self.max_level)
        return grant, level
