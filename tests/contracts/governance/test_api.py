"""The governance routes: roles, the one error shape for hostile input, governed Confluent
registration (409 with the reason), and the client helper against a live server."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.auth.service import TokenService
from readiness.config import load_settings
from readiness.contracts.client import report_processed
from readiness.errors import RemoteError
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import Stores, open_stores
from tests._live import live_server
from tests.server.conftest import database_contents

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

BASE = "/api/v1/schema-registry"
S = "orders-value"
V1 = {"type": "object", "properties": {"amount": {"type": "number", "x-unit": "EUR"}}}
CENTS = {"type": "object", "properties": {"amount": {"type": "number", "x-unit": "cents"}}}


@dataclass
class Server:
    app: Any
    reader: str
    writer: str
    stores: Stores

    def client(self) -> TestClient:
        return TestClient(self.app)

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.writer if role == 'writer' else self.reader}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.readiness.contracts]\ngovernance = true\n", encoding="utf-8"
    )
    settings = load_settings(tmp_path, environ={})
    stores = open_stores(settings)
    clock = FrozenClock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    ProjectService(stores=stores, clock=clock, actor="test").ensure(settings.project)
    tokens = TokenService(stores=stores, clock=clock, actor="test")
    reader, _ = tokens.create(name="r", role="reader")
    writer, _ = tokens.create(name="w", role="writer")
    try:
        yield Server(create_app(settings, stores=stores, clock=clock), reader, writer, stores)
    finally:
        stores.dispose()


def _schema(schema: Any, **extra: Any) -> dict[str, Any]:
    return {"schema": json.dumps(schema), "schemaType": "JSON", **extra}


def _seed(server: Server) -> TestClient:
    client, w = server.client(), server.headers("writer")
    assert (
        client.post(f"{BASE}/subjects/{S}/versions", json=_schema(V1), headers=w).status_code == 200
    )
    put = client.put(
        f"{BASE}/subjects/{S}/consumers/billing", json={"fields": ["amount"]}, headers=w
    )
    assert put.json() == {"name": "billing", "fields": ["amount"], "strict": True}
    return client


ROUTES = [
    ("get", f"{BASE}/subjects/{S}/consumers", None, "reader"),
    ("put", f"{BASE}/subjects/{S}/consumers/search", {"fields": ["id"]}, "writer"),
    ("post", f"{BASE}/consumers/billing/processed", {"subject": S, "version": 1}, "writer"),
    ("get", f"{BASE}/subjects/{S}/impact?field=amount", None, "reader"),
    ("post", f"{BASE}/subjects/{S}/impact", _schema(CENTS), "reader"),
    ("get", f"{BASE}/subjects/{S}/diff?from=1", None, "reader"),
    ("get", f"{BASE}/subjects/{S}/usage", None, "reader"),
    ("post", f"{BASE}/subjects/{S}/samples", None, "writer"),
    ("get", f"{BASE}/subjects/{S}/presence", None, "reader"),
]


@pytest.mark.parametrize(("method", "url", "body", "role"), ROUTES)
def test_each_route_needs_a_token_with_its_role(
    server: Server, method: str, url: str, body: Any, role: str
) -> None:
    client = _seed(server)
    call = getattr(client, method)
    kwargs = {"json": body} if body is not None else {}
    if method == "post" and body is None:
        kwargs = {"content": b'{"amount": 1}\n'}
    assert call(url, **kwargs).status_code == 401
    if role == "writer":
        denied = call(url, headers=server.headers("reader"), **kwargs)
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "forbidden")
    assert call(url, headers=server.headers(role), **kwargs).status_code == 200


def test_governed_registration_is_refused_with_the_reason_then_accepted(server: Server) -> None:
    client, w = _seed(server), server.headers("writer")
    refused = client.post(f"{BASE}/subjects/{S}/versions", json=_schema(CENTS), headers=w)
    accepted = client.post(
        f"{BASE}/subjects/{S}/versions",
        json=_schema(CENTS, changelog="billing: amount now in cents"),
        headers=w,
    )
    assert refused.status_code == 409
    assert refused.json()["error_code"] == 409
    assert refused.json()["error"]["code"] == "schema_governance_refused"
    assert refused.json()["error"]["details"]["affected_consumers"] == ["billing"]
    assert (accepted.status_code, accepted.json()["version"]) == (200, 2)
    diff = client.get(f"{BASE}/subjects/{S}/diff?from=1&to=2", headers=server.headers("reader"))
    assert diff.json()["changelog"] == "billing: amount now in cents"
    assert diff.json()["meaning_changes"][0]["path"] == "amount"


def test_impact_names_the_consumers_of_a_field_and_of_a_candidate(server: Server) -> None:
    client, r = _seed(server), server.headers("reader")
    field = client.get(f"{BASE}/subjects/{S}/impact?field=amount", headers=r).json()
    candidate = client.post(f"{BASE}/subjects/{S}/impact", json=_schema(CENTS), headers=r).json()
    assert field == {"subject": S, "field": "amount", "consumers": ["billing"]}
    assert candidate["affected_consumers"] == ["billing"]
    assert candidate["changelog_required"] is True
    assert candidate["messages"][-1].startswith("a breaking or meaning change needs a changelog")


# Each is a subtest of one test on one server (a server costs about a second); each checks
# that it changed nothing, so every payload meets the seeded database the first one met.
HOSTILE = [
    ("put", "/subjects/o/consumers/c", b"[1]", "the request body is a JSON object"),
    ("put", "/subjects/o/consumers/c", b'{"fields": "amount"}', "'fields' must be a list"),
    ("put", "/subjects/o/consumers/c", b'{"strict": "yes"}', "'strict' must be true or false"),
    ("post", "/consumers/c/processed", b"{", "the request body is not JSON"),
    ("put", "/subjects/o/consumers/c", b"[" * 100_000, "the request body is not JSON"),
    ("post", "/subjects/o/samples", b"[" * 100_000, "sample line 1: nested too deeply"),
    (
        "post",
        "/consumers/c/processed",
        b'{"subject": "orders-value", "version": "1"}',
        "'version' must be an integer (got '1')",
    ),
    (
        "post",
        "/consumers/c/processed",
        b'{"subject": "orders-value", "version": 1, "at": "yesterday"}',
        "'at' must be an ISO 8601 time (got 'yesterday')",
    ),
    ("post", "/subjects/o/samples", b"\xff\xfe", "samples must be UTF-8 JSON lines"),
    (
        "post",
        "/subjects/o/samples",
        b'{"a": 1}\n[2]\n',
        "sample line 2: expected a JSON object (got list)",
    ),
]


def test_hostile_input_gets_a_4xx_in_the_one_error_shape(
    server: Server, subtests: pytest.Subtests
) -> None:
    client = _seed(server)
    before = database_contents(server.stores)
    for method, path, payload, message in HOSTILE:
        with subtests.test(msg=f"{method} {path}: {message}"):
            response = getattr(client, method)(
                f"{BASE}{path}", content=payload, headers=server.headers("writer")
            )
            assert response.status_code == 422
            assert set(response.json()["error"]) == {"code", "message", "details"}
            assert response.json()["error"]["message"].startswith(message)
            assert database_contents(server.stores) == before


def test_samples_and_presence_over_http(server: Server) -> None:
    client = _seed(server)
    w = server.headers("writer")
    posted = client.post(
        f"{BASE}/subjects/{S}/samples?day=2026-03-09",
        content=b'{"amount": 1}\n{"amount": 2, "note": "x"}\n',
        headers=w,
    )
    client.post(f"{BASE}/subjects/{S}/samples", content=b'{"note": "y"}\n', headers=w)
    report = client.get(f"{BASE}/subjects/{S}/presence", headers=server.headers("reader"))
    assert posted.json() == {"subject": S, "day": "2026-03-09", "events": 2, "fields": 2}
    assert report.json()["drops"] == [
        {
            "path": "amount",
            "before": 100.0,
            "after": 0.0,
            "message": "amount: present in 100% of events, then 0%",
        }
    ]


def test_the_client_helper_reports_processed_versions_to_a_live_server(server: Server) -> None:
    _seed(server)
    with live_server(server.app) as url:
        number = report_processed(
            url, server.writer, subject=S, consumer="billing", version=1, count=7
        )
        with pytest.raises(RemoteError) as refused:
            report_processed(url, server.reader, subject=S, consumer="billing", version=1)
        with pytest.raises(RemoteError) as missing:
            report_processed(url, server.writer, subject=S, consumer="billing", version=9)
    usage = server.client().get(f"{BASE}/subjects/{S}/usage", headers=server.headers("reader"))
    assert number == 1
    assert usage.json()["versions"][0]["consumers"] == [
        {"consumer": "billing", "events": 7, "last": "2026-03-10"}
    ]
    assert server.writer not in refused.value.message
    assert "(403)" in refused.value.message
    assert missing.value.message.endswith("(404): version 9 of subject 'orders-value' not found")
