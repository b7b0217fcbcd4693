"""The ledger's tables on the audit database, and the queries the sequencer and service run.

Four append-only tables (the database itself refuses UPDATE and DELETE; see revision
``0002_ledger`` of the audit history):

- ``ledger_entries``: one row per leaf: the entry bytes, its RFC 9162 leaf hash, when appended.
- ``ledger_nodes``: every complete subtree ``(level, node_index)`` of level
  :data:`MIN_STORED_LEVEL` and above, exactly as
  :meth:`~readiness.ledger.core.compact.CompactRange.append` creates it; level 0, the leaf
  hashes, is the ``leaf_hash`` column of ``ledger_entries`` (stored once, not twice). The levels
  between are not stored (they were half the rows an append wrote): :func:`fetch_nodes` folds
  such a node from its at most ``2^(MIN_STORED_LEVEL-1)`` leaf hashes. Any root or proof of any
  size still folds from ``O(log n)`` rows, fetched in one query.
- ``ledger_checkpoints``: signed tree heads (the C2SP signed-note text) with their size and root.
- ``ledger_cosignatures``: witness cosignature lines of a checkpoint.

Every table is keyed by ``log`` (the log's origin line), so one audit database holds many logs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness._common.clock import utc
from readiness.errors import ProofError
from readiness.ledger.core.merkle import NodeId, root_hash
from readiness.storage.metadata import audit_metadata

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LOG_LENGTH = 200
MIN_STORED_LEVEL = 4
"""Interior nodes below this level are not stored (folded from the leaf hashes when needed);
logs written before keep theirs, which verification still compares."""


def is_stored_level(level: int) -> bool:
    """Whether the nodes of ``level`` have rows (level 0: the entries' leaf hashes)."""
    return level == 0 or level >= MIN_STORED_LEVEL


ledger_entries = sa.Table(
    "ledger_entries",
    audit_metadata,
    sa.Column("log", sa.String(LOG_LENGTH), primary_key=True),
    sa.Column("leaf_index", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("entry", sa.LargeBinary(), nullable=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
)

ledger_nodes = sa.Table(
    "ledger_nodes",
    audit_metadata,
    sa.Column("log", sa.String(LOG_LENGTH), primary_key=True),
    sa.Column("level", sa.SmallInteger(), primary_key=True, autoincrement=False),
    sa.Column("node_index", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)

ledger_checkpoints = sa.Table(
    "ledger_checkpoints",
    audit_metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("log", sa.String(LOG_LENGTH), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_ledger_checkpoints_log_size", "log", "size"),
)

ledger_cosignatures = sa.Table(
    "ledger_cosignatures",
    audit_metadata,
    sa.Column(
        "checkpoint_id",
        _BIGINT,
        sa.ForeignKey("ledger_checkpoints.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("witness", sa.String(LOG_LENGTH), primary_key=True),
    sa.Column("key_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("line", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_nodes", "ledger_checkpoints")


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row: its id, the tree it signs, and the signed note text."""

    id: int
    size: int
    root: bytes
    note: str
    created_at: datetime


def stored_size(conn: Connection, log: str) -> int:
    """The number of leaves of ``log`` (its largest leaf index plus one): one backward scan of
    the primary key, sent straight to the driver (every proof asks it first)."""
    ((last,),) = _driver_rows(conn, _MAX_INDEX, (log,))
    return 0 if last is None else int(last) + 1


_MAX_INDEX = "SELECT max(leaf_index) FROM ledger_entries WHERE log = ?"


def appended_at(conn: Connection, log: str, index: int) -> datetime | None:
    """When leaf ``index`` of ``log`` was appended; None when there is no such leaf."""
    found = conn.execute(
        sa.select(ledger_entries.c.appended_at).where(
            ledger_entries.c.log == log, ledger_entries.c.leaf_index == index
        )
    ).scalar()
    return None if found is None else utc(found)


def fetch_nodes(conn: Connection, log: str, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
    """Every named node in one query; :class:`ProofError` names the first missing one.

    Level 0 (the leaf hashes) is read from ``ledger_entries``, the stored levels from
    ``ledger_nodes``, in one ``UNION ALL`` of primary-key lookups; a node of an unstored level
    (below :data:`MIN_STORED_LEVEL`) is folded from its leaf hashes, read in the same query.
    """
    if not nodes:
        return {}
    wanted = _stored_nodes(nodes)
    if conn.dialect.name == "postgresql":
        found = _fetch_nodes_pg(conn, log, wanted)
    else:
        found = _fetch_nodes_by_level(conn, log, wanted)
    for node in wanted:
        if node not in found:
            raise ProofError(
                f"log {log!r}: node (level {node[0]}, index {node[1]}) is not stored; "
                "the ledger's node table is incomplete (run verify)"
            )
    return _fold_unstored(nodes, found)


def size_and_nodes(
    conn: Connection, log: str, nodes: Sequence[NodeId]
) -> tuple[int, dict[NodeId, bytes] | None]:
    """The log's size and the named nodes, in ONE round trip on PostgreSQL (one statement;
    elsewhere one query after the other): what a proof whose tree size is known or
    guessed needs. The nodes are None when one is not stored (a size beyond the log's, or an
    incomplete table: :func:`fetch_nodes` then says which)."""
    if conn.dialect.name != "postgresql":
        size = stored_size(conn, log)
        try:
            return size, fetch_nodes(conn, log, nodes)
        except ProofError:
            return size, None
    wanted = _stored_nodes(nodes)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:
        cursor.execute(_PG_SIZE_AND_FETCH, _pg_fetch_params(log, wanted))
        rows = cursor.fetchall()
    last = next(index for level, index, _ in rows if level == -1)
    size = 0 if last is None else int(last) + 1
    found = {(int(level), int(index)): bytes(value) for level, index, value in rows if level != -1}
    if any(node not in found for node in wanted):
        return size, None
    return size, _fold_unstored(nodes, found)


def _stored_nodes(nodes: Sequence[NodeId]) -> list[NodeId]:
    """The stored rows ``nodes`` need: each node of a stored level, the leaf hashes under a
    node of an unstored one."""
    wanted: dict[NodeId, None] = {}
    for level, index in nodes:
        if is_stored_level(level):
            wanted[level, index] = None
        else:
            leaves = range(index << level, (index + 1) << level)
            wanted.update(dict.fromkeys((0, leaf) for leaf in leaves))
    return list(wanted)


def _fold_unstored(nodes: Sequence[NodeId], found: dict[NodeId, bytes]) -> dict[NodeId, bytes]:
    for level, index in nodes:
        if not is_stored_level(level):
            leaves = range(index << level, (index + 1) << level)
            found[level, index] = root_hash(found[0, leaf] for leaf in leaves)
    return found


_PG_FETCH = (
    "SELECT 0::smallint, leaf_index, leaf_hash FROM ledger_entries "
    "WHERE log = %(log)s AND leaf_index = ANY(%(leaves)s::bigint[]) "
    "UNION ALL "
    "SELECT w.level, w.node_index, n.hash "
    "FROM unnest(%(levels)s::smallint[], %(indices)s::bigint[]) AS w(level, node_index) "
    "CROSS JOIN LATERAL (SELECT hash FROM ledger_nodes WHERE log = %(log)s "
    "AND level = w.level AND node_index = w.node_index LIMIT 1) AS n"
)  # LIMIT 1: a lookup per node; without statistics a join became a hash join over the table


_PG_SIZE_AND_FETCH = (  # the size as a row of level -1, then the nodes: one statement
    "SELECT -1::smallint, (SELECT max(leaf_index) FROM ledger_entries WHERE log = %(log)s), "  # noqa: S608 - constant text, no input
    "NULL::bytea UNION ALL " + _PG_FETCH
)


def _fetch_nodes_pg(conn: Connection, log: str, nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
    """PostgreSQL: the wanted nodes as arrays joined by primary key (cheap to plan), sent
    straight to the driver, the result in binary format."""
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:
        cursor.execute(_PG_FETCH, _pg_fetch_params(log, nodes))
        rows = cursor.fetchall()
    return {(int(level), int(index)): bytes(value) for level, index, value in rows}


def _pg_fetch_params(log: str, nodes: Sequence[NodeId]) -> dict[str, object]:
    inner = [node for node in nodes if node[0]]
    return {
        "log": log,
        "leaves": [index for level, index in nodes if not level],
        "levels": [level for level, _ in inner],
        "indices": [index for _, index in inner],
    }


_SQLITE_LEAVES = (
    "SELECT 0, leaf_index, leaf_hash FROM ledger_entries "
    "WHERE log = ? AND leaf_index IN (SELECT value FROM json_each(?))"
)
_SQLITE_LEVEL = (
    "SELECT level, node_index, hash FROM ledger_nodes "
    "WHERE log = ? AND level = ? AND node_index IN (SELECT value FROM json_each(?))"
)


def _fetch_nodes_by_level(
    conn: Connection, log: str, nodes: Sequence[NodeId]
) -> dict[NodeId, bytes]:
    """SQLite: one SELECT per level by primary key, glued with UNION ALL (every part is an index
    lookup; an OR of levels would let the planner scan the table), sent straight to the driver
    (building and compiling the statement through SQLAlchemy cost more than running it)."""
    by_level: dict[int, list[int]] = {}
    for level, index in nodes:
        by_level.setdefault(level, []).append(index)
    parts: list[str] = []
    params: list[object] = []
    for level, indices in by_level.items():
        wanted = json.dumps(indices)
        if level == 0:
            parts.append(_SQLITE_LEAVES)
            params.extend((log, wanted))
        else:
            parts.append(_SQLITE_LEVEL)
            params.extend((log, level, wanted))
    rows = _driver_rows(conn, " UNION ALL ".join(parts), params)
    return {(int(level), int(index)): bytes(value) for level, index, value in rows}


def nodes_created(conn: Connection, log: str, start: int, end: int) -> dict[NodeId, bytes]:
    """The stored interior nodes completed by the leaves ``[start, end)``: level L >= 1,
    indices ``[start >> L, end >> L)`` (a node (L, i) completes at leaf ``(i+1)·2^L - 1``)."""
    params: list[object] = []
    level = 1
    while end >> level:
        low, high = start >> level, end >> level
        if low < high:
            params.extend((log, level, low, high))
        level += 1
    if not params:
        return {}
    # One SELECT per level by primary key, glued with UNION ALL (an OR may be planned as a scan).
    sql = " UNION ALL ".join([_LEVEL_RANGE] * (len(params) // 4))
    rows = _driver_rows(conn, sql, params)
    return {(int(level), int(index)): bytes(value) for level, index, value in rows}


def nodes_created_by_level(
    conn: Connection, log: str, start: int, end: int
) -> dict[int, tuple[Sequence[int], Sequence[bytes]]]:
    """What :func:`nodes_created` reads, as ``level -> (indices, hashes)`` in index order (one
    round trip: a primary-key range query per level glued with ``UNION ALL``): what
    verification compares with a recomputed level as a whole (one list comparison, not a
    lookup per node)."""
    params: list[object] = []
    level = 1
    while end >> level:
        low, high = start >> level, end >> level
        if low < high:
            params.extend((log, level, low, high))
        level += 1
    found: dict[int, tuple[Sequence[int], Sequence[bytes]]] = {}
    if not params:
        return found
    sql = " UNION ALL ".join([_LEVEL_RANGE] * (len(params) // 4)) + " ORDER BY 1, 2"
    rows = _driver_rows(conn, sql, params)
    for level, group in itertools.groupby(rows, key=_first):
        _, indices, hashes = zip(*group, strict=True)
        found[int(level)] = (indices, hashes)
    return found


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


_LEVEL_RANGE = (
    "SELECT level, node_index, hash FROM ledger_nodes "
    "WHERE log = ? AND level = ? AND node_index >= ? AND node_index < ?"
)


def count_nodes(conn: Connection, log: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(ledger_nodes).where(ledger_nodes.c.log == log)
        ).scalar_one()
    )


def level_nodes(conn: Connection, log: str, level: int, start: int, end: int) -> list[bytes]:
    """The hashes of nodes ``start..end-1`` at ``level``, in order (for a tile)."""
    if level == 0:
        query = sa.select(ledger_entries.c.leaf_index, ledger_entries.c.leaf_hash).where(
            ledger_entries.c.log == log,
            ledger_entries.c.leaf_index >= start,
            ledger_entries.c.leaf_index < end,
        )
    else:
        query = sa.select(ledger_nodes.c.node_index, ledger_nodes.c.hash).where(
            ledger_nodes.c.log == log,
            ledger_nodes.c.level == level,
            ledger_nodes.c.node_index >= start,
            ledger_nodes.c.node_index < end,
        )
    rows = conn.execute(query.order_by(query.selected_columns[0])).all()
    if [int(index) for index, _ in rows] != list(range(start, end)):
        raise ProofError(f"log {log!r}: nodes {start}..{end - 1} of level {level} are not stored")
    return [bytes(value) for _, value in rows]


def _driver_rows(conn: Connection, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (``?`` placeholders) straight from the driver: the hot read paths of
    verification skip SQLAlchemy's per-row result processing. On PostgreSQL the result comes in
    binary format (``bytea`` as raw bytes, not hex text the client must decode)."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor(binary=True) as binary:
            binary.execute(sql.replace("?", "%s"), tuple(params))
            return list(binary.fetchall())
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


_ENTRY_BODIES = (
    "SELECT entry, leaf_hash FROM ledger_entries WHERE log = ? "
    "AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
)
_ENTRY_RANGE = (
    "SELECT leaf_index, entry, leaf_hash FROM ledger_entries WHERE log = ? "
    "AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index LIMIT ?"
)


@dataclass(frozen=True)
class EntryChunk:
    """Consecutive rows of ``ledger_entries`` as columns (what verification streams)."""

    indices: Sequence[int]
    entries: Sequence[bytes]
    leaf_hashes: Sequence[bytes]


def entry_chunks(
    conn: Connection,
    log: str,
    start: int = 0,
    end: int | None = None,
    *,
    chunk: int = 8192,
    dense_below: int = 0,
) -> Iterator[EntryChunk]:
    """The entries ``[start, end)`` in index order, ``chunk`` rows per query (keyset paging on
    the primary key), each chunk as three columns.

    ``dense_below``: the log's size as last read; a range ``[p, p + chunk)`` below it is read
    first without its indices (what verification streams: fewer bytes to send and to parse).
    When ``chunk`` rows come back they are all of its indices (the primary key makes them
    distinct); a short range (a gap) is read again by keyset, with its indices."""
    position = start
    last = end if end is not None else 2**63 - 1
    while position < last:
        high = min(position + chunk, last)
        if high <= dense_below:
            dense = _driver_rows(conn, _ENTRY_BODIES, (log, position, high))
            if len(dense) == high - position:
                entries, hashes = zip(*dense, strict=True)
                yield EntryChunk(range(position, high), entries, hashes)
                position = high
                continue
        rows = _driver_rows(conn, _ENTRY_RANGE, (log, position, last, chunk))
        if not rows:
            return
        indices, entries, hashes = zip(*rows, strict=True)
        yield EntryChunk(indices, entries, hashes)
        if len(rows) < chunk:
            return
        position = int(indices[-1]) + 1


def iter_entries(
    conn: Connection, log: str, start: int = 0, end: int | None = None, *, chunk: int = 8192
) -> Iterator[tuple[int, bytes, bytes]]:
    """``(leaf_index, entry, leaf_hash)`` in index order, fetched ``chunk`` rows at a time."""
    for part in entry_chunks(conn, log, start, end, chunk=chunk):
        for index, entry, value in zip(part.indices, part.entries, part.leaf_hashes, strict=True):
            yield int(index), bytes(entry), bytes(value)


def insert_checkpoint(
    conn: Connection, log: str, size: int, root: bytes, *, note: str, at: datetime
) -> int:
    result = conn.execute(
        ledger_checkpoints.insert().values(log=log, size=size, root=root, note=note, created_at=at)
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def list_checkpoints(conn: Connection, log: str) -> list[StoredCheckpoint]:
    """Every checkpoint of ``log``, oldest first."""
    rows = conn.execute(
        sa.select(ledger_checkpoints)
        .where(ledger_checkpoints.c.log == log)
        .order_by(ledger_checkpoints.c.id)
    )
    return [
        StoredCheckpoint(
            int(row.id), int(row.size), bytes(row.root), str(row.note), utc(row.created_at)
        )
        for row in rows
    ]


def insert_cosignatures(
    conn: Connection, checkpoint_id: int, lines: Iterable[tuple[str, int, str]], at: datetime
) -> None:
    """Store witness cosignature lines ``(witness name, key id, line)`` of a checkpoint."""
    rows = [
        {"checkpoint_id": checkpoint_id, "witness": n, "key_id": k, "line": line, "created_at": at}
        for n, k, line in lines
    ]
    if rows:
        conn.execute(ledger_cosignatures.insert(), rows)


def list_cosignatures(conn: Connection, checkpoint_id: int) -> list[str]:
    rows = conn.execute(
        sa.select(ledger_cosignatures.c.line)
        .where(ledger_cosignatures.c.checkpoint_id == checkpoint_id)
        .order_by(ledger_cosignatures.c.witness, ledger_cosignatures.c.key_id)
    )
    return [str(line) for (line,) in rows]
