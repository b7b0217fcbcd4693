"""Log injection: no key or value can end the line or forge another one, in any renderer."""

from __future__ import annotations

import io
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness import logs
from readiness.logs.setup import Renderer
from tests.logs.conftest import fixed_clock

_any_text = st.text(max_size=60)
_hostile = st.text(
    alphabet=st.sampled_from(
        [
            "\n",
            "\r",
            "\x1b",
            "\x85",
            "\u2028",
            "\u2029",
            "\x00",
            "\x7f",
            "\u202e",
            "\x0b",
            "\x0c",
            "\x1c",
            "a",
            '"',
            "\\",
            "{",
            "}",
        ]
    ),
    max_size=30,
)
_texts = st.one_of(_any_text, _hostile)


def _emit(renderer: Renderer, message: str, key: str, value: str) -> str:
    stream = io.StringIO()
    logs.configure(
        "svc",
        "test",
        "v1",
        renderer=renderer,
        clock=fixed_clock,
        stream=stream,
        redact=False,
    )
    try:
        logs.get_logger().info(message, **{"k" + key: value, "nested": {key: [value]}})
        logging.getLogger("lib" + key).warning(message)
    finally:
        logs.reset()
    return stream.getvalue()


@settings(max_examples=150, deadline=None)
@given(message=_texts, key=_texts, value=_texts)
def test_one_json_call_is_one_json_line_that_decodes_to_the_same_values(
    message: str, key: str, value: str
) -> None:
    text = _emit("json", message, key, value)
    lines = text.splitlines()
    assert len(lines) == 2
    assert text.count("\n") == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == message
    assert first["k" + key] == value
    assert first["nested"] == {key: [value]}
    assert second["message"] == message
    assert second["logger"] == "lib" + key


@settings(max_examples=150, deadline=None)
@given(message=_texts, key=_texts, value=_texts)
def test_one_console_call_is_one_console_line(message: str, key: str, value: str) -> None:
    text = _emit("console", message, key, value)
    assert len(text.splitlines()) == 2
    assert text.count("\n") == 2
    assert not any(ch in text for ch in "\r\x1b\x85\u2028\u2029\x00\x7f\u202e")


def test_a_forged_line_stays_inside_the_value() -> None:
    forged = 'ok\n{"level":"info","message":"admin logged in"}'
    json_text = _emit("json", forged, "x", "y")
    assert json_text.splitlines()[0].count('"message"') == 1
    console_text = _emit("console", forged, "x", "y")
    assert console_text.splitlines()[0].startswith(
        '2025-03-15T14:23:01.123Z info  ok\\n{"level":"info","message":"admin logged in"}'
    )


def test_json_escapes_what_json_allows_raw_but_other_readers_break_on() -> None:
    text = _emit("json", "a\u2028b\x85c\x1bd\u202ee", "x", "y")
    assert '"message":"a\\u2028b\\u0085c\\u001bd\\u202ee"' in text


def test_lone_surrogates_and_huge_integers_still_render_one_line() -> None:
    stream = io.StringIO()
    logs.configure("svc", "test", "v1", clock=fixed_clock, stream=stream)
    try:
        logs.get_logger().info("bad \ud800 text", big=2**80)
    finally:
        logs.reset()
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == "bad \ud800 text"
    assert record["big"] == 2**80


def test_neutralise_escapes_controls_by_name() -> None:
    assert logs.neutralise("a\tb\nc\rd\x00e\x9bf\u2029") == "a\\tb\\nc\\rd\\x00e\\x9bf\\u2029"
