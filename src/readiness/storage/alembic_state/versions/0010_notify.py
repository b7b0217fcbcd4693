"""Notifications: webhooks per project, their deliveries (the outbox the worker claims) and the
keys of events sent once only.

Revision ID: 0010_notify
Revises: 0009_annotations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_notify"
down_revision = "0009_annotations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nt_webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_nt_webhooks_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nt_webhooks")),
    )
    op.create_table(
        "nt_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["nt_webhooks.id"],
            name=op.f("fk_nt_deliveries_webhook_id_nt_webhooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_nt_deliveries_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nt_deliveries")),
    )
    op.create_index(
        "ix_nt_deliveries_status_next_attempt_at",
        "nt_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index("ix_nt_deliveries_webhook_id", "nt_deliveries", ["webhook_id"])
    op.create_table(
        "nt_sent",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_nt_sent")),
    )


def downgrade() -> None:
    op.drop_table("nt_sent")
    op.drop_index("ix_nt_deliveries_webhook_id", table_name="nt_deliveries")
    op.drop_index("ix_nt_deliveries_status_next_attempt_at", table_name="nt_deliveries")
    op.drop_table("nt_deliveries")
    op.drop_table("nt_webhooks")
