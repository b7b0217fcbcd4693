"""Contract coverage per provider (readiness.contracts.pact): a provider's stored OpenAPI document
and declared message types, so the dashboard shows what no consumer contract exercises.

Revision ID: 0019_provider_interfaces
Revises: 0018_schema_refs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_provider_interfaces"
down_revision = "0018_schema_refs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pb_provider_interfaces",
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("openapi", sa.Text(), nullable=False),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_provider_interfaces_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project", "provider", name=op.f("pk_pb_provider_interfaces")),
    )


def downgrade() -> None:
    op.drop_table("pb_provider_interfaces")
