"""Contracts as a built-in plugin: the ``contracts`` CLI sub-app, the Pact broker
(``/pact``, also ``/api/v1/pact``) and the event-schema registry's Confluent-compatible REST API
(``/schema-registry``, also ``/api/v1/schema-registry``), the merge-gate check
``contracts.verified`` and the deploy-gate check ``contracts.can_i_deploy``."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.contracts.checks_pact import CHECKS

    return [c for c in CHECKS if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    from readiness.contracts.checks_pact import gate_services

    return gate_services(settings, stores)


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.contracts.cli import app

    return [("contracts", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.contracts.api_broker import api_router
    from readiness.contracts.api_registry import router

    return [router, api_router()]


@hookimpl
def readiness_root_routers() -> list[Any]:
    from readiness.contracts.api_broker import api_router
    from readiness.contracts.api_registry import router

    return [router, api_router()]
