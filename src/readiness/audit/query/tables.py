"""The query index of the application trail (audit database, revision ``0004_audit_index``).

``audit_index`` holds one row per ledger leaf with the event fields searches filter on; it is
derived data, rebuilt from ``ledger_entries`` at will and never trusted by ``verify``. On
PostgreSQL it is range-partitioned by month on ``occurred_at`` (a default partition, and one
partition per month created on demand), so that retention can archive whole months. Its primary
key holds ``occurred_at`` because a partitioned table's unique keys must hold the partition key;
a leaf has one ``occurred_at``, so ``(log, leaf_index)`` is still unique.

``audit_index_state`` keeps, per log, how far the index is known to be complete: every leaf
below ``indexed_size`` has its row. Leaves past it may have rows too (appended and indexed by
another writer out of order); catching up inserts what is missing and skips what is there.
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.ledger.store import LOG_LENGTH
from readiness.storage.metadata import audit_metadata

ID_LENGTH = 256
NAME_LENGTH = 128

audit_index = sa.Table(
    "audit_index",
    audit_metadata,
    sa.Column("log", sa.String(LOG_LENGTH), primary_key=True),
    sa.Column("leaf_index", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("actor_id", sa.String(ID_LENGTH), nullable=False),
    sa.Column("actor_type", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("action", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("target_type", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("target_id", sa.String(ID_LENGTH), nullable=False),
    sa.Column("result", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("tenant", sa.String(ID_LENGTH), nullable=True),
    sa.Column("source", sa.String(NAME_LENGTH), nullable=True),
    sa.Index("ix_audit_index_actor_time", "log", "actor_id", "occurred_at", "leaf_index"),
    sa.Index(
        "ix_audit_index_target_time",
        "log",
        "target_type",
        "target_id",
        "occurred_at",
        "leaf_index",
    ),
    sa.Index("ix_audit_index_action_time", "log", "action", "occurred_at", "leaf_index"),
    sa.Index("ix_audit_index_time", "log", "occurred_at", "leaf_index"),
)

audit_index_state = sa.Table(
    "audit_index_state",
    audit_metadata,
    sa.Column("log", sa.String(LOG_LENGTH), primary_key=True),
    sa.Column("indexed_size", sa.BigInteger(), nullable=False),
)
