"""Each event type end to end: the feature's real code path queues it, the worker delivers it
to a real local receiver."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.cli.main import main
from readiness.config import Settings
from readiness.notify.model import PENDING, TEST_BROKEN, TEST_FLAKY
from readiness.notify.service import NotifyService
from readiness.storage.engine import Stores
from readiness.testhealth.model import RunMeta
from readiness.testhealth.notices import sweep_quarantine
from readiness.testhealth.service import TestHealthService
from readiness.testing import junit_xml
from tests.notify.conftest import FAST
from tests.notify.receiver import Receiver

REFUND = "tests/test_pay.py::test_refund"
CREATE = "tests/test_orders.py::test_create"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_failing_merge_gate_queues_gate_failed_which_the_worker_delivers(
    capsys: pytest.CaptureFixture[str], project_dir: Path, receiver: Receiver
) -> None:
    code, out, _ = cli(
        capsys, project_dir, "notify", "webhooks", "add", receiver.url, "--event", "gate.failed"
    )
    assert code == 0
    assert out.startswith(f"webhook 1 added to project {project_dir.name} (gate.failed)\n")

    gate_code, _, _ = cli(capsys, project_dir, "gate", "merge")
    _, listed, _ = cli(capsys, project_dir, "notify", "deliveries", "-f", "json")

    assert gate_code == 1
    assert [(d["event_type"], d["status"]) for d in json.loads(listed)] == [
        ("gate.failed", PENDING)
    ]
    assert receiver.requests == []  # queued by the gate, not sent by it

    code, out, _ = cli(capsys, project_dir, "notify", "deliver", "--once")

    assert (code, out) == (
        0,
        "1 attempts, 1 delivered, 0 to retry or dead (see `readiness notify deliveries`)\n",
    )
    body = json.loads(receiver.requests[0].body)
    assert (body["type"], body["data"]["gate"]) == ("gate.failed", "merge")
    assert body["data"]["failed_checks"] == [
        "audit.capture_coverage",
        "contracts.verified",
        "logs.no_pii_in_log_calls",
        "tests.determinism_hints",
        "tests.no_new_flaky",
        "tests.passed",
        "tests.time_budget",
    ]


def _service(settings: Settings, stores: Stores, clock: FrozenClock) -> TestHealthService:
    return TestHealthService(settings=settings, stores=stores, clock=clock, project="shop")


def test_an_ingest_that_makes_a_test_flaky_queues_test_flaky_for_that_test_once(
    backend_settings: Settings, stores: Stores, clock: FrozenClock, notify: NotifyService
) -> None:
    notify.add_webhook(project="shop", url="https://h/x", events=["test.flaky", "test.broken"])
    service = _service(backend_settings, stores, clock)
    passing = junit_xml({REFUND: "passed", CREATE: "passed"})
    failing = junit_xml({REFUND: "failed", CREATE: "passed"})

    service.ingest_bytes(
        passing, source="a.xml", meta=RunMeta(commit="c1", branch="main", run_id="1")
    )
    clock.advance(timedelta(minutes=5))
    service.ingest_bytes(
        failing, source="b.xml", meta=RunMeta(commit="c1", branch="main", run_id="2")
    )
    clock.advance(timedelta(minutes=5))
    service.ingest_bytes(
        failing, source="c.xml", meta=RunMeta(commit="c1", branch="main", run_id="3")
    )

    found = notify.deliveries(project="shop")
    assert [d.event_type for d in found] == [TEST_FLAKY]
    payload = json.loads(found[0].payload)
    assert payload["data"]["test_id"] == REFUND
    assert payload["data"]["previous"] == "healthy"
    assert payload["link"] == "/tests/t/tests/test_pay.py::test_refund"


def test_an_ingest_without_webhooks_queues_nothing(
    backend_settings: Settings, stores: Stores, clock: FrozenClock, notify: NotifyService
) -> None:
    service = _service(backend_settings, stores, clock)
    for run, outcome in (("1", "passed"), ("2", "failed")):
        service.ingest_bytes(
            junit_xml({REFUND: outcome}),
            source=f"{run}.xml",
            meta=RunMeta(commit="c1", branch="main", run_id=run),
        )

    assert notify.deliveries(project=None) == []


def test_a_test_failing_on_every_run_queues_test_broken(
    backend_settings: Settings, stores: Stores, clock: FrozenClock, notify: NotifyService
) -> None:
    notify.add_webhook(project="shop", url="https://h/x", events=["test.broken"])
    service = _service(backend_settings, stores, clock)

    for run in range(1, 5):
        clock.advance(timedelta(minutes=5))
        service.ingest_bytes(
            junit_xml({REFUND: "failed", CREATE: "passed"}),
            source=f"{run}.xml",
            meta=RunMeta(commit=f"c{run}", branch="main", run_id=str(run)),
        )

    assert [d.event_type for d in notify.deliveries(project="shop")] == [TEST_BROKEN]


def test_a_quarantine_near_expiry_notifies_expiring_once_then_expired_once(
    backend_settings: Settings, stores: Stores, clock: FrozenClock, notify: NotifyService
) -> None:
    notify.add_webhook(
        project="shop", url="https://h/x", events=["quarantine.expiring", "quarantine.expired"]
    )
    service = TestHealthService(
        settings=backend_settings,
        stores=stores,
        clock=clock,
        project="shop",
        quarantine_backend="db",
    )
    service.ingest_bytes(junit_xml({REFUND: "failed"}), source="a.xml", meta=RunMeta(run_id="1"))
    service.quarantine_add(REFUND, reason="flaky, see #12", expires=clock.now() + timedelta(days=5))

    counts = [sweep_quarantine(stores, clock, FAST)]  # 5 days left: not yet
    clock.advance(timedelta(days=2, hours=1))
    counts += [sweep_quarantine(stores, clock, FAST), sweep_quarantine(stores, clock, FAST)]
    clock.advance(timedelta(days=3))
    counts += [sweep_quarantine(stores, clock, FAST), sweep_quarantine(stores, clock, FAST)]

    assert counts == [0, 1, 0, 1, 0]
    events = [json.loads(d.payload) for d in reversed(notify.deliveries(project="shop"))]
    assert [(e["type"], e["data"]["test_id"]) for e in events] == [
        ("quarantine.expiring", REFUND),
        ("quarantine.expired", REFUND),
    ]


def test_the_cli_sweep_and_deliver_send_the_expiring_notice(
    capsys: pytest.CaptureFixture[str], project_dir: Path, receiver: Receiver
) -> None:
    report = project_dir / "r.xml"
    report.write_bytes(junit_xml({REFUND: "failed"}))
    assert cli(capsys, project_dir, "tests", "ingest", str(report))[0] == 0
    quarantined = cli(
        capsys,
        project_dir,
        "tests",
        "quarantine",
        "add",
        REFUND,
        "--reason",
        "x",
        "--expires",
        "1d",
    )
    assert quarantined[0] == 0
    cli(capsys, project_dir, "notify", "webhooks", "add", receiver.url, "--kind", "slack")

    first = cli(capsys, project_dir, "notify", "sweep")
    again = cli(capsys, project_dir, "notify", "sweep")
    cli(capsys, project_dir, "notify", "deliver", "--once")

    assert (first[1], again[1]) == ("1 deliveries queued\n", "0 deliveries queued\n")
    [request] = receiver.requests
    assert json.loads(request.body)["text"].startswith(
        f":hourglass_flowing_sand: {project_dir.name}: quarantine of {REFUND} expires "
    )
