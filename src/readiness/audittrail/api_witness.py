"""Witnesses and publication over HTTP (docs/audit-witness.md), under ``/api/v1/audit``:
the configured witnesses with the size each last cosigned (auditor, the read is recorded), and
collecting cosignatures and publishing the newest checkpoint on demand (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from readiness.audit.service import append_direct
from readiness.audittrail.access import AuditorRecorded
from readiness.audittrail.api_ledger import ledger_of, record_read
from readiness.errors import NotFoundError
from readiness.ledger.witness.publish import open_http, publish_checkpoint, witness_rows
from readiness.web.deps import Principal, get_clock, get_settings, get_stores, require_admin

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Principal, Depends(require_admin)]


@router.get("/witnesses")
def witnesses(request: Request, who: AuditorRecorded) -> dict[str, Any]:
    """The configured witnesses, their keys, and the largest checkpoint size each cosigned."""
    settings = get_settings(request)
    rows = witness_rows(settings, get_stores(request).audit)
    record_read(request, who, "ledger_witnesses", {"returned": len(rows)})
    return {"quorum": settings.audit.witness_quorum, "witnesses": rows}


@router.post("/checkpoints/publish")
def publish_now(request: Request, who: Admin) -> dict[str, Any]:
    """Ask every witness to cosign the newest checkpoint and publish it (``audit.publish``);
    the outcome of each witness and target is in the answer (a witness down is no error)."""
    settings = get_settings(request)
    ledger = ledger_of(request)
    checkpoints = ledger.checkpoints()
    if not checkpoints:
        raise NotFoundError(
            "no checkpoint to publish; sign one with POST /api/v1/audit/checkpoints"
        )
    engine = get_stores(request).audit
    with open_http(settings) as http:
        report = publish_checkpoint(settings, ledger, engine, checkpoints[-1], http)
    append_direct(
        get_stores(request),
        clock=get_clock(request),
        actor=who.actor,
        action="audit.publish",
        target_type="audit_log",
        target_id="ledger_checkpoints",
        details={"id": report.checkpoint_id, "size": report.size, "errors": len(report.errors)},
    )
    return report.as_dict()
