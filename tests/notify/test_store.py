"""Webhooks and the delivery queue on SQLite and PostgreSQL: enqueue, claim, audit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.service import list_events
from readiness.errors import InputError, NotFoundError
from readiness.notify import store
from readiness.notify.model import GATE_FAILED, PENDING, SENDING, TEST_FLAKY
from readiness.notify.service import NotifyService, emit, new_event
from readiness.storage.engine import Stores
from tests.notify.conftest import FAST


def _gate_failed(clock: FrozenClock) -> object:
    return new_event(GATE_FAILED, project="shop", clock=clock, data={"gate": "merge"})


def test_adding_a_webhook_stores_it_with_a_generated_secret_and_audits_a_prefix(
    notify: NotifyService, stores: Stores
) -> None:
    hook = notify.add_webhook(
        project="shop", url="https://hooks.example.com/x", kind="slack", events=["gate.failed"]
    )

    assert (hook.id, hook.project, hook.kind, hook.events) == (1, "shop", "slack", ("gate.failed",))
    assert hook.secret == "whsec_AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"
    event = list_events(stores)[0]
    assert (event.action, event.target, event.actor_id) == (
        "notify.webhook.added",
        "webhook:1",
        "token:3",
    )
    assert event.details["secret"] == "whsec_AQEB…"
    assert hook.secret not in str(event.details)


def test_a_webhook_for_an_unknown_project_or_a_hostile_url_is_refused(
    notify: NotifyService,
) -> None:
    with pytest.raises(NotFoundError, match="project 'nope' does not exist"):
        notify.add_webhook(project="nope", url="https://h/x", events=["gate.failed"])
    with pytest.raises(InputError, match="http:// or https://"):
        notify.add_webhook(project="shop", url="file:///etc/passwd", events=["gate.failed"])


def test_emit_queues_one_delivery_per_subscribed_webhook_only(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    notify.add_webhook(project="shop", url="https://a/x", events=["gate.failed"])
    notify.add_webhook(project="shop", url="https://b/x", events=["test.flaky"])

    queued = emit(stores.state, _gate_failed(clock), settings=FAST)  # type: ignore[arg-type]

    assert queued == 1
    [delivery] = notify.deliveries(project="shop")
    assert (delivery.webhook_id, delivery.event_type, delivery.status, delivery.attempts) == (
        1,
        GATE_FAILED,
        PENDING,
        0,
    )
    assert delivery.next_attempt_at == clock.now()


def test_emit_with_a_once_key_queues_the_first_time_only(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    notify.add_webhook(project="shop", url="https://a/x", events=["test.flaky"])
    first = new_event(TEST_FLAKY, project="shop", clock=clock, data={"test_id": "t"})
    again = new_event(TEST_FLAKY, project="shop", clock=clock, data={"test_id": "t"})

    counts = [
        emit(stores.state, first, settings=FAST, once_key="k"),
        emit(stores.state, again, settings=FAST, once_key="k"),
    ]

    assert counts == [1, 0]


def test_removing_a_webhook_removes_its_deliveries_and_is_audited(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    hook = notify.add_webhook(project="shop", url="https://a/x", events=["gate.failed"])
    emit(stores.state, _gate_failed(clock), settings=FAST)  # type: ignore[arg-type]

    notify.remove_webhook(hook.id)

    assert notify.webhooks(project="shop") == []
    assert notify.deliveries(project=None) == []
    assert list_events(stores)[0].action == "notify.webhook.removed"
    with pytest.raises(NotFoundError, match="webhook 1 not found"):
        notify.remove_webhook(hook.id)


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    notify.add_webhook(project="shop", url="https://a/x", events=["gate.failed"])
    emit(stores.state, _gate_failed(clock), settings=FAST)  # type: ignore[arg-type]
    lease = timedelta(seconds=30)

    first = store.claim_due(stores.state, now=clock.now(), lease=lease, limit=10)
    second = store.claim_due(stores.state, now=clock.now(), lease=lease, limit=10)
    later = store.claim_due(stores.state, now=clock.now() + lease * 2, lease=lease, limit=10)

    assert [d.status for d in first] == [SENDING]
    assert second == []
    assert [d.id for d in later] == [first[0].id]


def test_two_workers_claiming_at_once_never_share_a_delivery(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    notify.add_webhook(project="shop", url="https://a/x", events=["gate.failed"])
    for _ in range(40):
        emit(stores.state, _gate_failed(clock), settings=FAST)  # type: ignore[arg-type]
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def work(slot: int) -> None:
        start.wait()
        while batch := store.claim_due(
            stores.state, now=clock.now(), lease=timedelta(seconds=60), limit=3
        ):
            claimed[slot].extend(d.id for d in batch)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    both = claimed[0] + claimed[1]
    assert sorted(both) == list(range(1, 41))
    with stores.state.connect() as conn:
        statuses = conn.execute(sa.text("SELECT DISTINCT status FROM nt_deliveries")).all()
    assert statuses == [(SENDING,)]


def test_renaming_the_project_carries_its_webhooks_and_deliveries(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    from readiness.projects.service import ProjectService

    notify.add_webhook(project="shop", url="https://a/x", events=["gate.failed"])
    emit(stores.state, _gate_failed(clock), settings=FAST)  # type: ignore[arg-type]

    ProjectService(stores=stores, clock=clock, actor="admin").rename("shop", "store")

    assert [h.project for h in notify.webhooks(project=None)] == ["store"]
    assert [d.project for d in notify.deliveries(project="store")] == ["store"]
