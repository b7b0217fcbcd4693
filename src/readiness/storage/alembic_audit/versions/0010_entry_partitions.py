"""Audit database: ``ledger_entries`` range-partitioned by month on PostgreSQL.

The table becomes ``PARTITION BY RANGE (log, leaf_index)`` with each log's leaves cut at the
month boundaries of ``appended_at`` (UTC); ``ledger_entry_partitions`` maps ``(log,
first_leaf)`` to the month, the partition's name and its state (see
:mod:`readiness.ledger.partitions`). An existing table is copied into the partitions in
batches; each log's Merkle root, folded from its leaf hashes, is compared before and after,
and the migration refuses (rolls back) on any difference. The append-only triggers are
recreated on the new table (the row trigger is cloned to every partition; each partition has
its own ``TRUNCATE`` trigger). SQLite keeps one table and only gets the (empty) map.

Revision ID: 0010_entry_partitions
Revises: 0009_retention
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from readiness.ledger import partitions
from readiness.ledger.core.compact import CompactRange

revision = "0010_entry_partitions"
down_revision = "0009_retention"
branch_labels = None
depends_on = None

BATCH = 50_000
_COLUMNS = "log, leaf_index, entry, leaf_hash, appended_at"
_OLD = "ledger_entries_unpartitioned"


def upgrade() -> None:
    op.create_table(
        "ledger_entry_partitions",
        sa.Column("log", sa.String(length=200), nullable=False),
        sa.Column("first_leaf", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("log", "first_leaf", name=op.f("pk_ledger_entry_partitions")),
    )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE ledger_entries RENAME TO {_OLD}")
    op.execute(f"ALTER TABLE {_OLD} RENAME CONSTRAINT pk_ledger_entries TO pk_{_OLD}")
    op.execute(f"DROP TRIGGER ledger_entries_append_only ON {_OLD}")
    op.execute(f"DROP TRIGGER ledger_entries_no_truncate ON {_OLD}")
    op.execute(
        "CREATE TABLE ledger_entries (log varchar(200) NOT NULL, leaf_index bigint NOT NULL, "
        "entry bytea NOT NULL, leaf_hash bytea NOT NULL, "
        "appended_at timestamp with time zone NOT NULL, "
        "CONSTRAINT pk_ledger_entries PRIMARY KEY (log, leaf_index)) "
        "PARTITION BY RANGE (log, leaf_index)"
    )
    _guard_parent("ledger_entries_guard")
    _copy_grants(conn, _OLD, "ledger_entries")
    logs = [str(log) for (log,) in conn.exec_driver_sql(f"SELECT DISTINCT log FROM {_OLD}")]  # noqa: S608
    for log in logs:
        _move_log(conn, log)
    op.execute(f"DROP TABLE {_OLD}")


def _copy_grants(conn: sa.Connection, source: str, target: str) -> None:
    """The privileges roles (and PUBLIC) hold on ``source``, granted the same on ``target``: the
    application role keeps reading and appending, and what was revoked stays revoked."""
    rows = conn.execute(
        sa.text(
            "SELECT grantee, privilege_type FROM information_schema.table_privileges "
            "WHERE table_schema = current_schema() AND table_name = :t"
        ),
        {"t": source},
    ).all()
    owner = conn.execute(
        sa.text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND "
            "tablename = :t"
        ),
        {"t": source},
    ).scalar_one()
    for grantee, privilege in rows:
        if grantee == owner:
            continue  # the owner's own privileges come with the new table
        who = "PUBLIC" if grantee == "PUBLIC" else conn.dialect.identifier_preparer.quote(grantee)
        conn.exec_driver_sql(f"GRANT {privilege} ON {target} TO {who}")


def _guard_parent(function: str) -> None:
    op.execute(
        "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()"
    )
    op.execute(
        "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
    )


def _move_log(conn: Connection, log: str) -> None:
    """Partition one log's leaves by month, copy them in batches, compare the roots."""
    size, before = _fold(conn, _OLD, log)
    months = conn.execute(
        sa.text(
            f"SELECT min(leaf_index) AS first, "  # noqa: S608 - a constant table name
            "extract(year FROM appended_at AT TIME ZONE 'UTC')::int AS y, "
            "extract(month FROM appended_at AT TIME ZONE 'UTC')::int AS m "
            f"FROM {_OLD} WHERE log = :log GROUP BY y, m ORDER BY y, m"
        ),
        {"log": log},
    ).all()
    cuts: list[tuple[int, tuple[int, int]]] = []
    for first, year, month in months:
        start = 0 if not cuts else int(first)
        if not cuts or start > cuts[-1][0]:  # appended_at may step back a few ms: keep order
            cuts.append((start, (int(year), int(month))))
    now = datetime.now(UTC)
    for position, (first, month) in enumerate(cuts):
        name = partitions.partition_name(log, month)
        end = cuts[position + 1][0] if position + 1 < len(cuts) else None
        upper = "MAXVALUE" if end is None else str(end)
        conn.exec_driver_sql(
            f'CREATE TABLE "{name}" PARTITION OF ledger_entries FOR VALUES '
            f"FROM ({_literal(log)}, {first}) TO ({_literal(log)}, {upper})"
        )
        partitions.guard(conn, name)
        conn.execute(
            partitions.ledger_entry_partitions.insert().values(
                log=log,
                first_leaf=first,
                year=month[0],
                month=month[1],
                name=name,
                state=partitions.HOT,
                created_at=now,
            )
        )
    for low in range(0, size, BATCH):
        conn.execute(
            sa.text(
                f"INSERT INTO ledger_entries ({_COLUMNS}) SELECT {_COLUMNS} FROM {_OLD} "  # noqa: S608
                "WHERE log = :log AND leaf_index >= :low AND leaf_index < :high"
            ),
            {"log": log, "low": low, "high": low + BATCH},
        )
    after_size, after = _fold(conn, "ledger_entries", log)
    if (after_size, after) != (size, before):
        raise RuntimeError(
            f"0010_entry_partitions: log {log!r}: {after_size} leaves with root {after.hex()} "
            f"after the copy, {size} with root {before.hex()} before; nothing was changed"
        )


