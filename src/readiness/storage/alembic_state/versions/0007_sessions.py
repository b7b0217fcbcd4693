"""Dashboard sessions stored on the server, so that sign-out and an admin can end one.

Cookies issued before this revision name no stored session: their holders sign in again.

Revision ID: 0007_sessions
Revises: 0006_gate_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sessions"
down_revision = "0006_gate_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rd_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=200), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("client", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("address", sa.String(length=64), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["rd_tokens.id"],
            name=op.f("fk_rd_sessions_token_id_rd_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rd_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_rd_sessions_secret_hash")),
    )


def downgrade() -> None:
    op.drop_table("rd_sessions")
