"""The audit outbox: platform audit events written in the transaction of the state change they
record, relayed into the audit ledger exactly once (readiness.audit.outbox).

Revision ID: 0011_audit_outbox
Revises: 0010_notify
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_audit_outbox"
down_revision = "0010_notify"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("marker", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt_from", sa.BigInteger(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
        sa.UniqueConstraint("marker", name=op.f("uq_audit_outbox_marker")),
    )
    op.create_index("ix_audit_outbox_pending", "audit_outbox", ["leaf_index", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_outbox_pending", table_name="audit_outbox")
    op.drop_table("audit_outbox")
