"""Audit database: the platform's own events move from the old hash chain into the ledger.

1. The old chain (``audit_events``) is verified first; a broken chain refuses the migration
   (nothing changes) with the event where it breaks.
2. Each old event, oldest first, becomes a platform event entry of the audit log (the log named
   by ``audit.origin``), with its Merkle nodes built by ``CompactRange`` exactly as the
   sequencer builds them; ``request_id`` is ``audit_events:<seq>`` and ``after`` keeps the old
   details and the old event's hash.
3. The migration itself is recorded as the event ``audit.migration.ledger`` after them.
   Nothing is recorded when the old chain is empty (a new installation).
4. ``audit_events`` stays, read-only (the database refuses INSERT, UPDATE and DELETE), so that
   ``readiness audit verify-chain`` still checks that history.
5. On PostgreSQL, UPDATE, DELETE and TRUNCATE of the ledger's tables and of ``audit_events``
   are revoked from PUBLIC (docs/audit-platform-events.md says what an operator whose
   application connects as the tables' owner must do).

Downgrading drops the read-only triggers; the moved entries stay in the ledger (it is
append-only).

Revision ID: 0003_platform_events
Revises: 0002_ledger
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from readiness._common.canonical import canonical_json
from readiness._common.clock import utc
from readiness._common.words import plural
from readiness.audit.outbox.event import platform_entry, platform_event, pseudonym
from readiness.errors import StorageError
from readiness.ledger.core.compact import CompactRange
from readiness.ledger.core.merkle import root_hash, root_plan
from readiness.ledger.sequencer import advisory_key

revision = "0003_platform_events"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
LEDGER_TABLES = ("ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_cosignatures")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")

_old = sa.table(
    "audit_events",
    sa.column("seq", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_entries = sa.table(
    "ledger_entries",
    sa.column("log", sa.String()),
    sa.column("leaf_index", sa.BigInteger()),
    sa.column("entry", sa.LargeBinary()),
    sa.column("leaf_hash", sa.LargeBinary()),
    sa.column("appended_at", sa.DateTime(timezone=True)),
)
_nodes = sa.table(
    "ledger_nodes",
    sa.column("log", sa.String()),
    sa.column("level", sa.SmallInteger()),
    sa.column("node_index", sa.BigInteger()),
    sa.column("hash", sa.LargeBinary()),
)


def _chain_hash(prev: str, row: Any) -> str:
    # The old chain's hash (readiness.audit.service.event_hash), frozen here with the data.
    body = {
        "prev": prev,
        "at": utc(row.at).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "details": row.details,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _target(target: str) -> tuple[str, str]:
    """``token:5`` is (token, 5); a test id is (test, the id); anything else is (object, it)."""
    kind, sep, ident = target.partition(":")
    if sep and ident and kind and set(kind) <= _NAME_CHARS:
        return kind, ident if ident != "-" else "none"
    return ("test" if "::" in target else "object"), target


def _old_events(conn: sa.Connection) -> list[Any]:
    rows = list(conn.execute(sa.select(_old).order_by(_old.c.seq)).all())
    prev = GENESIS
    for row in rows:
        if row.prev_hash != prev or row.hash != _chain_hash(prev, row):
            raise StorageError(
                f"the old audit chain (audit_events) breaks at event {row.seq}: it was altered "
                "after it was written, and the migration to the ledger refuses to carry an "
                "altered history into it; nothing was changed. `readiness audit verify-chain` "
                "shows the break; restore the audit database from a backup taken before it"
            )
        prev = row.hash
    return rows


def _entry(row: Any) -> bytes:
    target_type, target_id = _target(row.target)
    details = dict(row.details or {})
    return platform_entry(
        platform_event(
            actor=row.actor,
            action=row.action,
            target_type=target_type,
            target_id=target_id,
            details={**details, "chain_hash": row.hash},
            at=row.at,
            request_id=f"audit_events:{row.seq}",
            result="failure" if row.action.endswith("_failed") else "success",
        )
    )


def _append(conn: sa.Connection, origin: str, entries: list[bytes], at: datetime) -> int:
    """Append ``entries`` to log ``origin`` as the sequencer does; the first index."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(origin)})
    last = conn.execute(
        sa.select(sa.func.max(_entries.c.leaf_index)).where(_entries.c.log == origin)
    ).scalar()
    size = 0 if last is None else int(last) + 1
    plan = root_plan(size)
    found: dict[tuple[int, int], bytes] = {}
    for level, index in plan:
        if level < 4:  # levels 1-3 are not stored since the sequencer's MIN_STORED_LEVEL
            leaves = [
                bytes(leaf)
                for leaf in conn.execute(
                    sa.select(_entries.c.leaf_hash)
                    .where(
                        _entries.c.log == origin,
                        _entries.c.leaf_index >= index << level,
                        _entries.c.leaf_index < (index + 1) << level,
                    )
                    .order_by(_entries.c.leaf_index)
                ).scalars()
            ]
            if len(leaves) != 1 << level:
                raise StorageError(f"log {origin!r}: leaves under node ({level}, {index}) missing")
            value = root_hash(leaves)
        else:
            value = conn.execute(
                sa.select(_nodes.c.hash).where(
                    _nodes.c.log == origin, _nodes.c.level == level, _nodes.c.node_index == index
                )
            ).scalar_one()
        found[(level, index)] = bytes(value)
    tree = CompactRange(size, [found[node] for node in plan])
    leaves = [hashlib.sha256(b"\x00" + entry).digest() for entry in entries]
    nodes = [(lv, i, value) for (lv, i), value in tree.extend(leaves) if lv]
    conn.execute(
        _entries.insert(),
        [
            {"log": origin, "leaf_index": size + n, "entry": e, "leaf_hash": h, "appended_at": at}
            for n, (e, h) in enumerate(zip(entries, leaves, strict=True))
        ],
    )
    if nodes:
        conn.execute(
            _nodes.insert(),
            [{"log": origin, "level": lv, "node_index": i, "hash": v} for lv, i, v in nodes],
        )
    return size


def _move_old_events(conn: sa.Connection) -> None:
    rows = _old_events(conn)
    if not rows:
        return
    origin = context.config.attributes.get("audit_origin")
    if not origin:
        raise StorageError(
            f"the audit database holds {plural(len(rows), 'event')} of the old chain to move into "
            "the audit log, but the log's name is not known here; run `readiness db upgrade` in "
            "the project (it takes the name from audit.origin)"
        )
    at = datetime.now(UTC)
    entries = [_entry(row) for row in rows]
    first = _append(conn, origin, entries, at)
    note = platform_event(
        actor="readiness",
        actor_type="service",
        action="audit.migration.ledger",
        target_type="audit_log",
        target_id=pseudonym(origin),
        details={
            "revision": revision,
            "from": "audit_events",
            "events": len(rows),
            "first_index": first,
            "last_chain_hash": rows[-1].hash,
        },
        at=at,
        request_id=f"migration:{revision}",
    )
    _append(conn, origin, [platform_entry(note)], at)


def upgrade() -> None:
    conn = op.get_bind()
    _move_old_events(conn)
    if conn.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_read_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_events is read-only: the platform''s events are in "
            "the ledger since revision 0003_platform_events' "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_read_only BEFORE INSERT OR UPDATE OR DELETE "
            "ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_read_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_read_only()"
        )
        for table in (*LEDGER_TABLES, "audit_events"):
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")
    else:
        for verb in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, 'audit_events is read-only: the platform''s events "
                "are in the ledger since revision 0003_platform_events'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_read_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_read_only()")
    else:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER audit_events_no_{verb}")
