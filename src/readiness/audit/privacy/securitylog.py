"""The security log: raw IPs, kept apart from the audit trail and only for a while.

The trail holds ``ip_hmac`` (see :mod:`readiness.audit.privacy.crypto`); the raw address goes
here, with its own database (``audit.privacy.security_log_url``, default: the vault's) and its
own retention (``audit.privacy.security_log_days``, default 30): :func:`purge` deletes what is
older, and the server runs it on its sweep schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from readiness.audit.privacy.crypto import normalise_ip
from readiness.audit.privacy.tables import security_log

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness._common.clock import Clock
    from readiness.audit.privacy.vault import Vault


@dataclass(frozen=True)
class SecurityEntry:
    """One line of the security log."""

    id: int
    occurred_at: datetime
    ip: str
    ip_hmac: str
    action: str
    actor_id: str | None
    request_id: str | None


def record_ip(
    engine: Engine,
    vault: Vault,
    clock: Clock,
    *,
    ip: str,
    action: str,
    actor_id: str | None = None,
    request_id: str | None = None,
) -> str:
    """Keep ``ip`` in the security log; the ``ip_hmac`` the audit event should carry."""
    address = normalise_ip(ip)
    hashed = vault.hash_ip(address)
    with engine.begin() as conn:
        conn.execute(
            security_log.insert().values(
                occurred_at=clock.now(),
                ip=address,
                ip_hmac=hashed,
                action=action,
                actor_id=actor_id,
                request_id=request_id,
            )
        )
    return hashed


def entries(engine: Engine, *, ip_hmac: str | None = None, limit: int = 100) -> list[SecurityEntry]:
    """The newest lines first, optionally only those of one ``ip_hmac``."""
    query = sa.select(security_log).order_by(security_log.c.id.desc()).limit(limit)
    if ip_hmac is not None:
        query = query.where(security_log.c.ip_hmac == ip_hmac)
    with engine.connect() as conn:
        return [SecurityEntry(**row._mapping) for row in conn.execute(query)]


def purge(engine: Engine, clock: Clock, days: int) -> int:
    """Delete every line older than ``days`` days; how many were deleted."""
    cutoff = clock.now() - timedelta(days=days)
    with engine.begin() as conn:
        result = conn.execute(security_log.delete().where(security_log.c.occurred_at < cutoff))
    return int(result.rowcount or 0)
