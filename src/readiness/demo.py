"""``readiness demo``: a realistic CI history of the bundled example service, then the findings.

The example's pytest suite really runs (in subprocesses, with the Readiness pytest plugin writing
JUnit XML including reruns); environment switches reproduce what CI sees over two weeks: a race
that fails now and then, a test-order pollution, an infrastructure outage, a regression that
breaks a test for good, and a pull request that adds a flaky test. Everything is deterministic.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from readiness._common.canonical import to_jsonable
from readiness._common.clock import FrozenClock, SystemClock
from readiness._common.words import plural
from readiness.config import Settings, load_settings
from readiness.errors import ReadinessError
from readiness.testhealth.model import RunMeta

HISTORY_DAYS = 13  # the demo's CI history ends "today", so dates in it stay meaningful


def history_start(now: datetime) -> datetime:
    """09:00 UTC, ``HISTORY_DAYS`` days before ``now``: the first day of the demo's history."""
    day = (now - timedelta(days=HISTORY_DAYS)).date()
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


FLAKY_TEST = "tests/test_payments.py::test_webhook_is_acknowledged"


@dataclass(frozen=True)
class PlannedRun:
    """One CI run of the example: where it ran and which conditions it reproduces."""

    commit: str
    branch: str
    run_id: str
    attempt: int
    day: int
    env: dict[str, str]
    order_seed: int
    with_pr_test: bool = False


@dataclass
class DemoReport:
    directory: Path
    settings: Settings
    token: str
    ingested: list[dict[str, Any]] = field(default_factory=list)
    flaky: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    gate_text: str = ""
    audit: dict[str, Any] = field(default_factory=dict)
    migrations: dict[str, Any] = field(default_factory=dict)
    contracts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_jsonable(
            {
                "directory": str(self.directory),
                "admin_token": self.token,
                "runs": len(self.ingested),
                "ingested": self.ingested,
                "flaky": self.flaky,
                "quarantine": self.quarantine,
                "report": self.report,
                "gate": self.gate,
                "audit": self.audit,
                "migrations": self.migrations,
                "next_commands": next_commands(self.directory),
            }
        )
        return data


def example_source() -> Path:
    """The example shop: ``examples/shop`` of a source checkout, or the copy in the wheel."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "examples" / "shop", here.parent / "_examples" / "shop"):
        if (candidate / "tests").is_dir():
            return candidate
    raise ReadinessError("the example project is missing from this installation; reinstall")


def plan_runs() -> list[PlannedRun]:
    """Two weeks of CI on main plus a pull request, as (commit, conditions) pairs."""
    runs: list[PlannedRun] = []
    for n in range(1, 13):
        env = {"SHOP_FLAKE_SEED": str(n)}
        if n >= 9:
            env["SHOP_BUG_REFUND"] = "1"  # the regression lands in commit 9
        commit = f"{n:02d}" + "a1c3e5" * 6 + "0f"
        if n == 7:  # the database of the CI runner was down: most tests fail
            runs.append(
                PlannedRun(commit, "main", f"ci-{n}", 1, n, {**env, "SHOP_DB_DOWN": "1"}, n)
            )
            runs.append(PlannedRun(commit, "main", f"ci-{n}", 2, n, env, n))
            continue
        runs.append(PlannedRun(commit, "main", f"ci-{n}", 1, n, env, n))
        if n in (3, 10):  # the webhook race failed: somebody pressed "retry"
            retry_env = {**env, "SHOP_FLAKE_SEED": f"{n}-again"}
            runs.append(PlannedRun(commit, "main", f"ci-{n}", 2, n, retry_env, n + 100))
    # The pull request adds a test that depends on chance; its head commit needed a CI retry.
    pr_commits = ["ee01" + "b2d4f6" * 6, "ee02" + "b2d4f6" * 6]
    for commit, run_id, attempt, seed in (
        (pr_commits[0], "pr-1", 1, "pr-1"),
        (pr_commits[1], "pr-2", 1, "pr-2"),
        (pr_commits[1], "pr-2", 2, "pr-4"),
    ):
        env = {"SHOP_FLAKE_SEED": seed, "SHOP_INVOICE_SEED": seed, "SHOP_BUG_REFUND": "1"}
        runs.append(
            PlannedRun(
                commit,
                "feature/invoices",
                run_id,
                attempt,
                12,
                env,
                200 + attempt,
                with_pr_test=True,
            )
        )
    return runs


def _collect(root: Path, env: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    if not ids:
        raise ReadinessError(f"demo: collecting the example tests failed:\n{proc.stdout[-2000:]}")
    return ids


def _execute(root: Path, run: PlannedRun, ids: list[str], out: Path) -> Path:
    order = list(ids)
    random.Random(run.order_seed).shuffle(order)  # noqa: S311 - a reproducible test order
    env = {**_base_env(), **run.env}
    junit = out / f"{run.run_id}-{run.attempt}.xml"
    subprocess.run(  # noqa: S603 - our own interpreter running pytest on our example
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            f"--readiness-junit={junit}",
            *order,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
    )
    if not junit.is_file():
        raise ReadinessError(f"demo: the example run {run.run_id} wrote no JUnit report")
    return junit


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def prepare_project(directory: Path | None) -> Path:
    """Copy the example into ``directory`` (or a new temp dir) and initialise Readiness there."""
    from readiness.initproject import init_project

    root = directory or Path(tempfile.mkdtemp(prefix="readiness-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    if (root / ".readiness" / "state.db").exists():
        raise ReadinessError(f"demo: {root} already holds a Readiness history; pick an empty --dir")
    shutil.copytree(example_source(), root, dirs_exist_ok=True)
    init_project(root)
    pyproject = root / "pyproject.toml"
    with pyproject.open("a", encoding="utf-8") as config:
        config.write(CAPTURE_CONFIG)
    return root


# The shop's API is what the merge gate's audit.capture_coverage check analyses; its
# migrations (release 1.4 pending: V3) are what migrations.lint checks.
CAPTURE_CONFIG = """
[tool.readiness.audit.capture]
app = "shop.app:app"

