"""``store.entry_chunks`` with ``dense_below`` (what verify streams): a full aligned range read
without its indices, a short one (a gap) read again by keyset: the same chunks, indices,
entries and leaf hashes as keyset paging alone, gaps anywhere."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.ledger import store
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.storage.engine import Stores

ORIGIN = "audit.example/chunks"


def _chunks(
    conn: sa.Connection, end: int | None, dense_below: int
) -> list[tuple[list[int], list[bytes], list[bytes]]]:
    return [
        (list(part.indices), list(part.entries), list(part.leaf_hashes))
        for part in store.entry_chunks(conn, ORIGIN, 1, end, chunk=4, dense_below=dense_below)
    ]


@pytest.mark.parametrize(
    "missing", [(), (1,), (5,), (4, 5, 6, 7, 8), (12,), (13,), (2, 9)], ids=str
)
def test_dense_ranges_read_the_same_chunks_as_keyset_paging(
    stores: Stores, clock: FrozenClock, missing: tuple[int, ...]
) -> None:
    ledger = LedgerService(
        stores.audit, clock, Ed25519Signer(ORIGIN, bytes(32)), ORIGIN, window_ms=0
    )
    try:
        ledger.append([f"event {i}".encode() for i in range(14)])
    finally:
        ledger.close()
    with stores.audit.begin() as conn:
        if stores.audit.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            for (name,) in conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all():
                conn.execute(sa.text(f"DROP TRIGGER {name}"))
        for index in missing:
            conn.execute(
                sa.text("DELETE FROM ledger_entries WHERE log = :log AND leaf_index = :i"),
                {"log": ORIGIN, "i": index},
            )
    with stores.audit.connect() as conn:
        size = store.stored_size(conn, ORIGIN)
        for end in (None, 11):
            keyset = _chunks(conn, end, 0)
            assert _chunks(conn, end, size) == keyset
            kept = [i for i in range(1, end or 14) if i not in missing]
            assert [i for indices, _, _ in keyset for i in indices] == kept
            assert [e for _, found, _ in keyset for e in found] == [
                f"event {i}".encode() for i in kept
            ]
