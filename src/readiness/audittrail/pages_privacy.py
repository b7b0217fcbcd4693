"""The dashboard's privacy page (auditor role): ``/audit/privacy``.

What the identity vault holds, in counts and key ids (never an identity); the break-glass
resolution requests waiting for a second approver, each with an "Approve" action (the action
block: CSRF token, confirmation, recorded as ``privacy.resolve_approve``); the IP key's
rotation date; the security log's retention and when its next purge deletes something.
Viewing the page is recorded in the audit trail (``audit.read``), as is a refused visit.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from readiness.audit.privacy.overview import PrivacyOverview
from readiness.audit.privacy.runtime import privacy_service, read_privacy_overview
from readiness.audittrail.access import AuditorRecorded
from readiness.audittrail.api_ledger import record_read
from readiness.web.actions import Action, ActionResult, Confirmed, run_action
from readiness.web.deps import get_clock, get_settings, get_stores
from readiness.web.inputs import Int32
from readiness.web.pages import DashboardPage, render

TEMPLATES = Path(__file__).parent / "templates"
PAGE = "/audit/privacy"
SOURCE = "readiness.dashboard"


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M")


def approve_action(request_id: int, pseudonym: str) -> Action:
    return Action(
        key=f"approve-{request_id}",
        label="Approve",
        url=f"{PAGE}/requests/{request_id}/approve",
        confirm=(
            f"Approve resolution request {request_id}? Its requester may then see the identity "
            f"behind {pseudonym}; your approval is recorded in the audit trail."
        ),
        role="auditor",
        back=PAGE,
    )


def _context(request: Request, result: ActionResult | None) -> dict[str, Any]:
    settings = get_settings(request)
    found: PrivacyOverview | None = read_privacy_overview(settings, get_clock(request))
    context: dict[str, Any] = {
        "vault": found,
        "result": result,
        "sweep_every_s": int(settings.notify.sweep_every_s),
        "scheduled": settings.notify.worker,
    }
    if found is not None:
        context.update(
            ip_key_created=_when(found.ip_key_created_at),
            oldest=_when(found.security_log_oldest),
            next_purge=_when(found.next_purge_due),
            requests=[
                {
                    "id": r.id,
                    "pseudonym": r.pseudonym,
                    "requested_by": r.requested_by,
                    "justification": r.justification,
                    "requested_at": _when(r.requested_at),
                    "expires_at": _when(r.expires_at),
                    "approvals": f"{r.approvals + 1} of {r.approvals_needed}",
                    "action": approve_action(r.id, r.pseudonym),
                }
                for r in found.pending
            ],
        )
    return context


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("")
    def privacy_page(request: Request, who: AuditorRecorded) -> Response:
        context = _context(request, None)
        found = context["vault"]
        details = {"pending": len(found.pending) if found is not None else 0}
        record_read(request, who, "dashboard /audit/privacy", details)
        return render(request, "audittrail/privacy.html", context)

    @router.post("/requests/{request_id}/approve")
    def approve_request(
        request: Request,
        who: AuditorRecorded,
        request_id: Annotated[Int32, PathParam(ge=1)],
        confirmed: Confirmed = "",
    ) -> Response:
        def perform() -> str:
            with privacy_service(
                get_settings(request), get_clock(request), get_stores(request).audit, source=SOURCE
            ) as service:
                resolution = service.approve(request_id, by=who.actor)
            return (
                f"Approved resolution request {request_id} "
                f"({resolution.approvals} of {resolution.approvals_needed} approvals)."
            )

        return run_action(
            request,
            approve_action(request_id, "its pseudonym"),
            confirmed=confirmed,
            values={},
            perform=perform,
            page=lambda result: render(
                request, "audittrail/privacy.html", _context(request, result)
            ),
        )

    return router


def dashboard_pages() -> list[DashboardPage]:
    """The privacy page: linked from the audit overview, not a navigation entry of its own."""
    return [DashboardPage("Privacy", PAGE, None, _router(), TEMPLATES)]
