"""Run one gate for a project: open its stores, gather services and checks, run them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from readiness._common.clock import Clock
from readiness.config import Settings
from readiness.gate.model import Gate, GateContext, GateReport
from readiness.plugins import get_plugin_manager


def run_gate_for(
    gate: Gate,
    *,
    settings: Settings,
    clock: Clock,
    base: str | None = None,
    head: str | None = None,
    environment: str | None = None,
    select: Sequence[str] = (),
    skip: Sequence[str] = (),
    allow_missing: Sequence[str] = (),
    timer: Callable[[], float],
) -> GateReport:
    """Run every registered check of ``gate`` against this project's data.

    ``select``, ``skip`` and ``allow_missing`` are the glob lists of
    :func:`readiness.gate.runner.run_gate`.
    """
    from readiness.gate.runner import collect_checks, require_checks, run_gate
    from readiness.storage import open_stores

    pm = get_plugin_manager()
    checks = collect_checks(pm, gate)
    require_checks(gate, checks)  # before opening anything: an empty gate is a setup error
    stores = None if settings.is_remote else open_stores(settings, create=False)
    services: dict[str, Any] = {}
    try:
        for contributed in pm.hook.readiness_gate_services(settings=settings, stores=stores):
            services.update(contributed or {})
        context = GateContext(
            gate=gate,
            root=settings.root,
            settings=settings,
            clock=clock,
            base=base,
            head=head,
            environment=environment,
            services=services,
        )
        return run_gate(
            gate,
            checks,
            context,
            timer=timer,
            select=select,
            skip=skip,
            allow_missing=allow_missing,
        )
    finally:
        for service in services.values():
            close = getattr(service, "close", None)
            if callable(close):
                close()  # remote clients hold connections to the server
        if stores is not None:
            stores.dispose()
