"""Record and read audit events. Every feature writes its audit events through this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from readiness._common.canonical import canonical_json, to_jsonable
from readiness._common.clock import Clock, utc
from readiness._common.ids import sha256_hex
from readiness.audit.tables import audit_events

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def event_hash(
    prev_hash: str, *, at: datetime, actor: str, action: str, target: str, details: Any
) -> str:
    """The chained hash of one event: any edit of an earlier event breaks every later hash."""
    body = {
        "prev": prev_hash,
        "at": utc(at).isoformat(),
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
    }
    return sha256_hex(canonical_json(body))


def _append(
    conn: Connection, *, at: datetime, actor: str, action: str, target: str, details: Any
) -> str:
    if conn.dialect.name == "postgresql":
        # One writer at a time keeps the chain linear.
        conn.execute(sa.text("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE"))
    last = conn.execute(
        sa.select(audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
    ).scalar()
    prev = last or GENESIS
    digest = event_hash(prev, at=at, actor=actor, action=action, target=target, details=details)
    conn.execute(
        audit_events.insert().values(
            at=at,
            actor=actor,
            action=action,
            target=target,
            details=details,
            prev_hash=prev,
            hash=digest,
        )
    )
    return digest


def record_event(
    engine: Engine,
    *,
    clock: Clock,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any] | None = None,
) -> str:
    """Append one event to the audit chain and return its hash."""
    payload = to_jsonable(details or {})
    with engine.begin() as conn:
        return _append(
            conn, at=clock.now(), actor=actor, action=action, target=target, details=payload
        )


def list_events(
    engine: Engine, *, limit: int = 100, action_prefix: str | None = None
) -> list[AuditEvent]:
    """The newest events first."""
    query = sa.select(audit_events).order_by(audit_events.c.seq.desc()).limit(limit)
    if action_prefix:
        query = query.where(audit_events.c.action.startswith(action_prefix))
    with engine.connect() as conn:
        return [
            AuditEvent(
                seq=row.seq,
                at=utc(row.at),
                actor=row.actor,
                action=row.action,
                target=row.target,
                details=dict(row.details),
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
            for row in conn.execute(query)
        ]


def verify_chain(engine: Engine) -> tuple[bool, int | None]:
    """Recompute every hash; return (intact, seq of the first broken event or None)."""
    prev = GENESIS
    with engine.connect() as conn:
        for row in conn.execute(sa.select(audit_events).order_by(audit_events.c.seq)):
            expected = event_hash(
                prev,
                at=row.at,
                actor=row.actor,
                action=row.action,
                target=row.target,
                details=row.details,
            )
            if row.prev_hash != prev or row.hash != expected:
                return False, int(row.seq)
            prev = row.hash
    return True, None
