"""Schema registry deletes and references (readiness.contracts.schemas): a version may be soft
deleted (``deleted_at``) and registered again as a new version (the one-schema-per-subject
constraint goes), and a schema may reference other subjects' versions by name.

Revision ID: 0018_schema_refs
Revises: 0017_schema_governance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_schema_refs"
down_revision = "0017_schema_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_versions") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint("uq_registry_versions_project_subject_schema_id", type_="unique")
    op.create_table(
        "registry_references",
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("schema_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "project", "schema_id", "position", name=op.f("pk_registry_references")
        ),
    )
    op.create_index(
        op.f("ix_registry_references_project_subject_version"),
        "registry_references",
        ["project", "subject", "version"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_registry_references_project_subject_version"), table_name="registry_references"
    )
    op.drop_table("registry_references")
    with op.batch_alter_table("registry_versions") as batch:
        batch.create_unique_constraint(
            "uq_registry_versions_project_subject_schema_id", ["project", "subject", "schema_id"]
        )
        batch.drop_column("deleted_at")
