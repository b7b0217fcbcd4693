"""Audit database: the relay's record of captured changes appended to the ledger.

One row per captured change (``source`` names the application database, ``capture_id`` the
row of its ``readiness_audit_capture`` table), claimed before its entry is appended and
confirmed with the leaf index after: a relay that dies in between finds the entry by its leaf
hash on the next run instead of appending it twice.

Revision ID: 0007_capture
Revises: 0005_verification_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_capture"
down_revision = "0005_verification_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_capture_relay",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("capture_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("size_before", sa.BigInteger(), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("source", "capture_id", name=op.f("pk_audit_capture_relay")),
    )


def downgrade() -> None:
    op.drop_table("audit_capture_relay")
