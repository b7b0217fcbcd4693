"""Stored log-lint reports: each ``logs lint`` result of a project
(``readiness.logcheck.reports``), written by the merge gate and ``logs lint --record``.

Revision ID: 0015_log_reports
Revises: 0014_migration_reports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_log_reports"
down_revision = "0014_migration_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_reports",
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
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_log_reports_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_reports")),
    )
    op.create_index("ix_log_reports_project_at", "log_reports", ["project", "at"])


def downgrade() -> None:
    op.drop_index("ix_log_reports_project_at", table_name="log_reports")
    op.drop_table("log_reports")
