"""The audit trail over HTTP (auditor role): ``/api/v1/audit``. Reading it is itself audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from readiness._common.canonical import jsonable_dict
from readiness.audit.service import append_direct, list_events, verify_chain
from readiness.audittrail.access import AuditorRecorded
from readiness.web.deps import get_clock, get_stores
from readiness.web.inputs import Line

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = AuditorRecorded  # a refusal is recorded as authz_fail


@router.get("/events")
def events(
    request: Request,
    who: Auditor,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    action: Annotated[
        Line | None, Query(max_length=200, description="Only actions starting with this.")
    ] = None,
) -> list[dict[str, Any]]:
    """The platform's own events in the ledger, newest first, optionally only actions starting
    with ``action``."""
    stores = get_stores(request)
    clock = get_clock(request)
    found = list_events(stores, limit=limit, action_prefix=action, clock=clock)
    append_direct(
        stores,
        clock=clock,
        actor=who.actor,
        action="audit.read",
        target_type="audit_log",
        target_id="platform_events",
        details={"limit": limit, "action": action, "returned": len(found)},
    )
    return [jsonable_dict(asdict(e)) for e in found]


@router.get("/verify")
def verify(request: Request, who: Auditor) -> dict[str, Any]:
    """Recompute the old hash chain (the platform's events before they moved into the
    ledger): ``intact`` and the first broken event, if any."""
    stores = get_stores(request)
    intact, broken_at = verify_chain(stores.audit)
    append_direct(
        stores,
        clock=get_clock(request),
        actor=who.actor,
        action="audit.verify",
        target_type="audit_log",
        target_id="audit_events",
        details={"intact": intact, "broken_at": broken_at},
    )
    return {"intact": intact, "broken_at": broken_at}