[tool.readiness.migrations]
paths = ["migrations"]
since = "V3__rename_total.sql"
"""


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
    base_ids = _collect(root, _base_env())
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
        files = list(pool.map(lambda r: _execute(root, r, base_ids, out), main_plan))
        files += list(pool.map(lambda r: _execute(root, r, pr_ids, out), pr_plan))

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
    report.migrations = lint_shop_migrations(settings)
    report.gate = {"verdict": "fail" if gate.failed else "pass", "report": render(gate, "json")}
    report.gate_text = render(gate, "text")
    return report


# The shop's own audit events over the two weeks: (day, minute, actor, actor type, action,
# target type, target id, result, extra fields). Actors are pseudonyms, never names.
SHOP_EVENTS: tuple[tuple[int, int, str, str, str, str, str, str, dict[str, Any]], ...] = (
    (
        1,
        5,
        "usr_3f9a1c20",
        "user",
        "order.place",
        "order",
        "ord_1001",
        "success",
        {"after": {"sku": "mug", "quantity": 2, "status": "placed"}},
    ),
    (1, 40, "usr_b71e0d44", "user", "authn_login_fail", "account", "acct_b71e", "denied", {}),
    (
        2,
        15,
        "usr_b71e0d44",
        "user",
        "order.place",
        "order",
        "ord_1002",
        "success",
        {"after": {"sku": "tee", "quantity": 1, "status": "placed"}},
    ),
    (
        3,
        30,
        "emp_5c2d9e11",
        "employee",
        "customer.view",
        "customer",
        "cus_3f9a",
        "allowed",
        {"target_fields_accessed": ["address", "order_history"], "justification": "SUP-231"},
    ),
    (
        4,
        10,
        "emp_5c2d9e11",
        "employee",
        "order.refund",
        "order",
        "ord_1001",
        "success",
        {
            "before": {"status": "placed"},
            "after": {"status": "refunded"},
            "justification": "SUP-231",
        },
    ),
    (6, 45, "usr_9d0c7a35", "user", "authz_fail", "order", "ord_1002", "denied", {}),
    (
        8,
        20,
        "emp_a04f6b72",
        "employee",
        "config.update",
        "setting",
        "refund_limit",
        "success",
        {"before": {"value": 200}, "after": {"value": 500}},
    ),
    (
        11,
        5,
        "svc_exporter",
        "service",
        "order.export",
        "order",
        "all",
        "success",
        {"after": {"rows": 1841, "format": "csv"}},
    ),
)


def record_shop_audit_trail(
    settings: Settings, stores: Any, clock: FrozenClock, start: datetime
) -> dict[str, Any]:
    """Append the shop's audit events, sign and publish a checkpoint, verify and record it."""
    from readiness.audit.outbox.event import rfc3339
    from readiness.audit.trail import append_events, open_ledger
    from readiness.audit.verification.service import sign_checkpoint, verify_and_record

    events = [
        {
            "actor_id": actor,
            "actor_type": kind,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "result": result,
            "occurred_at": rfc3339(start + timedelta(days=day - 1, minutes=minute)),
            "source": "shop",
            **extra,
        }
        for day, minute, actor, kind, action, target_type, target_id, result, extra in SHOP_EVENTS
    ]
    ledger = open_ledger(settings, stores.audit, clock)
    try:
        append_events(ledger, stores.audit, events)
        checkpoint = sign_checkpoint(settings, ledger, stores.audit)
    finally:
        ledger.close()
    verified, _run = verify_and_record(settings, stores.audit, clock, trigger="demo")
    return {
        "events": len(events),
        "size": verified.size,
        "checkpoint_size": checkpoint.size,
        "verified": verified.verified,
        "errors": list(verified.errors),
    }


