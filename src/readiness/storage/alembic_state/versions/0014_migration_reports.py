"""Stored migration lint reports: each ``migrations lint`` result of a project
(``readiness.migrations.reports``), written by the merge gate and ``migrations lint --record``.

Revision ID: 0014_migration_reports
Revises: 0013_pact
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_migration_reports"
down_revision = "0013_pact"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "migration_reports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("fail_on", sa.String(length=10), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_migration_reports_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_reports")),
    )
    op.create_index("ix_migration_reports_project_at", "migration_reports", ["project", "at"])


def downgrade() -> None:
    op.drop_index("ix_migration_reports_project_at", table_name="migration_reports")
    op.drop_table("migration_reports")
