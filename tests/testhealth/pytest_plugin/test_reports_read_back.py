"""Reports written by our own producers (the pytest plugin, ``readiness.testing.junit_xml``)."""

from __future__ import annotations

import io

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest

from readiness.testhealth.junit.reader import iter_cases, parse_report
from readiness.testhealth.model import FailureKind, Outcome
from readiness.testing import junit_xml
from tests.testhealth.pytest_plugin._report import LEAN

pytest_plugins = ["pytester"]

# Passes on even runs, fails on odd ones: "passed,failed,passed" under --readiness-repeat=3.
ALTERNATING_TEST = """\
from pathlib import Path

COUNTER = Path(__file__).with_name("counter.txt")


def test_alternates():
    runs = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(runs + 1))
    assert runs % 2 == 0, f"odd run {runs}"
"""


def _summary(xml: bytes) -> list[tuple[str, int, Outcome]]:
    return [(c.test_id, c.attempt, c.outcome) for c in iter_cases(io.BytesIO(xml), "r.xml")]


def test_a_pytest_report_whose_first_case_has_rerun_children_keeps_pytest_ids() -> None:
    xml = junit_xml({"tests/test_a.py::test_x": ["failed", "passed"]})

    report = parse_report(io.BytesIO(xml), "r.xml")
    rows = [(c.test_id, c.attempt, c.outcome) for c in report]

    assert report.format == "pytest"
    assert rows == [
        ("tests/test_a.py::test_x", 0, Outcome.FAILED),
        ("tests/test_a.py::test_x", 1, Outcome.PASSED),
    ]


@pytest.mark.parametrize("fast", [True, False])
def test_listed_outcomes_give_earlier_passing_attempts_their_own_rows(fast: bool) -> None:
    xml = b"""<testsuites><testsuite name="pytest">
<testcase classname="t" name="test_x" file="t.py" time="0.3"><properties>
<property name="readiness.outcomes" value="passed,failed,skipped,passed"/></properties>
<flakyFailure message="boom" type="AssertionError" time="0.1"><stackTrace>E boom</stackTrace>
</flakyFailure></testcase></testsuite></testsuites>"""

    cases = list(parse_report(io.BytesIO(xml), "r.xml", fast=fast))

    assert [(c.attempt, c.outcome, c.duration_s, c.message) for c in cases] == [
        (0, Outcome.PASSED, 0.0, None),
        (1, Outcome.FAILED, 0.1, "boom"),
        (2, Outcome.SKIPPED, 0.0, None),
        (3, Outcome.PASSED, 0.3, None),
    ]


def test_listed_outcomes_that_disagree_with_the_children_are_ignored() -> None:
    xml = b"""<testsuite name="pytest"><testcase classname="t" name="test_x" file="t.py">
<properties><property name="readiness.outcomes" value="passed,passed,failed"/></properties>
<rerunFailure message="a"/><failure message="b">E b</failure></testcase></testsuite>"""

    assert _summary(xml) == [
        ("t.py::test_x", 0, Outcome.FAILED),
        ("t.py::test_x", 1, Outcome.FAILED),
    ]


def test_plugin_repeat_report_reads_back_with_every_attempt_in_order(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_alt=ALTERNATING_TEST)

    result = pytester.runpytest_inprocess(
        "-p", "no:randomly", "--readiness-repeat=3", "--readiness-junit=out.xml"
    )

    result.assert_outcomes(passed=2, failed=1)
    xml = (pytester.path / "out.xml").read_bytes()
    cases = list(iter_cases(io.BytesIO(xml), "out.xml"))
    assert [(c.test_id, c.attempt, c.outcome) for c in cases] == [
        ("test_alt.py::test_alternates", 0, Outcome.PASSED),
        ("test_alt.py::test_alternates", 1, Outcome.FAILED),
        ("test_alt.py::test_alternates", 2, Outcome.PASSED),
    ]
    assert (cases[1].message, cases[1].failure_kind) == (
        "AssertionError: odd run 1\nassert (1 % 2) == 0",
        FailureKind.ASSERTION,
    )


FLAKY_FIRST = """\
from pathlib import Path


def test_flaky():
    marker = Path(__file__).with_name("ran")
    first = not marker.exists()
    marker.touch()
    assert not first, "first run fails"


def test_ok():
    pass
"""


@pytest.mark.parametrize("fast", [True, False])
def test_a_report_led_by_a_rerun_test_reads_back_as_pytest_with_its_attempts(
    pytester: pytest.Pytester, fast: bool
) -> None:
    pytester.makepyfile(test_first=FLAKY_FIRST)
    pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "rerunfailures", "--reruns=1", "--readiness-junit=out.xml"
    )

    with (pytester.path / "out.xml").open("rb") as stream:
        report = parse_report(stream, "out.xml", fast=fast)
        rows = [(c.test_id, c.attempt, c.outcome) for c in report]

    assert report.format == "pytest"
    assert rows == [
        ("test_first.py::test_flaky", 0, Outcome.FAILED),
        ("test_first.py::test_flaky", 1, Outcome.PASSED),
        ("test_first.py::test_ok", 0, Outcome.PASSED),
    ]


def test_an_xdist_report_reads_back_with_every_test_once_under_its_worker_suite(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_six="".join(f"def test_{i}():\n    pass\n\n\n" for i in range(6)))
    pytester.runpytest_subprocess(*LEAN, "-p", "no:randomly", "-n", "2", "--readiness-junit=o.xml")

    with (pytester.path / "o.xml").open("rb") as stream:
        rows = sorted((c.test_id, c.suite, c.outcome) for c in parse_report(stream, "o.xml"))

    assert [(test_id, outcome) for test_id, _, outcome in rows] == [
        (f"test_six.py::test_{i}", Outcome.PASSED) for i in range(6)
    ]
    assert {suite for _, suite, _ in rows} == {"pytest:gw0", "pytest:gw1"}
