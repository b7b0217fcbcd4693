"""Collection errors, module-level skips and broken sessions reach the report (CONTRACTS C1)."""

from __future__ import annotations

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest

from tests.testhealth.pytest_plugin._report import (
    LEAN,
    by_name,
    case_properties,
    cases,
    children,
    counter_test,
    suites,
)

pytest_plugins = ["pytester"]

BROKEN = "import nonexistent_module_for_readiness\n\ndef test_never():\n    pass\n"
MODULE_SKIP = """\
import pytest

pytest.skip("no database here", allow_module_level=True)


def test_needs_db():
    pass
"""


def _project(pytester: pytest.Pytester, **modules: str) -> None:
    pytester.mkdir("tests")
    for name, source in modules.items():
        (pytester.path / "tests" / f"{name}.py").write_text(source, encoding="utf-8")


def test_a_module_that_cannot_be_imported_interrupts_the_session_and_is_still_reported(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_broken=BROKEN, test_fine="def test_fine():\n    pass\n")

    result = pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    assert suites(pytester.path / "out.xml") == {"pytest": ["tests.test_broken"]}


def test_a_collection_error_is_written_as_pytest_junitxml_writes_it_plus_the_file(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_broken=BROKEN)

    pytester.runpytest("-p", "no:randomly", "--junitxml=theirs.xml", "--readiness-junit=ours.xml")

    [theirs] = cases(pytester.path / "theirs.xml")
    [ours] = cases(pytester.path / "ours.xml")
    assert ours.attrib == {**theirs.attrib, "file": "tests/test_broken.py"}
    assert (ours.get("classname"), ours.get("name")) == ("", "tests.test_broken")
    assert children(ours) == children(theirs)
    [(tag, attrs, text)] = children(ours)
    assert (tag, attrs) == ("error", {"message": "collection failure"})
    assert text is not None
    assert text.endswith(
        "E   ModuleNotFoundError: No module named 'nonexistent_module_for_readiness'"
    )


def test_collection_errors_lead_the_suite_when_pytest_continues_past_them(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_a="def test_a():\n    pass\n", test_broken=BROKEN)

    result = pytester.runpytest(
        "-p", "no:randomly", "--continue-on-collection-errors", "--readiness-junit=out.xml"
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert suites(pytester.path / "out.xml") == {"pytest": ["tests.test_broken", "test_a"]}


def test_a_module_level_skip_is_a_skipped_testcase_named_after_the_module(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_db=MODULE_SKIP, test_a="def test_a():\n    pass\n")

    result = pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.OK
    skipped = by_name(pytester.path / "out.xml")["tests.test_db"]
    assert skipped.attrib == {
        "classname": "",
        "name": "tests.test_db",
        "file": "tests/test_db.py",
        "time": "0.000",
    }
    assert children(skipped) == [("skipped", {"message": "collection skipped"}, "no database here")]


def test_a_path_that_does_not_exist_is_recorded_as_a_session_usage_error(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml", "missing_dir")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [case] = cases(pytester.path / "out.xml")
    assert case.attrib == {"classname": "", "name": "(session)", "file": "", "time": "0.000"}
    assert children(case) == [
        (
            "error",
            {"message": "session error"},
            "UsageError: file or directory not found: missing_dir",
        )
    ]


def test_an_interrupted_session_records_the_interruption_and_not_the_cut_short_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_stop="""
        def test_first():
            pass

        def test_interrupted():
            raise KeyboardInterrupt

        def test_never_ran():
            pass
        """
    )

    result = pytester.runpytest_subprocess(*LEAN, "-p", "no:randomly", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert suites(pytester.path / "out.xml") == {"pytest": ["test_first", "(session)"]}
    session = by_name(pytester.path / "out.xml")["(session)"]
    assert children(session) == [("error", {"message": "session error"}, "KeyboardInterrupt")]


def test_an_interrupted_session_keeps_the_rerun_attempts_that_finished(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_1_flaky=counter_test("flaky", fails=1),
        test_2_stop="def test_interrupted():\n    raise KeyboardInterrupt\n",
    )

    result = pytester.runpytest_subprocess(
        *LEAN, "-p", "no:randomly", "-p", "rerunfailures", "--reruns=1", "--readiness-junit=o.xml"
    )

    assert result.ret == pytest.ExitCode.INTERRUPTED
    flaky = by_name(pytester.path / "o.xml")["test_flaky"]
    assert case_properties(flaky)["readiness.outcomes"] == "failed,passed"


def test_pytest_exit_in_a_test_is_recorded_as_a_session_error_with_its_reason(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_exit="import pytest\n\ndef test_exit():\n    pytest.exit('enough')\n")

    result = pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    [case] = cases(pytester.path / "out.xml")
    assert children(case) == [("error", {"message": "session error"}, "Exit: enough")]


def test_an_internal_error_is_recorded_as_a_session_error_with_its_traceback(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        "def pytest_collection_finish(session):\n    raise RuntimeError('boom in a hook')\n"
    )
    pytester.makepyfile(test_a="def test_a():\n    pass\n")

    result = pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    [case] = cases(pytester.path / "out.xml")
    [(tag, attrs, text)] = children(case)
    assert (case.get("name"), tag, attrs) == ("(session)", "error", {"message": "session error"})
    assert text is not None
    assert text.startswith("INTERNALERROR\nTraceback (most recent call last):\n")
    assert text.endswith("RuntimeError: boom in a hook")


def test_a_session_that_collected_nothing_writes_an_empty_pytest_suite(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert suites(pytester.path / "out.xml") == {"pytest": []}
