"""Fixtures of the notification tests: a project on both databases and its service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import NotifySettings
from readiness.notify.service import NotifyService
from readiness.projects.service import ProjectService
from readiness.storage.engine import Stores
from tests.notify.receiver import Receiver, running_receiver
from tests.server.conftest import server  # noqa: F401 - the app with a token per role (a fixture)

FAST = NotifySettings(max_attempts=3, backoff_base_s=10, backoff_cap_s=60, timeout_s=0.5)


@pytest.fixture
def notify(stores: Stores, clock: FrozenClock) -> NotifyService:
    """The service on the parametrised stores, with project ``shop`` created."""
    ProjectService(stores=stores, clock=clock, actor="setup").ensure("shop")
    return NotifyService(
        stores=stores,
        clock=clock,
        settings=FAST,
        actor="admin-bot#3",
        random_bytes=lambda n: b"\x01" * n,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r
