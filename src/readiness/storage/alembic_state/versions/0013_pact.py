"""The Pact broker: pacticipants, versions, branches, tags, pact contents by hash, pacts,
verification results, environments and deployments/releases; every row belongs to a project.

Revision ID: 0013_pact
Revises: 0012_schema_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_pact"
down_revision = "0012_schema_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pb_contents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_contents_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_contents")),
        sa.UniqueConstraint("project", "sha", name=op.f("uq_pb_contents_project_sha")),
    )
    op.create_table(
        "pb_environments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_environments_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_environments")),
        sa.UniqueConstraint("project", "name", name=op.f("uq_pb_environments_project_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_pb_environments_uuid")),
    )
    op.create_table(
        "pb_pacticipants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("main_branch", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_pacticipants_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_pacticipants")),
        sa.UniqueConstraint("project", "name", name=op.f("uq_pb_pacticipants_project_name")),
    )
    op.create_table(
        "pb_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("pacticipant", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_versions_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_versions")),
        sa.UniqueConstraint(
            "project",
            "pacticipant",
            "number",
            name=op.f("uq_pb_versions_project_pacticipant_number"),
        ),
    )
    op.create_table(
        "pb_branch_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("branch", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_branch_versions_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["pb_versions.id"],
            name=op.f("fk_pb_branch_versions_version_id_pb_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_branch_versions")),
        sa.UniqueConstraint(
            "version_id", "branch", name=op.f("uq_pb_branch_versions_version_id_branch")
        ),
    )
    op.create_table(
        "pb_deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_deployments_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["pb_versions.id"],
            name=op.f("fk_pb_deployments_version_id_pb_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_deployments")),
        sa.UniqueConstraint("uuid", name=op.f("uq_pb_deployments_uuid")),
    )
    op.create_table(
        "pb_pacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_version_id"],
            ["pb_versions.id"],
            name=op.f("fk_pb_pacts_consumer_version_id_pb_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_pacts_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_pacts")),
        sa.UniqueConstraint(
            "consumer_version_id", "provider", name=op.f("uq_pb_pacts_consumer_version_id_provider")
        ),
    )
    op.create_table(
        "pb_tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_tags_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["pb_versions.id"],
            name=op.f("fk_pb_tags_version_id_pb_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_tags")),
        sa.UniqueConstraint("version_id", "name", name=op.f("uq_pb_tags_version_id_name")),
    )
    op.create_table(
        "pb_verifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("provider_version_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_pb_verifications_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_version_id"],
            ["pb_versions.id"],
            name=op.f("fk_pb_verifications_provider_version_id_pb_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pb_verifications")),
    )
    op.create_index(
        "ix_pb_verifications_project_provider_sha",
        "pb_verifications",
        ["project", "provider", "sha"],
        unique=False,
    )
    op.create_index(
        "ix_pb_verifications_project_consumer", "pb_verifications", ["project", "consumer"]
    )
    op.create_index("ix_pb_pacts_project_provider", "pb_pacts", ["project", "provider"])
    op.create_index("ix_pb_deployments_project_ended_at", "pb_deployments", ["project", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_pb_deployments_project_ended_at", table_name="pb_deployments")
    op.drop_index("ix_pb_pacts_project_provider", table_name="pb_pacts")
    op.drop_index("ix_pb_verifications_project_consumer", table_name="pb_verifications")
    op.drop_index("ix_pb_verifications_project_provider_sha", table_name="pb_verifications")
    op.drop_table("pb_verifications")
    op.drop_table("pb_tags")
    op.drop_table("pb_pacts")
    op.drop_table("pb_deployments")
    op.drop_table("pb_branch_versions")
    op.drop_table("pb_versions")
    op.drop_table("pb_pacticipants")
    op.drop_table("pb_environments")
    op.drop_table("pb_contents")
