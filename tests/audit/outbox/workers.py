"""Child processes of the outbox's multi-process and kill -9 tests (spawned: importable)."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier
from typing import Any

from readiness._common.clock import FrozenClock
from readiness.audit.outbox import relay as relay_module
from readiness.audit.outbox import service
from readiness.auth.service import TokenService
from readiness.storage.engine import Stores, create_engine_for

CLOCK = FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))


def _stores(state_url: str, audit_url: str, origin: str) -> Stores:
    return Stores(create_engine_for(state_url), create_engine_for(audit_url), origin)


def create_tokens(  # noqa: PLR0917 - a process target takes positional arguments
    state_url: str, audit_url: str, origin: str, prefix: str, count: int, barrier: Barrier
) -> None:
    """Create ``count`` tokens (each audited through the outbox), started with the others."""
    stores = _stores(state_url, audit_url, origin)
    tokens = TokenService(stores=stores, clock=CLOCK, actor=prefix)
    barrier.wait()
    for i in range(count):
        tokens.create(name=f"{prefix}-{i}", role="reader")
    stores.dispose()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def create_until_killed(
    state_url: str, audit_url: str, origin: str, stage: str, count: int
) -> None:
    """Create ``count`` tokens; the last one's relay is killed (SIGKILL) at ``stage``:
    ``committed`` (the token and its outbox row committed, the relay not begun), ``claimed``,
    ``appended`` (the entry durable in the ledger, the row not marked) or ``marked``."""
    stores = _stores(state_url, audit_url, origin)
    tokens = TokenService(stores=stores, clock=CLOCK, actor="ops")
    for i in range(count - 1):
        tokens.create(name=f"{stage}-{i}", role="reader")

    def hook(reached: str) -> None:
        if reached == stage:
            _die()

    def killing_relay(*args: Any, **kwargs: Any) -> int:
        if stage == "committed":
            _die()
        return relay_module.relay(*args, **kwargs, stage_hook=hook)

    setattr(service, "relay", killing_relay)  # what relay_after_commit calls  # noqa: B010
    tokens.create(name=f"{stage}-last", role="reader")
    raise SystemExit(3)  # not reached: the process was killed
