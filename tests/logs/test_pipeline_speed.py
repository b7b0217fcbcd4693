"""The fast paths keep the output exact: the prefilter returns what the redactor returns (and
counts what it counts), cached loggers follow a new setup, a filtered-out call runs no
processor. Counting calls, not timing them."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness import logs
from readiness.logs.prefilter import Prefiltered, TextGate
from readiness.logs.redaction import Redactor, default_detectors
from tests.logs.conftest import Configure

_keys = st.sampled_from(
    ["message", "event", "order_id", "note", "password", "x-api-key", "trace_id", "level", "a@b.io"]
) | st.text(max_size=12)
_strings = st.sampled_from(
    [
        "order placed",
        "ord-12345",
        "bob@example.com",
        "4111 1111 1111 1111",
        "call +44 20 7946 0958",
        "from 203.0.113.42",
        "2001:db8::1",
        "Bearer abcdefghijklmnop1234",
        "AKIAIOSFODNN7EXAMPLE",
        "123-45-6789",
        "4bf92f3577b34da6a3ce929d0e0e4736",
    ]
) | st.text(max_size=40)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([4111111111111111, 10**12 - 1, -(10**12) + 1])
    | st.floats(allow_nan=False)
    | _strings
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=6,
)
_events = st.dictionaries(_keys | st.sampled_from(["_record", "_from_structlog"]), _values)


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(_events, min_size=1, max_size=4))
def test_the_prefilter_returns_and_counts_exactly_what_the_redactor_does(
    lines: list[dict[str, Any]],
) -> None:
    plain, wrapped = Redactor(), Redactor()
    prefiltered = Prefiltered(wrapped)
    for line in lines * 2:  # twice: the second time, remembered keys and values
        expected = plain(None, "info", dict(line))
        got = prefiltered(None, "info", dict(line))
        assert list(got.items()) == list(expected.items())
    assert wrapped.counts == plain.counts


def test_a_clean_line_is_returned_as_is_without_the_redactor() -> None:
    calls: list[str] = []

    class Watched(Redactor):
        def text(self, text: str) -> str:
            calls.append(text)
            return super().text(text)

    redactor = Redactor()
    prefiltered = Prefiltered(redactor)
    line = {"event": "order placed", "trace_id": "t-1", "n": 7, "amount": 1.5, "ok": True}
    assert prefiltered(None, "info", line) is line
    assert redactor.counts == {}
    # A subclass may redact differently: it is called for every line.
    watched = Watched()
    assert Prefiltered(watched)(None, "info", {"event": "ok"}) == {"event": "ok"}
    assert sorted(calls) == ["event", "ok"]


def test_the_gate_lets_through_every_string_a_detector_could_change() -> None:
    gate = TextGate(default_detectors())
    assert [
        gate.could_match(text)
        for text in ("", "x", "order placed", "ord-1", "a@b.io", "1.2.3.4", "ord-1234567", "::1")
    ] == [False, False, False, False, True, True, True, True]
    assert TextGate([]).could_match("anything at all, 4111 1111 1111 1111") is False


def test_a_filtered_out_call_runs_no_processor(configure: Configure) -> None:
    calls: list[str] = []

    def counting(_logger: object, method: str, event_dict: MutableMapping[str, Any]) -> Any:
        calls.append(method)
        return event_dict

    out = configure(level="info", extra_processors=(counting,))
    log = logs.get_logger("orders")
    for _ in range(3):
        log.debug("hidden", order_id="o-1")
    logging.getLogger("lib").debug("hidden too")
    log.info("shown")
    assert calls == ["info"]
    assert out.text == (
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        '"environment":"test","version":"v2.14.3","message":"shown","logger":"orders"}\n'
    )


def test_a_logger_made_before_configure_follows_each_new_setup(configure: Configure) -> None:
    log = logs.get_logger("early")
    first = configure(level="info")
    log.info("one")
    log.debug("hidden")
    second = configure(level="debug", service="billing")
    log.debug("two")
    assert [r["message"] for r in first.records()] == ["one"]
    assert [(r["service"], r["level"], r["message"]) for r in second.records()] == [
        ("billing", "debug", "two")
    ]
    logs.reset()
    assert "debug" not in vars(log)


def test_without_caching_a_logger_keeps_no_method(configure: Configure) -> None:
    out = configure(cache_loggers=False)
    log = logs.get_logger()
    log.info("a")
    assert set(vars(log)) == {"_initial"}
    assert [r["message"] for r in out.records()] == ["a"]
