"""Gate history: every gate evaluation of a project (``readiness.gate.store``).

Revision ID: 0006_gate_runs
Revises: 0005_run_repeat
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_gate_runs"
down_revision = "0005_run_repeat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gate_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("gate", sa.String(length=20), nullable=False),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("base_sha", sa.String(length=64), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_gate_runs_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_runs")),
    )
    op.create_index("ix_gate_runs_project_at", "gate_runs", ["project", "at"])


def downgrade() -> None:
    op.drop_index("ix_gate_runs_project_at", table_name="gate_runs")
    op.drop_table("gate_runs")
