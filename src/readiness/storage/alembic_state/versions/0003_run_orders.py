"""testhealth: th_run_orders, the execution order of each process of a failing run.

Revision ID: 0003_run_orders
Revises: 0002_projects
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_run_orders"
down_revision = "0002_projects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "th_run_orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(length=1000), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("tests", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["th_runs.id"],
            name=op.f("fk_th_run_orders_run_id_th_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_run_orders")),
    )
    op.create_index("ix_th_run_orders_run", "th_run_orders", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_th_run_orders_run", table_name="th_run_orders")
    op.drop_table("th_run_orders")
