"""Recording a fix verification: its experiments are audited; still flaky stays quarantined."""

from __future__ import annotations

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.storage.engine import Stores
from readiness.testhealth.model import FixVerification, RunMeta
from readiness.testhealth.service import TestHealthService
from readiness.testing import captured_audit_events, junit_xml

VICTIM = "tests/pricing/test_labels.py::test_labels_default_to_usd"


def _verification(verdict: str, experiments: dict[str, str]) -> FixVerification:
    failures = 0 if verdict == "fixed" else 1
    return FixVerification(
        test_id=VICTIM,
        flake_rate=0.01,
        alpha=0.05,
        required_runs=299,
        runs=299 if verdict == "fixed" else 1,
        failures=failures,
        verdict=verdict,
        experiments=experiments,
    )


def test_the_audit_event_of_a_verification_names_what_each_experiment_showed(
    stores: Stores, settings: Settings, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=settings, stores=stores, clock=clock)

    service.record_fix_verification(
        _verification("still-flaky", {"failing-order-1": "failed 1 of 1"})
    )

    [event] = captured_audit_events(stores, action_prefix="tests.fix.verified")
    assert event.details["experiments"] == {"failing-order-1": "failed 1 of 1"}


def test_a_still_flaky_verdict_keeps_the_test_in_quarantine(
    stores: Stores, settings: Settings, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=settings, stores=stores, clock=clock)
    service.ingest_bytes(junit_xml({VICTIM: "failed"}), source="ci.xml", meta=RunMeta())
    service.quarantine_add(VICTIM, reason="fails after the settings tests")

    service.record_fix_verification(
        _verification("still-flaky", {"failing-order-1": "failed 1 of 1"})
    )

    assert [e.test_id for e in service.quarantine_entries()] == [VICTIM]
