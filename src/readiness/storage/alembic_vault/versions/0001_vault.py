"""Vault database: the identity vault, break-glass requests, IP keys and the security log.

Revision ID: 0001_vault
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_vault"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "privacy_subjects",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("subject_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("identity", sa.LargeBinary(), nullable=False),
        sa.Column("data_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_privacy_subjects")),
        sa.UniqueConstraint("subject_index", name=op.f("uq_privacy_subjects_subject_index")),
    )
    op.create_table(
        "privacy_erasures",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_privacy_erasures")),
    )
    op.create_table(
        "privacy_resolve_requests",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approvals_needed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_resolve_requests")),
    )
    op.create_table(
        "privacy_resolve_approvals",
        sa.Column("request_id", _ID, autoincrement=False, nullable=False),
        sa.Column("approver", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "request_id", "approver", name=op.f("pk_privacy_resolve_approvals")
        ),
    )
    op.create_table(
        "privacy_ip_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_privacy_ip_keys")),
    )
    op.create_table(
        "privacy_security_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("ip_hmac", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("actor_id", sa.String(length=256), nullable=True),
        sa.Column("request_id", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_security_log")),
    )
    op.create_index(
        op.f("ix_privacy_security_log_occurred_at"), "privacy_security_log", ["occurred_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_security_log_occurred_at"), table_name="privacy_security_log")
    for table in (
        "privacy_security_log",
        "privacy_ip_keys",
        "privacy_resolve_approvals",
        "privacy_resolve_requests",
        "privacy_erasures",
        "privacy_subjects",
    ):
        op.drop_table(table)
