"""The event-schema registry (readiness.contracts.schemas): schemas with global, stable ids,
subjects' versions, and per-subject and global compatibility settings, each in a project.

Revision ID: 0012_schema_registry
Revises: 0011_audit_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_schema_registry"
down_revision = "0011_audit_outbox"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "registry_schemas",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("schema_type", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("schema_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_schemas")),
        sa.UniqueConstraint(
            "project",
            "schema_type",
            "fingerprint",
            name=op.f("uq_registry_schemas_project_schema_type_fingerprint"),
        ),
    )
    op.create_table(
        "registry_versions",
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("project", "subject", "version", name=op.f("pk_registry_versions")),
        sa.UniqueConstraint(
            "project",
            "subject",
            "schema_id",
            name=op.f("uq_registry_versions_project_subject_schema_id"),
        ),
    )
    op.create_table(
        "registry_config",
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("compatibility", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project", "subject", name=op.f("pk_registry_config")),
    )


def downgrade() -> None:
    op.drop_table("registry_config")
    op.drop_table("registry_versions")
    op.drop_table("registry_schemas")
