"""What testhealth tells the notification service: tests that turned flaky or broken at an
ingest, and quarantine entries about to expire or expired (a sweep).

Both only queue rows (``readiness.notify.service``); the worker delivers them. The status
comparison runs only when a webhook of the project subscribes to ``test.flaky`` or
``test.broken``: a project without webhooks pays one small query per ingest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from readiness._common.clock import Clock, utc
from readiness.config import NotifySettings, Settings
from readiness.notify.model import TEST_BROKEN, TEST_FLAKY
from readiness.notify.service import emit_quarantine, emit_test_status, subscribed
from readiness.storage.engine import Stores
from readiness.testhealth.model import IngestResult, TestStatus
from readiness.testhealth.store import runs as run_store
from readiness.testhealth.store import tables

if TYPE_CHECKING:
    from readiness.testhealth.service import TestHealthService

NOTIFIED = (TestStatus.FLAKY, TestStatus.BROKEN)
Statuses = dict[str, TestStatus]


def statuses_before_ingest(service: TestHealthService) -> Statuses | None:
    """Every test's status now, when a webhook would hear of changes; else None (no cost)."""
    if not subscribed(
        service.stores.state, project=service.project, types=(TEST_FLAKY, TEST_BROKEN)
    ):
        return None
    return {h.test_id: h.status for h in service.health()}


def notify_status_changes(
    service: TestHealthService, before: Statuses | None, results: Sequence[IngestResult]
) -> int:
    """Queue ``test.flaky``/``test.broken`` for tests of the new runs that just turned so."""
    fresh = [r for r in results if not r.duplicate]
    if before is None or not fresh:
        return 0
    run_ids = []
    for result in fresh:
        found = run_store.find_run(
            service.stores.state, project=service.project, run_key=result.run_key
        )
        if found is not None:
            run_ids.append(found[0])
    ran = set(run_store.final_outcomes(service.stores.state, run_ids)) if run_ids else set()
    queued = 0
    for health in service.health():
        previous = before.get(health.test_id)
        if health.test_id not in ran or health.status not in NOTIFIED:
            continue
        if previous == health.status:
            continue
        queued += emit_test_status(
            service.stores.state,
            clock=service.clock,
            settings=service.settings.notify,
            project=service.project,
            test_id=health.test_id,
            status=health.status.value,
            previous=previous.value if previous is not None else None,
            failure_rate=None
            if health.status is TestStatus.BROKEN
            else health.figures.failure_rate,
            run_key=fresh[-1].run_key,
        )
    return queued


def sweep_quarantine(
    stores: Stores, clock: Clock, notify: NotifySettings, *, settings: Settings | None = None
) -> int:
    """Queue ``quarantine.expiring`` (within ``notify.expiring_days``) and
    ``quarantine.expired`` for every active quarantine entry, each once per entry and state.

    Server-held entries of every project are read; with ``settings``, also the reviewed
    quarantine file of ``settings.project``.
    """
    now = clock.now()
    horizon = now + timedelta(days=notify.expiring_days)
    q = tables.quarantine
    with stores.state.connect() as conn:
        rows = conn.execute(
            sa.select(q.c.project, q.c.test_key, q.c.expires_at, q.c.owner, q.c.issue).where(
                q.c.removed_at.is_(None), q.c.expires_at <= horizon
            )
        ).all()
    entries = [(r.project, r.test_key, utc(r.expires_at), r.owner, r.issue) for r in rows]
    if settings is not None:
        from readiness.testhealth.quarantine.file import load_quarantine_file

        path = settings.path(settings.testhealth.quarantine_file)
        entries += [
            (settings.project, e.test_id, e.expires, e.owner, e.issue)
            for e in load_quarantine_file(path)
            if e.expires <= horizon
        ]
    queued = 0
    for project, test_id, expires, owner, issue in entries:
        queued += emit_quarantine(
            stores.state,
            clock=clock,
            settings=notify,
            project=project,
            test_id=test_id,
            expires=expires,
            expired=expires <= now,
            owner=owner,
            issue=issue,
        )
    return queued
