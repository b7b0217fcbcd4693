"""The flake census: its pure summary, its interruption, and the command on a real project."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock, SystemClock
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.testhealth import census_cli
from readiness.testhealth.client import LocalTestHealth
from readiness.testhealth.experiments.census import (
    CensusPlan,
    CensusRun,
    census_lines,
    census_view,
    run_census,
    summarize_census,
)

FLAKY, BROKEN, OK = "test_mod.py::test_flaky", "test_mod.py::test_broken", "test_mod.py::test_ok"
FAST = ("-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:xdist", "-p", "no:schemathesis")
START = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)

# Fails in the second run only: a counter file the test reads, so the census is reproducible.
PROJECT = """\
from pathlib import Path

import pytest

COUNTER = Path(__file__).with_name("counter.txt")


def test_flaky():
    n = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(n))
    assert n != 2


def test_broken():
    assert 1 == 2


def test_ok():
    pass


@pytest.mark.skip(reason="not a run")
def test_skipped():
    pass
"""


def _run(index: int, failed: dict[str, bool]) -> CensusRun:
    return CensusRun(index=index, report=Path(f"run-{index}.xml"), failed=failed, duration_s=1.0)


def test_summary_counts_each_failing_test_with_its_interval_and_verdict() -> None:
    runs = [
        _run(1, {FLAKY: False, BROKEN: True, OK: False}),
        _run(2, {FLAKY: True, BROKEN: True, OK: False}),
        _run(3, {FLAKY: False, BROKEN: True, OK: False}),
    ]

    summary = summarize_census(
        runs,
        requested=3,
        commit="abc123",
        branch="main",
        duration_s=75.0,
        statuses={FLAKY: "flaky"},
    )

    assert census_lines(summary) == [
        "Census of commit abc123 (main): 3 runs of 3 tests in 1 min 15 s",
        "1 flaky test (failed in some runs), 1 broken test (failed in every run):",
        f"  flaky {FLAKY}: failed 1 of 3 runs (33.3%, 95% interval 6.1%–79.2%); now flaky",
        f"  broken {BROKEN}: failed 3 of 3 runs (100.0%, 95% interval 43.8%–100.0%)",
        f"Next: readiness tests classify {FLAKY}",
    ]
    assert summary.exit_code == 1
    assert census_view(summary)["failed"][0] == {
        "test_id": FLAKY,
        "verdict": "flaky",
        "failures": 1,
        "runs": 3,
        "rate": 0.3333,
        "interval": [0.0615, 0.7923],
        "status": "flaky",
    }


def test_a_test_skipped_in_some_runs_counts_only_the_runs_it_ran_in() -> None:
    runs = [_run(1, {FLAKY: True}), _run(2, {}), _run(3, {FLAKY: True})]

    summary = summarize_census(runs, requested=3, commit=None, branch=None, duration_s=3.0)

    assert [(t.test_id, t.failures, t.runs, t.verdict) for t in summary.failed] == [
        (FLAKY, 2, 2, "broken")
    ]
    assert census_lines(summary)[-1] == f"Next: readiness tests show {FLAKY}"


def test_a_clean_census_says_so_and_exits_zero() -> None:
    summary = summarize_census(
        [_run(1, {OK: False}), _run(2, {OK: False})],
        requested=2,
        commit="abc123",
        branch=None,
        duration_s=2.5,
    )

    assert census_lines(summary) == [
        "Census of commit abc123: 2 runs of 1 test in 2.5 s",
        "No test failed in any run.",
    ]
    assert summary.exit_code == 0
    assert census_view(summary)["next"] is None


class _InterruptedRunner:
    """Writes a report for each run; Ctrl-C arrives during run ``stop_at``."""

    def __init__(self, stop_at: int) -> None:
        self.stop_at = stop_at
        self.calls = 0

    def run_suite(
        self, junit: Path, *, args: Sequence[str] = (), randomly_seed: int | None = None
    ) -> None:
        self.calls += 1
        fails = "<failure message='boom'/>" if self.calls == 1 else ""
        junit.write_text(
            "<testsuite name='pytest'>"
            f"<testcase classname='test_mod' name='test_flaky' file='test_mod.py'>{fails}"
            "</testcase></testsuite>",
            encoding="utf-8",
        )
        if self.calls == self.stop_at:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_completed_runs_and_drops_the_interrupted_one(tmp_path: Path) -> None:
    runner = _InterruptedRunner(stop_at=3)
    plan = CensusPlan(runs=5, reports=tmp_path / "census")

    done, interrupted = run_census(runner, plan, clock=FrozenClock(START))

    assert interrupted is True
    assert [(r.index, dict(r.failed)) for r in done] == [(1, {FLAKY: True}), (2, {FLAKY: False})]
    assert sorted(p.name for p in (tmp_path / "census").iterdir()) == ["run-1.xml", "run-2.xml"]


def test_random_order_gives_run_i_the_seed_plus_i_minus_one() -> None:
    plan = CensusPlan(runs=3, reports=Path("x"), random_order=True, seed=41)

    assert [plan.seed_of(i) for i in (1, 2, 3)] == [41, 42, 43]
    assert CensusPlan(runs=3, reports=Path("x")).seed_of(2) is None


class _StepClock(FrozenClock):
    """Two seconds pass between readings: durations are exact without sleeping."""

    def now(self) -> datetime:
        at = super().now()
        self.advance(timedelta(seconds=2))
        return at


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("READINESS_URL", "READINESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "test_mod.py").write_text(PROJECT, encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "test_mod.py"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "suite"], cwd=tmp_path, check=True)
    monkeypatch.setattr("readiness.console.SystemClock", lambda: _StepClock(START))
    return tmp_path


def _head(root: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_census_runs_the_suite_ingests_every_run_and_summarises(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(project), "tests", "census", "--runs", "3", "--", *FAST])

    head = _head(project)
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        f"Census of commit {head} (main): 3 runs of 3 tests in 14.0 s",
        "1 flaky test (failed in some runs), 1 broken test (failed in every run):",
        f"  flaky {FLAKY}: failed 1 of 3 runs (33.3%, 95% interval 6.1%–79.2%); now flaky",
        f"  broken {BROKEN}: failed 3 of 3 runs (100.0%, 95% interval 43.8%–100.0%); now broken",
        f"Next: readiness tests classify {FLAKY}",
    ]
    local = LocalTestHealth(load_settings(project, environ={}), SystemClock(), "dev")
    try:
        runs = local.service.runs()
    finally:
        local.close()
    assert sorted((r.ci_run_id, r.job, r.provider, r.commit, r.branch, r.failed) for r in runs) == [
        ("census-20260310T093000Z", "census", "census", head, "main", 1),
        ("census-20260310T093000Z", "census", "census", head, "main", 1),
        ("census-20260310T093000Z", "census", "census", head, "main", 2),
    ]
    assert sorted(Path(r.source).name for r in runs) == ["run-1.xml", "run-2.xml", "run-3.xml"]


@pytest.mark.slow
def test_census_in_json_lists_the_figures_and_the_ingested_runs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(project), "tests", "census", "--runs", "2", "-f", "json", "--", *FAST])

    view = json.loads(capsys.readouterr().out)
    assert code == 1
    assert (view["runs_completed"], view["tests"], len(view["ingested"])) == (2, 3, 2)
    assert [(t["test_id"], t["failures"], t["runs"]) for t in view["failed"]] == [
        (FLAKY, 1, 2),
        (BROKEN, 2, 2),
    ]


@pytest.mark.slow
def test_census_interrupted_by_ctrl_c_ingests_the_completed_runs_and_says_so(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(census_cli, "runner_factory", lambda _root: _InterruptedRunner(3))

    code = main(["-C", str(project), "tests", "census", "--runs", "5"])

    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[:3] == [
        f"Census of commit {_head(project)} (main): 2 runs of 1 test in 12.0 s",
        "Interrupted after 2 of 5 runs: the completed runs were ingested (2 runs).",
        "1 flaky test (failed in some runs), 0 broken tests (failed in every run):",
    ]


@pytest.mark.slow
def test_a_project_without_tests_is_one_line_and_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "test_none.py").write_text("x = 1\n", encoding="utf-8")

    code = main(["-C", str(tmp_path), "tests", "census", "--runs", "2", "--", *FAST])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert "pytest collected no tests in" in err[0]


def test_runs_outside_two_to_a_thousand_are_a_usage_error(tmp_path: Path) -> None:
    assert main(["-C", str(tmp_path), "tests", "census", "--runs", "1"]) == 2
    assert main(["-C", str(tmp_path), "tests", "census", "--runs", "1001"]) == 2


def test_a_python_without_pytest_is_named(tmp_path: Path) -> None:
    from readiness.errors import InputError
    from readiness.testhealth.experiments.runner import PytestRunner

    with pytest.raises(InputError, match="pytest is not installed for"):
        PytestRunner(tmp_path, python=_python_without_pytest(tmp_path)).run_suite(
            tmp_path / "r.xml"
        )


def _python_without_pytest(tmp_path: Path) -> str:
    """A Python that cannot import pytest: the interpreter with isolated, empty paths."""
    script = tmp_path / "nopytest"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_the_progress_bar_ends_on_the_last_run_and_the_failing_tests_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import rich.console

    screen = io.StringIO()
    real_console = rich.console.Console

    def terminal(**kw: object) -> rich.console.Console:
        return real_console(file=screen, force_terminal=True, width=100, color_system=None)

    monkeypatch.setattr(rich.console, "Console", terminal)
    plan = CensusPlan(runs=3, reports=tmp_path / "census")

    done, interrupted = census_cli._run_with_progress(
        _InterruptedRunner(stop_at=99), plan, FrozenClock(START)
    )

    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).replace("\r", "\n")
    last = [line for line in shown.splitlines() if line.strip()][-1]
    assert (len(done), interrupted) == (3, False)
    assert "3/3 run 3/3, 1 test failing so far" in last
