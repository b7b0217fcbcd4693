"""Audit database: the marks of ingested pgaudit records (``readiness audit ingest-pgaudit``).

One row per pgaudit record appended to the trail: its key (SHA-256 of the raw log record and its
occurrence) and the leaf index its event got; what makes re-ingesting a log idempotent.

Revision ID: 0008_ledger_perf
Revises: 0007_capture
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_ledger_perf"
down_revision = "0007_capture"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_pgaudit_marks",
        sa.Column("record_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_key", name=op.f("pk_audit_pgaudit_marks")),
    )


def downgrade() -> None:
    op.drop_table("audit_pgaudit_marks")
