"""Continuous verification on SQLite and PostgreSQL: the schedule checkpoints when the log grew,
verifies once per interval, records every run, and queues ``audit.verify_failed`` on failure."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.events import entry_bytes, validate_event
from readiness.audit.trail import open_ledger
from readiness.audit.verification import store
from readiness.audit.verification.service import scheduled_round
from readiness.config import Settings
from readiness.notify.service import NotifyService
from readiness.projects.service import ProjectService
from readiness.storage import Stores

EVENT = {
    "actor_id": "usr_0001",
    "actor_type": "user",
    "action": "invoice.update",
    "target_type": "invoice",
    "target_id": "inv_1",
    "result": "success",
    "occurred_at": "2026-04-10T14:23:01Z",
}


def append(settings: Settings, stores: Stores, clock: FrozenClock, n: int) -> None:
    ledger = open_ledger(settings, stores.audit, clock)
    try:
        ledger.append(
            [entry_bytes(validate_event({**EVENT, "target_id": f"inv_{i}"})) for i in range(n)]
        )
    finally:
        ledger.close()


def test_a_round_checkpoints_the_grown_log_then_verifies_and_records(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    append(backend_settings, stores, clock, 5)

    assert scheduled_round(backend_settings, stores, clock) == 0

    ledger = open_ledger(backend_settings, stores.audit, clock)
    assert [c.size for c in ledger.checkpoints()] == [5]
    runs = store.list_runs(stores.audit, backend_settings.audit_origin)
    assert [(r.size, r.checkpoints, r.verified, r.errors, r.trigger) for r in runs] == [
        (5, 2, True, (), "schedule")  # the checkpoint file and `latest`
    ]
    assert runs[0].started_at == clock.now()


def test_nothing_runs_again_before_the_interval_and_everything_at_it(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    append(backend_settings, stores, clock, 3)
    scheduled_round(backend_settings, stores, clock)
    append(backend_settings, stores, clock, 2)

    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    scheduled_round(backend_settings, stores, clock)
    ledger = open_ledger(backend_settings, stores.audit, clock)
    assert [c.size for c in ledger.checkpoints()] == [3]
    assert len(store.list_runs(stores.audit, backend_settings.audit_origin)) == 1

    clock.advance(timedelta(seconds=1))  # exactly 24h: due
    scheduled_round(backend_settings, stores, clock)
    assert [c.size for c in ledger.checkpoints()] == [3, 5]
    runs = store.list_runs(stores.audit, backend_settings.audit_origin)
    assert [(r.size, r.verified) for r in runs] == [(5, True), (3, True)]


def test_an_unchanged_log_gets_no_new_checkpoint(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    append(backend_settings, stores, clock, 2)
    scheduled_round(backend_settings, stores, clock)
    clock.advance(timedelta(days=3))
    scheduled_round(backend_settings, stores, clock)
    ledger = open_ledger(backend_settings, stores.audit, clock)
    assert [c.size for c in ledger.checkpoints()] == [2]
    assert len(store.list_runs(stores.audit, backend_settings.audit_origin)) == 2


def test_a_failed_verification_is_recorded_and_sent_to_the_webhooks(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    ProjectService(stores=stores, clock=clock, actor="setup").ensure(backend_settings.project)
    notify = NotifyService(stores=stores, clock=clock, settings=backend_settings.notify)
    notify.add_webhook(
        project=backend_settings.project,
        url="https://hooks.example/a",
        events=["audit.verify_failed"],
    )
    append(backend_settings, stores, clock, 4)
    scheduled_round(backend_settings, stores, clock)
    with stores.audit.begin() as conn:  # a superuser rewrites an entry behind the triggers
        if stores.audit.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            for (name,) in conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type='trigger'")
            ).all():
                conn.execute(sa.text(f"DROP TRIGGER {name}"))
        conn.execute(
            sa.text("UPDATE ledger_entries SET entry = :e WHERE leaf_index = 2"), {"e": b"{}"}
        )
    clock.advance(timedelta(days=1))

    assert scheduled_round(backend_settings, stores, clock) == 1

    run = store.latest_run(stores.audit, backend_settings.audit_origin)
    assert run is not None
    assert not run.verified
    assert "entry 2: stored leaf hash differs from the entry's hash" in run.errors
    [delivery] = notify.deliveries(project=backend_settings.project)
    assert delivery.event_type == "audit.verify_failed"
    payload = json.loads(delivery.payload)
    assert payload["link"] == "/audit"
    assert payload["data"]["run_id"] == run.id
    # What the run verified: the 4 events appended here and the platform's own before them.
    assert payload["data"]["size"] == run.size == ledger_size(stores, backend_settings)
    assert payload["data"]["errors"] == list(run.errors[:10])


def ledger_size(stores: Stores, settings: Settings) -> int:
    from readiness.ledger.store import stored_size

    with stores.audit.connect() as conn:
        return stored_size(conn, settings.audit_origin)


def test_the_notification_worker_runs_the_schedule_through_the_plugin_hook(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    from readiness.notify.worker import DeliveryWorker
    from readiness.plugins.manager import builtin_plugin_manager

    sweeps = [
        s
        for group in builtin_plugin_manager().hook.readiness_notify_sweeps(
            settings=backend_settings
        )
        for s in group
    ]
    append(backend_settings, stores, clock, 2)
    worker = DeliveryWorker(stores, settings=backend_settings.notify, clock=clock, sweeps=sweeps)

    worker.run_once()

    runs = store.list_runs(stores.audit, backend_settings.audit_origin)
    assert [(r.size, r.verified, r.trigger) for r in runs] == [(2, True, "schedule")]
