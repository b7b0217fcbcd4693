"""Refused sign-ins per client address, for the dashboard's sign-in lock.

Revision ID: 0008_sign_in_failures
Revises: 0007_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_sign_in_failures"
down_revision = "0007_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rd_sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rd_sign_in_failures")),
    )
    op.create_index(
        "ix_rd_sign_in_failures_address_failed_at",
        "rd_sign_in_failures",
        ["address", "failed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_rd_sign_in_failures_address_failed_at", table_name="rd_sign_in_failures")
    op.drop_table("rd_sign_in_failures")
