"""Repeats of a test run (``--readiness-repeat N``): not CI retries.

A run made with the plugin's ``--readiness-repeat N`` executes each test N times on purpose; its
extra executions are repeats, which must count neither as reruns (suite health's rerun rate)
nor as pass-on-retry evidence. ``repeat`` is N (1 for every other run, and for runs stored
before this revision: their reports were not read for it).

Revision ID: 0005_run_repeat
Revises: 0004_ci_metadata
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_run_repeat"
down_revision = "0004_ci_metadata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("th_runs") as batch:
        batch.add_column(sa.Column("repeat", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("th_runs") as batch:
        batch.drop_column("repeat")
