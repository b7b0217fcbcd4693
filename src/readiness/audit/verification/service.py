"""Continuous verification: verify and record, checkpoint when the log grew, alert on failure.

``readiness serve`` runs :func:`scheduled_round` as one of the notification worker's sweeps
(``readiness_notify_sweeps``): each round signs and publishes a checkpoint when
``audit.checkpoint_interval`` has passed since the newest one and the log grew, then verifies
the whole trail when ``audit.verify_interval`` has passed since the newest verification run;
a failed run queues ``audit.verify_failed`` for the project's webhooks.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from readiness.audit.trail import TrailReport, open_ledger, publish, verify_trail
from readiness.audit.verification import store
from readiness.audit.verification.status import TrailFacts
from readiness.config import duration_of
from readiness.errors import ReadinessError
from readiness.ledger.witness.publish import publish_round, settings_quorum_errors
from readiness.notify.model import AUDIT_VERIFY_FAILED
from readiness.notify.service import emit, new_event

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness._common.clock import Clock
    from readiness.config import Settings
    from readiness.ledger.service import LedgerService
    from readiness.ledger.store import StoredCheckpoint
    from readiness.storage.engine import Stores

log = logging.getLogger("readiness.audit")
NOTIFIED_ERRORS = 10


def verify_and_record(
    settings: Settings, engine: Engine, clock: Clock, *, trigger: str
) -> tuple[TrailReport, store.VerificationRun]:
    """Verify the trail (:func:`verify_trail` and the stored timestamps) and record the run."""
    from readiness.audit.verification.anchoring import verify_timestamps

    started = clock.now()
    report = verify_trail(settings, clock)
    if report.stored_checkpoints:
        report.errors.extend(verify_timestamps(settings, engine))
        report.errors.extend(settings_quorum_errors(settings, engine))  # audit-witness.md
    run = store.insert_run(
        engine,
        settings.audit_origin,
        started,
        clock.now(),
        report.size,
        report.checkpoints,
        report.errors,
        trigger,
    )
    return report, run


def is_due(last: datetime | None, now: datetime, interval: timedelta) -> bool:
    """Whether a periodic task whose last run was at ``last`` is due at ``now``."""
    return last is None or now - last >= interval


def sign_checkpoint(settings: Settings, ledger: LedgerService, engine: Engine) -> StoredCheckpoint:
    """Sign the current tree head, store it, publish it outside the database, timestamp it."""
    from readiness.audit.verification.anchoring import timestamp_checkpoint

    stored = ledger.checkpoint()
    publish(settings, stored, ledger.verifier)
    if settings.audit.tsa_url:
        timestamp_checkpoint(settings, engine, stored, at=stored.created_at)
    return stored


def checkpoint_if_due(
    settings: Settings, ledger: LedgerService, engine: Engine, clock: Clock
) -> StoredCheckpoint | None:
    """A new checkpoint when the log grew since the newest one and the interval has passed."""
    stored = ledger.checkpoints()
    newest = stored[-1] if stored else None
    size = ledger.size()
    if newest is not None and size <= newest.size:
        return None
    if newest is None and size == 0:
        return None
    interval = duration_of(settings.audit.checkpoint_interval)
    if not is_due(newest.created_at if newest is not None else None, clock.now(), interval):
        return None
    return sign_checkpoint(settings, ledger, engine)


def verify_if_due(settings: Settings, stores: Stores, clock: Clock) -> store.VerificationRun | None:
    """Verify and record when the newest run is ``audit.verify_interval`` old; alert on failure."""
    latest = store.latest_run(stores.audit, settings.audit_origin)
    interval = duration_of(settings.audit.verify_interval)
    if not is_due(latest.started_at if latest is not None else None, clock.now(), interval):
        return None
    _, run = verify_and_record(settings, stores.audit, clock, trigger="schedule")
    if not run.verified:
        notify_failure(settings, stores, clock, run)
    return run


def notify_failure(
    settings: Settings, stores: Stores, clock: Clock, run: store.VerificationRun
) -> int:
    """Queue ``audit.verify_failed`` for the project's webhooks; how many were queued."""
    event = new_event(
        AUDIT_VERIFY_FAILED,
        project=settings.project,
        clock=clock,
        data={
            "run_id": run.id,
            "size": run.size,
            "checkpoints": run.checkpoints,
            "errors": list(run.errors[:NOTIFIED_ERRORS]),
            "started_at": run.started_at.isoformat(),
        },
        link="/audit",
    )
    return emit(stores.state, event, settings=settings.notify)


def scheduled_round(settings: Settings, stores: Stores, clock: Clock) -> int:
    """One round of the schedule (see the module); how many notifications were queued."""
    ledger = open_ledger(settings, stores.audit, clock)
    try:
        checkpoint_if_due(settings, ledger, stores.audit, clock)
    except ReadinessError as exc:  # a TSA down must not stop the verification
        log.warning("readiness: scheduled audit checkpoint failed: %s", exc.message)
    try:  # witnesses and publication, retried each round until done (docs/audit-witness.md)
        publish_round(settings, ledger, stores.audit)
    except ReadinessError as exc:
        log.warning("readiness: scheduled audit publication failed: %s", exc.message)
    finally:
        ledger.close()
    run = verify_if_due(settings, stores, clock)
    return 1 if run is not None and not run.verified else 0


def read_facts(settings: Settings, engine: Engine) -> TrailFacts:
    """What :func:`~readiness.audit.verification.status.trail_status` judges, from the audit
    database."""
    from readiness.ledger import store as ledger_store

    origin = settings.audit_origin
    with engine.connect() as conn:
        size = ledger_store.stored_size(conn, origin)
        checkpoints = ledger_store.list_checkpoints(conn, origin)
        covered = checkpoints[-1].size if checkpoints else 0
        first_uncovered_at = (
            ledger_store.appended_at(conn, origin, covered) if covered < size else None
        )
    newest = checkpoints[-1] if checkpoints else None
    return TrailFacts(
        latest_run=store.latest_run(engine, origin),
        checkpoint_size=newest.size if newest is not None else None,
        checkpoint_at=newest.created_at if newest is not None else None,
        log_size=size,
        first_uncovered_at=first_uncovered_at,
    )


class StoredFacts:
    """:class:`~readiness.audittrail.checks.AuditFacts` on the audit database."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine

    def facts(self) -> TrailFacts:
        return read_facts(self._settings, self._engine)
