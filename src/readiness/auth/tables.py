"""The token tables (state database). Tokens are stored as SHA-256 digests, never in clear.

A token with ``all_projects`` may act on every project; otherwise only on the projects listed
for it in ``rd_token_projects`` (none left after those projects are deleted: it may act on none).
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

TZ = sa.DateTime(timezone=True)

api_tokens = sa.Table(
    "rd_tokens",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("expires_at", TZ),
    sa.Column("revoked_at", TZ),
    sa.Column("last_used_at", TZ),
    sa.Column("all_projects", sa.Boolean, nullable=False, server_default=sa.true()),
)

token_projects = sa.Table(
    "rd_token_projects",
    state_metadata,
    sa.Column("token_id", sa.Integer, sa.ForeignKey("rd_tokens.id", ondelete="CASCADE")),
    project_column(ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("token_id", "project"),
)

# Dashboard sessions, so that sign-out and an admin can end one on the server: the cookie
# carries a secret whose SHA-256 is ``secret_hash``; a row with ``ended_at`` set is over.
sessions = sa.Table(
    "rd_sessions",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "token_id", sa.Integer, sa.ForeignKey("rd_tokens.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("expires_at", TZ, nullable=False),
    sa.Column("last_seen_at", TZ, nullable=False),
    sa.Column("ended_at", TZ),
    sa.Column("ended_by", sa.String(200)),
    sa.Column("end_reason", sa.String(20)),
    sa.Column("client", sa.String(200), nullable=False, server_default=""),
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
)

# Refused sign-ins per client address, for the sign-in lock (``server.sign_in_max_failures``
# within ``server.sign_in_lock_minutes``). Rows older than the window are pruned on insert;
# the audit trail keeps every refusal for good.
sign_in_failures = sa.Table(
    "rd_sign_in_failures",
    state_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("failed_at", TZ, nullable=False),
    sa.Index("ix_rd_sign_in_failures_address_failed_at", "address", "failed_at"),
)
