"""Contracts as a built-in plugin: the ``contracts`` and ``schemas`` CLI sub-apps, the Pact broker
(``/pact``, also ``/api/v1/pact``) and the event-schema registry's Confluent-compatible REST API
(``/schema-registry``, also ``/api/v1/schema-registry``), the ``/contracts`` pages, the merge-gate
checks ``contracts.verified`` and ``contracts.schemas_compatible`` and the deploy-gate check
``contracts.can_i_deploy``."""

from __future__ import annotations

from typing import Any

from readiness.gate.model import Check, Gate
from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_gate_checks(gate: Gate) -> list[Check]:
    from readiness.contracts import checks_pact, checks_registry

    return [c for c in [*checks_pact.CHECKS, *checks_registry.CHECKS] if gate in c.gates]


@hookimpl
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    from readiness.contracts import checks_pact, checks_registry

    return {
        **checks_pact.gate_services(settings, stores),
        **checks_registry.gate_services(settings, stores),
    }


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.contracts.cli import app
    from readiness.contracts.cli_registry import schemas_app

    return [("contracts", app), ("schemas", schemas_app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.contracts.api_broker import api_router
    from readiness.contracts.api_registry import router

    return [router, api_router()]


@hookimpl
def readiness_dashboard_pages() -> list[Any]:
    from readiness.contracts.pages import dashboard_pages

    return dashboard_pages()


@hookimpl
def readiness_root_routers() -> list[Any]:
    from readiness.contracts.api_broker import api_router
    from readiness.contracts.api_registry import router

    return [router, api_router()]
