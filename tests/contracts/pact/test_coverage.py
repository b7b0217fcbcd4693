"""Contract coverage: the pure core on OpenAPI documents and pacts (v3 and v4, HTTP and
messages), the hostile-document property, the service on SQLite and PostgreSQL, the API route
and the command line (local and remote, the same output)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.console import CliState
from readiness.contracts.cli_coverage import register
from readiness.contracts.pact.coverage import Endpoint, coverage, endpoints_of
from readiness.contracts.pact.service import PactService
from readiness.errors import InputError
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests._live import live_server
from tests.contracts.pact.conftest import Broker, TestClient

OPENAPI = {
    "openapi": "3.1.0",
    "servers": [{"url": "https://users.example/api"}],
    "paths": {
        "/users/{id}": {"get": {}, "delete": {}, "parameters": []},
        "/users": {"post": {}},
    },
    "webhooks": {"user-created": {"post": {}}},
}
WEB = {  # pact specification v3: an HTTP interaction with a query string
    "consumer": {"name": "web"},
    "provider": {"name": "users"},
    "interactions": [
        {"description": "a", "request": {"method": "get", "path": "/api/users/1?x=1"}}
    ],
}
AUDIT = {  # v4: a message interaction named by its metadata
    "consumer": {"name": "audit"},
    "provider": {"name": "users"},
    "interactions": [
        {
            "type": "Asynchronous/Messages",
            "description": "an event",
            "metadata": {"type": "User-Created"},
        },
        {
            "type": "Synchronous/HTTP",
            "description": "b",
            "request": {"method": "POST", "path": "/api/users"},
        },
    ],
}  # fmt: skip


def test_endpoints_take_the_servers_path_and_keep_document_order() -> None:
    assert endpoints_of(OPENAPI) == [
        Endpoint("GET", "/api/users/{id}"),
        Endpoint("DELETE", "/api/users/{id}"),
        Endpoint("POST", "/api/users"),
    ]


def test_each_endpoint_and_message_type_names_the_consumers_exercising_it() -> None:
    found = coverage(
        "users",
        endpoints_of(OPENAPI),
        ["user-created", "user-deleted"],
        {"web": WEB, "audit": AUDIT},
    )

    assert found.as_json() == {
        "provider": "users",
        "endpoints": [
            {"name": "GET /api/users/{id}", "consumers": ["web"]},
            {"name": "DELETE /api/users/{id}", "consumers": []},
            {"name": "POST /api/users", "consumers": ["audit"]},
        ],
        "messages": [
            {"name": "user-created", "consumers": ["audit"]},
            {"name": "user-deleted", "consumers": []},
        ],
        "uncovered": ["DELETE /api/users/{id}", "user-deleted"],
        "covered": 3,
        "total": 5,
    }


def test_a_template_parameter_matches_one_segment_only() -> None:
    pact = {"interactions": [{"request": {"method": "GET", "path": "/api/users/1/orders"}}]}

    found = coverage("users", endpoints_of(OPENAPI), [], {"web": pact})

    assert found.uncovered == ["GET /api/users/{id}", "DELETE /api/users/{id}", "POST /api/users"]


def test_legacy_v3_message_pacts_count_by_description() -> None:
    pact = {"messages": [{"description": "user-created", "contents": {}}]}

    assert coverage("users", [], ["user-created"], {"q": pact}).uncovered == []


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "an OpenAPI document must be a JSON object"),
        ({"paths": []}, "the OpenAPI document's 'paths' must be an object"),
        ({"paths": {"users": {}}}, "OpenAPI path 'users' must be a string starting with '/'"),
        ({"paths": {"/u": 1}}, "OpenAPI path '/u' must be an object of operations"),
    ],
)
def test_malformed_documents_are_input_errors(doc: Any, message: str) -> None:
    with pytest.raises(InputError) as caught:
        endpoints_of(doc)

    assert caught.value.message == message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)  # fmt: skip


@given(doc=JSON, pact=JSON)
def test_any_json_is_either_a_coverage_or_an_input_error(doc: Any, pact: Any) -> None:
    try:
        endpoints = endpoints_of({"paths": doc} if isinstance(doc, dict) else doc)
    except InputError:
        return
    pacts = {"c": pact} if isinstance(pact, dict) else {}
    found = coverage("p", endpoints, ["t"], pacts)
    assert len(found.endpoints) == len(endpoints)


def _seed(stores: Stores, clock: FrozenClock, project: str) -> PactService:
    ProjectService(stores=stores, clock=clock, actor="test").ensure(project)
    service = PactService(stores, clock, project)
    service.publish("web", "users", "w1", {**WEB, "interactions": []})
    service.publish("web", "users", "w2", WEB)  # only the newest pact of a consumer counts
    service.publish("audit", "users", "a1", AUDIT)
    return service


def test_the_service_reads_each_consumers_newest_pact(stores: Stores, clock: FrozenClock) -> None:
    service = _seed(stores, clock, "shop")

    found = service.coverage("users", OPENAPI, ["user-deleted"])

    assert found.uncovered == ["DELETE /api/users/{id}", "user-deleted"]
    assert found.endpoints[0].consumers == ("web",)


def test_the_api_route_answers_for_a_reader_and_refuses_bad_bodies(
    broker: Broker, http: TestClient, settings: Settings, clock: FrozenClock
) -> None:
    _seed(broker.stores, clock, settings.project)
    url = "/api/v1/pact/pacticipants/users/coverage"
    reader = broker.auth(broker.reader)

    answer = http.post(url, json={"openapi": OPENAPI}, headers=reader)
    bad = http.post(url, json={"messages": "x"}, headers=reader)
    anonymous = http.post(url, json={"openapi": OPENAPI})

    assert answer.status_code == 200
    assert answer.json()["uncovered"] == ["DELETE /api/users/{id}"]
    assert (bad.status_code, bad.json()["error"]["message"]) == (
        400,
        "'messages' must be a list of at most 1000 non-empty strings",
    )
    assert anonymous.status_code == 401


def _run(settings: Settings, clock: FrozenClock, *args: str) -> tuple[int, str]:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), obj=CliState(settings.root, clock=clock))
    return result.exit_code, result.output


def test_the_command_prints_the_same_locally_and_remotely(
    settings: Settings, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(OPENAPI))
    stores = open_stores(settings, create=True)
    try:
        _seed(stores, clock, settings.project)
        token = TokenService(stores=stores, clock=clock, actor="t").create(name="r", role="reader")[
            0
        ]
        args = ("coverage", "--provider", "users", "--openapi", str(doc))
        local = _run(settings, clock, *args)
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            over = ("--broker-url", f"{url}/pact", "--broker-token", token)
            remote = _run(settings, clock, *args, *over)
            as_json = _run(settings, clock, *args, "--message", "user-created", "-f", "json", *over)
    finally:
        stores.dispose()

    assert local == remote
    assert local == (
        1,
        "users: 3 of 4 covered by consumer contracts\n"
        "  GET /api/users/{id}: web\n"
        "  DELETE /api/users/{id}: NO CONSUMER CONTRACT\n"
        "  POST /api/users: audit\n"
        "  user-created: audit\n",
    )
    assert as_json[0] == 1
    assert json.loads(as_json[1])["messages"] == [{"name": "user-created", "consumers": ["audit"]}]


def test_the_command_needs_a_document_or_message_types(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    assert _run(settings, clock, "coverage", "--provider", "users") == (
        2,
        "error: give --openapi FILE or --message TYPE (or both)\n",
    )
    assert _run(settings, clock, "coverage", "--provider", "users", "--message", "x") == (
        1,
        "users: 0 of 1 covered by consumer contracts\n  x: NO CONSUMER CONTRACT\n",
    )
