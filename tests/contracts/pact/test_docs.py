"""The commands printed in docs/contracts-pact.md run as printed, in order."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.console import CliState
from readiness.contracts import cli_coverage, cli_pact
from readiness.contracts.pact.service import PactService
from readiness.storage import open_stores

DOC = Path(__file__).resolve().parents[3] / "docs" / "contracts-pact.md"


def _transcript() -> list[tuple[str, str]]:
    """(command, first output line) pairs from the doc's console block."""
    lines = DOC.read_text(encoding="utf-8").split("```console\n", 1)[1].split("```", 1)[0]
    out: list[tuple[str, str]] = []
    for line in lines.splitlines():
        if line.startswith("$ readiness contracts "):
            out.append((line.removeprefix("$ readiness contracts "), ""))
        elif out and not out[-1][1]:
            out[-1] = (out[-1][0], line)
    return out


def test_the_documented_session_runs_as_printed(
    settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(settings.root)
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    (settings.root / "pacts").mkdir()
    pact = {"consumer": {"name": "web"}, "provider": {"name": "users"}, "interactions": []}
    (settings.root / "pacts" / "web-users.json").write_text(json.dumps(pact))
    openapi = {"openapi": "3.1.0", "paths": {"/users/{id}": {"get": {}}, "/users": {"post": {}}}}
    (settings.root / "pacts" / "users-openapi.json").write_text(json.dumps(openapi))
    app = typer.Typer()
    cli_pact.register(app)
    cli_coverage.register(app)
    steps = _transcript()
    assert [s[0].split()[0] for s in steps] == [
        "publish",
        "create-environment",
        "can-i-deploy",
        "record-deployment",
        "record-release",
        "record-undeployment",
        "record-support-ended",
        "coverage",
        "coverage",
        "show-interface",
        "delete-interface",
    ]
    for command, first_line in steps:
        result = CliRunner().invoke(
            app, shlex.split(command), obj=CliState(settings.root, clock=clock)
        )
        fails = command.startswith(("can-i-deploy", "coverage"))  # no, and uncovered
        assert result.exit_code == (1 if fails else 0), result.output
        assert result.output.splitlines()[0] == first_line
    stores = open_stores(settings)
    try:
        assert PactService(stores, clock, settings.project).stored_coverage() == []
    finally:
        stores.dispose()
