"""``readiness demo`` end to end: the real example suite runs, and the findings are the story."""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from readiness.demo import DemoReport, render_demo_text, run_demo
from tests._live import free_port, wait_until

pytestmark = pytest.mark.slow

READINESS = Path(sys.executable).with_name("readiness")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    """One demo run (about a minute) shared by the tests of this module."""
    root = tmp_path_factory.mktemp("demo") / "demo project"  # a space: commands must quote it
    return run_demo(root, progress=False, now=datetime(2026, 11, 20, 12, tzinfo=UTC))


def test_the_demo_finds_the_race_the_pollution_the_regression_and_the_new_flaky_test(
    report: DemoReport,
) -> None:
    statuses = {f["test_id"]: (f["status"], f["is_new"]) for f in report.flaky}
    gate = {c["id"]: c["status"] for c in json.loads(report.gate["report"])["checks"]}
    assert len(report.ingested) == 18
    assert [r["run_key"] for r in report.ingested if r["infra_failure"]] != []
    assert sum(r["infra_failure"] for r in report.ingested) == 1
    assert statuses == {
        "tests/test_orders.py::test_refund_restores_stock": ("broken", False),
        "tests/test_currency.py::test_prices_default_to_usd": ("flaky", False),
        "tests/test_invoices.py::test_invoice_number_is_unique": ("flaky", True),
        "tests/test_payments.py::test_webhook_is_acknowledged": ("quarantined", False),
    }
    assert [(q["test_id"], q["owner"]) for q in report.quarantine] == [
        ("tests/test_payments.py::test_webhook_is_acknowledged", "@payments-team")
    ]
    assert gate == {
        "audit.capture_coverage": "fail",  # the shop's three POST routes emit no audit event
        # The demo configures no event schemas and publishes none of the shop's pacts.
        "contracts.schemas_compatible": "skip",
        "contracts.verified": "fail",
        "logs.no_pii_in_log_calls": "fail",  # shop.domain logs a registration's email
        "migrations.lint": "fail",  # release 1.4 renames orders.total
        "migrations.rollback_safe": "skip",  # no PostgreSQL in the demo
        "tests.determinism_hints": "warn",
        "tests.no_new_flaky": "fail",
        "tests.passed": "fail",
        "tests.quarantine_expired": "warn",
        "tests.time_budget": "pass",
    }
    assert report.gate["verdict"] == "fail"
    assert report.token.startswith("rdy_")


