"""The request middleware: W3C traceparent in, one summary line out, never bodies."""

from __future__ import annotations

import io
import itertools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI, Request
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.exceptions import StarletteDeprecationWarning
from starlette.middleware.base import BaseHTTPMiddleware

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # as tests/server/conftest.py
    from starlette.testclient import TestClient

from readiness import logs
from readiness.logs import override
from readiness.logs.asgi import RequestLogging, parse_traceparent
from readiness.logs.sampling import sample_fraction
from tests.logs.conftest import Captured, Configure, fixed_clock

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


# --- a request under a debug grant keeps its summary line ---------------------------------

KEY = override.derive_key(b"k" * 32)
NOW = 1_700_000_000
GRANT, _ = override.issue_grant(KEY, subject="alice#3", level="debug", now=NOW, grant_id="g-1")
#: Sampled out at rate 0.5 (its place is 0.878...); TRACE is kept (0.224...).
DROPPED = "00000000000000000000000000000001"


def _configured(rate: float) -> Captured:
    """As the ``configure`` fixture (which a Hypothesis test cannot take) at sampling ``rate``."""
    stream = io.StringIO()
    logs.configure(
        service="order-service",
        environment="test",
        version="v2.14.3",
        clock=fixed_clock,
        stream=stream,
        sample_rate=rate,
    )
    return Captured(stream)


def _granted_client(*, task_middleware: bool = False) -> TestClient:
    """``task_middleware``: a Starlette ``BaseHTTPMiddleware`` between the two (it runs the app
    in a task of its own and starts the response from its own)."""
    app = FastAPI()

    @app.get("/orders/{order_id}")
    def show(order_id: str) -> dict[str, str]:
        logs.get_logger().debug("cache miss")
        return {}

    app.add_middleware(override.DebugOverride, key=KEY, clock=lambda: NOW + 10.0)
    if task_middleware:
        app.add_middleware(BaseHTTPMiddleware, dispatch=_pass_on)
    app.add_middleware(RequestLogging, clock=_ticks(), token_hex=_ids())
    return TestClient(app)


async def _pass_on(request: Request, call_next: Any) -> Any:
    return await call_next(request)


def _headers(trace_id: str, *, granted: bool) -> dict[str, str]:
    headers = {"traceparent": f"00-{trace_id}-{PARENT}-01", "X-Request-ID": "req-1"}
    if granted:
        headers |= {"X-Log-Level": "debug", "X-Debug-Grant": GRANT}
    return headers


def _summary_line(trace_id: str, extra: str = "") -> str:
    return (
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        f'"environment":"test","version":"v2.14.3","trace_id":"{trace_id}",'
        f'"span_id":"0000000000000001","request_id":"req-1","parent_span_id":"{PARENT}",'
        '"action":"http.request","message":"http.request","duration_ms":42.5,'
        f'"http_method":"GET","http_route":"/orders/{{order_id}}","http_status":200{extra}}}'
    )


def test_a_sampled_out_request_keeps_its_summary_line_under_a_debug_grant(
    configure: Configure,
) -> None:
    assert (sample_fraction(DROPPED) >= 0.5, sample_fraction(TRACE) < 0.5) == (True, True)
    granted = configure(sample_rate=0.5)
    _granted_client().get("/orders/o-1", headers=_headers(DROPPED, granted=True))
    plain = configure(sample_rate=0.5)
    _granted_client().get("/orders/o-1", headers=_headers(DROPPED, granted=False))
    assert [r["message"] for r in _ours(granted)] == ["log.override", "cache miss", "http.request"]
    assert [r for r in granted.text.splitlines() if '"http.request"' in r] == [
        _summary_line(DROPPED)
    ]
    assert _ours(plain) == []


def test_the_summary_line_keeps_the_grant_through_a_middleware_running_the_app_in_its_own_task(
    configure: Configure,
) -> None:
    granted = configure(sample_rate=0.5)
    _granted_client(task_middleware=True).get(
        "/orders/o-1", headers=_headers(DROPPED, granted=True)
    )
    plain = configure(sample_rate=0.5)
    _granted_client(task_middleware=True).get(
        "/orders/o-1", headers=_headers(DROPPED, granted=False)
    )
    assert [r["message"] for r in _ours(granted)] == ["log.override", "cache miss", "http.request"]
    assert [r for r in granted.text.splitlines() if '"http.request"' in r] == [
        _summary_line(DROPPED)
    ]
    assert _ours(plain) == []


def test_a_kept_request_records_the_rate_without_a_grant_and_not_under_one(
    configure: Configure,
) -> None:
    granted = configure(sample_rate=0.5)
    _granted_client().get("/orders/o-1", headers=_headers(TRACE, granted=True))
    plain = configure(sample_rate=0.5)
    _granted_client().get("/orders/o-1", headers=_headers(TRACE, granted=False))
    assert [r for r in granted.text.splitlines() if '"http.request"' in r] == [_summary_line(TRACE)]
    assert [r for r in plain.text.splitlines() if '"http.request"' in r] == [
        _summary_line(TRACE, ',"sample_rate":0.5')
    ]


@settings(max_examples=40, deadline=None)
@given(trace_id=st.from_regex(r"[0-9a-f]{32}", fullmatch=True), rate=st.sampled_from([0.1, 0.5]))
def test_under_a_grant_the_summary_line_is_kept_for_every_trace_id(
    trace_id: str, rate: float
) -> None:
    if trace_id == "0" * 32:  # not a valid traceparent: a new trace would be made
        return
    try:
        granted = _configured(rate)
        _granted_client().get("/orders/o-1", headers=_headers(trace_id, granted=True))
        plain = _configured(rate)
        _granted_client().get("/orders/o-1", headers=_headers(trace_id, granted=False))
    finally:
        logs.reset()
    summaries = [
        [r["trace_id"] for r in _ours(out) if r.get("action") == "http.request"]
        for out in (granted, plain)
    ]
    kept = sample_fraction(trace_id) < rate
    assert summaries == [[trace_id], [trace_id] if kept else []]
