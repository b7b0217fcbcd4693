"""``readiness contracts publish|can-i-deploy|record-deployment`` on a fresh Typer app, and the
deploy gate's ``contracts.can_i_deploy`` check (no evidence is a fail, never a pass)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.console import CliState
from readiness.contracts.checks_pact import CHECKS, CanIDeployCheck
from readiness.contracts.cli_pact import register
from readiness.contracts.pact.service import PactService
from readiness.gate.model import CheckStatus, Gate, GateContext
from readiness.projects.service import ProjectService
from readiness.storage import open_stores

PACT = {"consumer": {"name": "web"}, "provider": {"name": "users"}, "interactions": []}


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _run(settings: Settings, clock: FrozenClock, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), list(args), obj=CliState(settings.root, clock=clock))
    return result.exit_code, result.output


def test_publish_then_can_i_deploy_says_no_then_yes(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    pact_file = tmp_path / "web-users.json"
    pact_file.write_text(json.dumps(PACT))
    assert (
        _run(
            settings,
            clock,
            "publish",
            str(pact_file),
            "--consumer-version",
            "c1",
            "--branch",
            "main",
        )[0]
        == 0
    )
    assert _run(settings, clock, "create-environment", "prod")[0] == 0
    ask = ("can-i-deploy", "--pacticipant", "web", "--version", "c1", "--to-environment", "prod")

    code, out = _run(settings, clock, *ask)
    assert code == 1
    assert "no version is currently recorded as deployed/released" in out

    stores = open_stores(settings)
    try:
        service = PactService(stores, clock, settings.project)
        pact, _ = service.pact("users", "web", "c1")
        service.verify(pact, "p1", True, {})
    finally:
        stores.dispose()
    deployed = _run(
        settings,
        clock,
        "record-deployment",
        "--pacticipant",
        "users",
        "--version",
        "p1",
        "--environment",
        "prod",
    )
    assert deployed[0] == 0
    code, out = _run(settings, clock, *ask, "--format", "json")
    assert code == 0
    answer = json.loads(out)
    assert answer["deployable"] is True
    assert answer["reason"] == "All required verification results are published and successful"


def test_a_changed_pact_and_a_missing_file_exit_2(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    pact_file = tmp_path / "p.json"
    pact_file.write_text(json.dumps(PACT))
    _run(settings, clock, "publish", str(pact_file), "--consumer-version", "c1")
    pact_file.write_text(json.dumps({**PACT, "interactions": [{"x": 1}]}))

    code, out = _run(settings, clock, "publish", str(pact_file), "--consumer-version", "c1")
    assert code == 2
    assert "a different pact between web and users is already published" in out
    assert (
        _run(settings, clock, "publish", str(tmp_path / "nope.json"), "--consumer-version", "c1")[0]
        == 2
    )


def _context(settings: Settings, clock: FrozenClock, **services: object) -> GateContext:
    return GateContext(
        Gate.DEPLOY,
        settings.root,
        settings,
        clock,
        head="c1",
        environment="prod",
        services=services,
    )


def test_the_check_fails_without_evidence_and_passes_on_a_verified_matrix(
    settings: Settings, clock: FrozenClock
) -> None:
    assert [c.id for c in CHECKS] == ["contracts.verified", "contracts.can_i_deploy"]
    check = CanIDeployCheck()
    none = check.run(_context(settings, clock))
    assert none.status is CheckStatus.FAIL
    assert none.missing_evidence is True
    stores = open_stores(settings)
    try:
        ProjectService(stores=stores, clock=clock, actor="test").ensure(settings.project)
        service = PactService(stores, clock, settings.project)
        nothing = check.run(
            _context(settings, clock, contracts_pact=service, contracts_pacticipant="web")
        )
        assert nothing.status is CheckStatus.FAIL
        service.publish("web", "users", "c1", PACT)
        service.create_environment("prod")
        service.verify(service.pact("users", "web", "c1")[0], "p1", True, {})
        service.record("users", "p1", "prod")
        verified = check.run(
            _context(settings, clock, contracts_pact=service, contracts_pacticipant="web")
        )
    finally:
        stores.dispose()
    assert verified.status is CheckStatus.PASS
    assert verified.evidence == {
        "pacticipant": "web",
        "version": "c1",
        "environment": "prod",
        "rows": 1,
    }


def test_gate_services_give_the_check_the_project_broker(settings: Settings) -> None:
    from readiness.contracts.checks_pact import SERVICE_NAME, gate_services

    assert gate_services(settings, None) == {}
    stores = open_stores(settings)
    try:
        service = gate_services(settings, stores)[SERVICE_NAME]
        assert service.store.project == settings.project
    finally:
        stores.dispose()
