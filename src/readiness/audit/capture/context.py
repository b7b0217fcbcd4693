"""The audit context of one request, shared by the middleware, the app and the ORM capture.

The middleware puts a mutable :class:`RequestAudit` in a context variable before it calls the
app. Starlette runs sync endpoints in a thread with a *copy* of the context, so values set in
the app would not come back; the object is shared by reference instead, and the app fills it
(``current_audit().set_actor(...)``) wherever its authentication runs.
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\Z")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,255}\Z")
DENIED_401 = "authn_token_invalid"  # OWASP Logging Vocabulary
DENIED_401_LOGIN = "authn_login_fail"
DENIED_403 = "authz_fail"
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_ERROR = 400


@dataclass
class RequestAudit:
    """What the app tells the audit trail about the request being served."""

    request_id: str
    trace_id: str | None = None
    actor_id: str | None = None
    actor_type: str | None = None
    session_id: str | None = None
    tenant: str | None = None
    target_id: str | None = None
    fields_accessed: list[str] = field(default_factory=list)
    base: str = ""  # the root_path the request came with (mounted routes are named from it)

    def set_actor(self, actor_id: str, actor_type: str = "user") -> None:
        """The authenticated actor (a pseudonymous id, never a name or e-mail)."""
        self.actor_id, self.actor_type = actor_id, actor_type

    def accessed(self, *names: str) -> None:
        """Field names of a sensitive resource this request revealed (never their values)."""
        self.fields_accessed.extend(n for n in names if n not in self.fields_accessed)


_CURRENT: ContextVar[RequestAudit | None] = ContextVar("readiness_request_audit", default=None)


def current_audit() -> RequestAudit | None:
    """The audit context of the request being served (None outside the middleware)."""
    return _CURRENT.get()


def bind(audit: RequestAudit | None) -> object:
    """Make ``audit`` current; returns the token :func:`unbind` takes."""
    return _CURRENT.set(audit)


def unbind(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]  # the token bind returned


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header; None when absent or invalid (version
    ``ff`` and all-zero ids are invalid per the spec)."""
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if match is None or match[1] == "ff" or set(match[2]) == {"0"} or set(match[3]) == {"0"}:
        return None
    return match[2]


def safe_id(value: str) -> str:
    """``value`` when it is a valid event id, else ``sha256:`` and its first 32 hex digits
    (a path parameter with spaces or an e-mail address never reaches the trail raw)."""
    if _ID.match(value) and "@" not in value:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def outcome(status: int, action: str, *, login: bool) -> tuple[str, str]:
    """``(action, result)`` for a response status: 2xx/3xx ``success``; 401 ``denied`` as
    ``authn_login_fail`` on a login route else ``authn_token_invalid``; 403 ``denied`` as
    ``authz_fail``; anything else ``failure`` under the route's own action."""
    if status == HTTP_UNAUTHORIZED:
        return (DENIED_401_LOGIN if login else DENIED_401), "denied"
    if status == HTTP_FORBIDDEN:
        return DENIED_403, "denied"
    return action, "success" if status < HTTP_ERROR else "failure"
