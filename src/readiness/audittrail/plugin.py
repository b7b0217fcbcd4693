"""The audit trail as a built-in plugin: its CLI sub-app, API routers, dashboard pages, gate
checks, and the sweeps of ``readiness serve`` (continuous verification, security-log purge)."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.audittrail.checks import audit_checks
    from readiness.audittrail.checks_capture import capture_checks

    return [c for c in (*audit_checks(), *capture_checks()) if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    from readiness.audit.verification.service import StoredFacts

    if stores is None:
        return {}
    return {"audit": StoredFacts(settings, stores.audit)}


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.audittrail.cli import app

    return [("audit", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.audittrail.api import router
    from readiness.audittrail.api_ledger import router as ledger_router
    from readiness.audittrail.api_privacy import router as privacy_router
    from readiness.audittrail.api_query import router as query_router
    from readiness.audittrail.api_retention import router as retention_router
    from readiness.audittrail.api_witness import router as witness_router

    return [router, ledger_router, privacy_router, query_router, witness_router, retention_router]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.audittrail.pages import dashboard_pages as overview_pages
    from readiness.audittrail.pages_privacy import dashboard_pages as privacy_pages
    from readiness.audittrail.pages_search import dashboard_pages as search_pages

    return [*overview_pages(), *search_pages(), *privacy_pages()]


@hookimpl
def readiness_notify_sweeps(settings: Any) -> list[Any]:
    """Continuous verification and the security log's retention, on the server's sweep schedule
    (``notify.sweep_every_s``)."""
    from readiness.audit.privacy.runtime import scheduled_purge
    from readiness.audit.verification.service import scheduled_round

    def audit_verification(stores: Any, clock: Any) -> int:
        return scheduled_round(settings, stores, clock)

    def security_log_purge(stores: Any, clock: Any) -> int:
        scheduled_purge(settings, stores.audit, clock)
        return 0  # no notification queued

    return [audit_verification, security_log_purge]
