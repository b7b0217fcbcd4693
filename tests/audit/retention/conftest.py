"""A project whose audit trail spans months, on the parametrised audit database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.query.core import iso
from readiness.audit.retention.archive import Archiver
from readiness.audit.trail import append_events, verify_trail
from readiness.config import Settings
from readiness.ledger.keys import load_or_create_signer
from readiness.ledger.service import LedgerService
from readiness.storage import Stores

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
# Four events in each month from October 2025 to March 2026 (24 events, leaves 0..23).
MONTHS = [(2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3)]


def event(n: int, at: datetime) -> dict[str, Any]:
    return {
        "actor_id": f"usr_{n % 3}",
        "actor_type": "user",
        "action": "invoice.update" if n % 2 else "invoice.view",
        "target_type": "invoice",
        "target_id": f"inv_{n % 4}",
        "after": {"amount": n},
        "result": "success",
        "occurred_at": iso(at),
    }


class Project:
    """Settings, stores, a ledger on the settings' key, a frozen clock."""

    def __init__(self, settings: Settings, stores: Stores) -> None:
        self.settings = settings
        self.stores = stores
        self.engine = stores.audit
        self.clock = FrozenClock(NOW)
        signer = load_or_create_signer(
            settings.path(settings.audit.key_file), settings.audit_origin
        )
        self.ledger = LedgerService(
            self.engine, self.clock, signer, settings.audit_origin, window_ms=0
        )
        self.root = settings.path(settings.audit.retention.archive_dir)

    def fill(self) -> list[int]:
        events = [
            event(n, datetime(y, m, 1 + n % 4 * 7, 10, n, tzinfo=UTC))
            for n, (y, m) in enumerate(month for month in MONTHS for _ in range(4))
        ]
        return append_events(self.ledger, self.engine, events)

    def archiver(self, **kwargs: Any) -> Archiver:
        return Archiver(self.engine, self.ledger, self.clock, self.root, **kwargs)

    def verify(self) -> tuple[list[str], list[str]]:
        report = verify_trail(self.settings, self.clock)
        return report.errors, report.warnings

    def advance(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))


@pytest.fixture
def project(backend_settings: Settings, stores: Stores) -> Iterator[Project]:
    made = Project(backend_settings, stores)
    yield made
    made.ledger.close()


def parts(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet"))
