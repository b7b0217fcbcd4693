"""Every hook Readiness offers, in one place (like pytest's ``hookspec.py``).

Built-in features implement these as default plugins; third parties register a module or object
under the ``readiness`` entry-point group. Hook implementations import their heavy dependencies
(Typer, FastAPI) lazily, inside the hook, so importing a feature never imports the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from readiness.gate.model import Check, Gate

hookspec = pluggy.HookspecMarker("readiness")


@hookspec
def readiness_gate_checks(gate: Gate) -> list[Check]:  # type: ignore[empty-body]
    """Return the checks this plugin contributes to ``gate`` (merge, deploy or verify)."""


@hookspec
def readiness_cli_apps() -> list[tuple[str, Any]]:  # type: ignore[empty-body]
    """Return ``(name, typer.Typer)`` pairs mounted as ``readiness <name> ...``."""


@hookspec
def readiness_api_routers() -> list[Any]:  # type: ignore[empty-body]
    """Return FastAPI ``APIRouter`` objects mounted under ``/api/v1``."""


@hookspec
def readiness_root_routers() -> list[Any]:  # type: ignore[empty-body]
    """Return FastAPI ``APIRouter`` objects mounted at the server's root as well (the Pact broker
    under ``/pact``, the schema registry under ``/schema-registry``), for clients configured with a
    base URL of their own. They also answer under ``/api/v1``: return them from
    :func:`readiness_api_routers` too; the same auth dependencies apply under both."""


@hookspec
def readiness_dashboard_pages() -> list[Any]:  # type: ignore[empty-body]
    """Return ``readiness.web.pages.DashboardPage`` objects (navigation entry + router)."""


@hookspec
def readiness_gate_services(settings: Any, stores: Any) -> dict[str, Any]:  # type: ignore[empty-body]
    """Return named services checks need (``{"testhealth": TestHealthService(...)}``)."""


@hookspec
def readiness_notify_sweeps(settings: Any) -> list[Any]:  # type: ignore[empty-body]
    """Return callables ``sweep(stores, clock) -> int`` that look for events nothing emits as it
    happens (a quarantine entry about to expire) and queue them through
    ``readiness.notify.service``, returning how many deliveries they queued. The delivery worker
    runs them every ``notify.sweep_every_s``; ``readiness notify sweep`` runs them once."""
