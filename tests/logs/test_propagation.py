"""traceparent/tracestate in message headers: the dict helpers, parse fuzz, the consumer's
context, and the real RabbitMQ (pika) and NATS (nats-py) servers of this machine."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterator

import nats
import pika  # type: ignore[import-untyped]  # pika ships no type hints
import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness import logs
from readiness.logs import propagation
from readiness.logs.asgi import parse_traceparent
from readiness.logs.propagation import TraceContext
from tests.logs.conftest import NATS, RABBIT, Configure, require_broker

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
PARENT = f"00-{TRACE}-{SPAN}-01"


def _ids() -> Callable[[int], str]:
    counter = itertools.count(1)
    return lambda n: f"{next(counter):0{2 * n}x}"


# --- pure helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (PARENT, TraceContext(TRACE, SPAN, True)),
        (f"00-{TRACE}-{SPAN}-00", TraceContext(TRACE, SPAN, False)),
        (f" 00-{TRACE}-{SPAN}-01\t", TraceContext(TRACE, SPAN, True)),
        (f"01-{TRACE}-{SPAN}-03-extra", TraceContext(TRACE, SPAN, True)),
        (f"00-{TRACE}-{SPAN}-01-extra", None),
        (f"ff-{TRACE}-{SPAN}-01", None),
        (f"00-{'0' * 32}-{SPAN}-01", None),
        (f"00-{TRACE}-{'0' * 16}-01", None),
        (f"00-{TRACE.upper()}-{SPAN}-01", None),
        ("", None),
    ],
)
def test_traceparent_is_parsed_per_the_w3c_spec(header: str, expected: TraceContext | None) -> None:
    assert propagation.parse(header) == expected


@given(st.text(max_size=120))
def test_parsing_any_text_never_raises_and_agrees_with_the_middleware(text: str) -> None:
    parsed = propagation.parse(text)
    if parsed is not None:
        assert len(parsed.trace_id) == 32
        assert len(parsed.span_id) == 16
    middleware = parse_traceparent(text)
    if middleware is not None:
        assert parsed is not None
        assert (parsed.trace_id, parsed.span_id) == middleware


@given(
    st.from_regex(r"[0-9a-f]{32}", fullmatch=True).filter(lambda s: s != "0" * 32),
    st.from_regex(r"[0-9a-f]{16}", fullmatch=True).filter(lambda s: s != "0" * 16),
    st.booleans(),
)
def test_inject_then_extract_round_trips(trace_id: str, span_id: str, sampled: bool) -> None:
    context = TraceContext(trace_id, span_id, sampled, "vendor=abc")
    headers = propagation.inject({"TraceParent": "stale", "x": "1"}, context)
    assert headers == {"x": "1", "traceparent": context.traceparent, "tracestate": "vendor=abc"}
    assert propagation.extract(headers) == context


_HEADER_PART = st.one_of(
    st.text(max_size=80), st.binary(max_size=80), st.sampled_from(["traceparent", "TraceState"])
)


@given(st.dictionaries(_HEADER_PART, st.one_of(_HEADER_PART, st.integers(), st.none())))
def test_extracting_any_headers_never_raises(headers: dict[object, object]) -> None:
    context = propagation.extract(headers)
    assert context is None or propagation.parse(context.traceparent) is not None


def test_extract_reads_bytes_values_and_names_in_any_case() -> None:
    headers = {b"TRACEPARENT": PARENT.encode(), "TraceState": b"a=1"}
    assert propagation.extract(headers) == TraceContext(TRACE, SPAN, True, "a=1")
    assert propagation.extract({"traceparent": b"\xff\xfe"}) is None
    assert propagation.extract(None) is None
    assert propagation.extract({"traceparent": f"00-{TRACE}-{SPAN}-01", "tracestate": "\n"}) == (
        TraceContext(TRACE, SPAN, True, None)
    )


def test_inject_uses_the_bound_trace_and_nothing_without_one() -> None:
    assert propagation.inject({}) == {}
    with logs.bound(trace_id=TRACE, span_id=SPAN):
        assert propagation.inject({}) == {"traceparent": PARENT}
    with logs.bound(trace_id="not-w3c", span_id=SPAN):
        assert propagation.inject({}) == {}


def test_the_consumer_logs_under_the_producers_trace_with_a_span_of_its_own(
    configure: Configure,
) -> None:
    out = configure()
    with propagation.consuming(TraceContext(TRACE, SPAN, True, "v=1"), token_hex=_ids()) as own:
        logs.get_logger().info("order received", action="order.received")
        assert propagation.inject({}) == {"traceparent": f"00-{TRACE}-0000000000000001-01"}
    logs.get_logger().info("after")
    assert own == TraceContext(TRACE, "0000000000000001", True, "v=1")
    assert out.text.splitlines() == [
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        '"environment":"test","version":"v2.14.3","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",'
        '"span_id":"0000000000000001","parent_span_id":"00f067aa0ba902b7",'
        '"action":"order.received","message":"order received"}',
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        '"environment":"test","version":"v2.14.3","message":"after"}',
    ]


def test_a_message_without_a_trace_starts_a_new_one() -> None:
    with propagation.consuming(None, token_hex=_ids()) as own:
        assert own == TraceContext("00000000000000000000000000000001", "0000000000000002")


# --- real brokers -----------------------------------------------------------------------------


@pytest.fixture
def rabbit_channel() -> Iterator[object]:
    require_broker("RabbitMQ", RABBIT)
    connection = pika.BlockingConnection(
        pika.ConnectionParameters(
            host=RABBIT[0],
            port=RABBIT[1],
            credentials=pika.PlainCredentials("guest", "guest"),
            connection_attempts=1,
            socket_timeout=5,
        )
    )
    channel = connection.channel()
    channel.confirm_delivery()
    try:
        yield channel
    finally:
        connection.close()


def test_the_trace_crosses_rabbitmq(configure: Configure, rabbit_channel: object) -> None:
    out = configure()
    channel = rabbit_channel
    assert isinstance(channel, pika.adapters.blocking_connection.BlockingChannel)
    queue = f"readiness-test-{uuid.uuid4().hex}"
    channel.queue_declare(queue=queue, auto_delete=True)
    try:
        with logs.bound(trace_id=TRACE, span_id=SPAN):
            logs.get_logger().info("order published")
            properties = propagation.inject_pika(pika.BasicProperties(headers={"kind": "order"}))
            channel.basic_publish("", queue, b'{"order_id":"ord-789"}', properties)  # confirmed
        method, received, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None, "the confirmed message is in the queue"
        assert received.headers == {"kind": "order", "traceparent": PARENT}
        with propagation.consuming(propagation.extract_pika(received), token_hex=_ids()):
            logs.get_logger().info("order consumed", body_bytes=len(body))
    finally:
        channel.queue_delete(queue)
    producer, consumer = out.records()
    assert (consumer["trace_id"], consumer["parent_span_id"], consumer["span_id"]) == (
        TRACE,
        SPAN,
        "0000000000000001",
    )
    assert consumer["trace_id"] == producer["trace_id"]


def test_the_trace_crosses_nats(configure: Configure) -> None:
    require_broker("NATS", NATS)
    out = configure()
    subject = f"readiness.test.{uuid.uuid4().hex}"

    async def round_trip() -> None:
        nc = await nats.connect(f"nats://{NATS[0]}:{NATS[1]}", connect_timeout=5)
        try:
            sub = await nc.subscribe(subject)
            with logs.bound(trace_id=TRACE, span_id=SPAN):
                logs.get_logger().info("order published")
                await nc.publish(subject, b"ord-789", headers=propagation.nats_headers({"k": "v"}))
            msg = await sub.next_msg(timeout=10)
            assert msg.headers == {"k": "v", "traceparent": PARENT}
            with propagation.consuming(propagation.extract_nats(msg), token_hex=_ids()):
                logs.get_logger().info("order consumed", body_bytes=len(msg.data))
            await sub.unsubscribe()
        finally:
            await nc.close()

    asyncio.run(round_trip())
    producer, consumer = out.records()
    assert consumer["trace_id"] == producer["trace_id"] == TRACE
    assert (consumer["span_id"], consumer["parent_span_id"]) == ("0000000000000001", SPAN)