def _fold(conn: Connection, table: str, log: str) -> tuple[int, bytes]:
    """The number of leaves of ``log`` in ``table`` and the root of their leaf hashes (the
    leaves must be ``0..n-1``)."""
    tree = CompactRange()
    position = 0
    while True:
        rows = conn.execute(
            sa.text(
                f"SELECT leaf_index, leaf_hash FROM {table} WHERE log = :log "  # noqa: S608
                "AND leaf_index >= :low ORDER BY leaf_index LIMIT :n"
            ),
            {"log": log, "low": position, "n": BATCH},
        ).all()
        if not rows:
            break
        indices = [int(leaf) for leaf, _ in rows]
        if indices != list(range(position, position + len(rows))):
            missing = next(n for n, i in enumerate(indices, position) if n != i)
            raise RuntimeError(
                f"0010_entry_partitions: log {log!r}: leaf {missing} is missing in "
                f"{table}; run readiness audit verify; nothing was changed"
            )
        tree.extend([bytes(value) for _, value in rows])
        position += len(rows)
    return tree.size, tree.root() if tree.size else b""


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute(
            f"CREATE TABLE {_OLD} (log varchar(200) NOT NULL, leaf_index bigint NOT NULL, "
            "entry bytea NOT NULL, leaf_hash bytea NOT NULL, "
            "appended_at timestamp with time zone NOT NULL, "
            f"CONSTRAINT pk_{_OLD} PRIMARY KEY (log, leaf_index))"
        )
        op.execute(
            f"INSERT INTO {_OLD} ({_COLUMNS}) SELECT {_COLUMNS} FROM ledger_entries "  # noqa: S608
            "ORDER BY log, leaf_index"
        )
        op.execute("DROP TABLE ledger_entries CASCADE")
        op.execute(f"ALTER TABLE {_OLD} RENAME TO ledger_entries")
        op.execute(f"ALTER TABLE ledger_entries RENAME CONSTRAINT pk_{_OLD} TO pk_ledger_entries")
        _guard_parent("ledger_entries_guard")
    op.drop_table("ledger_entry_partitions")
