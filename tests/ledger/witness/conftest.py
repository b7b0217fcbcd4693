"""Shared fixtures: a ledger on SQLite or PostgreSQL, and a real witness over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.ledger.core.cosignature import CosignatureSigner
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.ledger.witness.server import Witness, WitnessState, create_app
from readiness.storage.engine import Stores
from tests._live import live_server

ORIGIN = "project/audit"
LOG = Ed25519Signer(ORIGIN, bytes(range(32)))
WITNESS = CosignatureSigner("witness.example/w1", bytes(range(32, 64)))
OTHER = CosignatureSigner("witness.example/w2", bytes(range(64, 96)))
AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def entries(n: int, start: int = 0) -> list[bytes]:
    return [f"event {i}".encode() for i in range(start, start + n)]


@pytest.fixture
def ledger(stores: Stores, clock: FrozenClock) -> Iterator[LedgerService]:
    service = LedgerService(stores.audit, clock, LOG, ORIGIN, window_ms=0)
    yield service
    service.close()


@pytest.fixture
def witness(tmp_path: Path, clock: FrozenClock) -> Iterator[Witness]:
    state = WitnessState(tmp_path / "witness" / "state.db")
    yield Witness(WITNESS, [LOG.verifier], state, clock)
    state.dispose()


@pytest.fixture
def witness_url(witness: Witness) -> Iterator[str]:
    with live_server(create_app(witness)) as url:
        yield url
