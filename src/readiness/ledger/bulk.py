"""Bulk import: many entries appended in ONE transaction, outside the sequencer's batches.

``bulk_append`` takes the log's write lock (PostgreSQL: the sequencer's advisory lock;
SQLite: ``BEGIN IMMEDIATE``), reads the stored size and the tree's compact range, streams the
entries into ``ledger_entries`` (PostgreSQL: one binary ``COPY``; SQLite: ``executemany`` in
chunks) while a :class:`~readiness.ledger.core.compact.CompactRange` computes their leaf hashes
and interior nodes, writes the nodes the same way, and commits once: all the entries or none.
A sequencer of the same log (this process or another) waits on the lock, then finds the size
moved and reloads its tree, as after any other writer. On PostgreSQL the batch's month
partition is ensured under the lock as the sequencer does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy.engine import Connection, Engine

from readiness._common.clock import Clock
from readiness.errors import LedgerError
from readiness.ledger import partitions
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import root_plan
from readiness.ledger.sequencer import advisory_key
from readiness.ledger.store import MIN_STORED_LEVEL, fetch_nodes, stored_size

CHUNK = 8192
_sha256 = hashlib.sha256


@dataclass(frozen=True)
class BulkResult:
    """What one bulk import appended: leaves ``[first, first + count)``."""

    first: int
    count: int

    @property
    def size(self) -> int:
        return self.first + self.count


def bulk_append(engine: Engine, log: str, clock: Clock, entries: Iterable[bytes]) -> BulkResult:
    """Append ``entries`` to ``log`` in one transaction (see the module); durable on return."""
    with engine.connect() as conn:
        pg = conn.dialect.name == "postgresql"
        if not pg:
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
            conn.commit()
        with conn.begin():
            if pg:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (advisory_key(log),))
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            size = stored_size(conn, log)
            at = clock.now()
            if pg and partitions.is_partitioned(conn):
                partitions.ensure_month(conn, log, partitions.month_of(at), size, at)
            found = fetch_nodes(conn, log, root_plan(size))
            tree = CompactRange(size, [found[node] for node in root_plan(size)])
            if pg:
                count = _copy_pg(conn, log, tree, entries, at)
            else:
                stamp = at.strftime("%Y-%m-%d %H:%M:%S.%f")
                count = _insert_sqlite(conn, log, tree, entries, stamp)
    if not count:
        raise LedgerError("bulk import: no entries to append")
    return BulkResult(size, count)


def _chunks(entries: Iterable[bytes]) -> Iterable[list[bytes]]:
    iterator = iter(entries)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _copy_pg(
    conn: Connection, log: str, tree: CompactRange, entries: Iterable[bytes], at: datetime
) -> int:
    driver = conn.connection.driver_connection
    assert driver is not None
    nodes: list[tuple[int, int, bytes]] = []
    count = 0
    with driver.cursor() as cursor:
        with cursor.copy(
            "COPY ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int8", "bytea", "bytea", "timestamptz"])
            for chunk in _chunks(entries):
                leaves = [_sha256(b"\x00" + entry).digest() for entry in chunk]
                first = tree.size
                nodes.extend(
                    (level, index, value)
                    for (level, index), value in tree.extend(leaves, from_level=MIN_STORED_LEVEL)
                )
                for offset, (entry, leaf) in enumerate(zip(chunk, leaves, strict=True)):
                    copy.write_row((log, first + offset, entry, leaf, at))
                count += len(chunk)
        if nodes:
            with cursor.copy(
                "COPY ledger_nodes (log, level, node_index, hash) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["text", "int2", "int8", "bytea"])
                for level, index, value in nodes:
                    copy.write_row((log, level, index, value))
    return count


def _insert_sqlite(
    conn: Connection, log: str, tree: CompactRange, entries: Iterable[bytes], stamp: str
) -> int:
    count = 0
    for chunk in _chunks(entries):
        leaves = [_sha256(b"\x00" + entry).digest() for entry in chunk]
        first = tree.size
        nodes = tree.extend(leaves, from_level=MIN_STORED_LEVEL)
        conn.exec_driver_sql(
            "INSERT INTO ledger_entries (log, leaf_index, entry, leaf_hash, appended_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (log, first + offset, entry, leaf, stamp)
                for offset, (entry, leaf) in enumerate(zip(chunk, leaves, strict=True))
            ],
        )
        if nodes:
            conn.exec_driver_sql(
                "INSERT INTO ledger_nodes (log, level, node_index, hash) VALUES (?, ?, ?, ?)",
                [(log, level, index, value) for (level, index), value in nodes],
            )
        count += len(chunk)
    return count