def record_shop_features(
    report: DemoReport, stores: Any, clock: FrozenClock, start: datetime
) -> None:
    """What the shop's other features left over the two weeks: audit events and contracts."""
    report.audit = record_shop_audit_trail(report.settings, stores, clock, start)
    report.contracts = record_shop_contracts(report.settings, stores, clock, start)


SUBJECT = "order-placed-value"  # the shop's OrderPlaced events, named as Confluent clients do


def record_shop_contracts(
    settings: Settings, stores: Any, clock: FrozenClock, start: datetime
) -> dict[str, Any]:
    """The shop's event schema (two versions registered, the pull request's third checked) and
    its web front end's pacts with the API (1.0.0 verified and deployed, 1.1.0 failed)."""
    import json

    from readiness.contracts.pact.service import PactService
    from readiness.contracts.schemas.service import SchemaRegistry

    contracts = settings.root / "contracts"
    registry = SchemaRegistry(stores=stores, clock=clock, project=settings.project, actor="demo")
    for day, name in ((2, "order-placed-v1.json"), (9, "order-placed-v2.json")):
        clock.set(start + timedelta(days=day - 1, hours=3))
        registry.register(SUBJECT, (contracts / name).read_text(encoding="utf-8"), "JSON")
    proposed = registry.test(
        SUBJECT, (contracts / "order-placed-v3.json").read_text("utf-8"), "JSON"
    )

    pacts = PactService(stores, clock, settings.project)
    pacts.create_environment("production", production=True)
    results = {"shop-web-1.0.0.json": True, "shop-web-1.1.0.json": False}
    for day, (name, success) in zip((5, 12), results.items(), strict=True):
        clock.set(start + timedelta(days=day - 1, hours=4))
        content = json.loads((contracts / "pacts" / name).read_text(encoding="utf-8"))
        version = name.removeprefix("shop-web-").removesuffix(".json")
        pacts.publish("shop-web", "shop-api", version, content, branch="main")
        pact, _content = pacts.pact("shop-api", "shop-web", version)
        # shop-api's CI ran the pact against the provider and sent its verification result.
        pacts.verify(
            pact, "1.4.0", success, {"success": success, "providerApplicationVersion": "1.4.0"}
        )
    pacts.record("shop-api", "1.4.0", "production")
    pacts.record("shop-web", "1.0.0", "production")
    decisions = {
        version: pacts.can_i_deploy("shop-web", version, "production")
        for version in ("1.0.0", "1.1.0")
    }
    return {
        "subject": SUBJECT,
        "versions": len(registry.versions(SUBJECT)),
        "proposed": {
            "compatible": proposed.compatible,
            "mode": proposed.mode,
            "messages": proposed.messages,
        },
        "can_i_deploy": {
            v: {"deployable": d.deployable, "reason": d.reason} for v, d in decisions.items()
        },
    }


def lint_shop_migrations(settings: Settings) -> dict[str, Any]:
    """The linter on the shop's pending migration (the rename of release 1.4)."""
    from readiness.migrations import service

    config = settings.migrations
    report = service.lint(service.configured_paths(settings), service.options_from(config))
    root = str(settings.root) + "/"
    return {
        "files": report.files,
        "findings": [{**f.as_dict(), "file": f.file.removeprefix(root)} for f in report.findings],
    }


