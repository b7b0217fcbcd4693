"""State database: test history, quarantine, fix verifications, API tokens.

Revision ID: 0001_state
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_state"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rd_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rd_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_rd_tokens_token_hash")),
    )
    op.create_table(
        "th_fix_verifications",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), server_default="default", nullable=False),
        sa.Column("test_key", sa.String(length=2000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("flake_rate", sa.Float(), nullable=False),
        sa.Column("required_runs", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_fix_verifications")),
    )
    op.create_table(
        "th_quarantine",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), server_default="default", nullable=False),
        sa.Column("test_key", sa.String(length=2000), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("issue", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.Column("remove_reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_quarantine")),
    )
    op.create_index(
        "ix_th_quarantine_project_test", "th_quarantine", ["project", "test_key"], unique=False
    )
    op.create_table(
        "th_quarantine_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), server_default="default", nullable=False),
        sa.Column("test_key", sa.String(length=2000), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_quarantine_events")),
    )
    op.create_table(
        "th_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), server_default="default", nullable=False),
        sa.Column("run_key", sa.String(length=64), nullable=False),
        sa.Column("ci_run_id", sa.String(length=200), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column("job", sa.String(length=200), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("tree_sha", sa.String(length=64), nullable=True),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("source_digest", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("reruns", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("infra_failure", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_runs")),
        sa.UniqueConstraint("project", "run_key", name=op.f("uq_th_runs_project_run_key")),
    )
    op.create_index(
        "ix_th_runs_project_branch_started",
        "th_runs",
        ["project", "branch", "started_at"],
        unique=False,
    )
    op.create_index("ix_th_runs_project_commit", "th_runs", ["project", "commit_sha"], unique=False)
    op.create_table(
        "th_tests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("project", sa.String(length=200), server_default="default", nullable=False),
        sa.Column("test_key", sa.String(length=2000), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_commit", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_tests")),
        sa.UniqueConstraint("project", "test_key", name=op.f("uq_th_tests_project_test_key")),
    )
    op.create_table(
        "th_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("test_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("outcome", sa.SmallInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("failure_kind", sa.String(length=20), nullable=True),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("fingerprint", sa.String(length=16), nullable=True),
        sa.Column("quarantined", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["th_runs.id"],
            name=op.f("fk_th_results_run_id_th_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["th_tests.id"],
            name=op.f("fk_th_results_test_id_th_tests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_th_results")),
    )
    op.create_index("ix_th_results_run", "th_results", ["run_id"], unique=False)
    op.create_index("ix_th_results_test_run", "th_results", ["test_id", "run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_th_results_test_run", table_name="th_results")
    op.drop_index("ix_th_results_run", table_name="th_results")
    op.drop_table("th_results")
    op.drop_table("th_tests")
    op.drop_index("ix_th_runs_project_commit", table_name="th_runs")
    op.drop_index("ix_th_runs_project_branch_started", table_name="th_runs")
    op.drop_table("th_runs")
    op.drop_table("th_quarantine_events")
    op.drop_index("ix_th_quarantine_project_test", table_name="th_quarantine")
    op.drop_table("th_quarantine")
    op.drop_table("th_fix_verifications")
    op.drop_table("rd_tokens")
