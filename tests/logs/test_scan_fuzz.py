"""Properties of the scanner: any input scans, and a redacted copy never holds what was found."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import DEFAULT_IDENTIFIER_KEYS
from readiness.logs.scan import LogScanner, parse_json_object, scan_lines

#: Values every detector finds, to plant in random text.
PLANTED = [
    "bob@example.com", "4111 1111 1111 1111", "5500-0000-0000-0004", "078-05-1120",
    "203.0.113.42", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "DE89 3704 0044 0532 0130 00",
    "+44 20 7946 0958", "(415) 555-0132", "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a1B2" * 9, "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
]  # fmt: skip

#: Declared identifier fields (trace_id...) are exempt by design: keys are anything else.
_keys = st.text(max_size=10).filter(lambda k: k not in DEFAULT_IDENTIFIER_KEYS)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.sampled_from(PLANTED),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)  # fmt: skip


def _scan_capturing(lines: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    scanner = LogScanner()
    seen: list[tuple[str, str]] = []
    record = scanner.redactor.on_finding
    assert record is not None

    def both(kind: str, original: str) -> None:
        seen.append((kind, original))
        record(kind, original)

    scanner.redactor.on_finding = both
    return list(scanner.lines(lines)), seen


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_scans_into_one_redacted_line_per_line(text: str) -> None:
    lines = text.split("\n")
    report = scan_lines(lines)
    assert report.lines == len(lines) == len(report.redacted)
    assert report.total == len(report.findings)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_decoded_as_the_cli_does_scan_without_error(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    report = scan_lines(text.split("\n"))
    for line in report.redacted:
        line.encode("utf-8", errors="surrogateescape")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(max_size=40), st.sampled_from(PLANTED), st.text(max_size=40)), max_size=5
    )
)
def test_a_redacted_text_line_never_contains_a_found_value(
    parts: list[tuple[str, str, str]],
) -> None:
    lines = [f"{before} {value} {after}".replace("\n", " ") for before, value, after in parts]
    redacted, seen = _scan_capturing(lines)
    for kind, original in seen:
        if kind != "key":
            assert all(original not in line for line in redacted), (kind, original)
    for line, (_, value, _) in zip(redacted, parts, strict=True):
        assert value not in line


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _json_values, max_size=6))
def test_a_redacted_json_line_never_contains_a_found_value(event: dict[str, Any]) -> None:
    line = json.dumps(event)
    (redacted,), seen = _scan_capturing([line])
    decoded = json.loads(redacted)
    assert isinstance(decoded, dict)
    for kind, original in seen:
        if kind != "key":
            assert original not in json.dumps(decoded, ensure_ascii=False), (kind, original)
    for value in PLANTED:
        assert value not in redacted


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}[]":,0123456789.eE-+ntrufalsN\\u')), max_size=200))
def test_the_json_lines_reader_never_raises(line: str) -> None:
    parsed = parse_json_object(line)
    assert parsed is None or isinstance(parsed, dict)
