"""The audit trail as a built-in plugin: CLI sub-app, API routers, pages, gate checks, sweeps."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.audittrail.checks_capture import capture_checks

    return [c for c in capture_checks() if gate in c.gates]


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.audittrail.cli import app

    return [("audit", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.audittrail.api import router
    from readiness.audittrail.api_privacy import router as privacy_router
    from readiness.audittrail.api_query import router as query_router

    return [router, privacy_router, query_router]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.audittrail.pages_search import dashboard_pages

    return dashboard_pages()


@hookimpl
def readiness_notify_sweeps(settings: Any) -> list[Any]:
    """The security log's retention runs on the server's sweep schedule (notify.sweep_every_s)."""
    from readiness.audit.privacy.runtime import scheduled_purge

    def security_log_purge(stores: Any, clock: Any) -> int:
        scheduled_purge(settings, stores.audit, clock)
        return 0  # no notification queued

    return [security_log_purge]
