"""Audit database: the archive manifest of retention tiers, and the one change of a ledger
entry the database allows: blanking the body of a leaf a manifest row covers.

``audit_archives`` records every Parquet file ``readiness audit archive`` wrote (see
:mod:`readiness.audit.retention.tables`). The append-only trigger of ``ledger_entries`` is
narrowed: an UPDATE that keeps ``log``, ``leaf_index``, ``leaf_hash`` and ``appended_at`` and
sets ``entry`` to empty bytes passes when an ``audit_archives`` row of that log covers the
leaf; every other UPDATE and every DELETE is still refused. (The leaf hash stays, so the Merkle
tree and every proof are unchanged; ``verify`` checks the body in the Parquet file.)

Revision ID: 0009_retention
Revises: 0008_ledger_perf
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_retention"
down_revision = "0008_ledger_perf"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ARCHIVED = (
    "length(NEW.entry) = 0 AND NEW.log = OLD.log AND NEW.leaf_index = OLD.leaf_index "
    "AND NEW.leaf_hash = OLD.leaf_hash AND NEW.appended_at = OLD.appended_at "
    "AND EXISTS (SELECT 1 FROM audit_archives a WHERE a.log = OLD.log "
    "AND a.first_leaf <= OLD.leaf_index AND OLD.leaf_index <= a.last_leaf)"
)
_SQLITE_REFUSE = (
    "BEGIN SELECT RAISE(ABORT, 'ledger: UPDATE of ledger_entries is refused: the table is "
    "append-only'); END"
)


def upgrade() -> None:
    op.create_table(
        "audit_archives",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("log", sa.String(length=200), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("first_leaf", sa.BigInteger(), nullable=False),
        sa.Column("last_leaf", sa.BigInteger(), nullable=False),
        sa.Column("leaf_ranges", sa.Text(), nullable=False),
        sa.Column("leaves_digest", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_leaf", sa.BigInteger(), nullable=True),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pruned_by", sa.String(length=200), nullable=True),
        sa.Column("prune_event_leaf", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_archives")),
    )
    op.create_index(
        "ix_audit_archives_log_leaf", "audit_archives", ["log", "first_leaf"], unique=True
    )
    op.create_index("ix_audit_archives_log_month", "audit_archives", ["log", "year", "month"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP = 'UPDATE' AND {_ARCHIVED} THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'ledger: % of % is refused: the table is append-only', "
            "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute("DROP TRIGGER ledger_entries_append_only ON ledger_entries")
        op.execute(
            "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entries_guard()"
        )
    else:
        op.execute("DROP TRIGGER ledger_entries_no_update")
        op.execute(
            "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
            f"WHEN NOT ({_ARCHIVED}) {_SQLITE_REFUSE}"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_append_only ON ledger_entries")
        op.execute(
            "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
            "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
        op.execute("DROP FUNCTION ledger_entries_guard()")
    else:
        op.execute("DROP TRIGGER ledger_entries_no_update")
        op.execute(
            "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
            + _SQLITE_REFUSE
        )
    op.drop_index("ix_audit_archives_log_month", table_name="audit_archives")
    op.drop_index("ix_audit_archives_log_leaf", table_name="audit_archives")
    op.drop_table("audit_archives")
