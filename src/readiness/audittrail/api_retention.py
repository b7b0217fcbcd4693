"""Retention tiers over HTTP (docs/audit-retention.md).

``GET /api/v1/audit/retention`` (auditor): the policy, the archived and pruned months, the next
expiry. ``POST /api/v1/audit/retention/archive`` and ``POST /api/v1/audit/retention/prune``
(admin): the same runs as ``readiness audit archive`` and ``prune``, each recorded in the
trail; a prune before expiry is refused with 409 ``retention_refused`` naming the framework
and the date.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from readiness.audit.query.core import parse_time
from readiness.audit.retention.archive import Archiver
from readiness.audit.retention.core import Policy, parse_age
from readiness.audit.retention.prune import prune, status
from readiness.audittrail.api_query import shared_ledger
from readiness.web.deps import (
    Principal,
    get_clock,
    get_settings,
    get_stores,
    require_admin,
    require_auditor,
)

router = APIRouter(prefix="/audit/retention", tags=["audit"])
Auditor = Annotated[Principal, Depends(require_auditor)]
Admin = Annotated[Principal, Depends(require_admin)]


class ArchiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    older_than: str | None = Field(default=None, max_length=10, description="12mo or 1y")
    dry_run: bool = False


class PruneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: str = Field(max_length=40, description="Prune months ending on or before this date")
    dry_run: bool = False


def _archiver(request: Request, who: Principal) -> tuple[Archiver, Policy]:
    settings = get_settings(request)
    retention = settings.audit.retention
    archiver = Archiver(
        get_stores(request).audit,
        shared_ledger(request),
        get_clock(request),
        settings.path(retention.archive_dir),
        actor=f"tok_{who.token_id}",
        source="api",
    )
    return archiver, Policy.of(retention.frameworks)


@router.get("")
def retention_status(request: Request, who: Auditor) -> dict[str, Any]:
    """The retention policy, the archived and pruned months, and the next expiry."""
    archiver, policy = _archiver(request, who)
    return status(archiver, policy)


@router.post("/archive")
def archive(request: Request, who: Admin, body: ArchiveBody) -> dict[str, Any]:
    """Move whole months older than ``older_than`` (default: the configured age) to Parquet."""
    archiver, _ = _archiver(request, who)
    age = body.older_than or get_settings(request).audit.retention.older_than
    return archiver.run(parse_age(age), dry_run=body.dry_run).as_dict()


@router.post("/prune")
def prune_months(request: Request, who: Admin, body: PruneBody) -> dict[str, Any]:
    """Prune archived months whose retention expired; 409 before that."""
    archiver, policy = _archiver(request, who)
    day = parse_time(body.before, "before").date()
    return prune(archiver, policy, day, dry_run=body.dry_run).as_dict()
