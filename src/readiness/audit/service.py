"""The platform's audit service: every feature records its audit events through this module.

A state change and its event are atomic: :func:`record` writes the event to the state
database's outbox on the connection of the change's own transaction, and
:func:`relay_after_commit` moves it into the audit ledger once the transaction committed (see
:mod:`readiness.audit.outbox`). An event with no state change (a read of the trail) is
appended straight away with :func:`append_direct`. :func:`list_events` reads them back.

:func:`verify_chain` checks the old SHA-256 hash chain (``audit_events``) in which the platform
kept its events before revision ``0003_platform_events`` of the audit database moved them into
the ledger; the table stays, read-only, as history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from readiness._common.canonical import canonical_json
from readiness._common.clock import utc
from readiness._common.ids import sha256_hex
from readiness.audit.outbox.event import PlatformEvent
from readiness.audit.outbox.service import (
    append_direct,
    list_events,
    record,
    relay_after_commit,
    relay_pending,
    start_relay_worker,
)
from readiness.audit.tables import audit_events

__all__ = [
    "GENESIS",
    "PlatformEvent",
    "append_direct",
    "event_hash",
    "list_events",
    "record",
    "relay_after_commit",
    "relay_pending",
    "start_relay_worker",
    "verify_chain",
]

GENESIS = "0" * 64


def event_hash(
    prev_hash: str, *, at: datetime, actor: str, action: str, target: str, details: Any
) -> str:
    """The chained hash of one old event: any edit of an earlier event breaks every later hash."""
    body = {
        "prev": prev_hash,
        "at": utc(at).isoformat(),
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
    }
    return sha256_hex(canonical_json(body))


def verify_chain(engine: Engine) -> tuple[bool, int | None]:
    """Recompute every hash of the old chain; (intact, seq of the first broken event or None)."""
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
