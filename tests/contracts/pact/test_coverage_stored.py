"""Contract coverage shown per provider: a provider's OpenAPI document and message types stored
(``PUT /pact/pacticipants/{p}/openapi``, ``readiness contracts coverage --record``) and shown on
the dashboard's Pact page, on SQLite and PostgreSQL; hostile bodies refused in the one JSON error
shape; the migration creates exactly the declared table."""

from __future__ import annotations

import html as html_text
import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.console import CliState
from readiness.contracts import pages
from readiness.contracts.api_broker import api_router
from readiness.contracts.cli_coverage import register
from readiness.contracts.pact import tables
from readiness.contracts.pact.service import PactService
from readiness.errors import InputError
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from readiness.storage.metadata import state_metadata
from tests._live import live_server
from tests.contracts.pact.conftest import TestClient
from tests.contracts.pact.test_coverage import AUDIT, OPENAPI, WEB
from tests.server.conftest import database_contents, empty_plugin_manager

URL = "/api/v1/pact/pacticipants/users/openapi"


def _rows(html: str) -> list[str]:
    bodies = "".join(re.findall(r"<tbody>(.*?)</tbody>", html, re.S))
    return [
        html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip())
        for row in re.findall(r"<tr>(.*?)</tr>", bodies, re.S)
    ]


def _coverage_section(html: str) -> str:
    return html.split("<h2>Contract coverage</h2>", 1)[1].split("</section>", 1)[0]


