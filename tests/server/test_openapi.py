"""The OpenAPI document tells the truth: every route declares its security and its errors in the
one shape, and schemathesis, fuzzing the real app from that document, finds no server error and
no response that contradicts it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import Settings
from readiness.plugins.manager import builtin_plugin_manager
from readiness.server.app import create_app
from readiness.storage.engine import Stores
from readiness.testing import junit_xml

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ANONYMOUS = {("get", "/healthz"), ("get", "/version")}
ERRORS = {"400", "401", "403", "404", "413", "422", "503"}
SCHEMES = ("bearerAuth", "basicAuth", "sessionCookie")
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


@dataclass
class Api:
    app: Any
    client: TestClient
    admin: dict[str, str]
    admin_id: int

    def document(self) -> dict[str, Any]:
        response = self.client.get("/openapi.json", headers=self.admin)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document


def _app(settings: Settings, stores: Stores, clock: FrozenClock) -> Iterator[Api]:
    tokens = TokenService(stores=stores, clock=clock, actor="setup")
    for role in ("reader", "writer", "auditor"):
        tokens.create(name=f"{role}-bot", role=role)
    secret, admin = tokens.create(name="root", role="admin")
    app = create_app(
        settings,
        stores=stores,
        clock=clock,
        pm=builtin_plugin_manager(),
    )
    auth = {"Authorization": f"Bearer {secret}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        report = junit_xml(
            {"tests/test_a.py::test_x": ["failed", "passed"], "tests/test_b.py::t": "failed"}
        )
        ingested = client.post(
            "/api/v1/tests/runs?commit=abc123&branch=main&run_id=1",
            content=report,
            headers={**auth, "Content-Type": "application/xml"},
        )
        assert ingested.status_code == 200, ingested.text
        yield Api(app, client, auth, admin.id)


@pytest.fixture
def api(settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    """The real app on SQLite with an admin token and one ingested run."""
    from readiness.storage import open_stores

    stores = open_stores(settings)
    yield from _app(settings, stores, clock)
    stores.dispose()


@pytest.fixture
def backend_api(stores: Stores, backend_settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    """The same on the parametrised database."""
    yield from _app(backend_settings, stores, clock)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_route_but_health_and_version_declares_its_security_and_errors(api: Api) -> None:
    undeclared = []
    for method, path, operation in _operations(api.document()):
        if (method, path) in ANONYMOUS:
            continue
        security = operation.get("security", [])
        roles = {
            role for requirement in security for roles in requirement.values() for role in roles
        }
        schemes = tuple(name for requirement in security for name in requirement)
        errors = {
            status
            for status, response in operation["responses"].items()
            if response.get("content", {}).get("application/json", {}).get("schema") == ERROR_REF
        }
        if schemes != SCHEMES or len(roles) != 1 or not errors >= ERRORS:
            undeclared.append(f"{method.upper()} {path}: {schemes} {roles} {sorted(errors)}")

    assert undeclared == []


def test_health_and_version_declare_no_security(api: Api) -> None:
    operations = {(m, p): op for m, p, op in _operations(api.document())}

    assert [operations[key].get("security") for key in sorted(ANONYMOUS)] == [None, None]


def test_the_error_shape_is_one_components_schema(api: Api) -> None:
    schemas = api.document()["components"]["schemas"]

    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert schemas["ErrorDetail"]["required"] == ["code", "message", "details"]
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 shape is never sent


def test_the_security_schemes_are_bearer_basic_and_the_session_cookie(api: Api) -> None:
    schemes = api.document()["components"]["securitySchemes"]

    assert {name: (s["type"], s.get("scheme"), s.get("in")) for name, s in schemes.items()} == {
        "bearerAuth": ("http", "bearer", None),
        "basicAuth": ("http", "basic", None),
        "sessionCookie": ("apiKey", None, "cookie"),
    }
    assert schemes["sessionCookie"]["name"] == "readiness_session"


def test_each_operation_names_the_role_it_needs(api: Api) -> None:
    operations = {(m, p): op for m, p, op in _operations(api.document())}

    assert operations["post", "/api/v1/tests/runs"]["security"][0] == {"bearerAuth": ["writer"]}
    assert operations["get", "/api/v1/tokens"]["security"][0] == {"bearerAuth": ["admin"]}
    assert operations["get", "/api/v1/audit/events"]["security"][0] == {"bearerAuth": ["auditor"]}
    assert operations["get", "/api/v1/tests/flaky"]["security"][0] == {"bearerAuth": ["reader"]}


def test_token_roles_are_an_enum_in_requests_and_responses(api: Api) -> None:
    schemas = api.document()["components"]["schemas"]

    roles = ["reader", "writer", "admin", "auditor"]

    assert schemas["TokenRequest"]["properties"]["role"]["enum"] == roles
    assert schemas["TokenView"]["properties"]["role"]["enum"] == roles
    assert schemas["CreatedToken"]["properties"]["role"]["enum"] == roles


def test_the_upload_body_is_documented_as_xml_or_multipart_file_parts(api: Api) -> None:
    body = api.document()["paths"]["/api/v1/tests/runs"]["post"]["requestBody"]

    assert sorted(body["content"]) == ["application/xml", "multipart/form-data"]
    multipart = body["content"]["multipart/form-data"]["schema"]
    assert multipart["required"] == ["file"]
    assert multipart["properties"]["file"]["items"] == {"type": "string", "format": "binary"}


# Bounded: a few examples per operation and generation mode keep both databases under a minute,
# and derandomize makes every run try the same inputs (this suite must not be flaky itself).
EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_schemathesis_finds_no_server_error_and_no_response_that_contradicts_the_document(
    backend_api: Api,
) -> None:
    api = backend_api
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app, headers=api.admin)
    found: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the document itself is valid
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case[Any]) -> None:
                if (case.path_parameters or {}).get("token_id") == api.admin_id:
                    return  # revoking the token the fuzzer calls with would end the run early
                case.call_and_validate(headers=api.admin, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # an operation without inputs has no invalid variant
            except (Exception, BaseExceptionGroup) as exc:
                found.append(f"{operation.label} ({mode.value}): {exc}")

    assert found == []
