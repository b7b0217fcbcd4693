"""No single text or tag of a report grows past ``max_field_bytes``: texts are cut with a marker,
tags make the report invalid, on every reader path and in bounded memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import cast
from xml.parsers import expat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from readiness._common.clock import FrozenClock
from readiness.config import Settings, TestHealthSettings
from readiness.errors import JUnitParseError
from readiness.storage.engine import Stores
from readiness.testhealth.junit.bounds import BoundedReader, FieldTooLong, marker
from readiness.testhealth.junit.reader import ParsedReport, Row
from readiness.testhealth.model import Outcome, RunMeta
from readiness.testhealth.service import TestHealthService
from tests.testhealth.junit._xml import document
from tests.testhealth.junit.test_fast import reports

OpenReport = Callable[..., ParsedReport]
ReadRows = Callable[..., list[Row]]
LIMIT = 4096
PLACEHOLDER = "@@FIELD@@"


def _template(field_in: str) -> str:
    """A pytest report whose second testcase has a field where ``PLACEHOLDER`` is: ``message``
    (an attribute of its failure), ``text`` (the failure's text) or ``cdata`` (a CDATA section,
    as go-junit-report writes). Built with ElementTree; one element per line."""
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(root, "testsuite", name="pytest")
    ET.SubElement(suite, "testcase", classname="tests.test_a", name="test_before", time="0.1")
    case = ET.SubElement(suite, "testcase", classname="tests.test_a", name="test_big", time="1")
    failure = ET.SubElement(case, "failure")
    if field_in == "message":
        failure.set("message", PLACEHOLDER)
    else:
        failure.text = "E   assert False\n" + PLACEHOLDER
    ET.SubElement(suite, "testcase", classname="tests.test_a", name="test_after", time="0.1")
    text = document(root).decode().replace("><", ">\n<")
    return text.replace(PLACEHOLDER, f"<![CDATA[{PLACEHOLDER}]]>") if field_in == "cdata" else text


def _report(field_in: str, size: int, *, fill: str = "x") -> bytes:
    """:func:`_template` with a field of ``size`` bytes of ``fill``."""
    return _template(field_in).replace(PLACEHOLDER, (fill * size)[:size]).encode()


def _error(open_report: OpenReport, data: bytes, **kwargs: object) -> str:
    with pytest.raises(JUnitParseError) as info:
        list(open_report(data, **kwargs).rows())
    return str(info.value)


_TAG = len('<failure message="" />')  # ElementTree's empty element


def test_a_tag_one_byte_over_the_limit_makes_the_report_invalid_naming_its_line(
    open_report: OpenReport,
) -> None:
    error = _error(open_report, _report("message", LIMIT - _TAG + 1), max_field_bytes=LIMIT)

    assert error == (
        "JUnit XML report.xml line 5: a <failure> tag of more than 4096 bytes (the "
        "testhealth.max_field_bytes limit); shorten its attributes or raise the limit; "
        "nothing from this file was ingested"
    )


def test_a_tag_of_exactly_the_limit_is_read(read_rows: ReadRows) -> None:
    rows = read_rows(_report("message", LIMIT - _TAG), max_field_bytes=LIMIT)

    assert [(r[2], Outcome(r[4])) for r in rows] == [
        ("test_before", Outcome.PASSED),
        ("test_big", Outcome.FAILED),
        ("test_after", Outcome.PASSED),
    ]


_HEAD = len("E   assert False\n")


@pytest.mark.parametrize(("over", "cut"), [(0, 0), (1, 1)])
def test_a_text_is_kept_whole_up_to_the_limit_and_cut_one_byte_over_it(
    open_report: OpenReport, over: int, cut: int
) -> None:
    report = open_report(_report("text", LIMIT - _HEAD + over), max_field_bytes=LIMIT)

    list(report.rows())

    assert (report.bounds.fields_cut, report.bounds.bytes_cut) == (cut, cut)


@pytest.mark.parametrize("field_in", ["text", "cdata"])
def test_a_text_longer_than_the_limit_is_cut_and_the_report_read(
    open_report: OpenReport, field_in: str
) -> None:
    fill = "<é&>" if field_in == "cdata" else "&lt;é&amp;&gt;"  # as the producer escapes it
    data = _template(field_in).replace(PLACEHOLDER, fill * LIMIT).encode()
    report = open_report(data, max_field_bytes=LIMIT)

    rows = list(report.rows())

    assert [(r[2], Outcome(r[4]), r[7]) for r in rows] == [
        ("test_before", Outcome.PASSED, None),
        ("test_big", Outcome.FAILED, "assert False"),
        ("test_after", Outcome.PASSED, None),
    ]
    assert report.bounds.fields_cut == 1


def test_the_marker_says_how_many_bytes_were_cut_where_the_text_ends() -> None:
    data = _report("text", 10_000)
    start, end = data.index(b"E   assert False"), data.index(b"</failure>")

    seen = BoundedReader(io.BytesIO(data), LIMIT).read()

    cut = end - start - LIMIT
    assert seen == data[: start + LIMIT] + marker(cut, LIMIT) + data[end:]
    assert (
        marker(cut, LIMIT)
        == (
            f"\n[readiness: {cut} more bytes cut here; texts are kept up to "
            "testhealth.max_field_bytes = 4096 bytes]\n"
        ).encode()
    )


def test_errors_after_a_cut_name_the_line_of_the_input(open_report: OpenReport) -> None:
    lines = "log line\n" * 2000  # 18,000 bytes and 2,000 lines, most of them cut
    data = _report("text", len(lines)).replace(b"x" * len(lines), lines.encode())
    data = data.replace(b'name="test_after"', b'name="test_after" bad="<"')

    error = _error(open_report, data, max_field_bytes=LIMIT)

    line = data[: data.index(b'bad="<"')].count(b"\n") + 1
    assert error == (
        f"JUnit XML report.xml line {line}: not well-formed (invalid token); "
        "nothing from this file was ingested"
    )


def test_a_utf16_report_with_a_field_over_the_limit_is_invalid(open_report: OpenReport) -> None:
    text = '<?xml version="1.0" encoding="utf-16"?>\n' + _report("text", 3 * LIMIT).decode()

    error = _error(open_report, text.encode("utf-16"), max_field_bytes=LIMIT)

    assert error == (
        "JUnit XML report.xml line 6: a text or tag of more than 4096 bytes (the "
        "testhealth.max_field_bytes limit); shorten it or raise the limit; "
        "nothing from this file was ingested"
    )


def test_a_limit_below_1024_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="max_field_bytes must be at least 1024, got 1000"):
        BoundedReader(io.BytesIO(b""), 1000)


# -- properties ------------------------------------------------------------------------------


def _read_all(data: bytes, limit: int, size: int, trickle: int) -> tuple[bytes, str | None]:
    class Trickle(io.BytesIO):
        def read(self, n: int | None = -1, /) -> bytes:
            return super().read(min(trickle, n) if n is not None and n >= 0 else trickle)

    bounded = BoundedReader(Trickle(data), limit)
    out = []
    try:
        while chunk := bounded.read(size):
            out.append(chunk)
    except FieldTooLong as exc:
        return b"".join(out), exc.problem
    return b"".join(out), None


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(reports(), st.integers(1, 5000), st.integers(1, 5000))
def test_reports_within_the_limit_pass_through_unchanged_whatever_the_read_sizes(
    data: bytes, size: int, trickle: int
) -> None:
    assert _read_all(data, 1 << 20, size, trickle) == (data, None)


_PIECE = st.sampled_from(
    ["x", "é", "&amp;", "&#233;", "\n", "<", ">", '"', "'", "]]>", "]", "-->", "?>"]
)
_FIELD = st.lists(_PIECE, min_size=0, max_size=1500).map("".join)


@st.composite
def _long_fields(draw: st.DrawFn) -> bytes:
    """A report with long texts, CDATA sections, comments, attributes (escaped properly)."""
    root = ET.Element("testsuite", name="pkg")
    for i in range(draw(st.integers(1, 4))):
        case = ET.SubElement(root, "testcase", classname="pkg", name=f"TestA{i}")
        kind = draw(st.sampled_from(["text", "attribute", "output"]))
        text = draw(_FIELD)
        if kind == "attribute":
            case.set("time", "0.1")
            ET.SubElement(case, "failure", message=text)
        else:
            ET.SubElement(case, "failure" if kind == "text" else "system-out").text = text
    body = document(root).decode()
    if draw(st.booleans()):  # a CDATA section and a comment, as some producers write them
        cdata = draw(_FIELD).replace("]]>", "]] >").replace("]]>", "]] >")
        body = body.replace("</testsuite>", f"<!-- c --><x><![CDATA[{cdata}]]></x></testsuite>")
    return body.encode()


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(_long_fields(), st.integers(1024, 3000), st.integers(1, 3000), st.integers(1, 3000))
def test_what_passes_through_does_not_depend_on_read_sizes_and_stays_well_formed(
    data: bytes, limit: int, size: int, trickle: int
) -> None:
    seen, problem = _read_all(data, limit, size, trickle)

    assert (seen, problem) == _read_all(data, limit, 1 << 16, 1 << 16)
    expat.ParserCreate().Parse(data, True)  # the input is well-formed...
    if problem is None:
        expat.ParserCreate().Parse(seen, True)  # ...and what passes through too: cuts are safe


# -- the setting ----------------------------------------------------------------------------


def test_the_setting_must_be_at_least_64_kib() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 65536"):
        TestHealthSettings(max_field_bytes=65535)


def test_the_ingest_applies_the_projects_max_field_bytes(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    th = backend_settings.testhealth.model_copy(update={"max_field_bytes": 65536})
    configured = backend_settings.model_copy(update={"testhealth": th})
    service = TestHealthService(settings=configured, stores=stores, clock=clock)
    meta = RunMeta(commit="c1", branch="main", run_id="r1", timestamp=clock.now())

    with pytest.raises(JUnitParseError) as info:
        service.ingest_bytes(_report("message", 70_000), source="big.xml", meta=meta)

    assert info.value.problem == (
        "a <failure> tag of more than 65536 bytes (the testhealth.max_field_bytes limit); "
        "shorten its attributes or raise the limit"
    )
    assert service.known_test_ids() == []


# -- memory ---------------------------------------------------------------------------------

_MEASURE = """
import json, resource, sys
from readiness.errors import JUnitParseError
from readiness.testhealth.junit.reader import parse_report
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as f:
    report = parse_report(f, "big.xml")
    try:
        rows = [(r[2], r[4], r[7]) for r in report.rows()]
        outcome = {"rows": rows, "cut": [report.bounds.fields_cut, report.bounds.bytes_cut]}
    except JUnitParseError as exc:
        outcome = {"error": str(exc)}
