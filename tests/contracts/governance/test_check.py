"""Merge-gate check ``contracts.schemas_compatible`` on real files and a real registry: new
subjects pass, unchanged ones pass, breaking changes fail with their consumers, changelogs next
to the schema satisfy governance, and no registry is missing evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.config import ContractsSettings, Settings, load_settings
from readiness.contracts.checks_registry import CHECKS, gate_services, schema_files
from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.gate.model import CheckResult, CheckStatus, Gate, GateContext
from readiness.storage import Stores

(CHECK,) = CHECKS
V1 = {"type": "object", "properties": {"id": {"type": "integer"}, "amount": {"type": "number"}}}
AMOUNT_TEXT = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "amount": {"type": "string"}},
}


def write(root: Path, name: str, schema: Any) -> None:
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / name).write_text(json.dumps(schema), encoding="utf-8")


def settings_for(root: Path, body: str) -> Settings:
    (root / "pyproject.toml").write_text(f"[tool.readiness.contracts]\n{body}", encoding="utf-8")
    return load_settings(root, environ={})


def run(root: Path, settings: Settings, clock: FrozenClock, gov: Any) -> CheckResult:
    services = {} if gov is None else {"contracts_schemas": gov}
    return CHECK.run(GateContext(Gate.MERGE, root, settings, clock, services=services))


@pytest.fixture
def gov(stores: Stores, clock: FrozenClock) -> SchemaGovernance:
    registry = SchemaRegistry(stores, clock, "shop", actor="ci")
    registry.register("orders-value", json.dumps(V1), "JSON")
    governance = SchemaGovernance(registry, ContractsSettings())
    governance.register_consumer("orders-value", "billing", fields=["amount"])
    governance.register_consumer("orders-value", "search", fields=["id"])
    return governance


def test_the_check_is_a_merge_gate_check() -> None:
    assert (CHECK.id, CHECK.gates) == ("contracts.schemas_compatible", (Gate.MERGE,))


def test_no_schema_files_configured_is_a_skip(project_dir: Path, clock: FrozenClock) -> None:
    result = run(project_dir, settings_for(project_dir, ""), clock, None)
    assert result.status is CheckStatus.SKIP


def test_no_registry_is_missing_evidence(project_dir: Path, clock: FrozenClock) -> None:
    write(project_dir, "orders-value.json", V1)
    result = run(project_dir, settings_for(project_dir, 'schemas_dir = "schemas"\n'), clock, None)
    assert (result.status, result.missing_evidence) == (CheckStatus.FAIL, True)
    assert result.evidence == {"subjects": ["orders-value"]}


def test_unchanged_and_new_subjects_pass(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance
) -> None:
    write(project_dir, "orders-value.json", V1)
    write(project_dir, "refunds-value.json", V1)
    result = run(project_dir, settings_for(project_dir, 'schemas_dir = "schemas"\n'), clock, gov)
    assert (result.status, result.summary) == (
        CheckStatus.PASS,
        "2 schemas compatible: orders-value: unchanged; refunds-value: new subject",
    )


def test_a_breaking_change_fails_and_lists_the_consumers_affected(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance
) -> None:
    write(project_dir, "orders.json", AMOUNT_TEXT)
    settings = settings_for(project_dir, 'schemas = {orders-value = "schemas/orders.json"}\n')
    result = run(project_dir, settings, clock, gov)
    assert result.status is CheckStatus.FAIL
    assert result.summary.startswith("1 of 1 schemas fail: orders-value: BACKWARD: type_changed")
    assert result.summary.endswith("(consumers affected: billing)")
    assert result.evidence["subjects"]["orders-value"]["affected_consumers"] == ["billing"]


def test_a_compatible_change_with_affected_consumers_needs_its_changelog(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance
) -> None:
    gov.registry.set_compatibility("NONE", "orders-value")
    write(project_dir, "orders-value.json", AMOUNT_TEXT)
    settings = settings_for(project_dir, 'schemas_dir = "schemas"\n')
    without = run(project_dir, settings, clock, gov)
    (project_dir / "schemas" / "orders-value.changelog.md").write_text(
        "amount becomes a string: billing must parse it\n", encoding="utf-8"
    )
    with_changelog = run(project_dir, settings, clock, gov)

    assert without.status is CheckStatus.FAIL
    assert "needs a changelog entry naming the affected consumers (billing)" in without.summary
    assert (with_changelog.status, with_changelog.summary) == (
        CheckStatus.PASS,
        "1 schemas compatible: orders-value: compatible (NONE; consumers affected: billing)",
    )


def test_an_unreadable_schema_file_fails_with_its_name(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance
) -> None:
    settings = settings_for(project_dir, 'schemas = {orders-value = "schemas/missing.json"}\n')
    result = run(project_dir, settings, clock, gov)
    assert result.status is CheckStatus.FAIL
    assert "missing.json: No such file or directory" in result.summary


def test_the_directory_convention_skips_changelogs_and_other_files(tmp_path: Path) -> None:
    for name in ("a.json", "b.avsc", "a.changelog.md", "notes.txt"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    found = schema_files(tmp_path.parent, {"c": "x.json"}, tmp_path.name)
    assert {k: v.name for k, v in found.items()} == {"a": "a.json", "b": "b.avsc", "c": "x.json"}


def test_gate_services_give_the_governed_registry(settings: Settings, stores: Stores) -> None:
    assert gate_services(settings, None) == {}
    service = gate_services(settings, stores)["contracts_schemas"]
    assert isinstance(service, SchemaGovernance)
