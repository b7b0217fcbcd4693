"""The broker's tables (state database, prefix ``pb_``); every row belongs to a project.

Pact contents are stored once per project by their SHA-256 (``pb_contents``); a pact row links a
consumer version to a provider and a content; verification results point at the content, so one
verification covers every consumer version that published the same content.
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

TZ = sa.DateTime(timezone=True)
NAME = 200

pacticipants = sa.Table(
    "pb_pacticipants",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("name", sa.String(NAME), nullable=False),
    sa.Column("main_branch", sa.String(NAME)),
    sa.Column("created_at", TZ, nullable=False),
    sa.UniqueConstraint("project", "name"),
)

versions = sa.Table(
    "pb_versions",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("pacticipant", sa.String(NAME), nullable=False),
    sa.Column("number", sa.String(NAME), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.UniqueConstraint("project", "pacticipant", "number"),
)

branches = sa.Table(
    "pb_branch_versions",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("pb_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("branch", sa.String(NAME), nullable=False),
    sa.UniqueConstraint("version_id", "branch"),
)

tags = sa.Table(
    "pb_tags",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("pb_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(NAME), nullable=False),
    sa.UniqueConstraint("version_id", "name"),
)

contents = sa.Table(
    "pb_contents",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.UniqueConstraint("project", "sha"),
)

pacts = sa.Table(
    "pb_pacts",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column(
        "consumer_version_id",
        sa.Integer,
        sa.ForeignKey("pb_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("provider", sa.String(NAME), nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.UniqueConstraint("consumer_version_id", "provider"),
    sa.Index("ix_pb_pacts_project_provider", "project", "provider"),
)

verifications = sa.Table(
    "pb_verifications",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("consumer", sa.String(NAME), nullable=False),
    sa.Column("provider", sa.String(NAME), nullable=False),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column(
        "provider_version_id",
        sa.Integer,
        sa.ForeignKey("pb_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Index("ix_pb_verifications_project_provider_sha", "project", "provider", "sha"),
    sa.Index("ix_pb_verifications_project_consumer", "project", "consumer"),
)

environments = sa.Table(
    "pb_environments",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(NAME), nullable=False),
    sa.Column("production", sa.Boolean, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.UniqueConstraint("project", "name"),
)

deployments = sa.Table(
    "pb_deployments",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    project_column(ondelete="CASCADE"),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column(
        "version_id",
        sa.Integer,
        sa.ForeignKey("pb_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("environment", sa.String(NAME), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # deployment | release
    sa.Column("target", sa.String(NAME)),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("ended_at", TZ),
    sa.Index("ix_pb_deployments_project_ended_at", "project", "ended_at"),
)

provider_interfaces = sa.Table(
    "pb_provider_interfaces",
    state_metadata,
    project_column(ondelete="CASCADE"),
    sa.Column("provider", sa.String(NAME), nullable=False),
    sa.Column("openapi", sa.Text, nullable=False),  # the OpenAPI document, JSON
    sa.Column("messages", sa.Text, nullable=False),  # the declared message types, a JSON list
    sa.Column("updated_at", TZ, nullable=False),
    sa.PrimaryKeyConstraint("project", "provider"),
)
