"""The audit trail as a built-in plugin: its CLI sub-app, API routers, dashboard page, gate
check, and the continuous verification (a notification sweep of ``readiness serve``)."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.audittrail.cli import app

    return [("audit", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.audittrail.api import router
    from readiness.audittrail.api_ledger import router as ledger_router

    return [router, ledger_router]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.audittrail.pages import dashboard_pages

    return dashboard_pages()


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.audittrail.checks import audit_checks

    return [c for c in audit_checks() if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    from readiness.audit.verification.service import StoredFacts

    if stores is None:
        return {}
    return {"audit": StoredFacts(settings, stores.audit)}


@hookimpl
def readiness_notify_sweeps(settings: Any) -> list[Any]:
    from readiness.audit.verification.service import scheduled_round

    def audit_verification(stores: Any, clock: Any) -> int:
        return scheduled_round(settings, stores, clock)

    return [audit_verification]
