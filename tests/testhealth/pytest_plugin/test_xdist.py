"""pytest-xdist: one session is one run, whatever the number of workers (real ``-n`` runs).

Each test runs pytest in a subprocess with real xdist workers; the report is checked with
ElementTree. Uploads and the server quarantine go to a real HTTP server on loopback that counts
what it receives.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import hypothesis  # noqa: F401 - imported once here; else every inline pytester run re-imports it
import pytest
from fastapi import FastAPI, Request

from readiness._common.project_names import project_name_from
from tests._live import live_server
from tests.testhealth.pytest_plugin._report import (
    LEAN,
    by_name,
    case_properties,
    children,
    counter_test,
    root,
    suite_properties,
    suites,
)

pytest_plugins = ["pytester"]

SIX_TESTS = "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(6))
QUARANTINE = """\
[[quarantine]]
test = "test_q.py::test_quarantined"
owner = "@payments"
reason = "fails ~3% on CI"
created = 2020-01-01
expires = 2999-01-01
"""
SERVER_ENTRY = {
    "test_id": "test_q.py::test_quarantined",
    "owner": None,
    "reason": "known race",
    "issue": None,
    "created": "2026-03-01T00:00:00Z",
    "expires": "2999-01-01T00:00:00Z",
}


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*LEAN, "-p", "no:randomly", *args, timeout=300)


@dataclass
class Capture:
    """What the loopback server received."""

    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    quarantine_gets: int = 0


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    seen = Capture()
    app = FastAPI()

    @app.post("/api/v1/tests/runs", status_code=201)
    async def runs(request: Request) -> dict[str, int]:
        seen.posts.append((dict(request.query_params), await request.body()))
        return {"tests": 0}

    @app.get("/api/v1/tests/quarantine")
    def quarantine() -> list[dict[str, str | None]]:
        seen.quarantine_gets += 1
        return [SERVER_ENTRY]

    with live_server(app) as url:
        monkeypatch.setenv("READINESS_URL", url)
        monkeypatch.setenv("READINESS_TOKEN", "t0ken")
        yield seen


def test_two_workers_give_one_report_with_one_suite_per_worker_and_every_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_six=SIX_TESTS)

    result = _run(pytester, "-n", "2", "--readiness-junit=out.xml")

    assert result.ret == pytest.ExitCode.OK
    written = suites(pytester.path / "out.xml")
    assert list(written) == ["pytest:gw0", "pytest:gw1"]
    assert sorted(n for names in written.values() for n in names) == [f"test_{i}" for i in range(6)]


def test_every_worker_suite_carries_the_session_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_six=SIX_TESTS)

    pytester.runpytest_subprocess(
        *LEAN, "-p", "randomly", "--randomly-seed=1234", "-n", "2", "--readiness-junit=out.xml"
    )

    properties = [suite_properties(s) for s in root(pytester.path / "out.xml").iter("testsuite")]
    assert properties == [{"readiness.seed": "1234"}, {"readiness.seed": "1234"}]


def test_rerunfailures_attempts_in_a_worker_land_in_the_controller_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_six=SIX_TESTS, test_flaky=counter_test("flaky", fails=2))

    result = _run(
        pytester, "-n", "3", "-p", "rerunfailures", "--reruns=2", "--readiness-junit=o.xml"
    )

    assert result.ret == pytest.ExitCode.OK
    flaky = by_name(pytester.path / "o.xml")["test_flaky"]
    assert case_properties(flaky) == {
        "readiness.attempts": "3",
        "readiness.outcomes": "failed,failed,passed",
    }
    assert [tag for tag, _, _ in children(flaky)] == ["flakyFailure", "flakyFailure"]
    assert len(list(root(pytester.path / "o.xml").iter("testcase"))) == 7


def test_repeat_under_xdist_keeps_every_attempt_and_marks_every_suite_as_repeated(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_six=SIX_TESTS, test_alt=counter_test("alt", fails=99, pass_runs=(0, 2))
    )

    result = _run(pytester, "-n", "2", "--readiness-repeat=3", "--readiness-junit=o.xml")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    alternating = by_name(pytester.path / "o.xml")["test_alt"]
    assert case_properties(alternating)["readiness.outcomes"] == "passed,failed,passed"
    properties = [suite_properties(s) for s in root(pytester.path / "o.xml").iter("testsuite")]
    assert properties == [{"readiness.repeat": "3"}, {"readiness.repeat": "3"}]


def test_a_quarantined_failure_in_a_worker_does_not_fail_the_session(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / ".readiness").mkdir()
    (pytester.path / ".readiness" / "quarantine.toml").write_text(QUARANTINE, encoding="utf-8")
    pytester.makepyfile(test_six=SIX_TESTS, test_q="def test_quarantined():\n    assert 1 == 2\n")

    result = _run(pytester, "-n", "2", "--readiness-junit=o.xml")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*readiness: 1 quarantined test failed (not blocking)*",
            "test_q.py::test_quarantined  owner=@payments expires=2999-01-01 reason: fails ~3%*",
        ]
    )
    quarantined = by_name(pytester.path / "o.xml")["test_quarantined"]
    assert case_properties(quarantined)["readiness.quarantined"] == "fails ~3% on CI"
    assert [tag for tag, _, _ in children(quarantined)] == ["failure"]


def test_a_new_test_flipping_on_its_reruns_in_a_worker_fails_the_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_known="def test_old():\n    pass\n", test_new=counter_test("new", 1))
    (pytester.path / "known.txt").write_text("test_known.py::test_old\n", encoding="utf-8")

    result = _run(
        pytester,
        "-n",
        "2",
        "--readiness-new-tests-from=known.txt",
        "--readiness-new-reruns=2",
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*readiness: 1 new test flaky on first sight*",
            "test_new.py::test_new: failed passed passed (new flaky tests must not merge)",
        ]
    )


def test_a_collection_error_under_xdist_is_recorded_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_six=SIX_TESTS, test_broken="import nonexistent_module_xyz\n")

    result = _run(pytester, "-n", "2", "--readiness-junit=o.xml")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    names = [c.get("name") for c in root(pytester.path / "o.xml").iter("testcase")]
    assert names[0] == "test_broken"
    assert names.count("test_broken") == 1


def test_an_xdist_session_is_uploaded_once_with_every_worker_results(
    pytester: pytest.Pytester, capture: Capture
) -> None:
    pytester.makepyfile(test_six=SIX_TESTS)

    result = _run(pytester, "-n", "2", "--readiness-upload", "--readiness-commit=c9")

    assert result.ret == pytest.ExitCode.OK
    [(params, body)] = capture.posts
    assert params == {"commit": "c9", "project": project_name_from(pytester.path.name)}
    uploaded = ET.parse(io.BytesIO(body)).getroot()
    assert [s.get("name") for s in uploaded.iter("testsuite")] == ["pytest:gw0", "pytest:gw1"]
    assert sorted(str(c.get("name")) for c in uploaded.iter("testcase")) == [
        f"test_{i}" for i in range(6)
    ]


def test_workers_enforce_the_server_quarantine_the_controller_fetched_once(
    pytester: pytest.Pytester, capture: Capture
) -> None:
    pytester.makepyfile(test_six=SIX_TESTS, test_q="def test_quarantined():\n    assert False\n")

    result = _run(pytester, "-n", "2", "--readiness-quarantine-server")

    assert result.ret == pytest.ExitCode.OK
    assert capture.quarantine_gets == 1


def test_a_session_stopped_by_a_collection_error_is_still_uploaded(
    pytester: pytest.Pytester, capture: Capture
) -> None:
    pytester.makepyfile(test_broken="import nonexistent_module_xyz\n")

    result = _run(pytester, "--readiness-upload")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    [(_, body)] = capture.posts
    [case] = ET.parse(io.BytesIO(body)).getroot().iter("testcase")
    assert (case.get("name"), case.get("file")) == ("test_broken", "test_broken.py")
    assert [(c.tag, c.get("message")) for c in case] == [("error", "collection failure")]
