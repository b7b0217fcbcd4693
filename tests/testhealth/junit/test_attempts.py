"""Attempts are numbered by arrival per test id over the whole report, whatever the runner
writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.storage.engine import Stores
from readiness.testhealth.junit.attempts import AttemptCounter
from readiness.testhealth.junit.reader import Row, parse_report
from readiness.testhealth.model import Outcome, RunMeta
from readiness.testhealth.service import TestHealthService
from tests.testhealth.junit._xml import document

ReadRows = Callable[..., list[Row]]
PACKAGE = "example.com/flaky"


def _summary(rows: Sequence[Row]) -> list[tuple[str, int, Outcome]]:
    return [(r[0], r[6], Outcome(r[4])) for r in rows]


def gotestsum_report(package: str, runs: Sequence[Sequence[tuple[str, bool]]]) -> bytes:
    """What ``gotestsum --junitfile --rerun-fails`` writes: one suite per package; each run's
    testcases (the first run's failures before its passes), every rerun after the first run,
    same classname and name as the attempt it repeats."""
    root = ET.Element("testsuites", tests="0", failures="0", errors="0", time="1.5")
    suite = ET.SubElement(root, "testsuite", tests="0", failures="0", time="0.006000")
    suite.set("name", package)
    suite.set("timestamp", "2026-03-10T09:00:00Z")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="go.version", value="go1.19.8 linux/amd64")
    for n, run in enumerate(runs):
        ordered = sorted(run, key=lambda case: not case[1]) if n == 0 else run
        for name, failed in ordered:
            case = ET.SubElement(suite, "testcase", classname=package, name=name, time="0.000000")
            if failed:
                failure = ET.SubElement(case, "failure", message="Failed", type="")
                failure.text = f"=== RUN   {name}\n    x_test.go:15: boom\n--- FAIL: {name}\n"
    return document(root, declaration=True)


def _go_test_count(package: str, names: Sequence[str], count: int, failing: set[int]) -> bytes:
    """go-junit-report over ``go test -count=N``: the whole list again, N times."""
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=package, tests=str(len(names) * count))
    n = 0
    for _ in range(count):
        for name in names:
            case = ET.SubElement(suite, "testcase", name=name, classname=package, time="0.001")
            if n in failing:
                ET.SubElement(case, "failure", message="Failed", type="").text = "boom"
            n += 1
    return document(root)


def test_gotestsum_reruns_later_in_the_suite_continue_each_tests_attempts(
    read_rows: ReadRows,
) -> None:
    first = [("TestFlaky", True), ("TestStable", False), ("TestSub/flaky", True)]
    data = gotestsum_report(PACKAGE, [first, [("TestFlaky", False), ("TestSub/flaky", False)]])

    rows = read_rows(data)

    assert _summary(rows) == [
        (f"{PACKAGE}::TestFlaky", 0, Outcome.FAILED),
        (f"{PACKAGE}::TestSub/flaky", 0, Outcome.FAILED),
        (f"{PACKAGE}::TestStable", 0, Outcome.PASSED),
        (f"{PACKAGE}::TestFlaky", 1, Outcome.PASSED),
        (f"{PACKAGE}::TestSub/flaky", 1, Outcome.PASSED),
    ]


def test_go_test_count_repeats_of_the_whole_list_are_attempts_of_each_test(
    read_rows: ReadRows,
) -> None:
    data = _go_test_count("pkg", ["TestA", "TestB"], 3, failing={3})

    rows = read_rows(data)

    assert _summary(rows) == [
        ("pkg::TestA", 0, Outcome.PASSED),
        ("pkg::TestB", 0, Outcome.PASSED),
        ("pkg::TestA", 1, Outcome.PASSED),
        ("pkg::TestB", 1, Outcome.FAILED),
        ("pkg::TestA", 2, Outcome.PASSED),
        ("pkg::TestB", 2, Outcome.PASSED),
    ]


def _plugin_worker_suites(test_id_parts: tuple[str, str], workers: int) -> bytes:
    """Our plugin under ``pytest-xdist --dist each``: one suite per worker, same tests in each."""
    root = ET.Element("testsuites", name="pytest tests")
    classname, name = test_id_parts
    for w in range(workers):
        suite = ET.SubElement(root, "testsuite", name=f"pytest:gw{w}")
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0.1")
        case.set("file", "tests/test_a.py")
        if w == 1:
            ET.SubElement(case, "failure", message="boom").text = "E  boom"
    return document(root)


def test_the_same_test_in_several_worker_suites_continues_its_attempts(
    read_rows: ReadRows,
) -> None:
    rows = read_rows(_plugin_worker_suites(("tests.test_a", "test_x"), 3))

    assert [(r[0], r[1], r[6], Outcome(r[4])) for r in rows] == [
        ("tests/test_a.py::test_x", "pytest:gw0", 0, Outcome.PASSED),
        ("tests/test_a.py::test_x", "pytest:gw1", 1, Outcome.FAILED),
        ("tests/test_a.py::test_x", "pytest:gw2", 2, Outcome.PASSED),
    ]


def test_surefire_children_and_a_later_copy_share_one_count(read_rows: ReadRows) -> None:
    root = ET.Element("testsuite", name="com.acme.ShopTest")
    for outcome in ("flaky", "plain"):
        case = ET.SubElement(root, "testcase", name="pays", classname="com.acme.ShopTest")
        if outcome == "flaky":
            ET.SubElement(case, "flakyFailure", message="first", type="java.lang.AssertionError")
    rows = read_rows(document(root))

    assert _summary(rows) == [
        ("com.acme.ShopTest#pays", 0, Outcome.FAILED),
        ("com.acme.ShopTest#pays", 1, Outcome.PASSED),
        ("com.acme.ShopTest#pays", 2, Outcome.PASSED),
    ]


_CASES = st.lists(
    st.tuples(
        st.sampled_from(["TestA", "TestB", "TestC/sub", "TestD"]),
        st.sampled_from(["pass", "fail", "skip", "flaky", "rerun"]),
        st.booleans(),  # start a new suite before this case
    ),
    max_size=25,
)


def _any_runner(cases: list[tuple[str, str, bool]]) -> bytes:
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="pkg")
    for name, kind, new_suite in cases:
        if new_suite:
            suite = ET.SubElement(root, "testsuite", name="pkg")
        case = ET.SubElement(suite, "testcase", classname="pkg", name=name, time="0.5")
        if kind == "fail":
            ET.SubElement(case, "failure", message="boom")
        elif kind == "skip":
            ET.SubElement(case, "skipped", message="later")
        elif kind in ("flaky", "rerun"):  # Surefire children: earlier attempts of this case
            ET.SubElement(case, f"{kind}Failure", message="first")
            ET.SubElement(case, f"{kind}Error", message="second")
    return document(root)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(_CASES)
def test_every_test_gets_attempts_zero_to_n_in_arrival_order(
    read_rows: ReadRows, cases: list[tuple[str, str, bool]]
) -> None:
    rows = read_rows(_any_runner(cases))

    attempts: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        attempts[row[0]].append(row[6])
    assert all(seen == list(range(len(seen))) for seen in attempts.values())
    assert len(rows) == sum(3 if kind in ("flaky", "rerun") else 1 for _, kind, _ in cases)


def test_a_gotestsum_rerun_is_stored_as_its_own_attempt_and_reads_back(
    backend_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    service = TestHealthService(settings=backend_settings, stores=stores, clock=clock)
    first = [("TestFlaky", True), ("TestStable", False)]
    data = gotestsum_report(PACKAGE, [first, [("TestFlaky", False)]])
    meta = RunMeta(commit="c1", branch="main", run_id="r1", timestamp=clock.now())

    result = service.ingest_bytes(data, source="gotestsum.xml", meta=meta)
    history = service.test_history(f"{PACKAGE}::TestFlaky")
    service.flaky()  # every read works on what was stored

    assert (result.tests, result.results, result.failed) == (2, 3, 0)
    assert [run["attempts"] for run in history] == [["failed", "passed"]]


_GO_TEST = """\
package flaky

import (
\t"os"
\t"path/filepath"
\t"testing"
)

func failOnce(t *testing.T, name string) {
\tflag := filepath.Join(os.Getenv("READINESS_FLAG_DIR"), name)
\tif _, err := os.Stat(flag); err != nil {
\t\tos.WriteFile(flag, []byte("x"), 0o644)
\t\tt.Fatal("the first attempt fails")
\t}
}

func TestStable(t *testing.T) {}

func TestFlaky(t *testing.T) { failOnce(t, "flaky") }

func TestSub(t *testing.T) {
\tt.Run("ok", func(t *testing.T) {})
\tt.Run("flaky", func(t *testing.T) { failOnce(t, "sub") })
}
"""


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("gotestsum") is None or shutil.which("go") is None,
    reason="needs go and gotestsum (Debian: golang-go, gotestsum)",
)
def test_real_gotestsum_rerun_fails_output_numbers_each_rerun_as_the_next_attempt(
    tmp_path: Path,
) -> None:
    module = tmp_path / "module"
    module.mkdir()
    (module / "go.mod").write_text(f"module {PACKAGE}\n\ngo 1.19\n")
    (module / "flaky_test.go").write_text(_GO_TEST)
    flags = tmp_path / "flags"
    flags.mkdir()
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod", "READINESS_FLAG_DIR": str(flags)}
    junit = tmp_path / "junit.xml"
    gotestsum = shutil.which("gotestsum") or "gotestsum"
    reruns = ["--rerun-fails=2", "--packages", "./..."]
    subprocess.run(
        [gotestsum, "--junitfile", str(junit), *reruns, "--", "-count=1"],
        cwd=module,
        env=env,
        capture_output=True,
        check=True,
        timeout=600,
    )

    with junit.open("rb") as f:
        rows = list(parse_report(f, "junit.xml").rows())

    assert sorted(_summary(rows)) == [
        (f"{PACKAGE}::TestFlaky", 0, Outcome.FAILED),
        (f"{PACKAGE}::TestFlaky", 1, Outcome.PASSED),
        (f"{PACKAGE}::TestStable", 0, Outcome.PASSED),
        (f"{PACKAGE}::TestSub", 0, Outcome.FAILED),
        (f"{PACKAGE}::TestSub", 1, Outcome.PASSED),
        (f"{PACKAGE}::TestSub/flaky", 0, Outcome.FAILED),
        (f"{PACKAGE}::TestSub/flaky", 1, Outcome.PASSED),
        (f"{PACKAGE}::TestSub/ok", 0, Outcome.PASSED),
    ]


def test_a_region_taken_back_leaves_every_count_as_it_was() -> None:
    counter = AttemptCounter()
    counter.record("a", 0, 2)
    counter.arrive(["b"])
    before = [counter.next_attempt(t) for t in ("a", "b", "c")]
    counter.begin()
    counter.record("a", 2, 1)
    counter.record("c", 0, 3)
    counter.arrive(["d", "d", "a"])
    counter.record("d", 1, 1)

    counter.rollback()

    assert [counter.next_attempt(t) for t in ("a", "b", "c", "d")] == [*before, 0]
    assert before == [2, 1, 0]


def test_a_fast_region_handed_over_to_the_exact_reader_numbers_attempts_once(
    read_rows: ReadRows,
) -> None:
    # The second region repeats TestA and then holds a comment: the fast reader takes the region
    # back and the exact reader reads it again from its start.
    plain = "".join(f'<testcase classname="pkg" name="TestP{i}"/>' for i in range(3000))
    data = (
        f'<testsuite name="pkg"><testcase classname="pkg" name="TestA"/>{plain}'
        '<testcase classname="pkg" name="TestA"/><!-- late --></testsuite>'
    ).encode()

    rows = read_rows(data)

    assert [(r[0], r[6]) for r in rows if r[0] == "pkg::TestA"] == [
        ("pkg::TestA", 0),
        ("pkg::TestA", 1),
    ]
