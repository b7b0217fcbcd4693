"""Run one gate for a project: open its stores, gather services and checks, run them, store it.

Every evaluation is kept in the gate history (``gate.store``): in the project's own database
when the gate runs locally, on the server (``POST /api/v1/gates/runs``) when ``READINESS_URL``
names one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from readiness._common.clock import Clock
from readiness.config import NotifySettings, Settings
from readiness.gate.history import DayTrend, GateRun, daily_trend, gate_run_of
from readiness.gate.model import Gate, GateContext, GateReport
from readiness.plugins import get_plugin_manager

if TYPE_CHECKING:
    from readiness.storage import Stores


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
    actor: str = "cli",
    record: bool = True,
    warn: Callable[[str], None] | None = None,
) -> GateReport:
    """Run every registered check of ``gate`` against this project's data.

    ``select``, ``skip`` and ``allow_missing`` are the glob lists of
    :func:`readiness.gate.runner.run_gate`. With ``record`` the evaluation is stored in the
    gate history of ``settings.project`` as run by ``actor``. A server that refuses to store
    it (a reader token: the gate itself only reads) does not change the verdict: ``warn`` gets
    one line saying so, and without ``warn`` the refusal is raised.
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
        started = timer()
        report = run_gate(
            gate,
            checks,
            context,
            timer=timer,
            select=select,
            skip=skip,
            allow_missing=allow_missing,
        )
        if record:
            run = gate_run_of(
                report,
                project=settings.project,
                duration_s=timer() - started,
                at=clock.now(),
                by=actor,
            )
            if stores is not None:
                record_gate_run(stores, run, clock=clock, notify=settings.notify)
            else:
                _post_or_warn(settings, run, warn)
        return report
    finally:
        for service in services.values():
            close = getattr(service, "close", None)
            if callable(close):
                close()  # remote clients hold connections to the server
        if stores is not None:
            stores.dispose()


def _post_or_warn(settings: Settings, run: GateRun, warn: Callable[[str], None] | None) -> None:
    from readiness.errors import AuthError
    from readiness.gate.remote import post_gate_run

    try:
        post_gate_run(settings, run)
    except AuthError as exc:
        if warn is None:
            raise
        warn(
            f"warning: the gate run was not stored in the server's gate history ({exc.message}); "
            "give the gate a writer token to keep its history"
        )


def record_gate_run(
    stores: Stores, run: GateRun, *, clock: Clock, notify: NotifySettings | None = None
) -> GateRun:
    """Store ``run`` in the gate history, creating its project (audited) when missing.

    A failed run queues a ``gate.failed`` notification (a row insert; delivery comes later).
    """
    from readiness.gate.store import insert_gate_run
    from readiness.notify.service import emit_gate_failed
    from readiness.projects.service import ProjectService

    ProjectService(stores=stores, clock=clock, actor=run.by).ensure(run.project)
    stored = insert_gate_run(stores.state, run)
    if stored.verdict == "fail":
        emit_gate_failed(
            stores.state,
            clock=clock,
            settings=notify or NotifySettings(),
            project=stored.project,
            gate=stored.gate,
            run_id=stored.id,
            commit=stored.commit,
            failed_checks=[c.id for c in stored.checks if c.status == "fail"],
            by=stored.by,
        )
    return stored


def list_gate_runs(
    stores: Stores,
    project: str,
    *,
    gate: str | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: str = "at",
    descending: bool = True,
) -> tuple[list[GateRun], int]:
    """A page of ``project``'s gate runs (newest first unless ``sort``/``descending`` say
    otherwise: ``at``, ``gate``, ``verdict`` or ``duration``), and how many there are in all."""
    from readiness.gate import store

    runs = store.list_gate_runs(
        stores.state,
        project,
        gate=gate,
        limit=limit,
        offset=offset,
        sort=sort,
        descending=descending,
    )
    return runs, store.count_gate_runs(stores.state, project, gate=gate)


def gate_trend(
    stores: Stores, project: str, *, gate: str | None = None, runs: int
) -> list[DayTrend]:
    """Pass rate and median duration per day over ``project``'s newest ``runs`` gate runs."""
    from readiness.gate import store

    recent = store.list_gate_runs(stores.state, project, gate=gate, limit=runs, with_checks=False)
    return daily_trend(recent)
