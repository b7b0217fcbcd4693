from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest

from readiness.errors import RemoteError
from readiness.testhealth.junit.reader import parse_report
from readiness.testhealth.model import Outcome
from readiness.testhealth.pytest.plugin import PLUGIN_NAME, fetch_quarantine, upload_junit
from tests.testhealth.pytest_plugin._report import counter_test

pytest_plugins = ["pytester"]

QUARANTINE = """\
[[quarantine]]
test = "test_q.py::test_quarantined"
owner = "@payments"
reason = "fails ~3% on CI"
created = 2020-01-01
expires = {expires}
"""


def _quarantine(pytester: pytest.Pytester, expires: str) -> None:
    (pytester.path / ".readiness").mkdir()
    (pytester.path / ".readiness" / "quarantine.toml").write_text(
        QUARANTINE.format(expires=expires), encoding="utf-8"
    )


def _cases(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("testcase"))


def test_the_plugin_stays_unregistered_without_options_or_quarantine_file(
    pytester: pytest.Pytester,
) -> None:
    config = pytester.parseconfigure()

    assert config.pluginmanager.get_plugin(PLUGIN_NAME) is None


def test_a_quarantined_failure_is_reported_as_xfailed_and_does_not_fail_the_session(
    pytester: pytest.Pytester,
) -> None:
    _quarantine(pytester, "2999-01-01")
    pytester.makepyfile(test_q="def test_quarantined():\n    assert False\n")

    result = pytester.runpytest("-p", "no:randomly")

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*readiness: 1 quarantined test failed (not blocking)*",
            "test_q.py::test_quarantined  owner=@payments expires=2999-01-01 reason: fails ~3%*",
        ]
    )


def test_a_failure_of_a_test_that_is_not_quarantined_still_fails_the_session(
    pytester: pytest.Pytester,
) -> None:
    _quarantine(pytester, "2999-01-01")
    pytester.makepyfile(
        test_q="def test_quarantined():\n    assert False\n\ndef test_other():\n    assert False\n"
    )

    result = pytester.runpytest("-p", "no:randomly")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, xfailed=1)


def test_an_expired_quarantine_entry_is_not_honoured_and_the_summary_says_when_it_expired(
    pytester: pytest.Pytester,
) -> None:
    _quarantine(pytester, "2021-01-01")
    pytester.makepyfile(test_q="def test_quarantined():\n    assert False\n")

    result = pytester.runpytest("-p", "no:randomly")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_q.py::test_quarantined: quarantine expired on 2021-01-01*"])


def test_an_explicit_quarantine_file_option_is_enforced(pytester: pytest.Pytester) -> None:
    path = pytester.path / "q.toml"
    path.write_text(QUARANTINE.format(expires="2999-01-01"), encoding="utf-8")
    pytester.makepyfile(test_q="def test_quarantined():\n    assert False\n")

    result = pytester.runpytest("-p", "no:randomly", f"--readiness-quarantine={path}")

    assert result.ret == pytest.ExitCode.OK


def test_an_invalid_quarantine_file_is_a_usage_error_naming_the_file(
    pytester: pytest.Pytester,
) -> None:
    _quarantine(pytester, '"soon"')
    pytester.makepyfile(test_q="def test_quarantined():\n    pass\n")

    result = pytester.runpytest("-p", "no:randomly")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*quarantine.toml entry 0 field 'expires'*"])


def test_a_quarantined_failure_is_still_a_failure_in_the_readiness_junit(
    pytester: pytest.Pytester,
) -> None:
    _quarantine(pytester, "2999-01-01")
    pytester.makepyfile(test_q="def test_quarantined():\n    assert 1 == 2\n")

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=out.xml")

    [case] = _cases(pytester.path / "out.xml")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "assert 1 == 2"
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["readiness.quarantined"] == "fails ~3% on CI"


