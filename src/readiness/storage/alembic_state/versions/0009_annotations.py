"""Who owns a test and which issue tracks it, held by the server (``th_test_annotations``).

One row per test of a project: the dashboard, the API and ``readiness tests owner|link`` set
it; every change is also an audit event.

Revision ID: 0009_annotations
Revises: 0008_sign_in_failures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_annotations"
down_revision = "0008_sign_in_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "th_test_annotations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("test_key", sa.String(length=2000), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("issue", sa.String(length=1000), nullable=True),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_th_test_annotations_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_test_annotations")),
        sa.UniqueConstraint(
            "project", "test_key", name=op.f("uq_th_test_annotations_project_test_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("th_test_annotations")
