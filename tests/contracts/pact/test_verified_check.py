"""The merge gate's ``contracts.verified`` on SQLite and PostgreSQL: this provider version verified
the pacts its build had to (consumers' main branches, deployed versions, else each one's latest);
a pending pact's failure warns; no pacts at all is missing evidence unless allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import load_settings
from readiness.contracts.checks_pact import ALLOW_NO_PACTS, CHECKS, VerifiedCheck
from readiness.contracts.pact.service import PactService
from readiness.gate.model import CheckResult, CheckStatus, Gate, GateContext
from readiness.projects.service import ProjectService
from readiness.storage import Stores


def _pact(consumer: str, description: str) -> dict[str, object]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": "users"},
        "interactions": [{"description": description}],
    }


@pytest.fixture
def service(stores: Stores, clock: FrozenClock) -> PactService:
    ProjectService(stores=stores, clock=clock, actor="test").ensure("shop")
    return PactService(stores, clock, "shop")


def _run(
    service: PactService | None, clock: FrozenClock, tmp_path: Path, **extra: object
) -> CheckResult:
    services: dict[str, object] = {"contracts_pacticipant": "users", **extra}
    if service is not None:
        services["contracts_pact"] = service
    context = GateContext(
        gate=Gate.MERGE,
        root=tmp_path,
        settings=load_settings(tmp_path, environ={}),
        clock=clock,
        head="p1",
        services=services,
    )
    return VerifiedCheck().run(context)


def test_the_check_runs_in_the_merge_gate_only() -> None:
    check = next(c for c in CHECKS if c.id == "contracts.verified")

    assert check.gates == (Gate.MERGE,)


def test_no_broker_is_missing_evidence(clock: FrozenClock, tmp_path: Path) -> None:
    result = _run(None, clock, tmp_path)

    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, True)
    assert result.summary == (
        "No verification evidence: missing a Pact broker (contracts_pact service)"
    )


def test_no_pacts_fails_for_missing_evidence_unless_allowed(
    service: PactService, clock: FrozenClock, tmp_path: Path
) -> None:
    refused = _run(service, clock, tmp_path)
    allowed = _run(service, clock, tmp_path, **{ALLOW_NO_PACTS: True})

    assert (refused.status, refused.missing_evidence) == (CheckStatus.FAIL, True)
    assert refused.summary == "users has no consumer pacts: nothing was verified"
    assert (allowed.status, allowed.summary) == (
        CheckStatus.PASS,
        "users has no consumer pacts (allowed)",
    )


def test_the_main_branch_pact_verified_successfully_passes(
    service: PactService, clock: FrozenClock, tmp_path: Path
) -> None:
    service.publish("web", "users", "c1", _pact("web", "a"), branch="main")
    service.set_main_branch("web", "main")
    service.publish("web", "users", "c2", _pact("web", "b"), branch="feature")
    service.verify(service.pact("users", "web", "c1")[0], "p1", True, {})

    result = _run(service, clock, tmp_path)

    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        "users p1 verified 1 pact(s) successfully",
    )
    assert result.evidence["pacts"] == [
        {"consumer": "web", "consumer_version": "c1", "state": "verified", "pending": True}
    ]


def test_an_unverified_pact_that_is_not_pending_fails(
    service: PactService, clock: FrozenClock, tmp_path: Path
) -> None:
    service.set_main_branch("users", "main")
    service.publish("web", "users", "c1", _pact("web", "a"))
    service.branch_version("users", "main", "p0")
    service.verify(service.pact("users", "web", "c1")[0], "p0", True, {})  # no longer pending

    result = _run(service, clock, tmp_path)

    assert result.status is CheckStatus.FAIL
    assert result.summary == "users p1 did not verify: web c1 (unverified)"
    assert result.missing_evidence is True


def test_a_failed_verification_fails_and_a_pending_pacts_failure_warns(
    service: PactService, clock: FrozenClock, tmp_path: Path
) -> None:
    service.set_main_branch("users", "main")
    service.publish("web", "users", "c1", _pact("web", "a"))
    service.publish("app", "users", "a1", _pact("app", "b"))
    service.branch_version("users", "main", "p0")
    service.verify(service.pact("users", "web", "c1")[0], "p0", True, {})
    service.verify(service.pact("users", "app", "a1")[0], "p1", False, {})  # never verified
    pending_only = _run(service, clock, tmp_path)
    service.verify(service.pact("users", "web", "c1")[0], "p1", False, {})

    failed = _run(service, clock, tmp_path)

    assert (pending_only.status, pending_only.summary) == (
        CheckStatus.FAIL,
        "users p1 did not verify: web c1 (unverified)",
    )
    assert (failed.status, failed.missing_evidence) == (CheckStatus.FAIL, False)
    assert failed.summary == "users p1 did not verify: web c1 (failed)"


def test_only_a_pending_pact_failing_is_a_warning(
    service: PactService, clock: FrozenClock, tmp_path: Path
) -> None:
    service.set_main_branch("users", "main")
    service.publish("web", "users", "c1", _pact("web", "a"))
    service.publish("app", "users", "a1", _pact("app", "b"))
    service.branch_version("users", "main", "p0")
    service.verify(service.pact("users", "web", "c1")[0], "p0", True, {})
    service.verify(service.pact("users", "web", "c1")[0], "p1", True, {})
    service.verify(service.pact("users", "app", "a1")[0], "p1", False, {})

    result = _run(service, clock, tmp_path)

    assert (result.status, result.summary) == (
        CheckStatus.WARN,
        "users p1: pending pacts not verified: app a1 (failed)",
    )
