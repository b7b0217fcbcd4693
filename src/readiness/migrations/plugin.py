"""Migration safety as a built-in plugin: its CLI sub-app, API router, dashboard page and the
gate checks ``migrations.lint`` and ``migrations.rollback_safe`` (merge) and
``migrations.applied`` (deploy)."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.migrations.checks import migration_checks
    from readiness.migrations.checks_live import live_checks

    return [c for c in [*migration_checks(), *live_checks()] if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    from readiness._common.clock import SystemClock
    from readiness.migrations import reports
    from readiness.migrations.checks_live import SERVICE_NAME
    from readiness.migrations.live.gate import LiveGate

    services: dict[str, Any] = {SERVICE_NAME: LiveGate.from_settings(settings)}
    if stores is not None:  # a local store: the lint check keeps its report
        services[reports.SERVICE_NAME] = reports.ReportRecorder(
            stores, settings.project, SystemClock(), root=str(settings.root)
        )
    return services


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.migrations.cli import app

    return [("migrations", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.migrations.api import router
    from readiness.migrations.api_live import api_router

    return [router, api_router()]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.migrations.pages import dashboard_pages

    return dashboard_pages()
