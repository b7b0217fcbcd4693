"""Audit database: the query index of the application trail (derived from ``ledger_entries``).

One row per ledger leaf with the event fields searches filter on, indexed for actor, target and
action over time. On PostgreSQL the table is range-partitioned by month on ``occurred_at``: a
default partition is created here, the month partitions on demand by the indexer. The index is
derived data: ``readiness audit reindex`` rebuilds it from the ledger, and ``verify`` never
reads it.

Revision ID: 0004_audit_index
Revises: 0003_platform_events
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_index"
down_revision = "0003_platform_events"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_audit_index_actor_time": ["log", "actor_id", "occurred_at", "leaf_index"],
    "ix_audit_index_target_time": ["log", "target_type", "target_id", "occurred_at", "leaf_index"],
    "ix_audit_index_action_time": ["log", "action", "occurred_at", "leaf_index"],
    "ix_audit_index_time": ["log", "occurred_at", "leaf_index"],
}


def upgrade() -> None:
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("log", sa.String(length=200), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=256), nullable=False),
        sa.Column("actor_type", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("target_type", sa.String(length=128), nullable=False),
        sa.Column("target_id", sa.String(length=256), nullable=False),
        sa.Column("result", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=256), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("log", "leaf_index", "occurred_at", name=op.f("pk_audit_index")),
    ]
    if op.get_bind().dialect.name == "postgresql":
        op.create_table("audit_index", *columns, postgresql_partition_by="RANGE (occurred_at)")
        op.execute("CREATE TABLE audit_index_default PARTITION OF audit_index DEFAULT")
    else:
        op.create_table("audit_index", *columns)
    for name, names in INDEXES.items():
        op.create_index(name, "audit_index", names)
    op.create_table(
        "audit_index_state",
        sa.Column("log", sa.String(length=200), nullable=False),
        sa.Column("indexed_size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("log", name=op.f("pk_audit_index_state")),
    )


def downgrade() -> None:
    op.drop_table("audit_index_state")
    op.drop_table("audit_index")  # on PostgreSQL its partitions go with it
