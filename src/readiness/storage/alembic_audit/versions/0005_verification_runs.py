"""Audit database: verification runs of the trail and RFC 3161 timestamps of checkpoints.

Revision ID: 0005_verification_runs
Revises: 0004_audit_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_verification_runs"
down_revision = "0004_audit_index"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_verification_runs",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("log", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoints", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verification_runs")),
    )
    op.create_index(
        "ix_audit_verification_runs_log_started_at",
        "audit_verification_runs",
        ["log", "started_at"],
    )
    op.create_table(
        "ledger_checkpoint_timestamps",
        sa.Column("checkpoint_id", _BIGINT, autoincrement=False, nullable=False),
        sa.Column("tsa_url", sa.String(length=2000), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("gen_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_checkpoint_timestamps_checkpoint_id_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint(
            "checkpoint_id", "tsa_url", name=op.f("pk_ledger_checkpoint_timestamps")
        ),
    )


def downgrade() -> None:
    op.drop_table("ledger_checkpoint_timestamps")
    op.drop_index("ix_audit_verification_runs_log_started_at", "audit_verification_runs")
    op.drop_table("audit_verification_runs")
