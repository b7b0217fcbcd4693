"""configure(): the baseline fields, OpenTelemetry names, stdlib routing, console, contextvars."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from readiness import logs
from tests.logs.conftest import Configure


def test_a_line_carries_the_baseline_fields_in_the_handbook_order(configure: Configure) -> None:
    out = configure()
    logs.bind(trace_id="t-1", span_id="s-1", request_id="r-1", user_id="u-456")
    logs.get_logger().info("Order placed", action="order.placed", duration_ms=234, order_id="o-7")
    assert out.text == (
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        '"environment":"test","version":"v2.14.3","trace_id":"t-1","span_id":"s-1",'
        '"request_id":"r-1","user_id":"u-456","action":"order.placed","message":"Order placed",'
        '"duration_ms":234,"order_id":"o-7"}\n'
    )


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert logs.format_timestamp(datetime(2025, 3, 15, 16, 23, 1, 999999, tzinfo=plus_two)) == (
        "2025-03-15T14:23:01.999Z"
    )
    assert logs.format_timestamp(datetime(2025, 1, 1, tzinfo=UTC)) == ("2025-01-01T00:00:00.000Z")
    with pytest.raises(ValueError, match="aware datetime"):
        logs.format_timestamp(datetime(2025, 1, 1))


def test_levels_use_the_handbook_names_and_filter_below_the_threshold(
    configure: Configure,
) -> None:
    out = configure(level="warn")
    log = logs.get_logger()
    log.debug("hidden")
    log.info("hidden")
    log.warning("w")
    log.error("e")
    log.critical("c")
    assert [(r["level"], r["message"]) for r in out.records()] == [
        ("warn", "w"),
        ("error", "e"),
        ("fatal", "c"),
    ]


def test_an_unknown_level_or_renderer_is_refused() -> None:
    with pytest.raises(ValueError, match="log level must be one of"):
        logs.configure("s", "e", "v", level="loud")
    with pytest.raises(ValueError, match="renderer must be"):
        logs.configure("s", "e", "v", renderer="xml")  # type: ignore[arg-type]


def _fail() -> None:
    raise ConnectionError("Stripe API did not respond within 3000ms")


def test_an_exception_becomes_the_error_object(configure: Configure) -> None:
    out = configure()
    try:
        _fail()
    except ConnectionError:
        logs.get_logger().exception("charge failed", action="payment.charge")
    (record,) = out.records()
    assert record["level"] == "error"
    assert record["error"]["type"] == "ConnectionError"
    assert record["error"]["message"] == "Stripe API did not respond within 3000ms"
    assert record["error"]["stack"].startswith("Traceback (most recent call last):\n")
    assert record["error"]["stack"].endswith(
        "ConnectionError: Stripe API did not respond within 3000ms"
    )
    assert list(record)[-2:] == ["message", "error"]


def _recurse(depth: int) -> None:
    if depth == 0:
        raise RuntimeError("deep")
    _recurse(depth - 1)


def test_the_stack_keeps_the_last_frames_only(configure: Configure) -> None:
    out = configure(stack_frames=3)
    try:
        _recurse(20)
    except RuntimeError as exc:
        logs.get_logger().error("failed", exc_info=exc)
    stack = out.records()[0]["error"]["stack"]
    assert stack.count('  File "') == 3


def test_otel_names_map_the_baseline_fields(configure: Configure) -> None:
    out = configure(otel_names=True)
    logs.bind(trace_id="t-1", user_id="u-1")
    try:
        raise KeyError("k")
    except KeyError:
        logs.get_logger().exception("boom", action="a.b")
    (record,) = out.records()
    assert list(record)[:10] == [
        "timestamp",
        "severity_text",
        "service.name",
        "deployment.environment.name",
        "service.version",
        "trace_id",
        "user.id",
        "event.name",
        "body",
        "exception.type",
    ]
    assert record["service.name"] == "order-service"
    assert record["deployment.environment.name"] == "test"
    assert record["exception.type"] == "KeyError"
    assert record["exception.message"] == "'k'"


def test_stdlib_logging_goes_through_the_same_pipeline(configure: Configure) -> None:
    out = configure()
    logs.bind(trace_id="t-9")
    logging.getLogger("urllib3.connectionpool").warning("retrying %s", "/api", extra={"attempt": 2})
    logging.getLogger("noisy").debug("below the level")
    assert out.records() == [
        {
            "timestamp": "2025-03-15T14:23:01.123Z",
            "level": "warn",
            "service": "order-service",
            "environment": "test",
            "version": "v2.14.3",
            "trace_id": "t-9",
            "message": "retrying /api",
            "logger": "urllib3.connectionpool",
            "attempt": 2,
        }
    ]


def test_stdlib_exceptions_become_the_error_object(configure: Configure) -> None:
    out = configure()
    try:
        _fail()
    except ConnectionError:
        logging.getLogger("lib").exception("lib failed")
    (record,) = out.records()
    assert record["error"]["type"] == "ConnectionError"
    assert record["logger"] == "lib"


def test_contextvars_are_scoped_to_the_with_block(configure: Configure) -> None:
    out = configure()
    log = logs.get_logger()
    with logs.bound(request_id="r-1"):
        log.info("inside")
    log.info("outside")
    logs.bind(user_id="u-1")
    logs.unbind("user_id")
    log.info("unbound")
    assert [r.get("request_id") for r in out.records()] == ["r-1", None, None]
    assert "user_id" not in out.records()[2]


def test_the_console_renderer_is_one_readable_line(configure: Configure) -> None:
    out = configure(renderer="console")
    logs.get_logger("orders").info("Order placed", amount=120.5, note="two words")
    assert out.text == (
        "2025-03-15T14:23:01.123Z info  Order placed service=order-service environment=test "
        'version=v2.14.3 logger=orders amount=120.5 note="two words"\n'
    )


def test_reconfiguring_replaces_the_stdlib_handler(configure: Configure) -> None:
    configure()
    out = configure()
    logging.getLogger("x").warning("once")
    assert len(out.records()) == 1


def test_reset_restores_the_root_level_and_handlers() -> None:
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    logs.configure("s", "e", "v", level="error")
    assert root.level == logging.ERROR
    logs.reset()
    assert (root.level, list(root.handlers)) == before
