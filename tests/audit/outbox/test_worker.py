"""The server's relay worker: a commit only wakes it, it relays in its own thread (exactly once,
the same relay), retries what failed, and relays what is left when it stops; without it the
relay stays synchronous (the CLI)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from readiness._common.clock import Clock, FrozenClock
from readiness.audit.outbox import service
from readiness.audit.outbox.relay import relay
from readiness.audit.outbox.worker import RelayWorker, running_worker
from readiness.config import Settings
from readiness.storage.engine import Stores
from tests.audit.outbox.test_outbox import _entries, _rows, _write


class Recording:
    """``relay_pending``, noting the thread each round ran in; fails its first ``fail`` rounds."""

    def __init__(self, fail: int = 0) -> None:
        self.threads: list[str] = []
        self.fail = fail

    def __call__(self, stores: Stores, clock: Clock) -> int:
        self.threads.append(threading.current_thread().name)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the audit database is down")
        return service.relay_pending(stores, clock)


def _no_sync_relay(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every relay from now on notes its thread: the worker's is the only one expected."""
    original = relay
    threads: list[str] = []

    def noting(*args: Any, **kwargs: Any) -> int:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "relay", noting)
    return threads


@pytest.fixture
def recording() -> Recording:
    return Recording()


@pytest.fixture
def worker(stores: Stores, clock: FrozenClock, recording: Recording) -> Iterator[RelayWorker]:
    running = RelayWorker(stores, clock, recording, retry_every_s=3600)
    running.start()
    yield running
    running.stop()


def test_a_commit_only_wakes_the_worker_which_relays_in_its_own_thread(
    stores: Stores,
    clock: FrozenClock,
    worker: RelayWorker,
    recording: Recording,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as patch:
        relays = _no_sync_relay(patch)
        for n in range(3):
            _write(stores, clock, n)
            service.relay_after_commit(stores, clock)
        assert worker.flush(timeout=30)

    assert set(relays) == {"audit-outbox-relay"}
    assert {row[2] for row in _rows(stores)} == {0, 1, 2}
    assert set(recording.threads) == {"audit-outbox-relay"}
    assert sorted(str(e["target_id"]) for e in _entries(stores)) == ["0", "1", "2"]


def test_a_failed_round_is_retried_on_the_next_wake_and_each_event_lands_once(
    stores: Stores, clock: FrozenClock, worker: RelayWorker, recording: Recording
) -> None:
    recording.fail = 1
    _write(stores, clock, 1)
    service.relay_after_commit(stores, clock)
    assert worker.flush(timeout=30)
    assert _rows(stores)[0][2] is None  # the round failed: the event waits in the outbox

    _write(stores, clock, 2)
    service.relay_after_commit(stores, clock)
    assert worker.flush(timeout=30)

    assert [row[2] for row in _rows(stores)] == [0, 1]
    assert [e["target_id"] for e in _entries(stores)] == ["1", "2"]  # once each


def test_stopping_relays_what_is_left_and_later_commits_relay_synchronously(
    stores: Stores, clock: FrozenClock, recording: Recording
) -> None:
    running = RelayWorker(stores, clock, recording, retry_every_s=3600)
    running.start()
    _write(stores, clock, 1)  # committed, never woken for

    running.stop()
    assert running_worker(stores.state) is None
    assert [row[2] for row in _rows(stores)] == [0]
    _write(stores, clock, 2)
    service.relay_after_commit(stores, clock)

    assert [row[2] for row in _rows(stores)] == [0, 1]
    assert recording.threads == ["audit-outbox-relay"]


def test_the_server_relays_in_its_worker_and_readers_still_see_every_event(
    backend_settings: Settings, stores: Stores, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():  # as tests/server/conftest.py: httpx, not httpx2
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient
    from readiness.auth.service import TokenService
    from readiness.plugins.manager import builtin_plugin_manager
    from readiness.server.app import create_app

    token = TokenService(stores=stores, clock=clock, actor="setup").create(
        name="root", role="admin"
    )[0]
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(
        backend_settings, stores=stores, clock=clock, pm=builtin_plugin_manager(), relay_worker=True
    )
    with TestClient(app) as client:
        worker = running_worker(stores.state)
        assert worker is not None
        with monkeypatch.context() as patch:
            relays = _no_sync_relay(patch)
            created = client.post(
                "/api/v1/tokens", json={"name": "ci", "role": "writer"}, headers=headers
            )
            assert created.status_code == 201, created.text
            assert worker.flush(timeout=30)
        assert set(relays) == {"audit-outbox-relay"}
        found = client.get("/api/v1/audit/events?action=token.", headers=headers).json()
    assert running_worker(stores.state) is None
    assert [e["action"] for e in found] == ["token.create", "token.create"]
