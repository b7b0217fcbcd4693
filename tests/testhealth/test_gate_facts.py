"""The service as the merge gate reads it: history up to a commit, latest-run outcomes."""

from __future__ import annotations

from datetime import timedelta

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.storage.engine import Stores
from readiness.testhealth.facts import GateFacts
from readiness.testhealth.model import RunMeta, TestStatus
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml

WEBHOOK = "tests/test_pay.py::test_webhook"
REFUND = "tests/test_pay.py::test_refund"


def ingest(
    service: TestHealthService, clock: FrozenClock, commit: str, run: str, outcomes: dict[str, str]
) -> None:
    clock.advance(timedelta(hours=1))
    service.ingest_bytes(
        junit_xml(outcomes),
        source=f"{run}.xml",
        meta=RunMeta(commit=commit, branch="main", run_id=run, timestamp=clock.now()),
    )


def test_health_of_a_commit_ignores_runs_that_came_after_it(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    ingest(service, clock, "c1", "r1", {WEBHOOK: "passed", REFUND: "passed"})
    ingest(service, clock, "c2", "r2", {WEBHOOK: "failed", REFUND: "passed"})
    ingest(service, clock, "c2", "r3", {WEBHOOK: "passed", REFUND: "passed"})
    facts = GateFacts(service)

    at_c1 = {h.test_id: h.status for h in facts.health("c1")}
    at_c2 = {h.test_id: h.status for h in facts.health("c2")}

    assert at_c1 == {REFUND: TestStatus.HEALTHY, WEBHOOK: TestStatus.HEALTHY}
    assert at_c2 == {REFUND: TestStatus.HEALTHY, WEBHOOK: TestStatus.FLAKY}
    assert facts.health("unknown-commit") == []


def test_latest_run_failures_take_the_ci_retry_and_set_quarantined_failures_apart(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    service.quarantine_add(WEBHOOK, reason="races the worker", allow_unknown=True)
    ingest(service, clock, "c1", "r1", {WEBHOOK: "failed", REFUND: "failed"})
    clock.advance(timedelta(minutes=5))
    service.ingest_bytes(
        junit_xml({WEBHOOK: "failed", REFUND: "passed"}),
        source="retry.xml",
        meta=RunMeta(commit="c1", branch="main", run_id="r1", attempt=2, timestamp=clock.now()),
    )

    found = GateFacts(service).latest_run_failures("c1")

    assert found is not None
    assert (found.commit, found.tests, found.failed, found.quarantined_failed) == (
        "c1",
        2,
        (),
        (WEBHOOK,),
    )
    assert len(found.run_keys) == 1
    assert GateFacts(service).latest_run_failures("c9") is None
