"""A ledger on the parametrised audit database and events to fill it with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.query.core import iso
from readiness.audit.query.service import TrailReader
from readiness.audit.trail import append_events
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.storage import Stores

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(n: int, **fields: Any) -> dict[str, Any]:
    """Event ``n``: ``usr_{n % 3}`` acts on ``invoice/inv_{n % 4}``, ``n`` hours after T0."""
    out: dict[str, Any] = {
        "actor_id": f"usr_{n % 3}",
        "actor_type": "user",
        "action": "invoice.update" if n % 2 else "invoice.view",
        "target_type": "invoice",
        "target_id": f"inv_{n % 4}",
        "result": "success",
        "occurred_at": iso(T0 + timedelta(hours=n)),
    }
    out.update(fields)
    return out


class Trail:
    """One log (its own name per test) with append and audited readers."""

    def __init__(self, stores: Stores) -> None:
        self.engine = stores.audit
        self.origin = f"test/{uuid.uuid4().hex[:10]}"
        self.signer = Ed25519Signer(self.origin, bytes(range(32)))
        self.clock = FrozenClock(datetime(2027, 1, 1, tzinfo=UTC))
        self.ledger = LedgerService(self.engine, self.clock, self.signer, self.origin, window_ms=0)

    def append(self, events: list[dict[str, Any]]) -> list[int]:
        return append_events(self.ledger, self.engine, events)

    def reader(self, actor: str = "auditor_1", source: str = "cli") -> TrailReader:
        return TrailReader(self.engine, self.ledger, self.clock, actor=actor, source=source)


@pytest.fixture
def trail(stores: Stores) -> Iterator[Trail]:
    made = Trail(stores)
    yield made
    made.ledger.close()
