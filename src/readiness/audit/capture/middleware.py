"""The capture middleware: one audit event per audited request, for any ASGI (FastAPI/Starlette)
app, as a pure ASGI middleware (it never buffers a body and works with streaming responses).

Fail-closed semantics (``fail_closed=True``), after HashiCorp Vault's audit devices:

* Before a mutation (POST, PUT, PATCH, DELETE) reaches the app, the sink is asked whether it
  can write (:meth:`AuditSink.check`). When it cannot, the client gets ``503`` with the error
  code ``audit_unavailable`` and **the app is never called**: nothing changes unaudited.
* Every audited request's event is written after the app has chosen its status and **before
  the first byte of the response** (its status line) is released. When the write fails, the
  app's response is discarded and the client gets the same ``503`` instead. For a mutation
  that the app committed before responding, the 503 means "outcome not confirmed": the change
  may be stored while its event is missing, which the preflight check makes rare and the ORM
  or trigger capture (same transaction) makes impossible.

With ``fail_closed=False`` (the default) a failed write is logged (the action and the error
class, never the event) and counted in :attr:`AuditMiddleware.failures`; the response passes.

Setting ``READINESS_AUDIT_OBSERVED`` to a file path makes every request append one JSON line
``{"method", "route", "status", "actions"}`` to it: the observed half of ``readiness audit
coverage``, written by the app's own test run.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import anyio.to_thread

from readiness._common.clock import Clock, SystemClock
from readiness.audit.capture.context import (
    DENIED_403,
    HTTP_FORBIDDEN,
    HTTP_UNAUTHORIZED,
    RequestAudit,
    bind,
    outcome,
    safe_id,
    trace_id,
    unbind,
)
from readiness.audit.capture.policy import MUTATIONS, CapturePolicy, Category, Planned, resolve
from readiness.audit.capture.sinks import AuditSink

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ActorFn = Callable[[Scope], tuple[str, str] | None]

OBSERVED_ENV = "READINESS_AUDIT_OBSERVED"
UNAVAILABLE = {
    "error": {
        "code": "audit_unavailable",
        "message": "the audit trail cannot record this request right now; it was not served",
        "details": {},
    }
}
_log = logging.getLogger("readiness.audit.capture")
_observed_lock = threading.Lock()


def occurred_at(clock: Clock) -> str:
    """The clock's time as RFC 3339 UTC with milliseconds."""
    now = clock.now()
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def route_facts(scope: Scope, base: str = "") -> tuple[str, object, list[str], list[str]] | None:
    """``(template, endpoint, tags, x-audit-category)`` of the route the router matched.

    A route of a mounted app is named with the mount's path in front (the part of
    ``root_path`` the routing added to ``base``, the ``root_path`` the request came with)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if route is None or not isinstance(path, str):
        return None
    root = str(scope.get("root_path", ""))
    prefix = root[len(base) :] if root.startswith(base) else ""
    extra = getattr(route, "openapi_extra", None) or {}
    declared = extra.get("x-audit-category", [])
    declared = [declared] if isinstance(declared, str) else list(declared)
    endpoint = getattr(route, "endpoint", None)
    return prefix + path, endpoint, list(getattr(route, "tags", None) or []), declared


class AuditMiddleware:
    """Records one audit event per audited request (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        sink: AuditSink,
        policy: CapturePolicy | None = None,
        clock: Clock | None = None,
        actor: ActorFn | None = None,
        ip_hmac: Callable[[str], str] | None = None,
        fail_closed: bool = False,
        request_ids: Callable[[], str] | None = None,
        observed: str | Path | None = None,
    ) -> None:
        self.app = app
        self.sink = sink
        self.policy = policy or CapturePolicy()
        self.clock = clock or SystemClock()
        self.actor = actor
        self.ip_hmac = ip_hmac
        self.fail_closed = fail_closed
        self.request_ids = request_ids or (lambda: uuid.uuid4().hex)
        observed = observed or os.environ.get(OBSERVED_ENV) or None
        self.observed = Path(observed) if observed else None
        self.failures = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        audit = RequestAudit(
            request_id=safe_id(given) if given else self.request_ids(),
            trace_id=trace_id(headers.get("traceparent")),
        )
        if self.fail_closed and scope["method"] in MUTATIONS:
            try:
                await self._call(self.sink.check)
            except Exception as exc:
                self._failed("preflight", exc)
                await self._unavailable(send)
                return
        audit.base = str(scope.get("root_path", ""))
        token = bind(audit)
        started = replaced = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start" and not started:
                started = True
                if not await self._record(scope, audit, int(message["status"])):
                    replaced = True
                    await self._unavailable(send)
                    return
            if not replaced:
                await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if not started:  # the server answers 500: that is the outcome recorded
                await self._record(scope, audit, 500)
            raise
        finally:
            unbind(token)

    async def _record(self, scope: Scope, audit: RequestAudit, status: int) -> bool:
        """Write the request's event; False when fail-closed and the write failed."""
        event, action = self._event(scope, audit, status)
        self._observe(scope, audit.base, status, [action] if event is not None else [])
        if event is None:
            return True
        try:
            await anyio.to_thread.run_sync(self.sink.write, [event])
        except Exception as exc:
            self._failed(action, exc)
            return not self.fail_closed
        return True

    async def _call(self, method: Callable[..., None], *args: Any) -> None:
        """Run a sink method: in a worker thread (it may block on the database) unless the
        sink says it does not block (``blocking = False``, as the in-memory sink)."""
        if getattr(self.sink, "blocking", True):
            await anyio.to_thread.run_sync(method, *args)
        else:
            method(*args)

    def _event(
        self, scope: Scope, audit: RequestAudit, status: int
    ) -> tuple[dict[str, Any] | None, str]:
        facts = route_facts(scope, audit.base)
        if facts is None:
            return None, ""
        path, endpoint, tags, declared = facts
        planned = resolve(self.policy, path, scope["method"], endpoint, tags=tags, extra=declared)
        denied = status in {HTTP_UNAUTHORIZED, HTTP_FORBIDDEN}
        if planned.action is None and not (denied and self.policy.record_denials):
            return None, ""
        login = any(c is Category.AUTHENTICATION for c, _ in planned.categories)
        action, result = outcome(status, planned.action or DENIED_403, login=login)
        event: dict[str, Any] = {
            "actor_id": audit.actor_id,
            "actor_type": audit.actor_type,
            "action": action,
            "target_type": planned.target_type,
            "target_id": audit.target_id or self._target_id(scope, planned),
            "result": result,
            "occurred_at": occurred_at(self.clock),
            "source": self.policy.source,
            "request_id": audit.request_id,
        }
        if audit.actor_id is None:
            found = self.actor(scope) if self.actor else None
            event["actor_id"], event["actor_type"] = found or ("anonymous", "anonymous")
        for name in ("trace_id", "session_id", "tenant"):
            if getattr(audit, name):
                event[name] = getattr(audit, name)
        client = scope.get("client")
        if self.ip_hmac is not None and client:
            event["ip_hmac"] = self.ip_hmac(str(client[0]))
        if scope["method"] in {"GET", "HEAD"} and result == "success":
            fields = list(planned.fields) + [
                f for f in audit.fields_accessed if f not in planned.fields
            ]
            if fields:
                event["target_fields_accessed"] = fields
        return event, action

    @staticmethod
    def _target_id(scope: Scope, planned: Planned) -> str:
        params: dict[str, Any] = scope.get("path_params") or {}
        name = planned.target_param or (list(params)[-1] if params else None)
        if name is None or name not in params:
            return "collection"
        return safe_id(str(params[name]))

    def _failed(self, action: str, exc: Exception) -> None:
        self.failures += 1
        _log.error(
            "audit write failed (%s) for %s; %s",
            type(exc).__name__,
            action or "a request",
            "refused with 503" if self.fail_closed else "response released (fail-open)",
        )

    def _observe(self, scope: Scope, base: str, status: int, actions: list[str]) -> None:
        if self.observed is None:
            return
        facts = route_facts(scope, base)
        line = {
            "method": scope["method"],
            "route": facts[0] if facts else None,
            "status": status,
            "actions": actions,
        }
        with _observed_lock, self.observed.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")

    @staticmethod
    async def _unavailable(send: Send) -> None:
        body = json.dumps(UNAVAILABLE).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", b"30"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