def _text(html: str) -> str:
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def _app(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    ProjectService(stores=stores, clock=clock, actor="t").ensure(settings.project)
    tokens = TokenService(stores=stores, clock=clock, actor="t")
    writer = tokens.create(name="w", role="writer")[0]
    reader = tokens.create(name="r", role="reader")[0]
    app = create_app(
        settings, stores=stores, clock=clock, pm=empty_plugin_manager(),
        extra_routers=[api_router()], extra_pages=pages.dashboard_pages(),
    )  # fmt: skip
    return (
        TestClient(app, raise_server_exceptions=False),
        {"Authorization": f"Bearer {writer}"},
        {"Authorization": f"Bearer {reader}"},
    )


def test_a_stored_interface_is_shown_per_provider_on_the_pact_page(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    http, writer, reader = _app(settings, stores, clock)
    service = PactService(stores, clock, settings.project)
    service.publish("web", "users", "w1", WEB)
    service.publish("audit", "users", "a1", AUDIT)

    before = http.get("/contracts/pact", headers=reader)
    stored = http.put(URL, json={"openapi": OPENAPI, "messages": ["user-deleted"]}, headers=writer)
    again = http.put(  # replaces: the message types are the new ones
        URL, json={"openapi": OPENAPI, "messages": ["user-deleted", "user-renamed"]}, headers=writer
    )
    page = http.get("/contracts/pact", headers=reader)

    assert "No provider interface is stored." in before.text
    assert stored.status_code == 200
    assert stored.json()["uncovered"] == ["DELETE /api/users/{id}", "user-deleted"]
    assert again.json()["total"] == 6
    assert page.status_code == 200
    section = _coverage_section(page.text)
    assert _text(section.split("<table", 1)[0]).endswith(
        "users Endpoints: 2 of 3 covered; message types: 1 of 3 covered "
        "(recorded 2026-03-10 09:30 UTC)."
    )
    assert _rows(section) == [
        "DELETE /api/users/{id} endpoint",
        "user-deleted message type",
        "user-renamed message type",
    ]
    assert service.stored_coverage()[0][0].uncovered == [
        "DELETE /api/users/{id}",
        "user-deleted",
        "user-renamed",
    ]


def test_a_fully_covered_provider_says_so(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    http, _writer, reader = _app(settings, stores, clock)
    service = PactService(stores, clock, settings.project)
    service.publish("web", "users", "w1", WEB)
    service.record_interface("users", {"paths": {"/users/{id}": {"get": {}}}, "basePath": "/api"})

    section = _coverage_section(http.get("/contracts/pact", headers=reader).text)

    assert "Endpoints: 1 of 1 covered; message types: 0 of 0 covered" in _text(section)
    assert "Every endpoint and message type has a consumer contract." in section
    assert _rows(section) == []


# Each is a subtest of one test on one app per database (an app costs about a second); each
# checks that nothing was stored, so every body meets the database the first one met.
HOSTILE: list[tuple[bytes, dict[str, str], int, str]] = [
        (b"openapi: 3.1.0", {"Content-Type": "application/yaml"}, 400,
         "the request body must be JSON (Content-Type: application/json)"),
        (b"{", {}, 400, "the request body is not valid JSON"),
        (b"\xff\xfe", {}, 400, "the request body is not valid JSON"),
        (b"[" * 100_000, {}, 400, "the request body is not valid JSON"),
        (b"[]", {}, 400, "the request body needs 'openapi', the provider's OpenAPI document"),
        (b'{"openapi": []}', {}, 400,
         "the request body needs 'openapi', the provider's OpenAPI document"),
        (b'{"openapi": {}, "messages": "x"}', {}, 400,
         "'messages' must be a list of message type names"),
        (b'{"openapi": {}, "messages": [""]}', {}, 400,
         "message types are at most 1000 names of 1 to 200 characters"),
        (b'{"openapi": {"paths": {"users": {}}}}', {}, 400,
         "OpenAPI path 'users' must be a string starting with '/'"),
        (b'{"openapi": {"x": "' + b"a" * (1 << 20) + b'"}}', {}, 413,
         "request body exceeds 1048576 bytes; split the upload into several requests"),
]  # fmt: skip


def test_hostile_bodies_are_refused_in_the_one_error_shape(
    settings: Settings, stores: Stores, clock: FrozenClock, subtests: pytest.Subtests
) -> None:
    http, writer, _reader = _app(settings, stores, clock)
    before = database_contents(stores)
    for n, (body, headers, status, message) in enumerate(HOSTILE):
        with subtests.test(msg=f"{n}: {message[:40]}"):
            answer = http.put(
                URL, content=body, headers={"Content-Type": "application/json", **headers, **writer}
            )

            assert answer.status_code == status
            assert set(answer.json()) == {"error"}
            assert set(answer.json()["error"]) == {"code", "message", "details"}
            assert answer.json()["error"]["message"] == message
            with stores.state.connect() as conn:
                assert conn.execute(tables.provider_interfaces.select()).all() == []
            assert database_contents(stores) == before


def test_storing_needs_the_writer_role(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    http, _writer, reader = _app(settings, stores, clock)

    as_reader = http.put(URL, json={"openapi": OPENAPI}, headers=reader)
    anonymous = http.put(URL, json={"openapi": OPENAPI})

    assert (as_reader.status_code, anonymous.status_code) == (403, 401)


def test_the_service_refuses_what_it_cannot_store(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    ProjectService(stores=stores, clock=clock, actor="t").ensure(settings.project)
    service = PactService(stores, clock, settings.project)
    big: dict[str, Any] = {"paths": {}, "x": "a" * (1 << 20)}

    with pytest.raises(InputError) as too_big:
        service.record_interface("users", big)
    with pytest.raises(InputError) as no_name:
        service.record_interface("", OPENAPI)

    assert too_big.value.message == "the OpenAPI document is larger than 1048576 bytes as JSON"
    assert no_name.value.message == "a provider name is 1 to 200 characters"
    assert service.stored_coverage() == []


def _run(settings: Settings, clock: FrozenClock, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), obj=CliState(settings.root, clock=clock))
    return result.exit_code, result.output


def test_the_command_records_with_record(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(OPENAPI))
    base = ("coverage", "--provider", "users", "--openapi", str(doc), "--message", "user-created")

    plain = _run(settings, clock, *base)
    recorded = _run(settings, clock, *base, "--record")
    no_doc = _run(settings, clock, "coverage", "--provider", "users", "--message", "x", "--record")

    assert plain == recorded
    assert recorded[0] == 1
    stores = open_stores(settings)
    try:
        [(found, at)] = PactService(stores, clock, settings.project).stored_coverage()
    finally:
        stores.dispose()
    assert (found.provider, [c.name for c in found.messages], at) == (
        "users",
        ["user-created"],
        clock.now(),
    )
    assert no_doc == (2, "error: --record needs --openapi FILE\n")


def test_the_migrated_table_is_the_declared_table(stores: Stores) -> None:
    ours = {tables.provider_interfaces.name}
    with stores.state.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, kind, _p: kind != "table" or name in ours,
                "include_object": lambda obj, name, kind, _r, _c: kind != "table" or name in ours,
            },
        )
        assert compare_metadata(context, state_metadata) == []


def test_the_command_records_on_a_remote_broker_with_a_writer_token(
    settings: Settings, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(OPENAPI))
    args = ("coverage", "--provider", "users", "--openapi", str(doc), "--record")
    stores = open_stores(settings, create=True)
    try:
        ProjectService(stores=stores, clock=clock, actor="t").ensure(settings.project)
        tokens = TokenService(stores=stores, clock=clock, actor="t")
        writer = tokens.create(name="w", role="writer")[0]
        reader = tokens.create(name="r", role="reader")[0]
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            refused = _run(
                settings, clock, *args, "--broker-url", f"{url}/pact", "--broker-token", reader
            )
            done = _run(
                settings, clock, *args, "--broker-url", f"{url}/pact", "--broker-token", writer
            )
        [(found, _at)] = PactService(stores, clock, settings.project).stored_coverage()
    finally:
        stores.dispose()

    assert refused[0] == 2, refused
    assert refused[1] == (
        f"error: the Pact broker at {url}/pact refused the token (403); "
        "check --broker-token (PACT_BROKER_TOKEN) and its role\n"
    )
    assert writer not in refused[1] and reader not in refused[1]
    assert done == (
        1,
        "users: 0 of 4 covered by consumer contracts\n"
        "  GET /api/users/{id}: NO CONSUMER CONTRACT\n"
        "  DELETE /api/users/{id}: NO CONSUMER CONTRACT\n"
        "  POST /api/users: NO CONSUMER CONTRACT\n"
        "  user-created: NO CONSUMER CONTRACT\n",
    )
    assert found.uncovered == [
        "GET /api/users/{id}",
        "DELETE /api/users/{id}",
        "POST /api/users",
        "user-created",
    ]
