"""Whatever bytes arrive, the reader either yields cases or raises ``JUnitParseError``."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.errors import JUnitParseError
from readiness.testhealth.junit.ids import FORMATS
from readiness.testhealth.junit.reader import parse_report

DATA = Path(__file__).parent / "data" / "junit"
VALID = [
    (DATA / name).read_bytes()
    for name in (
        "pytest_xunit1.xml",
        "pytest_rerunfailures.xml",
        "jest_junit.xml",
        "surefire.xml",
        "go_junit_report.xml",
    )
]
TOKENS = [
    b"<",
    b">",
    b"/>",
    b"</testcase>",
    b"<testcase ",
    b"<failure>",
    b"<flakyFailure>",
    b"<stackTrace>",
    b"&amp;",
    b"&lol;",
    b"<!DOCTYPE x>",
    b"<![CDATA[",
    b"]]>",
    b'name=""',
    b'time="1,2,3"',
    b'time="nan"',
    b"\x00",
    b"\xff\xfe",
    b'<?xml version="1.0" encoding="latin-1"?>',
]


def _read(data: bytes) -> None:
    """Parse fully; only the documented error may escape."""
    report = parse_report(io.BytesIO(data), "fuzz.xml")
    try:
        cases = list(report)
    except JUnitParseError as exc:
        assert exc.source == "fuzz.xml"
        assert "\n" not in exc.problem
        return
    assert report.format in FORMATS
    for case in cases:
        assert case.test_id
        assert case.duration_s >= 0.0
        assert case.attempt >= 0
        assert case.message is None or len(case.message) <= 2000


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_junit_parse_errors(data: bytes) -> None:
    _read(data)


@st.composite
def mutated_reports(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "flip"]))
        if action == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif at < len(data):
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_reports())
def test_mutated_valid_reports_raise_nothing_but_junit_parse_errors(data: bytes) -> None:
    _read(data)


@settings(max_examples=100)
@given(st.sampled_from(VALID), st.integers(1, 64))
def test_chunking_of_the_input_does_not_change_the_cases(data: bytes, chunk: int) -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            return super().read(min(chunk, size if size is not None and size >= 0 else chunk))

    whole = list(parse_report(io.BytesIO(data), "a.xml"))
    trickled = list(parse_report(Trickle(data), "a.xml"))
    assert trickled == whole