outcome["rss_kib"] = {
    "before": before,
    "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "checker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}
print(json.dumps(outcome))
"""
_FIELD_MIB = 64


def _write_big(path: Path, field_in: str) -> None:
    head, tail = _template(field_in).encode().split(PLACEHOLDER.encode())
    with path.open("wb") as f:
        f.write(head)
        block = b"x" * (1 << 20)
        for _ in range(_FIELD_MIB):
            f.write(block)
        f.write(tail)


# A small launcher: a child's peak RSS starts from its parent's at the fork, so the measuring
# process is started from this one rather than from the test run.
_LAUNCH = "import subprocess, sys; subprocess.run([sys.executable, *sys.argv[1:]], check=True)"


def _measure(path: Path) -> dict[str, object]:
    done = subprocess.run(  # the checker in a second process is measured as a child
        [sys.executable, "-c", _LAUNCH, "-c", _MEASURE, str(path)],
        capture_output=True,
        check=True,
        timeout=900,
    )
    outcome: dict[str, object] = json.loads(done.stdout)
    print(f"{path.name}: {outcome['rss_kib']}")  # the figures for the record
    return outcome


@pytest.mark.slow
def test_a_64_mib_attribute_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "attribute.xml"
    _write_big(path, "message")

    outcome = _measure(path)

    rss = cast(dict[str, int], outcome.pop("rss_kib"))
    assert outcome == {
        "error": "JUnit XML big.xml line 5: a <failure> tag of more than 4194304 bytes (the "
        "testhealth.max_field_bytes limit); shorten its attributes or raise the limit; "
        "nothing from this file was ingested"
    }
    assert rss["peak"] - rss["before"] < 20 * 1024  # the field alone is 64 MiB
    assert rss["checker"] < 48 * 1024


@pytest.mark.slow
def test_64_mib_of_captured_output_is_cut_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "output.xml"
    _write_big(path, "text")

    outcome = _measure(path)

    rss = cast(dict[str, int], outcome.pop("rss_kib"))
    cut = len(b"E   assert False\n") + (_FIELD_MIB << 20) - (4 << 20)
    assert outcome == {
        "rows": [
            ["test_before", 0, None],
            ["test_big", 1, "assert False"],
            ["test_after", 0, None],
        ],
        "cut": [1, cut],
    }
    assert rss["peak"] - rss["before"] < 20 * 1024
    assert rss["checker"] < 48 * 1024
