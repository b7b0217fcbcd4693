"""The query index: filled after each append, caught up from the ledger, rebuilt at will.

:func:`index_appended` writes the rows of events just appended (the trail's append path calls
it) and moves the log's ``indexed_size`` past them when nothing before them is missing.
:func:`catch_up` reads the entries from ``indexed_size`` to the log's size and indexes them,
skipping rows already there: idempotent, and safe while other processes append and index.
:func:`reindex` empties the log's index and catches up from leaf 0.

On PostgreSQL ``audit_index`` is partitioned by month; :func:`ensure_partitions` creates the
months rows are about to land in (moving any rows the default partition holds for that month),
in its own transaction under an advisory lock, so concurrent indexers never race on the DDL.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from readiness.audit.query.core import decode_entry, index_row
from readiness.audit.query.tables import audit_index, audit_index_state
from readiness.ledger import store

CHUNK = 5000
_known_partitions: dict[str, set[str]] = {}
_partition_lock = threading.Lock()


def month_of(at: datetime) -> tuple[int, int]:
    at = at.astimezone(UTC)
    return at.year, at.month


def partition_name(year: int, month: int) -> str:
    return f"audit_index_y{year:04d}m{month:02d}"


def _advisory_key() -> int:
    digest = hashlib.sha256(b"readiness.audit_index.partitions").digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def existing_partitions(conn: Connection) -> set[str]:
    """The names of ``audit_index``'s partitions (PostgreSQL)."""
    rows = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('audit_index')"
        )
    )
    return {str(name) for (name,) in rows}


def ensure_partitions(engine: Engine, months: Iterable[tuple[int, int]]) -> list[str]:
    """Create the month partitions of ``months`` that do not exist yet; their names."""
    if engine.dialect.name != "postgresql":
        return []
    key = _engine_key(engine)
    # December 9999 has no end Python can write: its rows stay in the default partition.
    wanted = {partition_name(y, m): (y, m) for y, m in months if (y, m) < (9999, 12)}
    with _partition_lock:
        known = _known_partitions.setdefault(key, set())
        missing = [name for name in wanted if name not in known]
    if not missing:
        return []
    created: list[str] = []
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _advisory_key()})
        present = existing_partitions(conn)
        for name in sorted(missing):
            if name not in present:
                _create_partition(conn, name, *wanted[name])
                created.append(name)
        present |= set(created)
    with _partition_lock:
        _known_partitions[key] = known | present
    return created


def _create_partition(conn: Connection, name: str, year: int, month: int) -> None:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    bounds = {"start": start, "end": end}
    # Rows of this month in the default partition would make CREATE ... PARTITION OF fail:
    # move them into the new partition (the index is derived data; nothing is lost).
    where = "occurred_at >= :start AND occurred_at < :end"
    conn.execute(
        sa.text(
            f"CREATE TEMP TABLE _audit_index_moved ON COMMIT DROP AS "  # noqa: S608 - no input
            f"SELECT * FROM audit_index_default WHERE {where}"
        ),
        bounds,
    )
    conn.execute(sa.text(f"DELETE FROM audit_index_default WHERE {where}"), bounds)  # noqa: S608
    literal = "'{:%Y-%m-%d} 00:00:00+00'"
    conn.execute(
        sa.text(
            f"CREATE TABLE {name} PARTITION OF audit_index FOR VALUES FROM "
            f"({literal.format(start)}) TO ({literal.format(end)})"
        )
    )
    conn.execute(sa.text("INSERT INTO audit_index SELECT * FROM _audit_index_moved"))
    conn.execute(sa.text("DROP TABLE _audit_index_moved"))


_COLUMNS = tuple(c.name for c in audit_index.columns)
_PG_TYPES = {"leaf_index": "bigint", "occurred_at": "timestamptz"}
# PostgreSQL: every row in one statement, the columns as arrays (cheap to send and to plan).
_PG_INSERT = sa.text(
    f"INSERT INTO audit_index ({', '.join(_COLUMNS)}) SELECT * FROM unnest("  # noqa: S608
    + ", ".join(f"CAST(:{name} AS {_PG_TYPES.get(name, 'text')}[])" for name in _COLUMNS)
    + ") ON CONFLICT DO NOTHING"
)


def _insert_rows(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_INSERT, {name: [row[name] for row in rows] for name in _COLUMNS})
        return
    conn.execute(sqlite.insert(audit_index).on_conflict_do_nothing(), list(rows))


def indexed_size(conn: Connection, log: str) -> int:
    """How many leaves of ``log`` are known to be indexed (every leaf below this is)."""
    value = conn.execute(
        sa.select(audit_index_state.c.indexed_size).where(audit_index_state.c.log == log)
    ).scalar_one_or_none()
    return int(value or 0)


def _advance(conn: Connection, log: str, start: int, end: int) -> None:
    """Move ``indexed_size`` to ``end`` if it lies in ``[start, end)`` (nothing is missing)."""
    table = audit_index_state
    moved = conn.execute(
        table.update()
        .where(table.c.log == log, table.c.indexed_size >= start, table.c.indexed_size < end)
        .values(indexed_size=end)
    ).rowcount
    if not moved and start == 0:
        insert: Any = (
            postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
        )
        conn.execute(insert.values(log=log, indexed_size=end).on_conflict_do_nothing())


def _index(engine: Engine, log: str, items: Sequence[tuple[int, Mapping[str, Any]]]) -> int:
    rows = [index_row(log, leaf, event) for leaf, event in items]
    ensure_partitions(engine, {month_of(row["occurred_at"]) for row in rows})
    with engine.begin() as conn:
        _insert_rows(conn, rows)
    return len(rows)


def index_appended(
    engine: Engine, log: str, items: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """Index events just appended: ``(leaf_index, event)`` of one append, in index order."""
    if not items:
        return
    _index(engine, log, items)
    first, last = items[0][0], items[-1][0]
    if [leaf for leaf, _ in items] == list(range(first, last + 1)):
        with engine.begin() as conn:
            _advance(conn, log, first, last + 1)


def catch_up(engine: Engine, log: str, *, chunk: int = CHUNK) -> int:
    """Index every leaf from ``indexed_size`` to the log's size; how many leaves were read."""
    with engine.connect() as conn:
        start, size = indexed_size(conn, log), store.stored_size(conn, log)
    read = 0
    position = start
    while position < size:
        end = min(position + chunk, size)
        with engine.connect() as conn:
            entries = list(store.iter_entries(conn, log, position, end, chunk=chunk))
        items = [
            (leaf, event)
            for leaf, entry, _ in entries
            if (event := decode_entry(entry)) is not None
        ]
        _index(engine, log, items)
        with engine.begin() as conn:
            _advance(conn, log, position, end)
        read += end - position
        position = end
    return read


def behind(engine: Engine, log: str) -> int:
    """How many leaves of ``log`` the index may lack (0: it is complete)."""
    with engine.connect() as conn:
        return max(0, store.stored_size(conn, log) - indexed_size(conn, log))


def reindex(engine: Engine, log: str, *, chunk: int = CHUNK) -> int:
    """Empty the index of ``log`` and rebuild it from the ledger; how many leaves were read."""
    with engine.begin() as conn:
        conn.execute(audit_index.delete().where(audit_index.c.log == log))
        conn.execute(audit_index_state.delete().where(audit_index_state.c.log == log))
    return catch_up(engine, log, chunk=chunk)
