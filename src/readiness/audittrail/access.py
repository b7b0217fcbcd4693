"""Who may read the audit trail: the ``auditor`` role; every refusal is itself an audit event."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from readiness.audit.service import append_direct
from readiness.web.deps import Principal, get_clock, get_stores, require_recorded

AUTHZ_FAIL = "authz_fail"  # the OWASP Logging Vocabulary name


def record_refusal(request: Request, principal: Principal, role: str) -> None:
    """Record ``authz_fail``: who was refused what, with which role (never a credential)."""
    append_direct(
        get_stores(request),
        clock=get_clock(request),
        actor=principal.actor,
        action=AUTHZ_FAIL,
        target_type="api_route",
        target_id=f"{request.method}:{request.url.path}",
        details={"role": principal.role, "required": role, "via": principal.via},
        result="denied",
    )


require_auditor_recorded = require_recorded("auditor", record_refusal)
AuditorRecorded = Annotated[Principal, Depends(require_auditor_recorded)]
