"""The delivery worker against a real HTTP receiver on 127.0.0.1 (both databases)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from readiness._common.clock import FrozenClock, SystemClock
from readiness.config import NotifySettings, Settings
from readiness.notify import verify_signature
from readiness.notify.model import DEAD, DELIVERED, FAILED, GATE_FAILED, TEST_EVENT
from readiness.notify.service import NotifyService, emit, new_event
from readiness.notify.worker import DeliveryWorker, deliver_due
from readiness.storage.engine import Stores
from tests.notify.conftest import FAST
from tests.notify.receiver import Receiver


def _queue_gate_failure(stores: Stores, clock: FrozenClock) -> None:
    event = new_event(
        GATE_FAILED,
        project="shop",
        clock=clock,
        data={"gate": "merge", "commit": "abc123", "failed_checks": ["tests.flaky_new"]},
        link="/gates",
    )
    emit(stores.state, event, settings=FAST)


def test_a_delivery_is_signed_with_the_webhooks_secret(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    hook = notify.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    _queue_gate_failure(stores, clock)

    [attempt] = deliver_due(stores, settings=FAST, clock=clock)

    [request] = receiver.requests
    assert attempt.result.status_code == 204
    assert verify_signature(
        hook.secret, request.headers["X-Readiness-Signature"], request.body, now=clock.now()
    ) == int(clock.now().timestamp())
    assert request.headers["X-Readiness-Event"] == "gate.failed"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert (body["type"], body["project"], body["data"]["gate"]) == ("gate.failed", "shop", "merge")
    [delivery] = notify.deliveries(project="shop")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DELIVERED, 1, 204)
    assert delivery.delivered_at == clock.now()


def test_a_slack_webhook_receives_text_and_blocks(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    notify.add_webhook(project="shop", url=receiver.url, kind="slack", events=["gate.failed"])
    _queue_gate_failure(stores, clock)

    deliver_due(stores, settings=FAST, clock=clock)

    body = json.loads(receiver.requests[0].body)
    assert sorted(body) == ["blocks", "text"]
    assert body["text"] == ":no_entry: shop: merge gate failed at abc123: tests.flaky_new"
    assert [b["type"] for b in body["blocks"]] == ["section", "context"]


def test_a_500_is_retried_after_the_backoff_and_then_delivered(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    notify.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    _queue_gate_failure(stores, clock)

    first = deliver_due(stores, settings=FAST, clock=clock, random=lambda: 0.0)
    too_early = deliver_due(stores, settings=FAST, clock=clock)
    clock.advance(timedelta(seconds=5))
    second = deliver_due(stores, settings=FAST, clock=clock)

    assert [a.result.status_code for a in first] == [500]
    assert first[0].next_attempt_at == clock.now()  # 10 s base, drawn at the half: 5 s
    assert too_early == []
    assert [a.result.status_code for a in second] == [204]
    [delivery] = notify.deliveries(project="shop")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DELIVERED, 2, 204)
    assert len(receiver.requests) == 2


def test_a_delivery_that_keeps_failing_is_dead_after_max_attempts(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    receiver.fail_first = 99
    notify.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    _queue_gate_failure(stores, clock)
    statuses = []

    for _ in range(4):
        deliver_due(stores, settings=FAST, clock=clock)
        statuses.append(notify.deliveries(project="shop")[0].status)
        clock.advance(timedelta(seconds=61))

    assert statuses == [FAILED, FAILED, DEAD, DEAD]
    [delivery] = notify.deliveries(project="shop")
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        3,
        500,
        "receiver says no",
    )
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 3


def test_a_receiver_that_hangs_past_the_timeout_is_a_failed_attempt(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    receiver.hang = True
    notify.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    _queue_gate_failure(stores, clock)
    quick = NotifySettings(timeout_s=0.2, max_attempts=3)

    [attempt] = deliver_due(stores, settings=quick, clock=clock)

    assert (attempt.result.status_code, attempt.result.error) == (None, "timed out after 0.2s")
    assert notify.deliveries(project="shop")[0].status == FAILED


def test_an_unreachable_receiver_is_a_failed_attempt_whose_error_hides_the_path(
    notify: NotifyService, stores: Stores, clock: FrozenClock
) -> None:
    notify.add_webhook(
        project="shop", url="http://127.0.0.1:9/services/SECRETPATHxxxxxxxx", events=["gate.failed"]
    )
    _queue_gate_failure(stores, clock)

    [attempt] = deliver_due(stores, settings=FAST, clock=clock)

    assert attempt.result.status_code is None
    assert attempt.result.error is not None
    assert attempt.result.error.startswith("ConnectError")
    assert "SECRETPATH" not in (notify.deliveries(project="shop")[0].last_error or "")


def test_the_worker_loop_sweeps_delivers_and_stops_when_told(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    hook = notify.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    notify.send_test(hook.id)
    swept: list[int] = []
    waits: list[float] = []

    def sweep(s: Stores, c: object) -> int:
        swept.append(1)
        return 0

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return len(waits) == 2

    DeliveryWorker(stores, settings=FAST, clock=clock, sweeps=[sweep], wait=wait).run()

    assert [json.loads(r.body)["type"] for r in receiver.requests] == [TEST_EVENT]
    assert swept == [1]  # the second round came before the next sweep was due
    assert waits == [FAST.poll_s, FAST.poll_s]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_worker_thread_starts_and_stops(
    notify: NotifyService, stores: Stores, clock: FrozenClock, receiver: Receiver
) -> None:
    hook = notify.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    notify.send_test(hook.id)
    worker = DeliveryWorker(stores, settings=FAST, clock=clock)

    worker.start()
    worker.stop()

    assert worker._thread is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_server_runs_the_worker_for_its_lifetime_when_asked(
    backend_settings: Settings, stores: Stores, receiver: Receiver
) -> None:
    from starlette.testclient import TestClient  # warnings silenced by tests.server.conftest

    from readiness.projects.service import ProjectService
    from readiness.server.app import create_app
    from tests._live import wait_until
    from tests.server.conftest import empty_plugin_manager

    settings = backend_settings.model_copy(update={"notify": NotifySettings(poll_s=0.05)})
    clock = SystemClock()
    ProjectService(stores=stores, clock=clock, actor="setup").ensure("shop")
    service = NotifyService(stores=stores, clock=clock, settings=settings.notify)
    hook = service.add_webhook(project="shop", url=receiver.url, events=["gate.failed"])
    service.send_test(hook.id)
    app = create_app(
        settings, stores=stores, clock=clock, pm=empty_plugin_manager(), notify_worker=True
    )

    with TestClient(app):
        wait_until(lambda: len(receiver.requests) == 1, "the server's worker to deliver")

    assert json.loads(receiver.requests[0].body)["type"] == TEST_EVENT
