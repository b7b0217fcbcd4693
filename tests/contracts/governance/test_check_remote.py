"""``contracts.schemas_compatible`` in a gate against a server (``READINESS_URL``): the check asks
the server's registry over real HTTP and concludes, word for word, what it concludes on the
server's own database; an unreachable server fails every schema (never a pass)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import ContractsSettings, Settings, load_settings
from readiness.contracts.checks_registry import SERVICE_NAME, gate_services
from readiness.contracts.schemas.governance.service import SchemaGovernance
from readiness.contracts.schemas.remote import RemoteGovernance
from readiness.contracts.schemas.service import SchemaRegistry
from readiness.errors import RemoteError
from readiness.gate.model import CheckResult, CheckStatus
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import Stores
from tests._live import free_port, live_server
from tests.contracts.governance.test_check import AMOUNT_TEXT, V1, run, settings_for, write


@pytest.fixture
def gov(stores: Stores, clock: FrozenClock) -> SchemaGovernance:
    ProjectService(stores=stores, clock=clock, actor="test").ensure("shop")
    registry = SchemaRegistry(stores, clock, "shop", actor="ci")
    registry.register("orders-value", json.dumps(V1), "JSON")
    governance = SchemaGovernance(registry, ContractsSettings())
    governance.register_consumer("orders-value", "billing", fields=["amount"])
    return governance


@pytest.fixture
def remote(
    stores: Stores, clock: FrozenClock, tmp_path: Path, gov: SchemaGovernance
) -> Iterator[RemoteGovernance]:
    server = load_settings(tmp_path / "server", environ={})
    reader = TokenService(stores=stores, clock=clock, actor="t").create(name="ci", role="reader")
    with live_server(create_app(server, stores=stores, clock=clock)) as url:
        client = RemoteGovernance(url, reader[0], "shop")
        try:
            yield client
        finally:
            client.close()


def _both(
    root: Path, settings: Settings, clock: FrozenClock, gov: SchemaGovernance, remote: object
) -> tuple[CheckResult, CheckResult]:
    return run(root, settings, clock, gov), run(root, settings, clock, remote)


def test_unchanged_and_new_subjects_pass_remotely_as_locally(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance, remote: RemoteGovernance
) -> None:
    write(project_dir, "orders-value.json", V1)
    write(project_dir, "refunds-value.json", V1)
    settings = settings_for(project_dir, 'schemas_dir = "schemas"\n')

    here, there = _both(project_dir, settings, clock, gov, remote)

    assert there == here
    assert (there.status, there.summary) == (
        CheckStatus.PASS,
        "2 schemas compatible: orders-value: unchanged; refunds-value: new subject",
    )


def test_a_breaking_change_fails_remotely_with_its_consumers(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance, remote: RemoteGovernance
) -> None:
    write(project_dir, "orders.json", AMOUNT_TEXT)
    settings = settings_for(project_dir, 'schemas = {orders-value = "schemas/orders.json"}\n')

    here, there = _both(project_dir, settings, clock, gov, remote)

    assert there == here
    assert there.status is CheckStatus.FAIL
    assert there.summary.startswith("1 of 1 schemas fail: orders-value: BACKWARD: type_changed")
    assert there.summary.endswith("(consumers affected: billing)")


def test_the_changelog_next_to_the_schema_reaches_the_server(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance, remote: RemoteGovernance
) -> None:
    gov.registry.set_compatibility("NONE", "orders-value")
    write(project_dir, "orders-value.json", AMOUNT_TEXT)
    settings = settings_for(project_dir, 'schemas_dir = "schemas"\n')
    without = _both(project_dir, settings, clock, gov, remote)
    (project_dir / "schemas" / "orders-value.changelog.md").write_text(
        "amount becomes a string: billing must parse it\n", encoding="utf-8"
    )

    with_changelog = _both(project_dir, settings, clock, gov, remote)

    assert without[1] == without[0]
    assert without[1].status is CheckStatus.FAIL
    assert "needs a changelog entry naming the affected consumers (billing)" in without[1].summary
    assert with_changelog[1] == with_changelog[0]
    assert (with_changelog[1].status, with_changelog[1].summary) == (
        CheckStatus.PASS,
        "1 schemas compatible: orders-value: compatible (NONE; consumers affected: billing)",
    )


def test_a_schema_the_registry_refuses_fails_in_the_same_words_remotely(
    project_dir: Path, clock: FrozenClock, gov: SchemaGovernance, remote: RemoteGovernance
) -> None:
    (project_dir / "schemas").mkdir()
    (project_dir / "schemas" / "orders-value.json").write_text('{"type": 12}', encoding="utf-8")
    settings = settings_for(project_dir, 'schemas_dir = "schemas"\n')

    here, there = _both(project_dir, settings, clock, gov, remote)

    assert there == here
    assert there.status is CheckStatus.FAIL
    assert there.summary.startswith("1 of 1 schemas fail: orders-value: orders-value.json: ")


def test_an_unreachable_server_fails_every_schema_naming_readiness_url(
    project_dir: Path, clock: FrozenClock
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    write(project_dir, "orders-value.json", V1)
    settings = settings_for(project_dir, 'schemas_dir = "schemas"\n')
    client = RemoteGovernance(url, "rdy_secret", "shop")
    try:
        result = run(project_dir, settings, clock, client)
    finally:
        client.close()

    assert result.status is CheckStatus.FAIL
    assert result.summary == (
        "1 of 1 schemas fail: orders-value: orders-value.json: the schema registry at "
        f"{url}/api/v1/schema-registry "
        "cannot be reached (ConnectError); check READINESS_URL"
    )
    assert "rdy_secret" not in json.dumps(result.evidence)


def test_a_refused_token_names_readiness_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "no"}})

    client = RemoteGovernance("http://s.test", "t", "shop", transport=httpx.MockTransport(handler))
    with pytest.raises(RemoteError) as caught:
        client.registered_version("orders-value", "{}", "JSON")

    assert caught.value.message == (
        "the schema registry at http://s.test/api/v1/schema-registry refused the token (401); "
        "check READINESS_TOKEN and its role"
    )


def test_an_evaluation_of_an_unknown_shape_is_a_remote_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"new_subject": False})

    client = RemoteGovernance("http://s.test", "t", "shop", transport=httpx.MockTransport(handler))
    with pytest.raises(RemoteError) as caught:
        client.evaluate("orders-value", "{}", "JSON", None)

    assert caught.value.message == (
        "the server at http://s.test/api/v1/schema-registry answered a governance evaluation in "
        "a shape this client does not know; is it a Readiness server of the same version?"
    )


def test_the_gate_against_a_server_gets_the_server_s_registry(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, environ={"READINESS_URL": "http://s.test", "READINESS_TOKEN": "t"}
    )

    services = gate_services(settings, None)
    try:
        assert isinstance(services[SERVICE_NAME], RemoteGovernance)
        assert services[SERVICE_NAME].base == "http://s.test/api/v1/schema-registry"
    finally:
        services[SERVICE_NAME].close()
