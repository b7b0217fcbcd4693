"""CI metadata of a test run: its pull request, its page and the CI service.

Revision ID: 0004_ci_metadata
Revises: 0003_run_orders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_ci_metadata"
down_revision = "0003_run_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("th_runs") as batch:
        batch.add_column(sa.Column("pr", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("url", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("provider", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("th_runs") as batch:
        batch.drop_column("provider")
        batch.drop_column("url")
        batch.drop_column("pr")