def test_every_rerunfailures_attempt_lands_in_the_junit_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a="def test_ok():\n    pass\n",
        test_flaky=counter_test("flaky", fails=2),
    )

    result = pytester.runpytest(
        "-p", "no:randomly", "-p", "rerunfailures", "--reruns", "2", "--readiness-junit=out.xml"
    )

    assert result.ret == pytest.ExitCode.OK
    cases = {c.get("name"): c for c in _cases(pytester.path / "out.xml")}
    flaky = cases["test_flaky"]
    assert [child.tag for child in flaky if child.tag != "properties"] == [
        "flakyFailure",
        "flakyFailure",
    ]
    assert [c.get("message") for c in flaky.iter("flakyFailure")] == [
        "AssertionError: run 0\nassert (0 >= 2 or 0 in ())",
        "AssertionError: run 1\nassert (1 >= 2 or 1 in ())",
    ]
    with (pytester.path / "out.xml").open("rb") as stream:
        parsed = [(r.test_id, r.attempt, r.outcome) for r in parse_report(stream, "out.xml")]
    assert parsed == [
        ("test_a.py::test_ok", 0, Outcome.PASSED),
        ("test_flaky.py::test_flaky", 0, Outcome.FAILED),
        ("test_flaky.py::test_flaky", 1, Outcome.FAILED),
        ("test_flaky.py::test_flaky", 2, Outcome.PASSED),
    ]


def test_a_test_failing_every_rerun_has_a_failure_and_rerun_failures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_a="def test_broken():\n    raise ValueError('nope')\n")

    result = pytester.runpytest("-p", "rerunfailures", "--reruns", "2", "--readiness-junit=o.xml")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    [case] = _cases(pytester.path / "o.xml")
    assert [child.tag for child in case if child.tag != "properties"] == [
        "rerunFailure",
        "rerunFailure",
        "failure",
    ]
    failure = case.find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == ("ValueError", "ValueError: nope")


def test_repeat_runs_each_test_n_times_as_attempts_of_one_testcase(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_flaky=counter_test("flaky", fails=99, pass_runs=(0, 2)))

    result = pytester.runpytest(
        "-p", "no:randomly", "--readiness-repeat=3", "--readiness-junit=o.xml"
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=2, failed=1)
    [case] = _cases(pytester.path / "o.xml")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props == {"readiness.attempts": "3", "readiness.outcomes": "passed,failed,passed"}
    assert [child.tag for child in case if child.tag != "properties"] == ["flakyFailure"]


def test_repeats_share_module_fixtures_but_not_function_fixtures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_fx="""
import pytest
CREATED = []

@pytest.fixture(scope="module")
def shared():
    CREATED.append("module")

@pytest.fixture
def own():
    CREATED.append("function")

def test_uses(shared, own):
    pass

def test_count():
    assert CREATED == ["module", "function", "function"]
"""
    )

    result = pytester.runpytest("-p", "no:randomly", "--readiness-repeat=2", "-k", "uses or count")

    result.assert_outcomes(passed=4)


def test_the_random_order_seed_and_run_metadata_are_written_as_suite_properties(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")

    pytester.runpytest(
        "-p",
        "randomly",
        "--randomly-seed=1234",
        "--readiness-junit=o.xml",
        "--readiness-commit=abc123",
        "--readiness-branch=main",
        "--readiness-run-id=77",
    )

    root = ET.parse(pytester.path / "o.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props == {
        "readiness.seed": "1234",
        "readiness.commit": "abc123",
        "readiness.branch": "main",
        "readiness.run_id": "77",
    }


def test_run_metadata_defaults_come_from_ci_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("CI_COMMIT_SHA", "feed")
    monkeypatch.setenv("CI_COMMIT_BRANCH", "topic")
    monkeypatch.setenv("CI_PIPELINE_ID", "9")
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")

    pytester.runpytest("-p", "no:randomly", "--readiness-junit=o.xml")

    root = ET.parse(pytester.path / "o.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props == {
        "readiness.commit": "feed",
        "readiness.branch": "topic",
        "readiness.run_id": "9",
    }


def test_a_new_test_whose_outcome_flips_on_its_reruns_fails_the_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_known="def test_old():\n    pass\n",
        test_new=counter_test("new", fails=1),
    )
    (pytester.path / "known.txt").write_text("# known\ntest_known.py::test_old\n", encoding="utf-8")

    result = pytester.runpytest(
        "-p",
        "no:randomly",
        "--readiness-new-tests-from=known.txt",
        "--readiness-new-reruns=2",
        "--readiness-junit=o.xml",
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*readiness: 1 new test flaky on first sight*",
            "test_new.py::test_new: failed passed passed (new flaky tests must not merge)",
        ]
    )
    outcomes = {
        c.get("name"): [p.get("value") for p in c.iter("property")]
        for c in _cases(pytester.path / "o.xml")
    }
    assert outcomes == {"test_old": [], "test_new": ["3", "failed,passed,passed"]}


