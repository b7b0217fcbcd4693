"""Month partitions of ``ledger_entries`` on PostgreSQL: the roll-over in the sequencer, the
append-only guard on every partition, and revision ``0010_entry_partitions`` migrating an
existing table (real PostgreSQL; SQLite keeps one table)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.clock import FrozenClock
from readiness.ledger import partitions
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash
from readiness.ledger.sequencer import Sequencer
from readiness.ledger.store import fetch_nodes, iter_entries, stored_size
from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.migrate import current_revision, downgrade, upgrade

LOG = "audit.example/it's a log"  # a quote in the name: the DDL quotes it


def _append(engine: Engine, clock: FrozenClock, at: datetime, entries: list[bytes]) -> list[int]:
    clock.set(at)
    sequencer = Sequencer(engine, LOG, clock, window_ms=0)
    try:
        return sequencer.append(entries)
    finally:
        sequencer.close()


def _bounds(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass('ledger_entries')"
            )
        ).all()
    return {str(name): str(bound) for name, bound in rows}


def _root(engine: Engine) -> tuple[int, bytes]:
    with engine.connect() as conn:
        hashes = [value for _, _, value in iter_entries(conn, LOG)]
    return len(hashes), MemoryTree(hashes).root()


@pytest.mark.parametrize("backend", ["postgres"])
def test_the_first_batch_of_a_month_rolls_the_open_partition_over(
    stores: Stores, clock: FrozenClock
) -> None:
    engine = stores.audit
    sequencer = Sequencer(engine, LOG, clock, window_ms=0)
    try:
        clock.set(datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
        assert sequencer.append([b"a", b"b", b"c"]) == [0, 1, 2]
        clock.set(datetime(2026, 2, 1, 0, 0, tzinfo=UTC))
        assert sequencer.append([b"d", b"e"]) == [3, 4]
        clock.set(datetime(2026, 4, 2, tzinfo=UTC))
        assert sequencer.append([b"f"]) == [5]
    finally:
        sequencer.close()
    # A second process (a fresh sequencer) in the same month appends to the open partition.
    assert _append(engine, clock, datetime(2026, 4, 3, tzinfo=UTC), [b"g"]) == [6]
    with engine.connect() as conn:
        found = partitions.list_partitions(conn, LOG)
        counts = [conn.execute(sa.text(f'SELECT count(*) FROM "{p.name}"')).scalar() for p in found]
        assert stored_size(conn, LOG) == 7
    assert [(p.first_leaf, p.end, p.month, p.state) for p in found] == [
        (0, 3, (2026, 1), "hot"),
        (3, 5, (2026, 2), "hot"),
        (5, None, (2026, 4), "hot"),
    ]
    assert counts == [3, 2, 2]
    quoted = "'audit.example/it''s a log'"
    assert _bounds(engine) == {
        found[0].name: f"FOR VALUES FROM ({quoted}, '0') TO ({quoted}, '3')",
        found[1].name: f"FOR VALUES FROM ({quoted}, '3') TO ({quoted}, '5')",
        found[2].name: f"FOR VALUES FROM ({quoted}, '5') TO ({quoted}, MAXVALUE)",
    }
    assert found[2].name == partitions.partition_name(LOG, (2026, 4))
    assert _root(engine) == (7, MemoryTree([leaf_hash(e.encode()) for e in "abcdefg"]).root())


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_clock_that_steps_back_a_month_keeps_the_open_partition(
    stores: Stores, clock: FrozenClock
) -> None:
    _append(stores.audit, clock, datetime(2026, 3, 1, tzinfo=UTC), [b"a"])
    _append(stores.audit, clock, datetime(2026, 2, 28, tzinfo=UTC), [b"b"])
    with stores.audit.connect() as conn:
        found = partitions.list_partitions(conn, LOG)
    assert [(p.first_leaf, p.end, p.month) for p in found] == [(0, None, (2026, 3))]


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {t} SET entry = 'x'::bytea",
        "DELETE FROM {t}",
        "TRUNCATE {t}",
        "UPDATE ledger_entries SET entry = 'x'::bytea",
        "TRUNCATE ledger_entries",
    ],
)
def test_every_partition_refuses_update_delete_and_truncate(
    stores: Stores, clock: FrozenClock, statement: str
) -> None:
    _append(stores.audit, clock, datetime(2026, 1, 5, tzinfo=UTC), [b"a"])
    _append(stores.audit, clock, datetime(2026, 2, 5, tzinfo=UTC), [b"b"])
    with stores.audit.connect() as conn:
        closed = partitions.list_partitions(conn, LOG)[0].name
    with (
        pytest.raises(sa.exc.DBAPIError, match="the table is append-only"),
        stores.audit.begin() as conn,
    ):
        conn.exec_driver_sql(statement.format(t=f'"{closed}"'))
    assert _root(stores.audit)[0] == 2


@pytest.fixture
def audit_at_0009(pg_schema_url: str) -> Iterator[Engine]:
    engine = create_engine_for(pg_schema_url)
    upgrade("audit", engine, "0009_retention")
    yield engine
    engine.dispose()


def test_0010_moves_an_existing_table_into_month_partitions_and_back(
    audit_at_0009: Engine, clock: FrozenClock
) -> None:
    engine = audit_at_0009
    months = [datetime(2025, m, 3, tzinfo=UTC) for m in (11, 12)] + [
        datetime(2026, 2, 1, tzinfo=UTC)
    ]
    for n, at in enumerate(months):
        _append(engine, clock, at, [f"{n}-{i}".encode() for i in range(3 + n)])
    before = _root(engine)
    with engine.connect() as conn:
        assert not partitions.is_partitioned(conn)

    upgrade("audit", engine, "0010_entry_partitions")

    assert _root(engine) == before
    with engine.connect() as conn:
        assert partitions.is_partitioned(conn)
        found = partitions.list_partitions(conn, LOG)
        proof_nodes = fetch_nodes(conn, LOG, [(0, 11), (2, 1)])
    assert [(p.first_leaf, p.end, p.month) for p in found] == [
        (0, 3, (2025, 11)),
        (3, 7, (2025, 12)),
        (7, None, (2026, 2)),
    ]
    assert {(0, 11), (2, 1)} <= set(proof_nodes)
    # Appending continues in the open partition, and rolls over in the next month.
    assert _append(engine, clock, datetime(2026, 3, 1, tzinfo=UTC), [b"x"]) == [12]
    with engine.connect() as conn:
        assert [p.first_leaf for p in partitions.list_partitions(conn, LOG)] == [0, 3, 7, 12]

    after = _root(engine)
    downgrade("audit", engine, "0009_retention")
    assert _root(engine) == after
    with engine.connect() as conn:
        assert not partitions.is_partitioned(conn)
    with (
        pytest.raises(sa.exc.DBAPIError, match="the table is append-only"),
        engine.begin() as conn,
    ):
        conn.exec_driver_sql("DELETE FROM ledger_entries")


def test_0010_refuses_a_table_with_a_missing_leaf_and_changes_nothing(
    audit_at_0009: Engine, clock: FrozenClock
) -> None:
    _append(audit_at_0009, clock, datetime(2026, 1, 1, tzinfo=UTC), [b"a", b"b", b"c"])
    with audit_at_0009.begin() as conn:  # tampering, as the table's owner
        conn.exec_driver_sql("ALTER TABLE ledger_entries DISABLE TRIGGER USER")
        conn.exec_driver_sql("DELETE FROM ledger_entries WHERE leaf_index = 1")
        conn.exec_driver_sql("ALTER TABLE ledger_entries ENABLE TRIGGER USER")
    with pytest.raises(RuntimeError, match=r"leaf 1 is missing in ledger_entries_unpartitioned"):
        upgrade("audit", audit_at_0009, "0010_entry_partitions")
    assert current_revision("audit", audit_at_0009) == "0009_retention"
    with audit_at_0009.connect() as conn:
        assert not partitions.is_partitioned(conn)
        assert [i for i, _, _ in iter_entries(conn, LOG)] == [0, 2]
