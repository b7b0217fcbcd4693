"""Outcomes in the plugin's report: xfail, xpass, skips, execution order, run properties."""

from __future__ import annotations

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest

from tests.testhealth.pytest_plugin._report import (
    by_name,
    case_properties,
    cases,
    children,
    root,
    suite_properties,
    suites,
)

pytest_plugins = ["pytester"]

XFAILS = """\
import pytest


@pytest.mark.xfail(reason="bug 12")
def test_xfailed():
    assert False


@pytest.mark.xfail(reason="bug 13")
def test_xpassed():
    pass


@pytest.mark.xfail(reason="bug 14", strict=True)
def test_strict_xpass():
    pass


@pytest.mark.xfail(reason="hangs", run=False)
def test_not_run():
    pass


def test_imperative():
    pytest.xfail("not today")
"""


def test_xfail_and_xpass_children_are_exactly_those_of_pytest_junitxml(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_x=XFAILS)

    pytester.runpytest("-p", "no:randomly", "--junitxml=theirs.xml", "--readiness-junit=ours.xml")

    theirs = {name: children(c) for name, c in by_name(pytester.path / "theirs.xml").items()}
    ours = {name: children(c) for name, c in by_name(pytester.path / "ours.xml").items()}
    assert ours == theirs
    assert ours == {
        "test_xfailed": [("skipped", {"type": "pytest.xfail", "message": "bug 12"}, None)],
        "test_xpassed": [],
        "test_strict_xpass": [
            ("failure", {"message": "[XPASS(strict)] bug 14"}, "[XPASS(strict)] bug 14")
        ],
        "test_not_run": [("skipped", {"type": "pytest.xfail", "message": "[NOTRUN] hangs"}, None)],
        "test_imperative": [("skipped", {"type": "pytest.xfail", "message": "not today"}, None)],
    }


def test_xfailed_and_xpassed_tests_list_their_outcome(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x=XFAILS)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    outcomes = {name: case_properties(c) for name, c in by_name(pytester.path / "out.xml").items()}
    assert outcomes == {
        "test_xfailed": {"readiness.outcomes": "xfailed"},
        "test_xpassed": {"readiness.outcomes": "xpassed"},
        "test_strict_xpass": {},
        "test_not_run": {"readiness.outcomes": "xfailed"},
        "test_imperative": {"readiness.outcomes": "xfailed"},
    }


def test_a_repeated_xfail_lists_every_attempt(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x=XFAILS)

    pytester.runpytest("-p", "no:randomly", "--readiness-repeat=2", "--readiness-junit=out.xml")

    xfailed = by_name(pytester.path / "out.xml")["test_xfailed"]
    assert case_properties(xfailed) == {
        "readiness.attempts": "2",
        "readiness.outcomes": "xfailed,xfailed",
    }


def test_suite_counts_count_an_xfail_as_skipped_and_a_strict_xpass_as_a_failure(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_x=XFAILS)

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    suite = root(pytester.path / "out.xml").find("testsuite")
    assert suite is not None
    counts = {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": "5", "failures": "1", "errors": "0", "skipped": "3"}


def test_a_skip_is_written_with_its_reason_as_the_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_s="import pytest\n\ndef test_s():\n    pytest.skip('not on this OS')\n"
    )

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    [case] = cases(pytester.path / "out.xml")
    assert children(case) == [
        ("skipped", {"type": "pytest.skip", "message": "not on this OS"}, None)
    ]


def test_characters_xml_cannot_carry_are_written_visibly_escaped(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_bell="def test_bell():\n    raise ValueError('bell\\x07 rang')\n")

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    [case] = cases(pytester.path / "out.xml")
    failure = case.find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == (
        "ValueError",
        "ValueError: bell#x07 rang",
    )


def test_testcases_are_written_in_the_order_they_ran(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_o="def test_a():\n    pass\n\ndef test_b():\n    pass\n\ndef test_c():\n    pass\n"
    )
    (pytester.path / "order.txt").write_text(
        "test_o.py::test_c\ntest_o.py::test_a\ntest_o.py::test_b\n", encoding="utf-8"
    )

    pytester.runpytest(
        "-p", "no:randomly", "--readiness-order-file=order.txt", "--readiness-junit=out.xml"
    )

    assert suites(pytester.path / "out.xml") == {"pytest": ["test_c", "test_a", "test_b"]}


def test_a_test_with_reruns_keeps_its_place_in_the_order(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_1_flaky=(
            "from pathlib import Path\n\n"
            "def test_flaky():\n"
            "    marker = Path(__file__).with_name('ran')\n"
            "    first = not marker.exists()\n"
            "    marker.touch()\n"
            "    assert not first\n"
        ),
        test_2_ok="def test_ok():\n    pass\n",
    )

    pytester.runpytest(
        "-p", "no:randomly", "-p", "rerunfailures", "--reruns=1", "--readiness-junit=out.xml"
    )

    assert suites(pytester.path / "out.xml") == {"pytest": ["test_flaky", "test_ok"]}


@pytest.mark.parametrize(("repeat", "expected"), [(1, {}), (2, {"readiness.repeat": "2"})])
def test_the_repeat_count_is_a_suite_property_from_two_repeats_on(
    pytester: pytest.Pytester, repeat: int, expected: dict[str, str]
) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")

    pytester.runpytest(
        "-p", "no:randomly", f"--readiness-repeat={repeat}", "--readiness-junit=out.xml"
    )

    suite = root(pytester.path / "out.xml").find("testsuite")
    assert suite is not None
    assert suite_properties(suite) == expected