def test_a_new_test_that_passes_every_rerun_does_not_fail_the_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_new="def test_new():\n    pass\n")
    (pytester.path / "known.txt").write_text("", encoding="utf-8")

    result = pytester.runpytest(
        "-p", "no:randomly", "--readiness-new-tests-from=known.txt", "--readiness-new-reruns=2"
    )

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=3)


def test_the_order_file_decides_the_order_of_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_o="def test_a():\n    pass\n\ndef test_b():\n    pass\n\ndef test_c():\n    pass\n"
    )
    (pytester.path / "order.txt").write_text(
        "test_o.py::test_c\ntest_o.py::test_a\ntest_o.py::test_b\n", encoding="utf-8"
    )

    result = pytester.runpytest("-p", "no:randomly", "-v", "--readiness-order-file=order.txt")

    result.stdout.fnmatch_lines(
        ["*test_o.py::test_c PASSED*", "*test_o.py::test_a PASSED*", "*test_o.py::test_b PASSED*"]
    )


def test_a_failed_upload_prints_a_warning_and_keeps_the_exit_status(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("READINESS_TOKEN", "t0ken")
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")

    result = pytester.runpytest("-p", "no:randomly", "--readiness-upload")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["readiness: WARNING upload failed: POST /api/v1/tests/runs: *"])
    assert "Traceback" not in result.stdout.str()


def test_upload_posts_the_raw_xml_with_metadata_as_query_parameters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"tests": 1})

    client = httpx.Client(base_url="http://server", transport=httpx.MockTransport(handler))
    meta = {"commit": "abc", "branch": "main", "run_id": "5", "attempt": None, "job": "unit"}

    answer = upload_junit(client, b"<testsuites/>", meta)

    assert answer == {"tests": 1}
    [request] = seen
    assert (request.method, request.url.path, request.headers["content-type"]) == (
        "POST",
        "/api/v1/tests/runs",
        "application/xml",
    )
    assert dict(request.url.params) == {
        "commit": "abc",
        "branch": "main",
        "run_id": "5",
        "job": "unit",
    }
    assert request.content == b"<testsuites/>"


def test_an_upload_rejected_by_the_server_is_a_remote_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(401, text="bad token"))
    client = httpx.Client(base_url="http://server", transport=transport)

    with pytest.raises(RemoteError, match=r"^POST /api/v1/tests/runs: server answered 401"):
        upload_junit(client, b"<x/>", {})


def test_the_server_quarantine_list_is_read_into_entries() -> None:
    body = [
        {
            "test_id": "t.py::a",
            "owner": None,
            "reason": "flaky",
            "issue": "PAY-1",
            "created": "2026-03-01T00:00:00Z",
            "expires": "2026-03-31T12:00:00+02:00",
        }
    ]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=json.dumps(body)))
    client = httpx.Client(base_url="http://server", transport=transport)

    [entry] = fetch_quarantine(client)

    assert (entry.test_id, entry.issue, entry.source, entry.expires.isoformat()) == (
        "t.py::a",
        "PAY-1",
        "server",
        "2026-03-31T10:00:00+00:00",
    )


def test_a_malformed_server_quarantine_list_is_a_remote_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=[{"test": "x"}]))
    client = httpx.Client(base_url="http://server", transport=transport)

    with pytest.raises(RemoteError, match="expected a JSON list of entries"):
        fetch_quarantine(client)
