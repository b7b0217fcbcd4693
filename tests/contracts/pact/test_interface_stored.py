"""A provider's stored interface read back and forgotten: ``GET`` and ``DELETE
/pact/pacticipants/{p}/openapi`` (reader, writer) and ``readiness contracts show-interface|
delete-interface``, locally and on a remote broker, on SQLite and PostgreSQL; nothing stored is
a 404 in the one JSON error shape, and one line with exit 2 on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.console import CliState
from readiness.contracts.cli_coverage import register
from readiness.contracts.pact.service import PactService
from readiness.errors import NotFoundError
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests._live import live_server
from tests.contracts.pact.test_coverage import OPENAPI
from tests.contracts.pact.test_coverage_stored import URL, _app, _coverage_section

NONE_STORED = (
    "no OpenAPI interface is stored for provider 'users'; record one with "
    "`readiness contracts coverage --provider users --openapi FILE --record`"
)
SHOWN = (
    "users: 3 endpoint(s), 2 message type(s), recorded 2026-03-10T09:30:00+00:00\n"
    "  GET /api/users/{id}\n"
    "  DELETE /api/users/{id}\n"
    "  POST /api/users\n"
    "  message user-deleted\n"
    "  message user-created\n"
)


def _not_found(answer: Any) -> None:
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": NONE_STORED, "details": {}}}


def test_the_stored_interface_is_read_back_and_forgotten_over_http(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    http, writer, reader = _app(settings, stores, clock)
    http.put(URL, json={"openapi": OPENAPI, "messages": ["user-deleted"]}, headers=writer)

    read = http.get(URL, headers=reader)
    forgotten = http.delete(URL, headers=writer)
    read_again = http.get(URL, headers=reader)
    forgotten_again = http.delete(URL, headers=writer)
    page = http.get("/contracts/pact", headers=reader)

    assert read.status_code == 200
    assert read.json() == {
        "provider": "users",
        "openapi": OPENAPI,
        "messages": ["user-deleted"],
        "updated_at": "2026-03-10T09:30:00+00:00",
    }
    assert (forgotten.status_code, forgotten.json()) == (
        200,
        {"provider": "users", "deleted": True},
    )
    _not_found(read_again)
    _not_found(forgotten_again)
    assert "No provider interface is stored." in _coverage_section(page.text)


def test_reading_needs_a_reader_and_forgetting_a_writer(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    http, writer, reader = _app(settings, stores, clock)
    http.put(URL, json={"openapi": OPENAPI}, headers=writer)

    anonymous_read = http.get(URL)
    reader_delete = http.delete(URL, headers=reader)
    anonymous_delete = http.delete(URL)

    assert (anonymous_read.status_code, reader_delete.status_code) == (401, 403)
    assert anonymous_delete.status_code == 401
    assert PactService(stores, clock, settings.project).interface("users").openapi == OPENAPI


def test_forgetting_one_provider_keeps_the_others(
    settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    ProjectService(stores=stores, clock=clock, actor="t").ensure(settings.project)
    service = PactService(stores, clock, settings.project)
    service.record_interface("users", OPENAPI, ["user-deleted"])
    service.record_interface("orders", {"paths": {"/orders": {"get": {}}}})

    service.delete_interface("users")

    with pytest.raises(NotFoundError, match="no OpenAPI interface is stored for provider 'users'"):
        service.interface("users")
    assert [c.provider for c, _at in service.stored_coverage()] == ["orders"]


def _run(settings: Settings, clock: FrozenClock, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), obj=CliState(settings.root, clock=clock))
    return result.exit_code, result.output


def test_the_commands_show_and_delete_the_stored_interface(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(OPENAPI))
    _run(settings, clock, "coverage", "--provider", "users", "--openapi", str(doc),
         "--message", "user-deleted", "--record")  # fmt: skip

    shown = _run(settings, clock, "show-interface", "--provider", "users")
    as_json = _run(settings, clock, "show-interface", "--provider", "users", "--format", "json")
    deleted = _run(settings, clock, "delete-interface", "--provider", "users")
    shown_again = _run(settings, clock, "show-interface", "--provider", "users")
    deleted_again = _run(settings, clock, "delete-interface", "--provider", "users")

    assert shown == (0, SHOWN)
    assert as_json[0] == 0
    assert json.loads(as_json[1]) == {
        "provider": "users",
        "openapi": OPENAPI,
        "messages": ["user-deleted"],
        "updated_at": "2026-03-10T09:30:00+00:00",
    }
    assert deleted == (0, "forgot the stored interface of users\n")
    assert shown_again == (2, f"error: {NONE_STORED}\n")
    assert deleted_again == (2, f"error: {NONE_STORED}\n")


def test_the_commands_work_on_a_remote_broker(
    settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    stores = open_stores(settings, create=True)
    try:
        ProjectService(stores=stores, clock=clock, actor="t").ensure(settings.project)
        PactService(stores, clock, settings.project).record_interface(
            "users", OPENAPI, ["user-deleted"]
        )
        tokens = TokenService(stores=stores, clock=clock, actor="t")
        writer = tokens.create(name="w", role="writer")[0]
        reader = tokens.create(name="r", role="reader")[0]
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            remote = ("--provider", "users", "--broker-url", f"{url}/pact", "--broker-token")
            shown = _run(settings, clock, "show-interface", *remote, reader)
            refused = _run(settings, clock, "delete-interface", *remote, reader)
            deleted = _run(settings, clock, "delete-interface", *remote, writer)
            shown_again = _run(settings, clock, "show-interface", *remote, reader)
        with pytest.raises(NotFoundError):
            PactService(stores, clock, settings.project).interface("users")
    finally:
        stores.dispose()

    assert shown == (0, SHOWN)
    assert refused == (
        2,
        f"error: the Pact broker at {url}/pact refused the token (403); "
        "check --broker-token (PACT_BROKER_TOKEN) and its role\n",
    )
    assert deleted == (0, "forgot the stored interface of users\n")
    assert shown_again == (2, f"error: {NONE_STORED}\n")
