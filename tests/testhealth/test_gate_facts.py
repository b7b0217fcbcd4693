"""The service as the merge gate reads it: history up to a commit, latest-run outcomes,
collection errors and the commits recorded."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # builds the report; parsing goes through the ingest
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


def pytest_collection_error_report(module: str, *, passed: tuple[str, ...] = ()) -> bytes:
    """A report shaped like pytest's own ``--junitxml`` when ``module`` cannot be imported.

    pytest writes the failed collector as a testcase with an empty classname, the module's
    dotted name and ``<error message="collection failure">`` holding the traceback.
    """
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(
        root, "testsuite", name="pytest", errors="1", failures="0", skipped="0",
        tests=str(1 + len(passed)), time="0.4",
    )  # fmt: skip
    for test_id in passed:
        path, _, name = test_id.partition("::")
        classname = path.removesuffix(".py").replace("/", ".")
        ET.SubElement(suite, "testcase", classname=classname, name=name, time="0.001")
    case = ET.SubElement(suite, "testcase", classname="", name=module, time="0.000")
    error = ET.SubElement(case, "error", message="collection failure")
    error.text = (
        f"ImportError while importing test module '/ci/{module.replace('.', '/')}.py'.\n"
        "E   ModuleNotFoundError: No module named 'nonexistent_mod'"
    )
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def test_a_collection_error_is_a_blocking_failure_even_when_quarantined(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    service.ingest_bytes(
        pytest_collection_error_report("tests.test_broken", passed=(REFUND,)),
        source="report.xml",
        meta=RunMeta(commit="c1", branch="main", run_id="r1", timestamp=clock.now()),
    )
    # The reader names the collector (tests/test_broken.py under CONTRACTS C2).
    [broken] = [t for t in service.known_test_ids() if t != REFUND]
    service.quarantine_add(broken, reason="someone tried to hide it")

    found = GateFacts(service).latest_run_failures("c1")

    assert found is not None
    assert (found.tests, found.failed, found.quarantined_failed) == (2, (broken,), ())
    assert (found.collection_errors, found.session_errors) == ((broken,), ())


def test_an_ordinary_error_is_not_a_collection_error(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    ingest(service, clock, "c1", "r1", {WEBHOOK: "error", REFUND: "passed"})

    found = GateFacts(service).latest_run_failures("c1")

    assert found is not None
    assert (found.failed, found.collection_errors, found.session_errors) == ((WEBHOOK,), (), ())


def test_recent_commits_are_distinct_newest_first_with_none_for_runs_without_one(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    for n, commit in enumerate(["c1", "c2", "c2", None, "c3", "c4"]):
        clock.advance(timedelta(hours=1))
        service.ingest_bytes(
            junit_xml({REFUND: "passed", f"tests/test_{n}.py::test_n": "passed"}),
            source=f"r{n}.xml",
            meta=RunMeta(commit=commit, branch="main", run_id=f"r{n}", timestamp=clock.now()),
        )
    facts = GateFacts(service)

    assert list(facts.recent_commits(3)) == ["c4", "c3", None]
    assert list(facts.recent_commits(10)) == ["c4", "c3", None, "c2", "c1"]


def test_recent_commits_are_empty_without_any_run(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)

    assert list(GateFacts(service).recent_commits(3)) == []
