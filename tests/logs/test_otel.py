"""The active OpenTelemetry span as trace source; the bound context wins; no cost without OTel."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator

from readiness import logs
from readiness.logs import otel
from readiness.logs.asgi import Receive, Scope, Send
from tests.logs.conftest import Configure

TRACE_INT = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_INT = 0x00F067AA0BA902B7


class FixedIds(IdGenerator):
    """The same ids every time, so the rendered line is exact."""

    def generate_span_id(self) -> int:
        return SPAN_INT

    def generate_trace_id(self) -> int:
        return TRACE_INT


@pytest.fixture
def tracer() -> Iterator[trace.Tracer]:
    otel.forget()
    yield TracerProvider(id_generator=FixedIds()).get_tracer("tests.logs")
    otel.forget()


def test_a_line_in_an_active_span_carries_its_ids_as_lowercase_hex(
    configure: Configure, tracer: trace.Tracer
) -> None:
    out = configure()
    with tracer.start_as_current_span("charge"):
        logs.get_logger().info("charged", action="payment.charge")
    assert out.text == (
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        '"environment":"test","version":"v2.14.3","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",'
        '"span_id":"00f067aa0ba902b7","action":"payment.charge","message":"charged"}\n'
    )


def test_a_bound_trace_wins_over_the_active_span(
    configure: Configure, tracer: trace.Tracer
) -> None:
    out = configure()
    with tracer.start_as_current_span("charge"), logs.bound(trace_id="t-bound"):
        logs.get_logger().info("bound")
    with tracer.start_as_current_span("charge"):
        logs.get_logger().info("passed", trace_id="t-passed")
    with tracer.start_as_current_span("charge"), logs.bound(span_id="s-bound"):
        logs.get_logger().info("span bound")
    assert [(r.get("trace_id"), r.get("span_id")) for r in out.records()] == [
        ("t-bound", None),
        ("t-passed", None),
        ("4bf92f3577b34da6a3ce929d0e0e4736", "s-bound"),
    ]


def test_no_span_or_an_invalid_one_adds_nothing(configure: Configure, tracer: trace.Tracer) -> None:
    out = configure()
    logs.get_logger().info("outside")
    with trace.use_span(trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)):
        logs.get_logger().info("invalid")
    assert [("trace_id" in r, "span_id" in r) for r in out.records()] == [(False, False)] * 2


def test_the_processor_can_be_switched_off(configure: Configure, tracer: trace.Tracer) -> None:
    out = configure(otel_spans=False)
    with tracer.start_as_current_span("charge"):
        logs.get_logger().info("off")
    assert "trace_id" not in out.records()[0]


def test_without_opentelemetry_lines_have_no_trace_and_nothing_fails(
    configure: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    otel.forget()
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if not installed
    try:
        out = configure()
        logs.get_logger().info("plain")
        assert otel.active_span_ids() is None
    finally:
        otel.forget()
    assert out.records()[0]["message"] == "plain"
    assert "trace_id" not in out.records()[0]


def test_importing_and_configuring_never_imports_opentelemetry_before_a_line() -> None:
    code = (
        "import sys\n"
        "from readiness import logs\n"
        "logs.configure('s', 'e', 'v', stream=sys.stdout)\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
        "sys.modules['opentelemetry'] = None\n"
        "logs.get_logger().info('x')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    first, line = done.stdout.splitlines()
    assert first == "[]"
    assert '"message":"x"' in line
    assert "trace_id" not in line


def test_request_logging_uses_the_active_span_when_no_traceparent_came(
    configure: Configure, tracer: trace.Tracer
) -> None:
    import asyncio

    import httpx
    from fastapi import FastAPI

    out = configure()
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        logs.get_logger().info("pong")
        return {}

    wrapped = logs.RequestLogging(app)

    async def traced(scope: Scope, receive: Receive, send: Send) -> None:
        with tracer.start_as_current_span("asgi"):  # what OTel's ASGI instrumentation does
            await wrapped(scope, receive, send)

    async def call() -> None:
        transport = httpx.ASGITransport(app=traced)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/ping")

    asyncio.run(call())
    pong = next(r for r in out.records() if r.get("message") == "pong")
    assert (pong["trace_id"], pong["span_id"]) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )
