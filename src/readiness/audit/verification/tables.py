"""The verification runs and checkpoint timestamps (audit database, revision 0005)."""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import audit_metadata

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

audit_verification_runs = sa.Table(
    "audit_verification_runs",
    audit_metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("log", sa.String(200), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("checkpoints", sa.Integer(), nullable=False),
    sa.Column("verified", sa.Boolean(), nullable=False),
    sa.Column("errors", sa.JSON(), nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False),
    sa.Index("ix_audit_verification_runs_log_started_at", "log", "started_at"),
)

# One RFC 3161 timestamp token per (checkpoint, TSA): the DER TimeStampToken as returned.
ledger_checkpoint_timestamps = sa.Table(
    "ledger_checkpoint_timestamps",
    audit_metadata,
    sa.Column(
        "checkpoint_id",
        _BIGINT,
        sa.ForeignKey("ledger_checkpoints.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("tsa_url", sa.String(2000), primary_key=True),
    sa.Column("token", sa.LargeBinary(), nullable=False),
    sa.Column("gen_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
