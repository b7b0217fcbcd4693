"""The archive manifest (audit database, revision ``0009_retention``).

``audit_archives`` holds one row per Parquet file an archive wrote: the month, the file's path
and SHA-256, the leaves it holds (half-open ranges, JSON), the SHA-256 over their leaf hashes
in index order, and its state:

- ``written``: the file is durable and recorded; the hot rows are still there (a crash
  between the two steps; the next archive finishes it);
- ``archived``: the event bodies left the hot tables (``ledger_entries.entry`` is empty, the
  leaf hash stays: the Merkle tree never changes) and the index rows were dropped;
- ``pruned``: the retention policy expired and the file was deleted: the leaf hashes keep every
  proof valid, the bodies are gone by policy (``pruned_at``, ``pruned_by``).

The database allows blanking a ledger entry's body only for a leaf a manifest row covers
(revision ``0009_retention`` narrows the append-only trigger to exactly that change).
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.ledger.store import LOG_LENGTH
from readiness.storage.metadata import audit_metadata

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

audit_archives = sa.Table(
    "audit_archives",
    audit_metadata,
    sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
    sa.Column("log", sa.String(LOG_LENGTH), nullable=False),
    sa.Column("year", sa.SmallInteger(), nullable=False),
    sa.Column("month", sa.SmallInteger(), nullable=False),
    sa.Column("path", sa.Text(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("rows", sa.BigInteger(), nullable=False),
    sa.Column("first_leaf", sa.BigInteger(), nullable=False),
    sa.Column("last_leaf", sa.BigInteger(), nullable=False),
    sa.Column("leaf_ranges", sa.Text(), nullable=False),
    sa.Column("leaves_digest", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_leaf", sa.BigInteger(), nullable=True),
    sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("pruned_by", sa.String(200), nullable=True),
    sa.Column("prune_event_leaf", sa.BigInteger(), nullable=True),
    sa.Index("ix_audit_archives_log_leaf", "log", "first_leaf", unique=True),
    sa.Index("ix_audit_archives_log_month", "log", "year", "month"),
)

WRITTEN, ARCHIVED, PRUNED = "written", "archived", "pruned"
