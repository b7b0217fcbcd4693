"""Tables of the identity vault and the security log (the vault database, ``vault_url``).

Nothing here is in the audit database: the audit trail holds pseudonyms, HMACs and sealed
envelopes only. Identities and keys are stored encrypted under the vault key (a file apart from
the ledger's key), so a copy of this database without that file names no one.
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import vault_metadata

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

subjects = sa.Table(
    "privacy_subjects",
    vault_metadata,
    sa.Column("pseudonym", sa.String(64), primary_key=True),
    # HMAC of the normalised subject under the vault's index key: found by subject, not readable.
    sa.Column("subject_index", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("identity", sa.LargeBinary(), nullable=False),  # AES-256-GCM, wrap key
    sa.Column("data_key", sa.LargeBinary(), nullable=False),  # the subject's key, wrapped
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

erasures = sa.Table(
    "privacy_erasures",
    vault_metadata,
    sa.Column("pseudonym", sa.String(64), primary_key=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
)

resolve_requests = sa.Table(
    "privacy_resolve_requests",
    vault_metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("pseudonym", sa.String(64), nullable=False),
    sa.Column("justification", sa.Text(), nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),  # the requester's pseudonym
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approvals_needed", sa.Integer(), nullable=False),
)

resolve_approvals = sa.Table(
    "privacy_resolve_approvals",
    vault_metadata,
    sa.Column("request_id", _ID, primary_key=True, autoincrement=False),
    sa.Column("approver", sa.String(64), primary_key=True),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
)

ip_keys = sa.Table(
    "privacy_ip_keys",
    vault_metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("key", sa.LargeBinary(), nullable=False),  # wrapped
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

security_log = sa.Table(
    "privacy_security_log",
    vault_metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("ip", sa.String(64), nullable=False),
    sa.Column("ip_hmac", sa.String(200), nullable=False),
    sa.Column("action", sa.String(128), nullable=False),
    sa.Column("actor_id", sa.String(256), nullable=True),
    sa.Column("request_id", sa.String(256), nullable=True),
)
