"""The input rules the server enforces are the ones its OpenAPI document states."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.web.inputs import LINE_PATTERN, TEXT_PATTERN, check_line, check_text

SURROGATES = re.compile(r"[\ud800-\udfff]")


def _accepted(check: Callable[[object], object], value: str) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


@given(st.text(alphabet=st.characters(codec=None, max_codepoint=0xFFFF)))
def test_a_line_is_accepted_exactly_when_the_documented_pattern_matches(value: str) -> None:
    documented = re.fullmatch(LINE_PATTERN, value) is not None and not SURROGATES.search(value)

    assert _accepted(check_line, value) is documented


@given(st.text(alphabet=st.characters(codec=None, max_codepoint=0xFFFF)))
def test_a_text_is_accepted_exactly_when_the_documented_pattern_matches(value: str) -> None:
    documented = re.fullmatch(TEXT_PATTERN, value) is not None and not SURROGATES.search(value)

    assert _accepted(check_text, value) is documented


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (check_line, "a\x00b", "a control character ('\\x00') at position 1 is not allowed"),
        (check_line, "a\tb", "a control character ('\\t') at position 1 is not allowed"),
        (check_line, "\x7f", "a control character ('\\x7f') at position 0 is not allowed"),
        (check_text, "a\x1bb", "a control character ('\\x1b') at position 1 is not allowed"),
        (check_text, "ok\ud800", "a lone surrogate ('\\ud800') at position 2 is not allowed"),
    ],
)
def test_a_refused_value_is_named_with_its_character_and_position(
    check: Callable[[object], object], value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check(value)


def test_text_keeps_tabs_and_newlines_that_reports_may_carry() -> None:
    assert check_text("line one\n\tline two\r\n") == "line one\n\tline two\r\n"
