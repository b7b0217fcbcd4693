"""The old hash chain of platform events (audit database): read-only since revision
``0003_platform_events`` moved its events into the ledger."""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import audit_metadata

audit_events = sa.Table(
    "audit_events",
    audit_metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("target", sa.String(2000), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