def test_the_demo_keeps_a_verified_audit_trail_of_the_shop_and_the_platform(
    report: DemoReport,
) -> None:
    # 8 shop events after 21 platform events: the move of the old chain, 18 ingests, the
    # quarantine and the admin token.
    assert report.audit == {
        "events": 8,
        "size": 29,
        "checkpoint_size": 29,
        "verified": True,
        "errors": [],
    }
    out = io.StringIO()
    render_demo_text(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    assert (
        "8 shop audit events and the platform's own actions in a Merkle log of 29 entries; "
        "checkpoint signed at size 29 and written outside the database; verified."
    ) in out.getvalue().splitlines()


def printed_commands(report: DemoReport) -> list[list[str]]:
    """The lines the demo prints under "Try next", split as a POSIX shell would."""
    out = io.StringIO()
    render_demo_text(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    lines = out.getvalue().splitlines()
    start = lines.index("Try next (each line is a command to paste):")
    return [shlex.split(line) for line in lines[start + 1 :] if line.startswith("  ")]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    return env | extra


def test_the_demo_lints_the_shop_s_pending_migration(report: DemoReport) -> None:
    assert [(f["file"], f["line"], f["rule"]) for f in report.migrations["findings"]] == [
        ("migrations/V3__rename_total.sql", 5, "rename-column")
    ]
    out = io.StringIO()
    render_demo_text(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    assert (
        "migrations/V3__rename_total.sql:5: error [rename-column] renaming column orders.total "
        "to amount_cents: the previous application version still uses total; lock ACCESS "
        "EXCLUSIVE, rollback-safe: no"
    ) in out.getvalue().splitlines()


def test_the_demo_checks_the_shop_s_event_schema_and_its_front_end_s_pacts(
    report: DemoReport,
) -> None:
    why = (
        "BACKWARD: property_became_required at #/properties/currency: writer data may omit "
        "'currency', the reader requires it; the new schema cannot read data written with the "
        "old one (reader: True, writer: False)"
    )
    assert report.contracts == {
        "subject": "order-placed-value",
        "versions": 2,
        "proposed": {"compatible": False, "mode": "BACKWARD", "messages": [why]},
        "can_i_deploy": {
            "1.0.0": {
                "deployable": True,
                "reason": "All required verification results are published and successful",
            },
            "1.1.0": {
                "deployable": False,
                "reason": "The verification for the pact between shop-web (1.1.0) and shop-api "
                "(1.4.0) failed",
            },
        },
    }
    out = io.StringIO()
    render_demo_text(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    lines = out.getvalue().splitlines()
    start = lines.index("Contracts")
    assert lines[start + 1 : start + 5] == [
        "order-placed-value: 2 versions registered; the pull request's order-placed-v3.json is "
        "NOT BACKWARD compatible:",
        f"  {why}",
        "can-i-deploy shop-web 1.0.0 to production: yes — All required verification results "
        "are published and successful",
        "can-i-deploy shop-web 1.1.0 to production: no — The verification for the pact between "
        "shop-web (1.1.0) and shop-api (1.4.0) failed",
    ]


def test_the_demo_catches_the_shop_s_leaking_log_call_and_shows_the_line_redacted(
    report: DemoReport,
) -> None:
    message = "variable 'email' is named like personal data (email) and reaches the log line"
    assert [(f["file"], f["line"], f["rule"], f["message"]) for f in report.logs["findings"]] == [
        ("shop/domain.py", 40, "pii-name", message)
    ]
    line = (
        '{"timestamp":"2026-11-20T09:00:00.000Z","level":"info","service":"shop",'
        '"environment":"demo","version":"1.4.0","message":"registered ada <[EMAIL]>",'
        '"logger":"shop"}'
    )
    assert report.logs["line"] == line
    out = io.StringIO()
    render_demo_text(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    lines = out.getvalue().splitlines()
    start = lines.index("Logging")
    assert lines[start + 1 : start + 3] == [
        f"shop/domain.py:40: error [pii-name] {message}",
        f"what it writes through readiness.logs: {line}",
    ]


def test_the_demo_prints_ten_commands_on_its_project(report: DemoReport) -> None:
    commands = printed_commands(report)

    assert [c[:3] for c in commands] == [["readiness", "-C", str(report.directory)]] * 10
    assert [c[3:] for c in commands] == [
        ["tests", "flaky"],
        ["tests", "show", "tests/test_payments.py::test_webhook_is_acknowledged"],
        ["tests", "classify", "tests/test_currency.py::test_prices_default_to_usd"],
        ["audit", "verify"],
        ["audit", "timeline", "order", "ord_1001"],
        ["migrations", "lint"],
        ["logs", "lint"],
        [
            "contracts",
            "schema",
            "check",
            "order-placed-value",
            str(report.directory / "contracts" / "order-placed-v3.json"),
        ],
        [
            "contracts",
            "can-i-deploy",
            "--pacticipant",
            "shop-web",
            "--version",
            "1.1.0",
            "--to-environment",
            "production",
        ],
        ["serve"],
    ]


def test_every_printed_report_command_works_when_pasted(report: DemoReport) -> None:
    results = []
    for command in printed_commands(report)[:9]:
        proc = subprocess.run(
            [str(READINESS), *command[1:]],
            env=clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        results.append((command[3:5], proc.returncode, proc.stderr))

    assert [(what, code, err) for what, code, err in results] == [
        (["tests", "flaky"], 0, ""),
        (["tests", "show"], 0, ""),
        (["tests", "classify"], 0, ""),
        (["audit", "verify"], 0, ""),
        (["audit", "timeline"], 0, ""),
        (["migrations", "lint"], 1, ""),  # exit 1: the pending migration has a finding
        (["logs", "lint"], 1, ""),  # exit 1: shop.domain logs an email
        (["contracts", "schema"], 1, ""),  # exit 1: the pull request's schema breaks readers
        (["contracts", "can-i-deploy"], 1, ""),  # exit 1: shop-api failed shop-web 1.1.0's pact
    ]


def test_the_printed_serve_command_serves_the_dashboard(report: DemoReport) -> None:
    [serve] = [c for c in printed_commands(report) if c[-1] == "serve"]
    port = free_port()  # the printed command uses the configured port: point it at a free one
    proc = subprocess.Popen(
        [str(READINESS), *serve[1:]],
        env=clean_env(READINESS_SERVER__PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None  # stop waiting if the server died

    try:
        wait_until(healthy, "the demo's server to answer /healthz")
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        proc.kill()

    assert proc.returncode == 0


def test_the_demo_counts_its_one_infrastructure_failure_in_the_singular(
    report: DemoReport,
) -> None:
    out = io.StringIO()
    render_demo_text(report, Console(file=out, width=200, highlight=False, soft_wrap=True))
    results = sum(r["results"] for r in report.ingested)

    assert (
        f"Ingested {len(report.ingested)} CI runs ({results} test results); "
        "1 infrastructure-failure run left out of every statistic."
    ) in out.getvalue().splitlines()
