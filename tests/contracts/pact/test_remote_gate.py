"""The Pact checks against a shared server (``READINESS_URL``): the gate reads the server's
verification evidence and can-i-deploy answer over real HTTP and concludes, word for word, what
the same checks conclude on the server's own database; an unreachable server is an error of the
check, never a pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.contracts.checks_pact import (
    PACTICIPANT,
    SERVICE_NAME,
    CanIDeployCheck,
    VerifiedCheck,
    gate_services,
)
from readiness.contracts.pact.remote_gate import RemoteGateBroker
from readiness.contracts.pact.service import PactService
from readiness.errors import RemoteError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext
from tests._live import free_port, live_server
from tests.contracts.pact.conftest import Broker


def _pact(consumer: str, description: str) -> dict[str, object]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": "users"},
        "interactions": [{"description": description}],
    }


@pytest.fixture
def served(broker: Broker) -> Iterator[str]:
    with live_server(broker.app) as url:
        yield url


def _check(
    check: Check, service: object, clock: FrozenClock, tmp_path: Path, *, gate: Gate
) -> CheckResult:
    context = GateContext(
        gate=gate,
        root=tmp_path,
        settings=load_settings(tmp_path, environ={}),
        clock=clock,
        head="p1",
        environment="prod",
        services={SERVICE_NAME: service, PACTICIPANT: "users"},
    )
    return check.run(context)


def _both(
    check: Check,
    local: PactService,
    remote: RemoteGateBroker,
    clock: FrozenClock,
    tmp_path: Path,
    *,
    gate: Gate = Gate.MERGE,
) -> tuple[CheckResult, CheckResult]:
    return (
        _check(check, local, clock, tmp_path, gate=gate),
        _check(check, remote, clock, tmp_path, gate=gate),
    )


@pytest.fixture
def local(broker: Broker, settings: Settings, clock: FrozenClock) -> PactService:
    return PactService(broker.stores, clock, settings.project)


@pytest.fixture
def remote(served: str, broker: Broker, settings: Settings) -> Iterator[RemoteGateBroker]:
    client = RemoteGateBroker(served, broker.reader, settings.project)
    try:
        yield client
    finally:
        client.close()


def test_a_verified_main_branch_pact_passes_remotely_as_locally(
    local: PactService, remote: RemoteGateBroker, clock: FrozenClock, tmp_path: Path
) -> None:
    local.publish("web", "users", "c1", _pact("web", "a"), branch="main")
    local.set_main_branch("web", "main")
    local.verify(local.pact("users", "web", "c1")[0], "p1", True, {})

    here, there = _both(VerifiedCheck(), local, remote, clock, tmp_path)

    assert there == here
    assert (there.status, there.summary) == (
        CheckStatus.PASS,
        "users p1 verified 1 pact(s) successfully",
    )
    assert there.evidence["pacts"] == [
        {"consumer": "web", "consumer_version": "c1", "state": "verified", "pending": True}
    ]


def test_a_failed_pact_and_a_pending_one_judge_the_same_remotely(
    local: PactService, remote: RemoteGateBroker, clock: FrozenClock, tmp_path: Path
) -> None:
    local.set_main_branch("users", "main")
    local.publish("web", "users", "c1", _pact("web", "a"))
    local.publish("app", "users", "a1", _pact("app", "b"))
    local.branch_version("users", "main", "p0")
    local.verify(local.pact("users", "web", "c1")[0], "p0", True, {})
    local.verify(local.pact("users", "app", "a1")[0], "p1", False, {})
    pending_only = _both(VerifiedCheck(), local, remote, clock, tmp_path)
    local.verify(local.pact("users", "web", "c1")[0], "p1", False, {})

    failed = _both(VerifiedCheck(), local, remote, clock, tmp_path)

    assert pending_only[1] == pending_only[0]
    assert (pending_only[1].status, pending_only[1].summary) == (
        CheckStatus.FAIL,
        "users p1 did not verify: web c1 (unverified)",
    )
    assert failed[1] == failed[0]
    assert (failed[1].status, failed[1].summary, failed[1].missing_evidence) == (
        CheckStatus.FAIL,
        "users p1 did not verify: web c1 (failed)",
        False,
    )


def test_no_pacts_on_the_server_is_missing_evidence_remotely(
    local: PactService, remote: RemoteGateBroker, clock: FrozenClock, tmp_path: Path
) -> None:
    here, there = _both(VerifiedCheck(), local, remote, clock, tmp_path)

    assert there == here
    assert (there.status, there.missing_evidence, there.summary) == (
        CheckStatus.FAIL,
        True,
        "users has no consumer pacts: nothing was verified",
    )


def test_can_i_deploy_judges_the_same_remotely(
    local: PactService, remote: RemoteGateBroker, clock: FrozenClock, tmp_path: Path
) -> None:
    local.create_environment("prod", production=True)
    local.publish("users", "orders", "p1", {**_pact("users", "a"), "provider": {"name": "orders"}})
    refused = _both(CanIDeployCheck(), local, remote, clock, tmp_path, gate=Gate.DEPLOY)
    local.verify(local.pact("orders", "users", "p1")[0], "o1", True, {})
    local.record("orders", "o1", "prod", kind="deployment")

    allowed = _both(CanIDeployCheck(), local, remote, clock, tmp_path, gate=Gate.DEPLOY)

    assert refused[1] == refused[0]
    assert refused[1].status is CheckStatus.FAIL
    assert allowed[1] == allowed[0]
    assert allowed[1].status is CheckStatus.PASS
    assert allowed[1].evidence == {
        "pacticipant": "users",
        "version": "p1",
        "environment": "prod",
        "rows": 1,
    }


def test_an_unreachable_server_is_an_error_of_the_check_naming_readiness_url(
    clock: FrozenClock, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    remote = RemoteGateBroker(url, "rdy_secret", "shop")
    try:
        result = _check(VerifiedCheck(), remote, clock, tmp_path, gate=Gate.MERGE)
    finally:
        remote.close()

    assert result.status is CheckStatus.ERROR
    assert result.summary == (
        f"verification evidence unreadable: the Pact broker at {url}/api/v1/pact cannot be "
        "reached (ConnectError); check READINESS_URL"
    )


def test_a_refused_token_names_readiness_token_and_is_never_printed(
    served: str, clock: FrozenClock, tmp_path: Path
) -> None:
    remote = RemoteGateBroker(served, "rdy_not-a-token", "shop")
    try:
        result = _check(VerifiedCheck(), remote, clock, tmp_path, gate=Gate.MERGE)
    finally:
        remote.close()

    assert result.status is CheckStatus.ERROR
    assert result.summary == (
        f"verification evidence unreadable: the Pact broker at {served}/api/v1/pact refused the "
        "token (401); check READINESS_TOKEN and its role"
    )


def test_an_answer_of_an_unknown_shape_is_a_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"pacts": [{"consumer": "web", "state": "great"}]})

    remote = RemoteGateBroker(
        "http://server.test", "t", "shop", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(RemoteError) as caught:
        remote.evidence("users", "p1")

    assert caught.value.message == (
        "the server at http://server.test/api/v1/pact answered verification evidence in a shape "
        "this client does not know; is it a Readiness server of the same version?"
    )


def test_the_gate_against_a_server_gets_the_server_s_broker(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, environ={"READINESS_URL": "http://server.test", "READINESS_TOKEN": "t"}
    )

    services = gate_services(settings, None)
    try:
        assert isinstance(services[SERVICE_NAME], RemoteGateBroker)
        assert services[SERVICE_NAME].broker.base == "http://server.test/api/v1/pact"
    finally:
        services[SERVICE_NAME].close()


def test_a_local_gate_without_a_database_has_no_broker(tmp_path: Path) -> None:
    assert gate_services(load_settings(tmp_path, environ={}), None) == {}
