"""Notification use cases: configure webhooks (audited) and emit events (never blocking).

Features call :func:`emit` (or :meth:`NotifyService.emit`) after their own transaction has
committed: it inserts one delivery row per subscribed webhook and returns. The network is the
worker's business (:mod:`readiness.notify.worker`); a request that caused an event never waits
for a receiver, and a failure to queue is logged, never raised into the feature.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock
from readiness._common.ids import sha256_hex, uuid7
from readiness.audit.service import record, relay_after_commit
from readiness.config import NotifySettings
from readiness.errors import NotFoundError
from readiness.notify import store
from readiness.notify.core import check_events, check_kind, check_webhook_url, payload_body
from readiness.notify.core import shown_url as _shown_url
from readiness.notify.model import (
    GATE_FAILED,
    QUARANTINE_EXPIRED,
    QUARANTINE_EXPIRING,
    TEST_EVENT,
    Delivery,
    Event,
    Webhook,
)
from readiness.storage.engine import Stores
from readiness.storage.projects import get_project

log = logging.getLogger("readiness.notify")
SECRET_BYTES = 24
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret


def new_event(
    type: str,
    *,
    project: str,
    clock: Clock,
    data: dict[str, Any],
    link: str | None = None,
) -> Event:
    """An event with a fresh time-ordered id, occurring now."""
    now = clock.now()
    return Event(
        id=str(uuid7(now)), type=type, project=project, occurred_at=now, data=data, link=link
    )


def _queue(conn: Connection, event: Event, *, public_url: str | None) -> int:
    queued = 0
    for hook in store.list_webhooks(conn, project=event.project):
        if not hook.wants(event.type):
            continue
        body = payload_body(event, kind=hook.kind, public_url=public_url)
        store.insert_delivery(
            conn,
            webhook=hook,
            event_id=event.id,
            event_type=event.type,
            payload=body,
            at=event.occurred_at,
        )
        queued += 1
    return queued


def queue(conn: Connection, event: Event, *, settings: NotifySettings) -> int:
    """Queue ``event`` inside the caller's transaction (``conn``), so that the change and its
    notification commit together or not at all; returns how many deliveries were queued."""
    return _queue(conn, event, public_url=settings.public_url)


def emit(
    engine: Engine,
    event: Event,
    *,
    settings: NotifySettings,
    once_key: str | None = None,
) -> int:
    """Queue ``event`` for every webhook of its project that subscribes to its type.

    Row inserts only (one transaction); returns how many deliveries were queued. With
    ``once_key`` the event is queued the first time that key is seen only (0 afterwards).
    Never raises: a notification must not fail the change that caused it; a failure is logged.
    """
    try:
        with engine.begin() as conn:
            if once_key is not None and not store.mark_sent_once(
                conn, key=once_key, event_id=event.id, at=event.occurred_at
            ):
                return 0
            return _queue(conn, event, public_url=settings.public_url)
    except Exception as exc:  # the feature's change is committed already; keep it
        log.warning(
            "readiness: could not queue notification %s of project %r (%s: %s)",
            event.type,
            event.project,
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
        )
        return 0


def subscribed(engine: Engine, *, project: str, types: Sequence[str]) -> bool:
    """Whether any webhook of ``project`` wants one of ``types`` (skip costly checks if not)."""
    try:
        return any(
            t in hook.events for hook in store.list_webhooks(engine, project=project) for t in types
        )
    except Exception:  # an unmigrated database: nothing to notify
        return False


class NotifyService:
    """Webhook configuration and the delivery log, with every change audited."""

    def __init__(
        self,
        *,
        stores: Stores,
        clock: Clock,
        settings: NotifySettings,
        actor: str = "cli",
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.stores = stores
        self.clock = clock
        self.settings = settings
        self.actor = actor
        self._random = random_bytes

    def _audit(self, conn: Connection, action: str, hook: Webhook, **extra: Any) -> None:
        """The event, in the transaction of the change (``conn``)."""
        record(
            conn,
            clock=self.clock,
            actor=self.actor,
            action=action,
            target_type="webhook",
            target_id=str(hook.id),
            details={
                "project": hook.project,
                "url": _shown_url(hook.url),
                "kind": hook.kind,
                "events": list(hook.events),
                "secret": hook.secret_prefix,
                **extra,
            },
        )

    def add_webhook(
        self, *, project: str, url: str, kind: str = "generic", events: Sequence[str]
    ) -> Webhook:
        """Store a webhook; its secret (returned here) signs every delivery."""
        checked_url = check_webhook_url(url)
        checked_kind = check_kind(kind)
        checked_events = check_events(list(events))
        if get_project(self.stores.state, project) is None:
            raise NotFoundError(
                f"project {project!r} does not exist; create it with `readiness projects create`",
                details={"project": project},
            )
        secret = SECRET_PREFIX + base64.urlsafe_b64encode(self._random(SECRET_BYTES)).decode()
        with self.stores.state.begin() as conn:
            hook = store.insert_webhook(
                conn,
                project=project,
                url=checked_url,
                kind=checked_kind,
                events=checked_events,
                secret=secret,
                at=self.clock.now(),
                by=self.actor,
            )
            self._audit(conn, "notify.webhook.added", hook)
        relay_after_commit(self.stores, self.clock)
        return hook

    def webhooks(self, *, project: str | None) -> list[Webhook]:
        """The webhooks of ``project`` (of every project with None)."""
        return store.list_webhooks(self.stores.state, project=project)

    def webhook(self, webhook_id: int, *, project: str | None = None) -> Webhook:
        """One webhook (of ``project`` when given); NotFoundError otherwise."""
        hook = store.get_webhook(self.stores.state, webhook_id)
        if hook is None or (project is not None and hook.project != project):
            where = f" in project {project!r}" if project is not None else ""
            raise NotFoundError(
                f"webhook {webhook_id} not found{where}; list them with "
                "`readiness notify webhooks list`",
                details={"webhook": webhook_id},
            )
        return hook

    def remove_webhook(self, webhook_id: int, *, project: str | None = None) -> Webhook:
        """Delete a webhook and its delivery log."""
        hook = self.webhook(webhook_id, project=project)
        with self.stores.state.begin() as conn:
            if store.delete_webhook(conn, webhook_id):
                self._audit(conn, "notify.webhook.removed", hook)
        relay_after_commit(self.stores, self.clock)
        return hook

    def send_test(self, webhook_id: int, *, project: str | None = None) -> Delivery:
        """Queue a ``readiness.test`` event for one webhook; the worker sends it."""
        hook = self.webhook(webhook_id, project=project)
        event = new_event(
            TEST_EVENT,
            project=hook.project,
            clock=self.clock,
            data={"message": "a test event from Readiness", "by": self.actor},
            link="/admin/webhooks",
        )
        with self.stores.state.begin() as conn:
            delivery_id = store.insert_delivery(
                conn,
                webhook=hook,
                event_id=event.id,
                event_type=event.type,
                payload=payload_body(event, kind=hook.kind, public_url=self.settings.public_url),
                at=event.occurred_at,
            )
            self._audit(conn, "notify.webhook.tested", hook, event_id=event.id)
        relay_after_commit(self.stores, self.clock)
        found = store.get_delivery(self.stores.state, delivery_id)
        assert found is not None  # committed above
        return found

    def deliveries(
        self,
        *,
        project: str | None,
        status: str | None = None,
        webhook_id: int | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """The delivery log, newest first."""
        return store.list_deliveries(
            self.stores.state, project=project, status=status, webhook_id=webhook_id, limit=limit
        )


def emit_gate_failed(
    engine: Engine,
    *,
    clock: Clock,
    settings: NotifySettings,
    project: str,
    gate: str,
    run_id: int | None,
    commit: str | None,
    failed_checks: Sequence[str],
    by: str,
) -> int:
    """Queue ``gate.failed`` for a stored gate run whose verdict is ``fail``."""
    event = new_event(
        GATE_FAILED,
        project=project,
        clock=clock,
        data={
            "gate": gate,
            "run_id": run_id,
            "commit": commit,
            "failed_checks": list(failed_checks),
            "by": by,
        },
        link=f"/gates?gate={gate}",
    )
    return emit(engine, event, settings=settings)


def emit_test_status(
    engine: Engine,
    *,
    clock: Clock,
    settings: NotifySettings,
    project: str,
    test_id: str,
    status: str,
    previous: str | None,
    failure_rate: float | None,
    run_key: str | None,
) -> int:
    """Queue ``test.flaky`` or ``test.broken`` for a test whose status just turned to it."""
    from urllib.parse import quote

    event = new_event(
        f"test.{status}",
        project=project,
        clock=clock,
        data={
            "test_id": test_id,
            "status": status,
            "previous": previous,
            "flake_rate": failure_rate,
            "run_key": run_key,
        },
        link=f"/tests/t/{quote(test_id, safe='/:[]')}",
    )
    return emit(engine, event, settings=settings)


def emit_quarantine(
    engine: Engine,
    *,
    clock: Clock,
    settings: NotifySettings,
    project: str,
    test_id: str,
    expires: datetime,
    expired: bool,
    owner: str | None,
    issue: str | None,
) -> int:
    """Queue ``quarantine.expiring`` or ``quarantine.expired`` once per entry and state."""
    kind = QUARANTINE_EXPIRED if expired else QUARANTINE_EXPIRING
    event = new_event(
        kind,
        project=project,
        clock=clock,
        data={
            "test_id": test_id,
            "expires": expires.isoformat(),
            "owner": owner,
            "issue": issue,
        },
        link="/tests/quarantine",
    )
    key = f"{kind}:{project}:{expires.isoformat()}:{sha256_hex(test_id.encode())}"
    return emit(engine, event, settings=settings, once_key=key)