def _ticks() -> Callable[[], float]:
    counter = iter(range(1_000_000))
    return lambda: float(next(counter)) / 1000


def render_demo_text(report: DemoReport, console: Console) -> None:
    """What a user should see after the demo, in words."""
    from rich.markup import escape

    from readiness.testhealth.textreport import render_flaky_table, render_report

    # The shared console reads no markup; these headings ask for it, over escaped data.
    console.print(
        f"\n[bold]Readiness demo[/] — project in {escape(str(report.directory))}", markup=True
    )
    runs = len(report.ingested)
    infra = sum(1 for r in report.ingested if r["infra_failure"])
    results = sum(r["results"] for r in report.ingested)
    console.print(
        f"Ingested {plural(runs, 'CI run')} ({plural(results, 'test result')}); "
        f"{plural(infra, 'infrastructure-failure run')} left out of every statistic."
    )
    console.print("\n[bold]Tests that need attention[/]", markup=True)
    render_flaky_table(report.flaky, console)
    console.print("\n[bold]Suite health[/]", markup=True)
    render_report(report.report, console)
    gate_text = escape(report.gate_text)
    console.print(
        f"\n[bold]Merge gate for the pull request[/] (feature/invoices)\n{gate_text}", markup=True
    )
    audit = report.audit
    console.print("\n[bold]Audit trail[/]", markup=True)
    console.print(
        f"{plural(audit['events'], 'shop audit event')} and the platform's own actions in a "
        f"Merkle log of {plural(audit['size'], 'entry')}; checkpoint signed at size "
        f"{audit['checkpoint_size']} and written outside the database; "
        + ("verified." if audit["verified"] else f"NOT verified: {'; '.join(audit['errors'])}"),
        markup=False,
    )
    console.print("\n[bold]Migrations[/] (release 1.4, pending)", markup=True)
    for f in report.migrations.get("findings", []):
        console.print(
            f"{f['file']}:{f['line']}: {f['severity']} [{f['rule']}] {f['message']}; lock "
            f"{f['lock'] or 'none'}, rollback-safe: {'yes' if f['rollback_safe'] else 'no'}",
            markup=False,
        )
    contracts = report.contracts
    if contracts:
        console.print("\n[bold]Contracts[/]", markup=True)
        proposed = contracts["proposed"]
        console.print(
            f"{contracts['subject']}: {plural(contracts['versions'], 'version')} registered; the "
            f"pull request's order-placed-v3.json is "
            + ("compatible." if proposed["compatible"] else f"NOT {proposed['mode']} compatible:"),
            markup=False,
        )
        for message in proposed["messages"]:
            console.print(f"  {message}", markup=False)
        for version, decision in contracts["can_i_deploy"].items():
            verdict = "yes" if decision["deployable"] else "no"
            console.print(
                f"can-i-deploy shop-web {version} to production: {verdict} — {decision['reason']}",
                markup=False,
            )
    console.print("\nTry next (each line is a command to paste):", markup=False)
    for command in next_commands(report.directory):
        console.print(f"  {command}", markup=False)
    console.print(f"Admin token for the dashboard: {report.token}", markup=False)


# A victim of test-order pollution in the example: `tests classify` finds its polluter.
ORDER_VICTIM = "tests/test_currency.py::test_prices_default_to_usd"


def next_commands(directory: Path) -> list[str]:
    """The commands the demo suggests, quoted for a POSIX shell (paths may hold spaces)."""
    where = ["readiness", "-C", str(directory)]
    return [
        shlex.join([*where, "tests", "flaky"]),
        shlex.join([*where, "tests", "show", FLAKY_TEST]),
        shlex.join([*where, "tests", "classify", ORDER_VICTIM]),
        shlex.join([*where, "audit", "verify"]),
        shlex.join([*where, "audit", "timeline", "order", "ord_1001"]),
        shlex.join([*where, "migrations", "lint"]),
        shlex.join(
            [
                *where,
                "contracts",
                "schema",
                "check",
                SUBJECT,
                str(directory / "contracts" / "order-placed-v3.json"),
            ]
        ),
        shlex.join(
            [
                *where,
                "contracts",
                "can-i-deploy",
                "--pacticipant",
                "shop-web",
                "--version",
                "1.1.0",
                "--to-environment",
                "production",
            ]
        ),
        shlex.join([*where, "serve"]),
    ]
