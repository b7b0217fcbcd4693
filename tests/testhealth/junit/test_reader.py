"""Reading JUnit XML from pytest, jest-junit, Maven Surefire and go-junit-report."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from readiness.errors import JUnitParseError
from readiness.testhealth.junit.ids import make_test_id
from readiness.testhealth.junit.reader import detect_format, iter_cases, parse_report
from readiness.testhealth.model import CaseResult, FailureKind, Outcome

DATA = Path(__file__).parent / "data" / "junit"


def _cases(name: str) -> list[CaseResult]:
    with (DATA / name).open("rb") as f:
        return list(iter_cases(f, name))


def _summary(cases: list[CaseResult]) -> list[tuple[str, int, Outcome]]:
    return [(c.test_id, c.attempt, c.outcome) for c in cases]


def _xml(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


# -- pytest ---------------------------------------------------------------------------------


def test_pytest_report_yields_every_case_with_path_based_ids() -> None:
    cases = _cases("pytest_xunit1.xml")
    assert _summary(cases) == [
        ("tests/api/test_orders.py::TestCheckout::test_total_includes_tax", 0, Outcome.PASSED),
        ("tests/api/test_orders.py::TestCheckout::test_refund[card-EUR]", 0, Outcome.FAILED),
        ("tests/api/test_payments.py::test_gateway_charge", 0, Outcome.FAILED),
        ("tests/api/test_payments.py::test_gateway_connect", 0, Outcome.ERROR),
        ("tests/test_models.py::test_needs_pg", 0, Outcome.SKIPPED),
        ("tests/test_models.py::test_plain", 0, Outcome.PASSED),
    ]


def test_pytest_failure_carries_message_type_kind_and_comma_duration() -> None:
    refund = _cases("pytest_xunit1.xml")[1]
    assert refund == CaseResult(
        test_id="tests/api/test_orders.py::TestCheckout::test_refund[card-EUR]",
        suite="pytest",
        name="test_refund[card-EUR]",
        file="tests/api/test_orders.py",
        outcome=Outcome.FAILED,
        duration_s=1234.5,
        attempt=0,
        message="AssertionError: assert 'pending' == 'refunded'",
        failure_type="AssertionError",
        failure_kind=FailureKind.ASSERTION,
    )


def test_pytest_timeout_and_setup_connection_errors_are_classified() -> None:
    cases = _cases("pytest_xunit1.xml")
    assert [(c.failure_kind, c.failure_type) for c in cases[2:4]] == [
        (FailureKind.TIMEOUT, None),
        (FailureKind.CONNECTION, "OperationalError"),
    ]


def test_pytest_skip_keeps_its_reason_but_no_failure_kind() -> None:
    skipped = _cases("pytest_xunit1.xml")[4]
    assert (skipped.message, skipped.failure_kind, skipped.failure_type) == (
        "needs postgres",
        None,
        None,
    )


def test_pytest_report_exposes_suite_properties_seed_and_timestamp() -> None:
    with (DATA / "pytest_xunit1.xml").open("rb") as f:
        report = parse_report(f, "pytest_xunit1.xml")
        list(report)
    assert (report.format, report.properties, report.seed, report.suite, report.timestamp) == (
        "pytest",
        {"random_seed": "1234567"},
        "1234567",
        "pytest",
        datetime(2026, 3, 10, 8, 15, 0, 123456, tzinfo=UTC),
    )


def test_pytest_rerunfailures_empty_copies_are_failed_attempts_before_the_final_one() -> None:
    cases = _cases("pytest_rerunfailures.xml")
    assert _summary(cases) == [
        ("test_x.py::TestA::test_flaky", 0, Outcome.FAILED),
        ("test_x.py::TestA::test_flaky", 1, Outcome.FAILED),
        ("test_x.py::TestA::test_flaky", 2, Outcome.PASSED),
        ("test_x.py::TestA::test_bad", 0, Outcome.FAILED),
        ("test_x.py::TestA::test_bad", 1, Outcome.FAILED),
        ("test_x.py::TestA::test_bad", 2, Outcome.FAILED),
        ("test_x.py::TestA::test_ok", 0, Outcome.PASSED),
        ("test_x.py::test_err_fixture", 0, Outcome.FAILED),
        ("test_x.py::test_err_fixture", 1, Outcome.FAILED),
        ("test_x.py::test_err_fixture", 2, Outcome.ERROR),
        ("test_x.py::test_skip", 0, Outcome.SKIPPED),
    ]
    assert (cases[5].message, cases[5].failure_type) == ("assert 1 == 2", "AssertionError")


@pytest.mark.parametrize(
    ("classname", "file", "expected"),
    [
        (
            "tests.test_x.TestY",
            "tests/test_x.py",
            ("tests/test_x.py::TestY::test_z", "tests/test_x.py"),
        ),
        ("tests.test_x.TestY", None, ("tests/test_x.py::TestY::test_z", "tests/test_x.py")),
        (
            "tests.test_x.TestY.TestInner",
            None,
            ("tests/test_x.py::TestY::TestInner::test_z", "tests/test_x.py"),
        ),
        ("test_x", None, ("test_x.py::test_z", "test_x.py")),
        (
            "pkg.tests.test_x",
            "src\\pkg\\tests\\test_x.py",
            ("src/pkg/tests/test_x.py::test_z", "src/pkg/tests/test_x.py"),
        ),
    ],
)
def test_pytest_ids_come_from_the_file_or_the_dotted_classname(
    classname: str, file: str | None, expected: tuple[str, str | None]
) -> None:
    assert make_test_id("pytest", classname, "test_z", file, "pytest") == expected


# -- jest-junit -----------------------------------------------------------------------------


def test_jest_junit_ids_are_file_describe_and_title_or_suite_and_title_without_a_file() -> None:
    cases = _cases("jest_junit.xml")
    assert _summary(cases) == [
        ("src/cart.test.ts::Cart::adds an item", 0, Outcome.PASSED),
        ("src/cart.test.ts::Cart::applies a coupon", 0, Outcome.FAILED),
        ("src/cart.test.ts::Cart::syncs with the server", 0, Outcome.SKIPPED),
        ("checkout flow::checkout flow pays with a card", 0, Outcome.PASSED),
    ]


def test_jest_failure_without_message_attribute_takes_the_first_line_of_its_text() -> None:
    coupon = _cases("jest_junit.xml")[1]
    assert (coupon.message, coupon.failure_kind, coupon.file, coupon.suite) == (
        "Error: expect(received).toBe(expected) // Object.is equality",
        FailureKind.ASSERTION,
        "src/cart.test.ts",
        "Cart",
    )


# -- Maven Surefire -------------------------------------------------------------------------


def test_surefire_flaky_children_are_earlier_attempts_and_the_pass_comes_last() -> None:
    cases = _cases("surefire.xml")
    assert _summary(cases) == [
        ("com.acme.shop.OrderServiceTest#createsOrder", 0, Outcome.PASSED),
        ("com.acme.shop.OrderServiceTest#cancelsOrder", 0, Outcome.FAILED),
        ("com.acme.shop.OrderServiceTest#cancelsOrder", 1, Outcome.ERROR),
        ("com.acme.shop.OrderServiceTest#cancelsOrder", 2, Outcome.PASSED),
        ("com.acme.shop.OrderServiceTest#paysOrder", 0, Outcome.FAILED),
        ("com.acme.shop.OrderServiceTest#paysOrder", 1, Outcome.FAILED),
        ("com.acme.shop.OrderServiceTest#paysOrder", 2, Outcome.FAILED),
        ("com.acme.shop.OrderServiceTest#shipsOrder()", 0, Outcome.SKIPPED),
    ]


def test_surefire_attempt_messages_come_from_attributes_or_the_stack_trace() -> None:
    cases = _cases("surefire.xml")
    assert [(c.message, c.failure_type, c.failure_kind) for c in cases[1:3]] == [
        (
            "expected: <CANCELLED> but was: <OPEN>",
            "org.opentest4j.AssertionFailedError",
            FailureKind.ASSERTION,
        ),
        (
            "java.net.SocketTimeoutException: Read timed out",
            "java.net.SocketTimeoutException",
            FailureKind.TIMEOUT,
        ),
    ]
    assert cases[3].duration_s == 0.12


def test_surefire_report_is_detected_and_its_seed_property_read() -> None:
    with (DATA / "surefire.xml").open("rb") as f:
        report = parse_report(f, "surefire.xml")
        list(report)
    assert (report.format, report.seed, report.timestamp) == ("surefire", "98765", None)


# -- go-junit-report ------------------------------------------------------------------------


def test_go_junit_report_ids_are_package_and_test_path() -> None:
    cases = _cases("go_junit_report.xml")
    assert _summary(cases) == [
        ("github.com/acme/shop/cart::TestAdd", 0, Outcome.PASSED),
        ("github.com/acme/shop/cart::TestAdd/negative_quantity", 0, Outcome.FAILED),
        ("github.com/acme/shop/cart::TestTotal", 0, Outcome.PASSED),
        ("github.com/acme/shop/cart::TestSync", 0, Outcome.SKIPPED),
    ]


def test_go_placeholder_message_is_replaced_by_the_first_line_of_output() -> None:
    failed = _cases("go_junit_report.xml")[1]
    assert (failed.message, failed.failure_kind) == (
        "cart_test.go:31: expected error for quantity -1, got <nil>",
        FailureKind.ERROR,
    )


def test_go_test_count_repeats_are_numbered_attempts_with_their_own_outcomes() -> None:
    xml = (
        '<testsuite name="pkg"><testcase classname="pkg" name="TestA"/>'
        '<testcase classname="pkg" name="TestA"><failure message="x"/></testcase>'
        '<testcase classname="pkg" name="TestA"/></testsuite>'
    )
    assert _summary(list(iter_cases(_xml(xml), "go.xml"))) == [
        ("pkg::TestA", 0, Outcome.PASSED),
        ("pkg::TestA", 1, Outcome.FAILED),
        ("pkg::TestA", 2, Outcome.PASSED),
    ]


# -- formats and errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pytest_xunit1.xml", "pytest"),
        ("pytest_rerunfailures.xml", "pytest"),
        ("jest_junit.xml", "jest"),
        ("surefire.xml", "surefire"),
        ("go_junit_report.xml", "go"),
    ],
)
def test_detect_format_names_the_producer(name: str, expected: str) -> None:
    with (DATA / name).open("rb") as f:
        assert detect_format(f, name) == expected


def test_an_unknown_producer_is_plain_junit_with_classname_ids() -> None:
    xml = '<testsuites><testsuite name="s"><testcase classname="A" name="b"/></testsuite>'
    xml += "</testsuites>"
    report = parse_report(_xml(xml), "x.xml")
    assert ([c.test_id for c in report], report.format) == (["A::b"], "junit")


def test_a_report_without_cases_is_valid_and_empty() -> None:
    report = parse_report(_xml('<testsuites name="jest tests"/>'), "empty.xml")
    assert (list(report), report.format) == ([], "jest")


@pytest.mark.parametrize(
    ("xml", "line", "problem"),
    [
        ("<html>\n<body/></html>", 1, "expected <testsuites> or <testsuite> root, got <html>"),
        (
            '<testsuite>\n<testcase classname="a"/>\n</testsuite>',
            2,
            "<testcase> has no name attribute; every testcase needs one",
        ),
        ('<testsuite>\n<testcase name="a">\n</testsuite>', 3, "mismatched tag"),
        ("<testsuite>\n<testcase name='a'/>", 2, "no element found"),
        ("", 1, "no element found"),
        ("<testsuite/>\n<junk/>", 2, "junk after document element"),
    ],
)
def test_malformed_reports_raise_one_error_naming_file_line_and_problem(
    xml: str, line: int, problem: str
) -> None:
    with pytest.raises(JUnitParseError) as info:
        list(iter_cases(_xml(xml), "reports/bad.xml"))
    assert (info.value.source, info.value.line, info.value.problem) == (
        "reports/bad.xml",
        line,
        problem,
    )
    assert str(info.value) == (
        f"JUnit XML reports/bad.xml line {line}: {problem}; nothing from this file was ingested"
    )


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_xml_bombs_and_external_entities_are_refused_at_the_doctype(name: str) -> None:
    with pytest.raises(JUnitParseError) as info, (DATA / name).open("rb") as f:
        list(iter_cases(f, name))
    assert (info.value.line, info.value.problem) == (
        2,
        "DTDs and entity declarations are not allowed (XML bomb or external entity?)",
    )
    assert "\n" not in str(info.value)


def test_cases_before_an_error_stream_out_before_it_is_raised() -> None:
    # The last case is held back: the next one may be its rerun (pytest-rerunfailures).
    body = "".join(f'<testcase classname="c" name="t{i}"/>\n' for i in range(3))
    seen: list[str] = []
    with pytest.raises(JUnitParseError) as info:
        for case in iter_cases(_xml(f"<testsuite>\n{body}<oops>"), "late.xml"):
            seen.append(case.name)
    assert (seen, info.value.line) == (["t0", "t1"], 5)


def test_a_report_is_iterated_only_once() -> None:
    report = parse_report(_xml("<testsuite/>"), "x.xml")
    list(report)
    with pytest.raises(RuntimeError):
        iter(report)


# -- bounded memory -------------------------------------------------------------------------


class _Generated(io.RawIOBase):
    """A report of ``cases`` testcases over ``tests`` distinct tests (``go test -count`` style
    when fewer), each with captured output, produced on the fly so the input takes no memory."""

    def __init__(self, cases: int, tests: int) -> None:
        self._parts = self._generate(cases, tests)
        self._buffer = b""

    @staticmethod
    def _generate(cases: int, tests: int) -> Iterator[bytes]:
        yield b'<testsuites name="pytest tests"><testsuite name="pytest">\n'
        for i in range(cases):
            body = f"<system-out>{'log line ' * 50}</system-out>"
            t = i % tests
            yield (
                f'<testcase classname="tests.test_m{t // 100}" name="test_{t}" time="0.01">'
                f"{body}</testcase>\n"
            ).encode()
        yield b"</testsuite></testsuites>\n"

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        cut = len(self._buffer) if size < 0 else size
        data, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return data


def _peak_while_reading(cases: int, tests: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _case in iter_cases(_Generated(cases, tests), "generated.xml"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_memory_does_not_grow_with_the_output_or_the_repeats_of_the_same_tests() -> None:
    count, peak = _peak_while_reading(20_000, 200)
    assert count == 20_000
    assert peak < 3 * 1024 * 1024


def test_memory_grows_by_at_most_128_bytes_per_distinct_test() -> None:
    # Attempts are numbered per test id over the whole report: each id is remembered once.
    count, peak = _peak_while_reading(40_000, 40_000)
    assert count == 40_000
    assert peak < 3 * 1024 * 1024 + 40_000 * 128
