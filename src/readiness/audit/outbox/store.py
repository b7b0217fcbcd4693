"""The outbox table (state database) and its queries.

``audit_outbox`` holds one row per platform event, inserted in the transaction of the state
change it records. ``entry`` is the event's ledger entry, final at insert time; ``marker`` is
the unique id the entry carries (``request_id``). The relay sets ``attempt_from`` (the ledger's
size just before it appends the row: where to look for the row after a crash) and then
``leaf_index`` (the row is in the ledger). A row with a ``leaf_index`` is never relayed again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness.storage.metadata import state_metadata

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

audit_outbox = sa.Table(
    "audit_outbox",
    state_metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("marker", sa.String(32), nullable=False, unique=True),
    sa.Column("action", sa.String(128), nullable=False),
    sa.Column("entry", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempt_from", sa.BigInteger(), nullable=True),
    sa.Column("leaf_index", sa.BigInteger(), nullable=True),
    sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_audit_outbox_pending", "leaf_index", "id"),
)


@dataclass(frozen=True)
class OutboxRow:
    """A row waiting for the relay."""

    id: int
    marker: str
    entry: bytes
    attempt_from: int | None


def insert(conn: Connection, *, marker: str, action: str, entry: bytes, at: datetime) -> None:
    conn.execute(
        audit_outbox.insert().values(marker=marker, action=action, entry=entry, created_at=at)
    )


def pending(conn: Connection, limit: int) -> list[OutboxRow]:
    """The oldest rows not in the ledger yet."""
    rows = conn.execute(
        sa.select(
            audit_outbox.c.id,
            audit_outbox.c.marker,
            audit_outbox.c.entry,
            audit_outbox.c.attempt_from,
        )
        .where(audit_outbox.c.leaf_index.is_(None))
        .order_by(audit_outbox.c.id)
        .limit(limit)
    )
    return [
        OutboxRow(
            int(r.id),
            str(r.marker),
            bytes(r.entry),
            None if r.attempt_from is None else int(r.attempt_from),
        )
        for r in rows
    ]


def mark_attempt(conn: Connection, ids: Sequence[int], size: int) -> None:
    conn.execute(audit_outbox.update().where(audit_outbox.c.id.in_(ids)).values(attempt_from=size))


def mark_relayed(conn: Connection, placed: Mapping[int, int], at: datetime) -> None:
    """Record each row's leaf index (``{row id: leaf index}``)."""
    if placed:
        conn.execute(
            audit_outbox.update()
            .where(audit_outbox.c.id == sa.bindparam("row_id"))
            .values(leaf_index=sa.bindparam("index"), relayed_at=at),
            [{"row_id": row_id, "index": index} for row_id, index in placed.items()],
        )


def waiting(conn: Connection, *, older_than: datetime) -> tuple[int, datetime | None]:
    """How many rows created before ``older_than`` wait for the relay, and the oldest's time."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.min(audit_outbox.c.created_at)).where(
            audit_outbox.c.leaf_index.is_(None), audit_outbox.c.created_at < older_than
        )
    ).one()
    return int(row[0]), row[1]
