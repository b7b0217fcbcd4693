"""What the dashboard's privacy page shows: the vault's state in counts and key ids, never an
identity; the resolution requests waiting for a second approver; the IP key's age; the security
log's retention and when its next purge deletes something."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from readiness._common.clock import utc
from readiness.audit.privacy.tables import (
    erasures,
    ip_keys,
    resolve_approvals,
    resolve_requests,
    security_log,
    subjects,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness.config import PrivacySettings


@dataclass(frozen=True)
class PendingRequest:
    """A break-glass resolution request that still needs approvals (pseudonyms only)."""

    id: int
    pseudonym: str
    requested_by: str
    justification: str
    requested_at: datetime
    expires_at: datetime
    approvals: int  # by principals other than the requester
    approvals_needed: int  # principals who must agree, the requester included


@dataclass(frozen=True)
class PrivacyOverview:
    subjects: int
    erased: int
    vault_key_id: str
    ip_key_id: str | None
    ip_key_created_at: datetime | None
    pending: list[PendingRequest]
    security_log_lines: int
    security_log_oldest: datetime | None
    security_log_days: int

    @property
    def next_purge_due(self) -> datetime | None:
        """When the oldest raw IP falls out of the retention (None: the log is empty)."""
        if self.security_log_oldest is None:
            return None
        return self.security_log_oldest + timedelta(days=self.security_log_days)


def pending_requests(vault: Engine, now: datetime) -> list[PendingRequest]:
    """Live requests (not expired) with fewer approvals than they need, oldest first."""
    count = (
        sa.select(sa.func.count())
        .select_from(resolve_approvals)
        .where(resolve_approvals.c.request_id == resolve_requests.c.id)
        .scalar_subquery()
    )
    query = (
        sa.select(resolve_requests, count.label("approvals"))
        .where(resolve_requests.c.expires_at > now)
        .order_by(resolve_requests.c.id)
    )
    with vault.connect() as conn:
        rows = conn.execute(query).all()
    return [
        PendingRequest(
            id=int(r.id),
            pseudonym=str(r.pseudonym),
            requested_by=str(r.requested_by),
            justification=str(r.justification),
            requested_at=utc(r.requested_at),
            expires_at=utc(r.expires_at),
            approvals=int(r.approvals),
            approvals_needed=int(r.approvals_needed),
        )
        for r in rows
        if int(r.approvals) + 1 < int(r.approvals_needed)
    ]


def read_overview(
    vault: Engine, log: Engine, *, vault_key_id: str, settings: PrivacySettings, now: datetime
) -> PrivacyOverview:
    """The page's facts from the vault database and the security log's."""
    with vault.connect() as conn:
        count = conn.scalar(sa.select(sa.func.count()).select_from(subjects))
        erased = conn.scalar(sa.select(sa.func.count()).select_from(erasures))
        key = conn.execute(
            sa.select(ip_keys.c.key_id, ip_keys.c.created_at).order_by(ip_keys.c.created_at.desc())
        ).first()
    with log.connect() as conn:
        lines, oldest = conn.execute(
            sa.select(sa.func.count(), sa.func.min(security_log.c.occurred_at))
        ).one()
    return PrivacyOverview(
        subjects=int(count or 0),
        erased=int(erased or 0),
        vault_key_id=vault_key_id,
        ip_key_id=None if key is None else str(key.key_id),
        ip_key_created_at=None if key is None else utc(key.created_at),
        pending=pending_requests(vault, now),
        security_log_lines=int(lines or 0),
        security_log_oldest=None if oldest is None else utc(oldest),
        security_log_days=settings.security_log_days,
    )
