"""Schema-registry governance (readiness.contracts.schemas.store.governance): consumers and
their reader schemas, changelogs registered with versions, processed-version counts and field
presence from sample events (daily aggregates).

Revision ID: 0017_schema_governance
Revises: 0015_log_reports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_schema_governance"
down_revision = "0015_log_reports"
branch_labels = None
depends_on = None


def _key(*extra: sa.Column[object]) -> list[sa.Column[object]]:
    return [
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        *extra,
    ]


def upgrade() -> None:
    op.create_table(
        "registry_consumers",
        *_key(
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("strict", sa.Boolean(), nullable=False),
            sa.Column("fields", sa.Text(), nullable=False),
            sa.Column("reader_schema", sa.Text(), nullable=True),
            sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("registered_by", sa.String(length=200), nullable=False),
        ),
        sa.PrimaryKeyConstraint("project", "subject", "name", name=op.f("pk_registry_consumers")),
    )
    op.create_table(
        "registry_changelogs",
        *_key(
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ),
        sa.PrimaryKeyConstraint(
            "project", "subject", "version", name=op.f("pk_registry_changelogs")
        ),
    )
    op.create_table(
        "registry_processed",
        *_key(
            sa.Column("consumer", sa.String(length=200), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("count", sa.BigInteger(), nullable=False),
        ),
        sa.PrimaryKeyConstraint(
            "project", "subject", "consumer", "version", "day", name=op.f("pk_registry_processed")
        ),
    )
    op.create_table(
        "registry_sample_days",
        *_key(
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("events", sa.BigInteger(), nullable=False),
        ),
        sa.PrimaryKeyConstraint("project", "subject", "day", name=op.f("pk_registry_sample_days")),
    )
    op.create_table(
        "registry_field_presence",
        *_key(
            sa.Column("day", sa.Date(), nullable=False),
            sa.Column("path", sa.String(length=500), nullable=False),
            sa.Column("present", sa.BigInteger(), nullable=False),
        ),
        sa.PrimaryKeyConstraint(
            "project", "subject", "day", "path", name=op.f("pk_registry_field_presence")
        ),
    )


def downgrade() -> None:
    op.drop_table("registry_field_presence")
    op.drop_table("registry_sample_days")
    op.drop_table("registry_processed")
    op.drop_table("registry_changelogs")
    op.drop_table("registry_consumers")
