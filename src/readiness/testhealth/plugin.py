"""testhealth as a built-in plugin: its CLI sub-app, API router, dashboard pages and gate checks."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.testhealth.checks import testhealth_checks

    return [c for c in testhealth_checks() if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    from readiness._common.clock import SystemClock
    from readiness.testhealth.facts import GateFacts, RemoteGateFacts
    from readiness.testhealth.service import TestHealthService

    if stores is None:
        return {"testhealth": RemoteGateFacts(settings)}
    service = TestHealthService(settings=settings, stores=stores, clock=SystemClock())
    return {"testhealth": GateFacts(service)}


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.testhealth.cli import app

    return [("tests", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.testhealth.api import api_router

    return [api_router()]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.testhealth.pages import dashboard_pages

    return dashboard_pages()


@hookimpl
def readiness_notify_sweeps(settings: Any) -> list[Any]:
    from readiness.testhealth.notices import sweep_quarantine

    def quarantine_expiry(stores: Any, clock: Any) -> int:
        return sweep_quarantine(stores, clock, settings.notify, settings=settings)

    return [quarantine_expiry]
