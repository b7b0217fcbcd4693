"""Logging as a built-in plugin: the ``logs`` CLI sub-app (lint, scan), the API routes
``/api/v1/logs/lint|reports|scan|debug-grants``, the ``/logs`` page and the merge-gate check
``logs.no_pii_in_log_calls``."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.logcheck.checks import log_checks

    return [c for c in log_checks() if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    if stores is None:  # a remote gate: the server keeps its own reports
        return {}
    from readiness._common.clock import SystemClock
    from readiness.logcheck.reports import SERVICE_NAME, ReportRecorder

    return {SERVICE_NAME: ReportRecorder(stores, settings.project, SystemClock())}


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.logcheck.cli import app

    return [("logs", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.logcheck.api import router
    from readiness.logcheck.api_override import debug_grants_router
    from readiness.logcheck.api_scan import router as scan_router

    return [router, scan_router, debug_grants_router()]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.logcheck.pages import dashboard_pages

    return dashboard_pages()
