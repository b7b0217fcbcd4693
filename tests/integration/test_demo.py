"""``readiness demo`` end to end: the real example suite runs, and the findings are the story."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness.demo import run_demo

pytestmark = pytest.mark.slow


def test_the_demo_finds_the_race_the_pollution_the_regression_and_the_new_flaky_test(
    tmp_path: Path,
) -> None:
    report = run_demo(tmp_path / "demo", progress=False, now=datetime(2026, 11, 20, 12, tzinfo=UTC))

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
        "tests.determinism_hints": "warn",
        "tests.no_new_flaky": "fail",
        "tests.passed": "fail",
        "tests.quarantine_expired": "warn",
    }
    assert report.gate["verdict"] == "fail"
    assert report.token.startswith("rdy_")
