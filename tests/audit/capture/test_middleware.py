"""The capture middleware on a real FastAPI app: one event per audited request, fail-closed."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import WebSocket
from starlette.exceptions import StarletteDeprecationWarning

from readiness._common.clock import FrozenClock
from readiness.audit.capture import RecordingSink
from readiness.audit.capture.context import outcome, safe_id, trace_id
from readiness.audit.capture.sinks import LedgerSink
from readiness.audit.trail import open_ledger
from readiness.config import Settings
from readiness.ledger import store
from readiness.storage.engine import Stores
from tests.audit.capture.example_app import build_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as tests/server/conftest.py
    from starlette.testclient import TestClient

BOB = {"Authorization": "Bearer t-bob"}
ALICE = {"Authorization": "Bearer t-alice"}
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
AT = "2026-03-10T09:30:00.000Z"
HMAC = "hmac-sha256:" + "ab" * 16
UNAVAILABLE = {
    "error": {
        "code": "audit_unavailable",
        "message": "the audit trail cannot record this request right now; it was not served",
        "details": {},
    }
}


def event(**fields: Any) -> dict[str, Any]:
    base = {
        "actor_id": "usr_b2",
        "actor_type": "employee",
        "occurred_at": AT,
        "source": "clinic_api",
        "request_id": "req-1",
        "ip_hmac": HMAC,
    }
    return base | fields


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def client(sink: RecordingSink, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(build_app(sink, clock=clock), raise_server_exceptions=False) as c:
        yield c


def test_a_read_of_a_sensitive_resource_records_the_fields_it_revealed_not_their_values(
    client: TestClient, sink: RecordingSink
) -> None:
    response = client.get("/patients/p1", headers=BOB | {"traceparent": TRACE})

    assert response.status_code == 200
    assert sink.events == [
        event(
            action="patients.read",
            target_type="patients",
            target_id="p1",
            result="success",
            trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
            target_fields_accessed=["diagnosis", "medication_list"],
        )
    ]


def test_a_mutation_is_recorded_under_the_action_derived_from_its_route(
    client: TestClient, sink: RecordingSink
) -> None:
    client.put("/patients/p7", json={"diagnosis": "x"}, headers=BOB | {"X-Request-ID": "abc-9"})

    assert sink.events == [
        event(
            action="patients.update",
            target_type="patients",
            target_id="p7",
            result="success",
            request_id="abc-9",
        )
    ]


def test_a_403_is_an_authz_fail_denial_on_the_routes_target(
    client: TestClient, sink: RecordingSink
) -> None:
    assert client.post("/admin/users/u9/roles", headers=BOB).status_code == 403
    assert client.post("/admin/users/u9/roles", headers=ALICE).status_code == 200

    assert sink.events == [
        event(action="authz_fail", target_type="user", target_id="u9", result="denied"),
        event(
            actor_id="usr_a1",
            action="user.role.grant",
            target_type="user",
            target_id="u9",
            result="success",
        ),
    ]


def test_a_401_on_a_login_route_is_authn_login_fail_and_elsewhere_authn_token_invalid(
    client: TestClient, sink: RecordingSink
) -> None:
    client.post("/login", json={"token": "nope"})
    client.get("/exports/patients")

    anonymous = {"actor_id": "anonymous", "actor_type": "anonymous", "result": "denied"}
    assert sink.events == [
        event(action="authn_login_fail", target_type="login", target_id="collection", **anonymous),
        event(
            action="authn_token_invalid",
            target_type="exports",
            target_id="collection",
            **anonymous,
        ),
    ]


def test_exempt_and_uncategorised_reads_are_not_recorded(
    client: TestClient, sink: RecordingSink
) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/items").status_code == 200
    assert client.get("/nowhere").status_code == 404

    assert sink.events == []


def test_an_exception_in_the_app_is_recorded_as_a_failure_with_status_500(
    client: TestClient, sink: RecordingSink
) -> None:
    assert client.post("/boom/3").status_code == 500

    assert sink.actions() == ["boom.create"]
    assert (sink.events[0]["actor_id"], sink.events[0]["result"]) == ("anonymous", "failure")


def test_fail_closed_refuses_a_mutation_with_503_before_the_app_runs_when_the_sink_is_down(
    sink: RecordingSink, clock: FrozenClock
) -> None:
    from tests.audit.capture import example_app

    sink.fail = True
    app = build_app(sink, clock=clock, fail_closed=True)
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.put("/patients/p-fc", json={"diagnosis": "x"}, headers=BOB)

    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert response.headers["retry-after"] == "30"
    assert "p-fc" not in example_app.PATIENTS  # the handler never ran


def test_fail_closed_replaces_a_read_whose_event_cannot_be_written_with_503(
    sink: RecordingSink, clock: FrozenClock
) -> None:
    sink.fail = True
    with TestClient(build_app(sink, clock=clock, fail_closed=True)) as c:
        response = c.get("/patients/p1", headers=BOB)

    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert "flu" not in response.text


def test_fail_open_releases_the_response_and_logs_the_failure_without_the_event(
    sink: RecordingSink, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    sink.fail = True
    caplog.set_level(logging.ERROR, "readiness.audit.capture")
    with TestClient(build_app(sink, clock=clock)) as c:
        response = c.get("/patients/never-written", headers=BOB)

    assert response.json() == {"diagnosis": "flu", "medication_list": "rest"}
    assert caplog.messages == [
        "audit write failed (ConnectionError) for patients.read; response released (fail-open)"
    ]


def test_an_event_the_schema_refuses_counts_as_a_failed_write(clock: FrozenClock) -> None:
    sink = RecordingSink()
    app = build_app(sink, clock=clock, fail_closed=True)
    app.user_middleware[0].kwargs["ip_hmac"] = lambda ip: ip  # a raw IP: the schema refuses
    with TestClient(app) as c:
        response = c.get("/patients/p1", headers=BOB)

    assert response.status_code == 503
    assert sink.events == []


def test_the_observed_file_gets_one_line_per_request(
    sink: RecordingSink, clock: FrozenClock, tmp_path: Path
) -> None:
    observed = tmp_path / "observed.jsonl"
    with TestClient(build_app(sink, clock=clock, observed=str(observed))) as c:
        c.get("/items")
        c.put("/patients/p1", json={}, headers=BOB)

    lines = [json.loads(line) for line in observed.read_text().splitlines()]
    assert lines == [
        {"actions": [], "method": "GET", "route": "/items", "status": 200},
        {
            "actions": ["patients.update"],
            "method": "PUT",
            "route": "/patients/{patient_id}",
            "status": 200,
        },
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (TRACE, "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_the_trace_id_comes_from_a_valid_w3c_traceparent_only(
    header: str | None, expected: str | None
) -> None:
    assert trace_id(header) == expected


def test_an_id_that_is_not_a_valid_event_id_is_hashed() -> None:
    assert safe_id("p-1") == "p-1"
    assert safe_id("ann@example.org") == "sha256:438c4c7afe600cdf1e455c369bec76dc"
    assert safe_id("has space") == "sha256:47b5c36fc0b017ba576f10f988d0cbcb"


@pytest.mark.parametrize(
    ("status", "login", "expected"),
    [
        (200, False, ("a.read", "success")),
        (302, False, ("a.read", "success")),
        (399, False, ("a.read", "success")),
        (400, False, ("a.read", "failure")),
        (401, False, ("authn_token_invalid", "denied")),
        (401, True, ("authn_login_fail", "denied")),
        (403, True, ("authz_fail", "denied")),
        (404, False, ("a.read", "failure")),
        (500, False, ("a.read", "failure")),
    ],
)
def test_the_result_follows_the_status(status: int, login: bool, expected: tuple[str, str]) -> None:
    assert outcome(status, "a.read", login=login) == expected


def test_the_ledger_sink_appends_each_event_as_its_canonical_entry(
    stores: Stores, backend_settings: Settings, clock: FrozenClock
) -> None:
    ledger = open_ledger(backend_settings, stores.audit, clock)
    try:
        with TestClient(build_app(LedgerSink(ledger), clock=clock, fail_closed=True)) as c:
            c.put("/patients/p1", json={"diagnosis": "x"}, headers=BOB)
            c.get("/patients/p1", headers=BOB)
        with stores.audit.connect() as conn:
            entries = [e for _, e, _ in store.iter_entries(conn, ledger.origin)]
    finally:
        ledger.close()

    assert [json.loads(e)["action"] for e in entries] == ["patients.update", "patients.read"]
    assert entries[0] == (
        b'{"action":"patients.update","actor_id":"usr_b2","actor_type":"employee",'
        b'"ip_hmac":"' + HMAC.encode() + b'","occurred_at":"2026-03-10T09:30:00.000Z",'
        b'"request_id":"req-1","result":"success","source":"clinic_api","target_id":"p1",'
        b'"target_type":"patients"}'
    )


def test_a_route_of_a_mounted_app_is_named_with_the_mount_path(
    sink: RecordingSink, clock: FrozenClock, tmp_path: Path
) -> None:
    from fastapi import FastAPI

    inner = FastAPI()

    @inner.delete("/records/{record_id}")
    def drop(record_id: str) -> dict[str, str]:
        return {"dropped": record_id}

    outer = build_app(sink, clock=clock, observed=str(tmp_path / "obs.jsonl"))
    outer.mount("/legacy", inner)
    with TestClient(outer) as c:
        assert c.delete("/legacy/records/r1").status_code == 200

    assert (sink.actions(), sink.events[0]["target_id"]) == (["legacy.records.delete"], "r1")
    assert json.loads((tmp_path / "obs.jsonl").read_text())["route"] == (
        "/legacy/records/{record_id}"
    )


def test_concurrent_requests_never_mix_their_actors(
    sink: RecordingSink, clock: FrozenClock
) -> None:
    from functools import partial

    import anyio
    import httpx

    app = build_app(sink, clock=clock)
    app.user_middleware[0].kwargs["request_ids"] = None  # a fresh uuid per request

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url="http://t")
        async with client, anyio.create_task_group() as group:
            for i in range(40):
                token = "t-alice" if i % 2 else "t-bob"
                headers = {"Authorization": f"Bearer {token}", "X-Request-ID": f"r{i}"}
                group.start_soon(partial(client.get, f"/patients/p{i}", headers=headers))

    anyio.run(main)

    pairs = sorted((e["request_id"], e["actor_id"], e["target_id"]) for e in sink.events)
    assert pairs == sorted((f"r{i}", "usr_a1" if i % 2 else "usr_b2", f"p{i}") for i in range(40))


def test_a_streaming_response_is_released_after_its_event_is_written(
    sink: RecordingSink, clock: FrozenClock
) -> None:
    from fastapi.responses import StreamingResponse

    app = build_app(sink, clock=clock, fail_closed=True)

    @app.post("/exports/run")
    def export() -> StreamingResponse:
        return StreamingResponse(iter([b"a,b\n", b"1,2\n"]), media_type="text/csv")

    with TestClient(app) as c:
        response = c.post("/exports/run")

    assert (response.status_code, response.text, sink.actions()) == (
        200,
        "a,b\n1,2\n",
        ["exports.run.create"],
    )


def test_websockets_pass_through_unaudited(sink: RecordingSink, clock: FrozenClock) -> None:
    app = build_app(sink, clock=clock, fail_closed=True)

    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        await socket.send_text(await socket.receive_text())
        await socket.close()

    with TestClient(app) as c, c.websocket_connect("/ws") as socket:
        socket.send_text("hi")
        assert socket.receive_text() == "hi"
    assert sink.events == []


def test_fail_closed_with_an_unreachable_audit_database_serves_no_mutation(
    settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    import sqlalchemy as sa

    from tests.audit.capture import example_app

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'audit.db'}")
    ledger = open_ledger(settings, engine, clock)
    try:
        with TestClient(build_app(LedgerSink(ledger), clock=clock, fail_closed=True)) as c:
            response = c.put("/patients/p-down", json={"diagnosis": "x"}, headers=BOB)
    finally:
        ledger.close()
        engine.dispose()

    assert (response.status_code, response.json()) == (503, UNAVAILABLE)
    assert "p-down" not in example_app.PATIENTS


def test_a_plain_starlette_app_is_audited_too(sink: RecordingSink, clock: FrozenClock) -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from readiness.audit.capture import AuditMiddleware
    from readiness.audit.capture.coverage import coverage_report

    async def remove(request: Request) -> JSONResponse:
        return JSONResponse({"removed": request.path_params["key"]})

    app = Starlette(
        routes=[Route("/keys/{key}", remove, methods=["DELETE"])],
        middleware=[Middleware(AuditMiddleware, sink=sink, clock=clock, request_ids=lambda: "r")],
    )
    with TestClient(app) as c:
        assert c.delete("/keys/k1").status_code == 200

    assert sink.events == [
        {
            "actor_id": "anonymous",
            "actor_type": "anonymous",
            "action": "keys.delete",
            "target_type": "keys",
            "target_id": "k1",
            "result": "success",
            "occurred_at": AT,
            "source": "api",
            "request_id": "r",
        }
    ]
    assert [(r.method, r.path, r.status) for r in coverage_report(app, "s").routes] == [
        ("DELETE", "/keys/{key}", "covered")
    ]
