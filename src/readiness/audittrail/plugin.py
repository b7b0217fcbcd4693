"""The audit trail as a built-in plugin: its CLI sub-app and API router."""

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

    return [router]
