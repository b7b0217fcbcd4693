"""``readiness demo``: a realistic CI history of the bundled example service, then the findings.

The example's pytest suite really runs (in subprocesses, with the Readiness pytest plugin writing
JUnit XML including reruns); environment switches reproduce what CI sees over two weeks: a race
that fails now and then, a test-order pollution, an infrastructure outage, a regression that
breaks a test for good, and a pull request that adds a flaky test. Everything is deterministic.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from readiness._common.canonical import to_jsonable
from readiness._common.clock import FrozenClock, SystemClock
from readiness._common.words import plural
from readiness.config import load_settings
from readiness.demo.history import (
    FLAKY_TEST,
    HISTORY_DAYS,
    base_env,
    collect_ids,
    execute_run,
    history_start,
    plan_runs,
    prepare_project,
)
from readiness.demo.report import DemoReport
from readiness.demo.shop import (
    lint_shop_logs,
    lint_shop_migrations,
    record_shop_audit_trail,
    record_shop_contracts,
)
from readiness.testhealth.model import RunMeta


def run_demo(
    directory: Path | None = None,
    *,
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> DemoReport:
    """Build the history, quarantine the known flaky test, and gather what a user sees."""
    from readiness.auth.service import TokenService
    from readiness.gate.model import Gate
    from readiness.gate.render import render
    from readiness.gate.service import run_gate_for
    from readiness.storage import open_stores
    from readiness.testhealth.service import TestHealthService
    from readiness.testhealth.views import health_view, ingest_view, quarantine_view

    quiet = Console(stderr=True, markup=False, highlight=False, emoji=False)  # paths are data
    say = echo or (quiet.print if progress else (lambda _msg: None))
    root = prepare_project(directory)
    settings = load_settings(root, environ={})
    plan = plan_runs()
    base_ids = collect_ids(root, base_env())
    out = root / ".readiness" / "demo-junit"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(root / "pr" / "test_invoices.py", root / "tests" / "test_invoices.py")
    pr_ids = [*base_ids, "tests/test_invoices.py::test_invoice_number_is_unique"]
    main_plan = [r for r in plan if not r.with_pr_test]
    pr_plan = [r for r in plan if r.with_pr_test]
    say(
        f"Running the example's test suite {plural(len(plan), 'time')} "
        f"(two weeks of CI) in {root} ..."
    )
    # The PR test exists only on its branch: hide it from main's runs by naming the ids.
    with ThreadPoolExecutor(max_workers=2) as pool:
        files = list(pool.map(lambda r: execute_run(root, r, base_ids, out), main_plan))
        files += list(pool.map(lambda r: execute_run(root, r, pr_ids, out), pr_plan))

    start = history_start(now or SystemClock().now())
    clock = FrozenClock(start)
    stores = open_stores(settings)
    try:
        service = TestHealthService(settings=settings, stores=stores, clock=clock, actor="demo")
        report = DemoReport(directory=root, settings=settings, token="")
        for run, junit in zip([*main_plan, *pr_plan], files, strict=True):
            at = start + timedelta(days=run.day - 1, minutes=run.attempt * 20)
            clock.set(at)
            meta = RunMeta(
                commit=run.commit,
                branch=run.branch,
                run_id=run.run_id,
                attempt=run.attempt,
                job="pytest",
                timestamp=at,
                seed=str(run.order_seed),  # the seed that shuffled this run's test order
                tags={"python": "3.11"},
            )
            report.ingested.append(ingest_view(service.ingest_files([junit], meta=meta)[0]))
        clock.set(start + timedelta(days=4))
        service.quarantine_add(
            FLAKY_TEST,
            reason="webhook races the payment worker; fails ~1 in 4 runs",
            issue="https://tracker.example/PAY-412",
            expires=start + timedelta(days=HISTORY_DAYS + 5),
        )
        clock.set(start + timedelta(days=HISTORY_DAYS, hours=1))
        token, _info = TokenService(stores=stores, clock=clock, actor="demo").create(
            name="demo admin", role="admin"
        )
        report.token = token
        report.flaky = [health_view(h) for h in service.flaky()]
        report.quarantine = [quarantine_view(e) for e in service.quarantine_entries()]
        report.report = to_jsonable(service.report())
        record_shop_features(report, stores, clock, start)
    finally:
        stores.dispose()
    gate = run_gate_for(
        Gate.MERGE,
        settings=settings,
        clock=clock,
        head=pr_plan[-1].commit,
        timer=_ticks(),
        actor="demo",
    )
    report.migrations, report.logs = lint_shop_migrations(settings), lint_shop_logs(settings)
    report.gate = {"verdict": "fail" if gate.failed else "pass", "report": render(gate, "json")}
    report.gate_text = render(gate, "text")
    return report


def record_shop_features(
    report: DemoReport, stores: Any, clock: FrozenClock, start: datetime
) -> None:
    """What the shop's other features left over the two weeks: audit events and contracts."""
    report.audit = record_shop_audit_trail(report.settings, stores, clock, start)
    report.contracts = record_shop_contracts(report.settings, stores, clock, start)


def _ticks() -> Callable[[], float]:
    counter = iter(range(1_000_000))
    return lambda: float(next(counter)) / 1000
