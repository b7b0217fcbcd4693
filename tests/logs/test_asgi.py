"""The request middleware: W3C traceparent in, one summary line out, never bodies."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as tests/server/conftest.py
    from starlette.testclient import TestClient

from readiness import logs
from readiness.logs.asgi import RequestLogging, parse_traceparent
from tests.logs.conftest import Captured, Configure

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def _ours(out: Captured) -> list[dict[str, Any]]:
    """The lines of the app and the middleware (the test client's httpx or httpx2 logs too)."""
    return [r for r in out.records() if not str(r.get("logger", "")).startswith("httpx")]


def _ticks() -> Callable[[], float]:
    values = itertools.count(start=10.0, step=0.0425)
    return lambda: next(values)


def _ids() -> Callable[[int], str]:
    counter = itertools.count(1)
    return lambda n: f"{next(counter):0{2 * n}x}"


def _client() -> TestClient:
    app = FastAPI()

    @app.post("/orders/{order_id}")
    def place(order_id: str, body: dict[str, str]) -> dict[str, str]:
        logs.get_logger().info("placing", order_id=order_id)
        return {"ok": order_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("x")

    app.add_middleware(RequestLogging, clock=_ticks(), token_hex=_ids())
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"00-{TRACE}-{PARENT}-01", (TRACE, PARENT)),
        (f" 00-{TRACE}-{PARENT}-00 ", (TRACE, PARENT)),
        (f"ff-{TRACE}-{PARENT}-01", None),
        (f"00-{'0' * 32}-{PARENT}-01", None),
        (f"00-{TRACE}-{'0' * 16}-01", None),
        (f"00-{TRACE.upper()}-{PARENT}-01", None),
        ("garbage", None),
        ("", None),
    ],
)
def test_traceparent_is_parsed_per_the_w3c_spec(
    header: str, expected: tuple[str, str] | None
) -> None:
    assert parse_traceparent(header) == expected


def test_a_request_binds_the_trace_and_writes_one_summary_line(configure: Configure) -> None:
    out = configure()
    response = _client().post(
        "/orders/ord-789",
        json={"email": "bob@example.com"},
        headers={"traceparent": f"00-{TRACE}-{PARENT}-01", "X-Request-ID": "req-xyz-789"},
    )
    assert response.status_code == 200
    inner, summary = _ours(out)
    ids = {"trace_id": TRACE, "span_id": "0000000000000001", "parent_span_id": PARENT}
    assert {k: inner[k] for k in ids} == ids
    assert inner["request_id"] == "req-xyz-789"
    assert {k: summary[k] for k in ("trace_id", "span_id", "request_id")} == {
        "trace_id": TRACE,
        "span_id": "0000000000000001",
        "request_id": "req-xyz-789",
    }
    assert {
        k: summary[k]
        for k in ("level", "action", "http_method", "http_route", "http_status", "duration_ms")
    } == {
        "level": "info",
        "action": "http.request",
        "http_method": "POST",
        "http_route": "/orders/{order_id}",
        "http_status": 200,
        "duration_ms": 42.5,
    }
    assert "bob@example.com" not in out.text
    assert "ord-789" not in summary.values()


def test_without_a_traceparent_a_new_trace_and_request_id_are_made(configure: Configure) -> None:
    out = configure()
    _client().post("/orders/o", json={}, headers={"X-Request-ID": "bad id\nforged"})
    summary = _ours(out)[-1]
    assert (summary["trace_id"], summary["span_id"], summary["request_id"]) == (
        "00000000000000000000000000000001",
        "0000000000000003",
        "0000000000000002",
    )
    assert "parent_span_id" not in summary


def test_server_errors_and_unmatched_routes_are_logged_at_their_level(
    configure: Configure,
) -> None:
    out = configure()
    client = _client()
    client.get("/boom")
    client.get("/nowhere")
    summaries = [r for r in _ours(out) if r.get("action") == "http.request"]
    assert [(r["level"], r["http_route"], r["http_status"]) for r in summaries] == [
        ("error", "/boom", 500),
        ("warn", "[unmatched]", 404),
    ]


def test_the_context_does_not_leak_between_requests(configure: Configure) -> None:
    out = configure()
    client = _client()
    client.post("/orders/a", json={}, headers={"traceparent": f"00-{TRACE}-{PARENT}-01"})
    logs.get_logger().info("after")
    assert "trace_id" not in out.records()[-1]
