"""Bulk import (``readiness.ledger.bulk``): one transaction, the same tree as the sequencer's,
and a sequencer of the same log carries on after it (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from readiness._common.clock import FrozenClock
from readiness.errors import LedgerError
from readiness.ledger import partitions
from readiness.ledger.bulk import CHUNK, bulk_append
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.ledger.store import iter_entries
from readiness.storage.engine import Stores

ORIGIN = "audit.example/bulk"
SIGNER = Ed25519Signer(ORIGIN, bytes(range(32)))


def entries(n: int, start: int = 0) -> list[bytes]:
    return [f"event {i}".encode() for i in range(start, start + n)]


def test_a_bulk_import_extends_the_sequencers_tree_and_the_log_verifies(
    stores: Stores, clock: FrozenClock
) -> None:
    ledger = LedgerService(stores.audit, clock, SIGNER, ORIGIN, window_ms=0)
    try:
        assert ledger.append(entries(3)) == [0, 1, 2]
        count = CHUNK + 5  # crosses a chunk of the import
        done = bulk_append(stores.audit, ORIGIN, clock, iter(entries(count, 3)))
        assert (done.first, done.count, done.size) == (3, count, 3 + count)
        # The sequencer (its tree cached at size 3) finds the size moved and carries on.
        assert ledger.append(entries(2, 3 + count)) == [3 + count, 4 + count]
        everything = entries(5 + count)
        assert ledger.root() == MemoryTree([leaf_hash(e) for e in everything]).root()
        ledger.checkpoint()
        report = ledger.verify()
        assert (report.errors, report.size) == ([], 5 + count)
        with stores.audit.connect() as conn:
            stored = [entry for _, entry, _ in iter_entries(conn, ORIGIN)]
        assert stored == everything
    finally:
        ledger.close()


def test_an_empty_import_appends_nothing_and_says_so(stores: Stores, clock: FrozenClock) -> None:
    with pytest.raises(LedgerError, match="bulk import: no entries to append"):
        bulk_append(stores.audit, ORIGIN, clock, [])


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_bulk_import_in_a_new_month_rolls_the_partition_over(
    stores: Stores, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 5, 31, tzinfo=UTC))
    bulk_append(stores.audit, ORIGIN, clock, entries(4))
    clock.set(datetime(2026, 6, 1, tzinfo=UTC))
    bulk_append(stores.audit, ORIGIN, clock, entries(2, 4))
    with stores.audit.connect() as conn:
        found = partitions.list_partitions(conn, ORIGIN)
    assert [(p.first_leaf, p.end, p.month) for p in found] == [
        (0, 4, (2026, 5)),
        (4, None, (2026, 6)),
    ]
